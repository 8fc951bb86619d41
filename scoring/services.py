"""Every write to standards (评价标准) and their items.

Lifecycle: draft → active → retired, written once in scoring.lifecycle (which each service checks
with the row locked). Only a draft's items change. Activating a version retires the version of
the same name that was active before, so each name has at most one active version (a database
constraint says so too); inspections keep pointing at the version they were made with. Editing
an active standard means `standard_new_version`, which copies it into a new draft.

`by` is who acts: a signed-in user (the pages, the admin) or core.lifecycle.SYSTEM, the default
(the import command, the demo, tests). Refusals: core.lifecycle.ActionRefused for who may act and
in which status, ValidationError for the data.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.lifecycle import SYSTEM, ActionRefused, actor_user

from . import lifecycle
from .lifecycle import Action
from .models import Standard, StandardItem
from .xlsx import (
    Column,
    SheetError,
    SheetImportError,
    parse_bool,
    parse_code,
    parse_decimal,
    parse_text,
    read_rows,
)

# The columns of a standard sheet, by header text in either language.
STANDARD_COLUMNS = [
    Column("code", ("序号", "code", "编号", "项目编号"), required=True),
    Column("title", ("评价项目", "title", "item", "检查项目", "项目"), required=True),
    Column("points", ("应得分", "points", "标准分", "standard points", "分值"), required=True),
    Column("criteria", ("评分标准", "criteria", "要点", "检查要点", "评分办法", "scoring criteria")),
    Column("serious", ("严重", "serious", "严重项", "严重问题")),
]
EXPORT_HEADERS = ["序号", "评价项目", "应得分", "评分标准", "严重"]
TITLE_MAX = StandardItem._meta.get_field("title").max_length
CRITERIA_MAX = StandardItem._meta.get_field("criteria").max_length
NAME_MAX = Standard._meta.get_field("name").max_length
VERSION_MAX = Standard._meta.get_field("version").max_length


@dataclass
class _ParsedItem:
    row: int
    code: str
    title: str
    points: Decimal | None
    criteria: str
    serious: bool
    numeric_code: bool
    cols: dict
    headers: dict


def _parent_code(code: str) -> str | None:
    return code.rpartition(".")[0] or None


def _next_version(name: str) -> str:
    versions = list(Standard.objects.filter(name=name).values_list("version", flat=True))
    numbers = [int(v) for v in versions if v.isascii() and v.isdigit()]  # not "²" or "٣"
    candidate = (max(numbers) + 1) if numbers else len(versions) + 1
    while str(candidate) in versions:
        candidate += 1
    return str(candidate)


def _check_name_version(name: str, version: str | None) -> list[SheetError]:
    errors = []
    if not name.strip():
        errors.append(SheetError(row=None, column=None, message=_("The standard needs a name.")))
    elif len(name) > NAME_MAX:
        errors.append(SheetError(row=None, column=None,
                                 message=_("The name is longer than %(max)s characters.") % {"max": NAME_MAX}))
    if version is not None:
        if not version.strip() or len(version) > VERSION_MAX:
            errors.append(SheetError(row=None, column=None, message=_("The version must be 1 to %(max)s characters.")
                                     % {"max": VERSION_MAX}))
        elif Standard.objects.filter(name=name.strip(), version=version.strip()).exists():
            errors.append(SheetError(row=None, column=None,
                                     message=_("Version %(version)s of “%(name)s” already exists.")
                                     % {"version": version.strip(), "name": name.strip()}))
    return errors


def _parse_standard_rows(rows: list[dict]) -> tuple[list[_ParsedItem], list[SheetError]]:
    errors: list[SheetError] = []
    items: list[_ParsedItem] = []
    for record in rows:
        row, cols, headers = record["_row"], record["_col"], record["_header"]

        def at(key, row=row, cols=cols, headers=headers):
            return {"row": row, "column": cols.get(key), "header": headers.get(key), "errors": errors}

        code = parse_code(record["code"], **at("code"))
        title = parse_text(record["title"], required=True, max_length=TITLE_MAX, **at("title"))
        points = parse_decimal(record["points"], **at("points"))
        criteria = (parse_text(record.get("criteria"), max_length=CRITERIA_MAX, **at("criteria"))
                    if "criteria" in cols else "")
        serious = parse_bool(record.get("serious"), **at("serious")) if "serious" in cols else False
        if code is not None:
            items.append(_ParsedItem(row=row, code=code, title=title, points=points, criteria=criteria,
                                     serious=serious, numeric_code=isinstance(record["code"], int | float),
                                     cols=cols, headers=headers))
    return items, errors


def _check_tree(items: list[_ParsedItem], errors: list[SheetError]) -> dict[str, _ParsedItem]:
    """Duplicate codes, missing parents, leaves without points, parents whose points differ from
    their children's sum. Returns the unique items by code."""
    by_code: dict[str, _ParsedItem] = {}
    for item in items:
        first = by_code.get(item.code)
        if first is None:
            by_code[item.code] = item
            continue
        message = _("Duplicate code %(code)s: row %(first)s has it already.") % {"code": item.code, "first": first.row}
        if item.numeric_code or first.numeric_code:
            message += " " + _("Codes typed as numbers lose trailing zeros (1.10 becomes 1.1): format the code "
                               "column as text.")
        errors.append(SheetError(row=item.row, column=item.cols["code"], header=item.headers["code"], message=message))
    children: dict[str, list[_ParsedItem]] = defaultdict(list)
    for item in by_code.values():
        parent = _parent_code(item.code)
        if parent is None:
            continue
        if parent not in by_code:
            errors.append(SheetError(row=item.row, column=item.cols["code"], header=item.headers["code"],
                                     message=_("The parent item %(parent)s of %(code)s is missing.")
                                     % {"parent": parent, "code": item.code}))
        children[parent].append(item)
    # Bottom-up (deepest codes first): each parent's sum is known once its children are done.
    effective: dict[str, Decimal | None] = {}
    for code in sorted(by_code, key=lambda c: -c.count(".")):
        item = by_code[code]
        kids = children.get(code)
        if not kids:
            if item.points is None and not _has_error(errors, item, "points"):
                errors.append(SheetError(row=item.row, column=item.cols["points"], header=item.headers["points"],
                                         message=_("Item %(code)s has no sub-items, so it needs its standard points.")
                                         % {"code": code}))
            effective[code] = item.points
            continue
        kid_points = [effective.get(k.code) for k in kids]
        total = None if any(p is None for p in kid_points) else sum(kid_points, Decimal(0))
        if item.points is not None and total is not None and item.points != total:
            errors.append(SheetError(
                row=item.row, column=item.cols["points"], header=item.headers["points"],
                message=_("Item %(code)s has %(points)s points but its sub-items add up to %(total)s.")
                % {"code": code, "points": _fmt(item.points), "total": _fmt(total)},
            ))
        effective[code] = total if total is not None else item.points
    return by_code


