"""Import of inspection results from an Excel sheet (the customer's filled-in checklist).

Format: the first worksheet, headers in row 1 in Chinese or English: 序号/code (required),
实得分/earned, 不适用/not_applicable, 严重问题数/serious_problems, 存在问题/problem,
整改措施/measure (other columns, e.g. 评价项目, are ignored). One row per leaf item.

Every problem is reported with its row and column, all at once, and nothing is saved.

Decisions where the issue was silent:
- The import creates a DRAFT: leaves missing from the sheet stay unscored, and a person reviews
  the result (adds photos, completes items) before submitting. `submit=True` (the command's
  `--submit`) submits in the same transaction and is refused, saving nothing, while any leaf is
  unscored.
- A section (non-leaf) row is accepted when its result cells are all empty (a sheet printed from
  the standard keeps its section headings); a section row carrying a result is an error.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from org.models import OrgUnit, Site
from scoring.models import Standard, StandardItem
from scoring.xlsx import (
    Column,
    SheetError,
    SheetImportError,
    parse_bool,
    parse_code,
    parse_decimal,
    parse_text,
    read_rows,
)

from . import services
from .models import Inspection, InspectionEvent, InspectionResult

COLUMNS = [
    Column("code", ("序号", "code"), required=True),
    Column("earned", ("实得分", "earned", "earned points")),
    Column("not_applicable", ("不适用", "not_applicable", "not applicable", "n/a")),
    Column("serious_problems", ("严重问题数", "serious_problems", "serious problems")),
    Column("problem", ("存在问题", "problem", "problems")),
    Column("measure", ("整改措施", "measure", "measures", "rectification measure")),
    Column("finding", ("检查情况", "finding", "findings")),
]
RESULT_KEYS = ("earned", "not_applicable", "serious_problems", "problem", "measure", "finding")
TEXT_LIMIT = 5000


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_count(value, *, row, column, header, errors) -> int:
    if _blank(value):
        return 0
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < 0 or number > 32767:
        errors.append(SheetError(row=row, column=column, header=header,
                                 message=_("“%(value)s” is not a whole number of 0 or more.") % {"value": value}))
        return 0
    return number


def parse_results(file, standard: Standard, *, filename: str | None = None) -> dict[int, dict]:
    """{item id: result fields} of a results sheet, or SheetImportError with every problem."""
    rows = read_rows(file, COLUMNS, filename=filename)
    items = {item.code: item for item in StandardItem.objects.filter(standard=standard).only(
        "id", "code", "points", "is_leaf")}
    errors: list[SheetError] = []
    seen: dict[str, int] = {}
    parsed: dict[int, dict] = {}
    for record in rows:
        row, col, head = record["_row"], record["_col"], record["_header"]

        def where(key, _row=row, _col=col, _head=head):
            return {"row": _row, "column": _col.get(key), "header": _head.get(key), "errors": errors}

        code = parse_code(record["code"], **where("code"))
        if code is None:
            continue
        if code in seen:
            errors.append(SheetError(row=row, column=col["code"], header=head["code"],
                                     message=_("Duplicate code %(code)s: row %(first)s already has it.")
                                     % {"code": code, "first": seen[code]}))
            continue
        seen[code] = row
        item = items.get(code)
        if item is None:
            errors.append(SheetError(row=row, column=col["code"], header=head["code"],
                                     message=_("Unknown code %(code)s: the standard has no such item.")
                                     % {"code": code}))
            continue
        if not item.is_leaf:
            if any(not _blank(record.get(key)) for key in RESULT_KEYS):
                errors.append(SheetError(row=row, column=col["code"], header=head["code"],
                                         message=_("%(code)s is a section, not a leaf item: results are entered "
                                                   "on its leaf items.") % {"code": code}))
            continue
        earned = parse_decimal(record.get("earned"), **where("earned"), maximum=item.points)
        not_applicable = parse_bool(record.get("not_applicable"), **where("not_applicable"))
        if earned is not None and not_applicable:
            errors.append(SheetError(row=row, column=col.get("earned"), header=head.get("earned"),
                                     message=_("Both earned points and not applicable are given: give one.")))
        problems = _parse_count(record.get("serious_problems"), row=row, column=col.get("serious_problems"),
                                header=head.get("serious_problems"), errors=errors)
        if problems and not_applicable:
            errors.append(SheetError(row=row, column=col.get("serious_problems"), header=head.get("serious_problems"),
                                     message=_("A not-applicable item cannot have serious problems.")))
        texts = {key: parse_text(record.get(key), **where(key), max_length=TEXT_LIMIT)
                 for key in ("problem", "measure", "finding")}
        parsed[item.id] = {"earned": None if not_applicable else earned, "not_applicable": not_applicable,
                           "serious_problems": problems, **texts}
    if errors:
        raise SheetImportError(errors)
    return parsed


@transaction.atomic
def inspection_import_results(*, file, standard: Standard, kind: str = Inspection.Kind.SELF_ASSESSMENT,
                              date: datetime.date, site: Site | None = None, unit: OrgUnit | None = None,
                              filename: str | None = None, submit: bool = False, by=None) -> Inspection:
    """A new inspection holding the sheet's results (see the module docstring). Raises
    SheetImportError (file problems) or ValidationError (standard, site, submit refused); in
    both cases nothing is saved."""
    if standard.status != Standard.Status.ACTIVE:
        # Before reading the file: the sheet's codes mean nothing against a draft standard.
        raise ValidationError(_("Standard “%(standard)s” is %(status)s: only an active standard can be used.")
                              % {"standard": standard, "status": standard.get_status_display()})
    parsed = parse_results(file, standard, filename=filename)
    name = filename or getattr(file, "name", None) or str(file)
    inspection = services._create(
        standard=standard, kind=kind, date=date, site=site, unit=unit, group=None, inspectors=(), title="",
        by=by, event_action=InspectionEvent.Action.IMPORTED,
        event_comment=_("Imported from %(file)s (%(n)s rows)") % {"file": str(name).rsplit("/", 1)[-1],
                                                                  "n": len(parsed)},
    )
    results = list(InspectionResult.objects.filter(inspection=inspection, item_id__in=parsed))
    for result in results:
        for field, value in parsed[result.item_id].items():
            setattr(result, field, value)
        result.updated_by = by
    InspectionResult.objects.bulk_update(
        results, ["earned", "not_applicable", "serious_problems", "problem", "measure", "finding", "updated_by"],
        batch_size=500)
    if submit:
        services.inspection_submit(inspection=inspection, by=by)
        inspection.refresh_from_db()
    return inspection
