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
- A section (non-leaf) row is accepted when its result cells are empty (a sheet printed from the
  standard keeps its section headings), or when its 实得分 / 严重问题数 / 不适用 equal the roll-up of
  its items in the same sheet (a roll-up table such as our own report's first sheet); a section
  whose figures disagree with its items, or that carries problem or measure text, is an error.
- An optional 应得分/points column is checked against the standard; 0 on a leaf with points (and
  no 实得分) means not applicable, as a roll-up table shows it. So our own report's first sheet
  re-imports to the same results.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.lifecycle import SYSTEM, actor_user
from org.models import OrgUnit, Site
from scoring.models import Standard, StandardItem
from scoring.rollup import LeafResult, rollup
from scoring.xlsx import (
    Column,
    SheetError,
    SheetImportError,
    is_reported,
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
    Column("earned", ("实得分", "earned", "earned points", "实际得分", "得分", "score")),
    # Deduction tables (扣分制): earned = standard points − deduction, never below 0.
    Column("deduction", ("扣分", "deduction", "deductions", "deducted points", "扣分值", "扣除分")),
    Column("deduction_reason", ("扣分原因", "deduction_reason", "deduction reason", "reason for deduction", "扣分理由",
                                "扣分说明", "扣分依据")),
    # Optional: in a roll-up table a not-applicable leaf shows 应得分 0 (it leaves the sum).
    Column("points", ("应得分", "points", "standard points")),
    Column("not_applicable", ("不适用", "not_applicable", "not applicable", "n/a")),
    Column("serious_problems", ("严重问题数", "serious_problems", "serious problems")),
    Column("problem", ("存在问题", "problem", "problems")),
    Column("measure", ("整改措施", "measure", "measures", "rectification measure")),
    Column("finding", ("检查情况", "finding", "findings")),
]
RESULT_KEYS = ("earned", "deduction", "not_applicable", "serious_problems", "problem", "deduction_reason", "measure",
               "finding")
TEXT_KEYS = ("problem", "deduction_reason", "measure", "finding")
# The model's limit (org.validators.LONG_TEXT_MAX): a longer cell is refused with its row and column.
TEXT_LIMIT = InspectionResult._meta.get_field("problem").max_length


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_count(value, *, row, column, header, errors) -> int:
    if _blank(value) or is_reported(value):
        return 0
    number = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e9:
        number = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value() and abs(value) < 10**9:
        number = int(value)  # a computed formula (scoring.formulas)
    elif isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 7:
        number = int(value.strip())
    if number is None or number < 0 or number > 32767:
        errors.append(SheetError(row=row, column=column, header=header,
                                 message=_("“%(value)s” is not a whole number of 0 or more.") % {"value": value}))
        return 0
    return number


def parse_results(file, standard: Standard, *, filename: str | None = None) -> dict[int, dict]:
    """{item id: result fields} of a results sheet, or SheetImportError with every problem."""
    rows = read_rows(file, COLUMNS, filename=filename)
    errors: list[SheetError] = list(rows.errors)
    if "earned" not in rows.letters and "deduction" not in rows.letters:
        errors.append(SheetError(row=rows.header_rows[0], column=None, message=_(
            "The sheet has neither an earned-points column (实得分 / earned) nor a deduction column (扣分 / "
            "deduction): nothing could be scored. Add one of them.")))
        raise SheetImportError(errors)
    if not rows:
        errors.append(SheetError(row=None, column=None, message=_(
            "The sheet has a header but no item rows: nothing was imported.")))
        raise SheetImportError(errors)
    all_items = list(StandardItem.objects.filter(standard=standard).only(
        "id", "parent_id", "code", "title", "depth", "is_leaf", "serious", "points", "sort_key"))
    items = {item.code: item for item in all_items}
    sections: list[tuple] = []  # section rows that carry figures, checked against the roll-up below
    bad_codes: set[str] = set()  # leaves whose own row has errors: their sections are not summed
    seen: dict[str, int] = {}
    parsed: dict[int, dict] = {}
    raw_deductions: dict[int, Decimal] = {}  # as written, before "never below 0", for section and total rows
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
            if any(not _blank(record.get(key)) for key in TEXT_KEYS):
                errors.append(SheetError(row=row, column=col["code"], header=head["code"],
                                         message=_("%(code)s is a section, not a leaf item: problems and measures "
                                                   "are entered on its leaf items.") % {"code": code}))
            elif any(not _blank(record.get(key)) for key in RESULT_KEYS):
                sections.append((item, record, where))
            continue
        errors_before = len(errors)
        earned = parse_decimal(record.get("earned"), **where("earned"), maximum=item.points)
        not_applicable = parse_bool(record.get("not_applicable"), **where("not_applicable"))
        points = parse_decimal(record.get("points"), **where("points"))
        if points is not None and points != item.points:
            if points == 0 and not earned and _blank(record.get("not_applicable")):
                not_applicable, earned = True, None  # a roll-up table's not-applicable leaf
            elif points != 0:
                errors.append(SheetError(
                    row=row, column=col.get("points"), header=head.get("points"),
                    message=_("Standard points %(given)s differ from the standard's %(points)s for item %(code)s.")
                    % {"given": points, "points": item.points, "code": code}))
        if earned is not None and not_applicable:
            errors.append(SheetError(row=row, column=col.get("earned"), header=head.get("earned"),
                                     message=_("Both earned points and not applicable are given: give one.")))
        if "deduction" in col:
            deduction = parse_decimal(record.get("deduction"), **where("deduction"))
            if deduction is not None:
                raw_deductions[item.id] = deduction
            if deduction is not None and deduction != 0 and not_applicable:
                errors.append(SheetError(row=row, column=col["deduction"], header=head["deduction"],
                                         message=_("Both a deduction and not applicable are given: give one.")))
            elif not not_applicable and not is_reported(record.get("deduction")):
                from_deduction = max(item.points - (deduction or Decimal(0)), Decimal(0))
                if earned is None and not is_reported(record.get("earned")):
                    earned = from_deduction  # an empty 扣分 deducts nothing
                elif earned is not None and deduction is not None and earned != from_deduction:
                    errors.append(SheetError(
                        row=row, column=col.get("earned"), header=head.get("earned"),
                        message=_("Earned points %(earned)s do not match the standard points %(points)s less the "
                                  "deduction %(deduction)s.") % {"earned": earned, "points": item.points,
                                                                "deduction": deduction}))
        problems = _parse_count(record.get("serious_problems"), row=row, column=col.get("serious_problems"),
                                header=head.get("serious_problems"), errors=errors)
        if problems and not_applicable:
            errors.append(SheetError(row=row, column=col.get("serious_problems"), header=head.get("serious_problems"),
                                     message=_("A not-applicable item cannot have serious problems.")))
        texts = {key: parse_text(record.get(key), **where(key), max_length=TEXT_LIMIT) for key in TEXT_KEYS}
        reason = texts.pop("deduction_reason")
        if reason and reason != texts["problem"]:
            # 扣分原因 is the problem found; both columns filled: keep both texts.
            texts["problem"] = f"{texts['problem']}\n{reason}" if texts["problem"] else reason
            if len(texts["problem"]) > TEXT_LIMIT:
                errors.append(SheetError(row=row, column=col.get("deduction_reason"),
                                         header=head.get("deduction_reason"),
                                         message=_("Problem and reason for the deduction together are longer than "
                                                   "%(max)s characters.") % {"max": TEXT_LIMIT}))
        if len(errors) > errors_before:
            bad_codes.add(code)
        parsed[item.id] = {"earned": None if not_applicable else earned, "not_applicable": not_applicable,
                           "serious_problems": problems, **texts}
    sections = [(item, record, where) for item, record, where in sections
                if not any(code.startswith(item.code + ".") for code in bad_codes)]
    if parsed and not errors and not any(r["earned"] is not None or r["not_applicable"] for r in parsed.values()):
        errors.append(SheetError(row=None, column=None, message=_(
            "No item row of the sheet gives a result (earned points, a deduction or not applicable): nothing "
            "would be scored.")))
    if sections or rows.totals:
        _check_sections(sections, all_items, parsed, errors, totals=rows.totals if not bad_codes else [],
                        extra_totals=rows.totals[1:], raw_deductions=raw_deductions)
    if errors:
        raise SheetImportError(errors)
    return parsed


def _check_sections(sections, items, parsed, errors, *, totals=(), extra_totals=(), raw_deductions=None) -> None:
    """A section row's figures must be the roll-up of its items as given in the same sheet; so
    must a total row's (合计/总计), against all of them."""
    rolled = rollup(items, {
        item_id: LeafResult(earned=r["earned"], not_applicable=r["not_applicable"],
                            serious_problems=r["serious_problems"]) for item_id, r in parsed.items()})
    rows = {row.item_id: row for row in rolled}
    # The deductions as written, summed up the tree: a 扣分 table may add them up before "扣完为止".
    parents = {item.id: item.parent_id for item in items}
    raw_sums: dict[int | None, Decimal] = {}
    for item_id, deduction in (raw_deductions or {}).items():
        node = item_id
        while node is not None:
            raw_sums[node] = raw_sums.get(node, Decimal(0)) + deduction
            node = parents.get(node)
        raw_sums[None] = raw_sums.get(None, Decimal(0)) + deduction
    for extra in extra_totals:
        errors.append(SheetError(row=extra["_row"], column=None,
                                 message=_("A second total row: row %(first)s is already the total.")
                                 % {"first": totals[0]["_row"] if totals else "?"}))
    checks = [(rows[item.id], record, where, item.code, raw_sums.get(item.id, Decimal(0)))
              for item, record, where in sections]
    if totals:
        record = totals[0]
        item_points = {item.id: item.points for item in items}
        applicable = [(item_id, r) for item_id, r in parsed.items() if not r["not_applicable"]]
        top = SimpleNamespace(
            points=sum((item_points[item_id] for item_id, _r in applicable), Decimal(0)),
            earned=sum((r["earned"] or Decimal(0) for _id, r in applicable), Decimal(0)),
            serious_problems=sum(r["serious_problems"] for r in parsed.values()), applicable=bool(applicable))

        def where(key, _record=record):
            return {"row": _record["_row"], "column": _record["_col"].get(key), "header": _record["_header"].get(key),
                    "errors": errors}
        checks.append((top, record, where, None, raw_sums.get(None, Decimal(0))))
    for computed, record, where, code, raw_sum in checks:
        earned = parse_decimal(record.get("earned"), **where("earned"), minimum=Decimal(0))
        problems = _parse_count(record.get("serious_problems"), row=record["_row"],
                                column=record["_col"].get("serious_problems"),
                                header=record["_header"].get("serious_problems"), errors=errors)
        not_applicable = parse_bool(record.get("not_applicable"), **where("not_applicable"))
        mismatches = []
        if earned is not None and earned != computed.earned:
            mismatches.append(("earned", earned, computed.earned))
        if not _blank(record.get("serious_problems")) and problems != computed.serious_problems:
            mismatches.append(("serious_problems", problems, computed.serious_problems))
        if not _blank(record.get("not_applicable")) and not_applicable == computed.applicable:
            mismatches.append(("not_applicable", not_applicable, not computed.applicable))
        if "deduction" in record["_col"]:
            deduction = parse_decimal(record.get("deduction"), **where("deduction"))
            if deduction is not None and deduction not in (computed.points - computed.earned, raw_sum):
                mismatches.append(("deduction", deduction, computed.points - computed.earned))
        if code is None:
            points = parse_decimal(record.get("points"), **where("points"))
            if points is not None and points != computed.points:
                mismatches.append(("points", points, computed.points))
        for key, given, expected in mismatches:
            if code is None:
                message = _("The total row gives %(given)s, but the items in this sheet add up to %(expected)s.")
            else:
                message = _("Section %(code)s gives %(given)s, but its items in this sheet add up to %(expected)s.")
            errors.append(SheetError(
                row=record["_row"], column=record["_col"].get(key), header=record["_header"].get(key),
                message=message % {"code": code, "given": _show(given), "expected": _show(expected)}))


def _show(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


@transaction.atomic
def inspection_import_results(*, file, standard: Standard, kind: str = Inspection.Kind.SELF_ASSESSMENT,
                              date: datetime.date, site: Site | None = None, unit: OrgUnit | None = None,
                              filename: str | None = None, submit: bool = False, by=SYSTEM) -> Inspection:
    """A new inspection holding the sheet's results (see the module docstring). Raises
    SheetImportError (file problems), ValidationError (standard, site, unscored items on submit)
    or core.lifecycle.ActionRefused (role, scope); in every case nothing is saved. `by`: a user
    or core.lifecycle.SYSTEM (the default: the command line, tests)."""
    if standard.status != Standard.Status.ACTIVE:
        # Before reading the file: the sheet's codes mean nothing against a draft standard.
        raise ValidationError(_("Standard “%(standard)s” is %(status)s: only an active standard can be used.")
                              % {"standard": standard, "status": standard.get_status_display()})
    parsed = parse_results(file, standard, filename=filename)
    name = filename or getattr(file, "name", None) or str(file)
    inspection = services._create(
        standard=standard, kind=kind, date=date, site=site, unit=unit, group=None, inspectors=(), title="",
        by=by, event_action=InspectionEvent.Action.IMPORT,
        event_comment=_("Imported from %(file)s (%(n)s rows)") % {"file": str(name).rsplit("/", 1)[-1],
                                                                  "n": len(parsed)},
    )
    results = list(InspectionResult.objects.filter(inspection=inspection, item_id__in=parsed))
    for result in results:
        for field, value in parsed[result.item_id].items():
            setattr(result, field, value)
        result.updated_by = actor_user(by)
    InspectionResult.objects.bulk_update(
        results, ["earned", "not_applicable", "serious_problems", "problem", "measure", "finding", "updated_by"],
        batch_size=500)
    if submit:
        services.inspection_submit(inspection=inspection, by=by)
        inspection.refresh_from_db()
    return inspection