def _check_totals(rows, by_code: dict[str, _ParsedItem], errors: list[SheetError]) -> None:
    """A 合计/总计 row (empty code) at most once; its points, if given, must be the sum of the
    top-level items."""
    for extra in rows.totals[1:]:
        errors.append(SheetError(row=extra["_row"], column=None,
                                 message=_("A second total row: row %(first)s is already the total.")
                                 % {"first": rows.totals[0]["_row"]}))
    if not rows.totals:
        return
    total = rows.totals[0]
    where = {"row": total["_row"], "column": total["_col"].get("points"), "header": total["_header"].get("points")}
    given = parse_decimal(total.get("points"), **where, errors=errors)
    if given is None:
        return
    parents = {_parent_code(code) for code in by_code}
    leaves = [item for code, item in by_code.items() if code not in parents]
    if any(item.points is None or _has_error(errors, item, "points") for item in leaves):
        return  # already reported on the item's own row
    expected = sum((item.points for item in leaves), Decimal(0))
    if given != expected:
        errors.append(SheetError(**where, message=_("The total row gives %(given)s points, but the items add up to "
                                                    "%(expected)s.") % {"given": _fmt(given),
                                                                          "expected": _fmt(expected)}))


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _has_error(errors: list[SheetError], item: _ParsedItem, key: str) -> bool:
    column = item.cols.get(key)
    return any(e.row == item.row and e.column == column for e in errors)


@transaction.atomic
def standard_import_xlsx(*, file, name: str, version: str | None = None, by=SYSTEM, description: str = "",
                         filename: str | None = None) -> Standard:
    """Create a draft standard from an Excel sheet (columns 序号/code, 评价项目/title,
    应得分/points, 评分标准/criteria, 严重/serious; codes in any order). Everything is checked
    first; any problem raises SheetImportError with all of them and nothing is saved. A user
    who may not manage standards: ActionRefused."""
    if not lifecycle.may_manage(by):
        raise ActionRefused(lifecycle.TABLE.role_refusal(lifecycle.TRANSITIONS[Action.EDIT]))
    name = (name or "").strip()
    errors = _check_name_version(name, version)
    try:
        rows = read_rows(file, STANDARD_COLUMNS, filename=filename)
    except SheetImportError as exc:
        raise SheetImportError(errors + exc.errors) from exc
    items, parse_errors = _parse_standard_rows(rows)
    errors += rows.errors + parse_errors
    if not rows:
        errors.append(SheetError(row=None, column=None, message=_("The worksheet has a header but no items.")))
    by_code = _check_tree(items, errors)
    _check_totals(rows, by_code, errors)
    if errors:
        raise SheetImportError(errors)
    source = filename or getattr(file, "name", None) or (Path(file).name if isinstance(file, str | Path) else "")
    standard = Standard(name=name, version=(version or "").strip() or _next_version(name), description=description,
                        created_by=actor_user(by), source_filename=Path(str(source)).name[:255] if source else "")
    standard.full_clean()
    standard.save()
    _create_items(standard, [
        {"code": p.code, "title": p.title, "points": p.points, "criteria": p.criteria, "serious": p.serious}
        for p in by_code.values()
    ])
    return standard


def _create_items(standard: Standard, specs: list[dict]) -> None:
    """Insert a validated tree level by level (parents first, so children get their ids), then
    compute parents' points, leaf flags and the standard's totals."""
    by_depth: dict[int, list[dict]] = defaultdict(list)
    codes = {spec["code"] for spec in specs}
    has_children = {_parent_code(c) for c in codes}
    for spec in specs:
        by_depth[spec["code"].count(".")].append(spec)
    ids: dict[str, int] = {}
    for depth in sorted(by_depth):
        objs = [
            StandardItem(
                standard=standard, code=spec["code"], sort_key=StandardItem.sort_key_for(spec["code"]), depth=depth,
                parent_id=ids[_parent_code(spec["code"])] if depth else None, title=spec["title"],
                points=spec["points"] if spec["points"] is not None else Decimal(0), criteria=spec["criteria"],
                serious=spec["serious"], is_leaf=spec["code"] not in has_children,
                hazard_category_code=spec.get("hazard_category_code", ""), hazard_major=spec.get("hazard_major", False),
            )
            for spec in by_depth[depth]
        ]
        StandardItem.objects.bulk_create(objs, batch_size=1000)
        if any(obj.pk is None for obj in objs):  # backends that do not return ids from bulk inserts
            ids.update(StandardItem.objects.filter(standard=standard, depth=depth).values_list("code", "id"))
        else:
            ids.update((obj.code, obj.pk) for obj in objs)
    standard_recompute(standard=standard)




def _locked(standard: Standard) -> Standard:
    return Standard.objects.select_for_update().get(pk=standard.pk)


@transaction.atomic
def standard_recompute(*, standard: Standard) -> Standard:
    """Bring the stored sums in step with the leaves: parents' points, leaf flags, depths and the
    standard's total and item count. Run after any change to a draft's items."""
    items = list(StandardItem.objects.filter(standard=standard).order_by("sort_key"))
    parents = {item.parent_id for item in items if item.parent_id}
    sums: dict[int, Decimal] = defaultdict(Decimal)
    changed = []
    total = Decimal(0)
    for item in reversed(items):
        is_leaf = item.pk not in parents
        points = item.points if is_leaf else sums[item.pk]
        depth = item.code.count(".")
        if (item.is_leaf, item.points, item.depth) != (is_leaf, points, depth):
            item.is_leaf, item.points, item.depth = is_leaf, points, depth
            changed.append(item)
        if item.parent_id:
            sums[item.parent_id] += points
        else:
            total += points
    if changed:
        StandardItem.objects.bulk_update(changed, ["is_leaf", "points", "depth"], batch_size=500)
    standard.total_points = total
    standard.item_count = len(items)
    standard.save(update_fields=["total_points", "item_count"])
    return standard


@transaction.atomic
def standard_item_save(*, item: StandardItem, by=SYSTEM) -> StandardItem:
    """Create or change one item of a draft. The parent follows from the code (1.2.3 → 1.2),
    which must exist; the parents' points are recomputed."""
    standard = _locked(item.standard)
    lifecycle.check(standard, Action.EDIT, by)
    if item.pk:
        old_code = StandardItem.objects.filter(pk=item.pk).values_list("code", flat=True).get()
        if old_code != item.code and StandardItem.objects.filter(parent_id=item.pk).exists():
            raise ValidationError({"code": _("An item with sub-items cannot change its code.")})
    parent_code = _parent_code(item.code) if item.code else None
    item.parent = None
    if parent_code:
        item.parent = StandardItem.objects.filter(standard=standard, code=parent_code).first()
        if item.parent is None:
            raise ValidationError({"code": _("The parent item %(parent)s does not exist in this standard.")
                                   % {"parent": parent_code}})
    item.sort_key = StandardItem.sort_key_for(item.code or "0")
    item.depth = (item.code or "").count(".")
    item.full_clean()
    item.save()
    standard_recompute(standard=standard)
    return item


@transaction.atomic
def standard_item_delete(*, item: StandardItem, by=SYSTEM) -> None:
    """Delete an item of a draft with everything below it."""
    standard = _locked(item.standard)
    lifecycle.check(standard, Action.EDIT, by)
    item.delete()
    standard_recompute(standard=standard)


@transaction.atomic
def standard_activate(*, standard: Standard, by=SYSTEM) -> Standard:
    """draft → active. The version of the same name that was active is retired."""
    standard = _locked(standard)
    transition = lifecycle.check(standard, Action.ACTIVATE, by)
    if not standard.items.exists():
        raise ValidationError(_("“%(standard)s” has no items and cannot be activated.") % {"standard": standard})
    standard_recompute(standard=standard)
    now = timezone.now()
    for previous in Standard.objects.select_for_update().filter(name=standard.name, status=Standard.Status.ACTIVE):
        previous.status = Standard.Status.RETIRED
        previous.save(update_fields=["status"])
    standard.status = transition.target
    standard.activated_at = now
    standard.full_clean()
    standard.save(update_fields=["status", "activated_at"])
    return standard


@transaction.atomic
def standard_retire(*, standard: Standard, by=SYSTEM) -> Standard:
    """active → retired: no new inspections use it; existing ones keep it."""
    standard = _locked(standard)
    standard.status = lifecycle.check(standard, Action.RETIRE, by).target
    standard.save(update_fields=["status"])
    return standard


@transaction.atomic
def standard_new_version(*, standard: Standard, by=SYSTEM, version: str | None = None) -> Standard:
    """Copy an active (or retired) standard into a new draft version to edit; `previous` points back."""
    standard = _locked(standard)
    lifecycle.check(standard, Action.NEW_VERSION, by)
    draft = Standard.objects.filter(name=standard.name, status=Standard.Status.DRAFT).first()
    if draft is not None:
        raise ValidationError(_("A draft version %(version)s of “%(name)s” exists already: edit that one.")
                              % {"version": draft.version, "name": standard.name})
    version = (version or "").strip() or _next_version(standard.name)
    new = Standard(name=standard.name, version=version, description=standard.description, previous=standard,
                   created_by=actor_user(by), source_filename=standard.source_filename)
    new.full_clean()
    new.save()
    _create_items(new, list(standard.items.values("code", "title", "points", "criteria", "serious",
                                                   "hazard_category_code", "hazard_major")))
    return new


@transaction.atomic
def standard_delete_draft(*, standard: Standard, by=SYSTEM) -> None:
    """Delete a draft with its items (an active or retired version is kept: inspections use it)."""
    standard = _locked(standard)
    lifecycle.check(standard, Action.DELETE, by)
    standard.items.all().delete()
    standard.delete()


def standard_export_xlsx(standard: Standard) -> bytes:
    """The standard as a sheet the import reads back to the same tree: codes as text, points as
    numbers (parents carry their sums), 严重 as 是/否. A second sheet records name and version."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from org.spreadsheets import print_setup, text_cell

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Standard")[:31]
    sheet.append(EXPORT_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    yes, no = "是", "否"
    rows = standard.items.order_by("sort_key").values_list("code", "title", "points", "criteria", "serious", "depth")
    for number, (code, title, points, criteria, serious, depth) in enumerate(rows.iterator(), start=2):
        # Titles and criteria are user text: written as text, so "=…" is not a formula and the
        # export re-imports to the same tree.
        text_cell(sheet.cell(row=number, column=1), code)
        sheet.cell(row=number, column=1).number_format = "@"
        text_cell(sheet.cell(row=number, column=2), title)
        sheet.cell(row=number, column=3).value = points
        sheet.cell(row=number, column=3).number_format = "0.00"
        text_cell(sheet.cell(row=number, column=4), criteria)
        sheet.cell(row=number, column=5).value = yes if serious else no
        sheet.cell(row=number, column=2).alignment = Alignment(indent=depth, wrap_text=True, vertical="top")
        sheet.cell(row=number, column=4).alignment = Alignment(wrap_text=True, vertical="top")
    for index, width in enumerate([10, 50, 10, 70, 8], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    print_setup(sheet, landscape=True)
    info = workbook.create_sheet(_("About")[:31])
    for line, (label, value) in enumerate([
            (_("Standard"), standard.name), (_("Version"), standard.version),
            (_("Status"), standard.get_status_display()), (_("Total points"), standard.total_points),
            (_("Items"), standard.item_count),
            (_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M"))], start=1):
        text_cell(info.cell(line, 1), str(label))
        if isinstance(value, Decimal | int):
            info.cell(line, 2).value = value
        else:
            text_cell(info.cell(line, 2), str(value))
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 50
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
