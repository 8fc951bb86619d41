"""Inspection reports: the roll-up table (序号 | 评价项目 | 应得分 | 实得分 | 得分率(%) | 严重问题数) at
every level of the tree, problems and measures by item code, as XLSX (openpyxl) and PDF
(WeasyPrint through org.documents.render_pdf). Both are rendered from `report_context`, so the
two files and the detail page always show the same figures."""

from __future__ import annotations

import io
from decimal import Decimal

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.dates import today_local
from org.documents import render_pdf
from org.spreadsheets import print_setup, text_cell
from org.wording import join_list
from scoring import rules

from . import selectors
from .models import Inspection

PDF_TEMPLATE = "audits/pdf/inspection_report.html"
FORMATS = ("pdf", "xlsx")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


cents = rules.cents  # the old name, kept for importers


def report_context(inspection: Inspection) -> dict:
    """Everything a report shows, in a fixed number of queries."""
    inspection = (Inspection.objects.select_related("site", "unit", "standard", "group")
                  .prefetch_related("inspectors").get(pk=inspection.pk))
    sheet = selectors.scoresheet(inspection)
    findings = selectors.inspection_evidence(inspection)
    # The photo annex numbers every photo once, in item order; the findings table cites them.
    annex = [photo for result in findings for photo in result.photos.all()]
    for number, photo in enumerate(annex, start=1):
        photo.annex_number = number
        photo.result = next(r for r in findings if r.pk == photo.result_id)
    return {
        "inspection": inspection,
        "rows": sheet.rows,
        "sections": sheet.sections,
        "total": sheet.total,
        "problems": selectors.inspection_problems(inspection),
        "findings": findings,
        "annex": annex,
        "inspectors": [u.get_full_name() or u.username for u in inspection.inspectors.all()],
        "target": inspection.site or inspection.unit,
        "generated_on": today_local(),
    }


def report_filename(inspection: Inspection, fmt: str) -> str:
    return f"{inspection.number}.{fmt}"


# ---------------------------------------------------------------- PDF

def render_report_pdf(inspection: Inspection, *, language: str | None = None, context: dict | None = None) -> bytes:
    language = language or settings.LANGUAGE_CODE
    context = {**(context or report_context(inspection)), "table_headers": table_headers(language),
               "problem_headers": problem_headers(language)}
    return render_pdf(PDF_TEMPLATE, context, language=language,
                      media=[photo.image.name for photo in context.get("annex", ())])


# ---------------------------------------------------------------- XLSX

# The column headers are a format customers rely on (the self-assessment report's table), so
# they are fixed here per language rather than left to the translation catalogue.
TABLE_HEADERS = {
    "zh-hans": ("序号", "评价项目", "应得分", "实得分", "得分率(%)", "严重问题数"),
    "en": ("Code", "Item", "Standard points", "Earned points", "Score rate (%)", "Serious problems"),
}
PROBLEM_HEADERS = {
    "zh-hans": ("序号", "评价项目", "存在问题", "整改措施"),
    "en": ("Code", "Item", "Problem", "Rectification measure"),
}


def _headers(table: dict, language: str | None) -> tuple[str, ...]:
    language = (language or translation.get_language() or settings.LANGUAGE_CODE).lower()
    return table["en"] if language.startswith("en") else table["zh-hans"]


def table_headers(language: str | None = None) -> tuple[str, ...]:
    return _headers(TABLE_HEADERS, language)


def problem_headers(language: str | None = None) -> tuple[str, ...]:
    return _headers(PROBLEM_HEADERS, language)


def render_report_xlsx(inspection: Inspection, *, language: str | None = None, context: dict | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    context = context or report_context(inspection)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E8EEF5")
    bold = Font(bold=True)

    with translation.override(language or settings.LANGUAGE_CODE):
        workbook = Workbook()
        table = workbook.active
        table.title = _("Score table")[:31]
        table.append(list(table_headers()))
        # Codes and titles are user text: written as text (a title "=1+1" stays a title).
        for row in context["rows"]:
            line = table.max_row + 1
            _score_row(table, line, row.code, row.title, row.points, row.earned, row.rate, row.serious_problems)
            table.cell(line, 2).alignment = Alignment(indent=row.depth, wrap_text=True, vertical="top")
            if not row.is_leaf:
                for column in range(1, 7):
                    table.cell(line, column).font = bold
        # The total row (合计) at the bottom: other organisations' roll-up tables end the same way,
        # and the results import recognises it (empty 序号) and checks it against the sums.
        total = context["total"]
        line = table.max_row + 1
        _score_row(table, line, "", _("Total"), total.points, total.earned, total.rate, total.serious_problems)
        for column in range(1, 7):
            table.cell(line, column).font = bold
        for index, width in enumerate((10, 60, 12, 12, 13, 12), start=1):
            table.column_dimensions[get_column_letter(index)].width = width

        problems = workbook.create_sheet(_("Problems and measures")[:31])
        problems.append(list(problem_headers()))
        for result in context["problems"]:
            line = problems.max_row + 1
            for column, value in enumerate((result.item.code, result.item.title, result.problem, result.measure),
                                           start=1):
                text_cell(problems.cell(line, column), value)
            problems.cell(line, 1).number_format = "@"
            for column in (2, 3, 4):
                problems.cell(line, column).alignment = Alignment(wrap_text=True, vertical="top")
        for index, width in enumerate((10, 40, 50, 50), start=1):
            problems.column_dimensions[get_column_letter(index)].width = width

        findings = _findings_sheet(workbook.create_sheet(_("Findings")[:31]), context)
        for index, width in enumerate((10, 40, 60, 24), start=1):
            findings.column_dimensions[get_column_letter(index)].width = width

        for sheet in (table, problems, findings):
            print_setup(sheet, landscape=sheet is not table)
            for cell in sheet[1]:
                cell.font, cell.fill = bold, head_fill
            for line in sheet.iter_rows():
                for cell in line:
                    cell.border = border

        info = workbook.create_sheet(_("Summary")[:31])
        _summary_sheet(info, context, bold)
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def _score_row(sheet, line, code, title, points, earned, rate, serious_problems) -> None:
    from openpyxl.styles import Alignment

    text_cell(sheet.cell(line, 1), code)
    sheet.cell(line, 1).number_format = "@"
    text_cell(sheet.cell(line, 2), title)
    for column, value in ((3, cents(points)), (4, cents(earned)), (5, rules.rate_cell(rate))):
        cell = sheet.cell(line, column)
        cell.value = value
        if isinstance(value, Decimal):
            cell.number_format = "0.00"
        else:
            cell.alignment = Alignment(horizontal="right")
    sheet.cell(line, 6).value = serious_problems


def _as_text(cell) -> None:
    # User text is never a formula, even when it starts with "=".
    if isinstance(cell.value, str):
        cell.data_type = "s"


def _findings_sheet(sheet, context: dict):
    """The findings (检查发现) with the photos that go with them, and the photos themselves in a
    second sheet (the photo annex), each beside its number and item."""
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment

    sheet.append([*problem_headers()[:2], _("Finding"), _("Photos")])
    for result in context["findings"]:
        photos = join_list(_("Photo %(n)s") % {"n": p.annex_number} for p in result.photos.all())
        sheet.append([result.item.code, result.item.title, result.finding or "—", photos or "—"])
        for column in (2, 3, 4):
            cell = sheet.cell(sheet.max_row, column)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            _as_text(cell)
    if context["annex"]:
        annex = sheet.parent.create_sheet(_("Photos")[:31])
        annex.append([_("Photo"), *problem_headers()[:2], ""])
        annex.column_dimensions["A"].width, annex.column_dimensions["B"].width = 10, 10
        annex.column_dimensions["C"].width, annex.column_dimensions["D"].width = 36, 48
        for photo in context["annex"]:
            annex.append([_("Photo %(n)s") % {"n": photo.annex_number}, photo.result.item.code,
                          photo.result.item.title])
            _as_text(annex.cell(annex.max_row, 3))
            row = annex.max_row
            stored = photo.thumbnail if photo.thumbnail else photo.image
            with stored.open("rb") as file:
                image = Image(io.BytesIO(file.read()))
            scale = min(1.0, 240 / max(image.width, image.height, 1))
            image.width, image.height = int(image.width * scale), int(image.height * scale)
            annex.add_image(image, f"D{row}")
            annex.row_dimensions[row].height = image.height * 0.75 + 6  # pixels to points
    return sheet


def _summary_sheet(sheet, context: dict, bold) -> None:
    inspection = context["inspection"]
    total = context["total"]
    lines = [
        (_("Number"), inspection.number),
        (_("Site") if inspection.site_id else _("Unit"), str(context["target"])),
        (_("Standard"), str(inspection.standard)),
        (_("Kind"), inspection.get_kind_display()),
        (_("Inspection date"), inspection.date.isoformat()),
        (_("Inspection group"), str(inspection.group or "—")),
        (_("Inspectors"), join_list(context["inspectors"]) or "—"),
        (_("Status"), inspection.get_status_display()),
        (_("Standard points"), cents(total.points)),
        (_("Earned points"), cents(total.earned)),
        (_("Score rate (%)"), rules.rate_cell(total.rate)),
        (_("Serious problems"), total.serious_problems),
    ]
    for line, (label, value) in enumerate(lines, start=1):
        text_cell(sheet.cell(line, 1), str(label))
        sheet.cell(line, 1).font = bold
        if isinstance(value, Decimal | int):
            sheet.cell(line, 2).value = value
            if isinstance(value, Decimal):
                sheet.cell(line, 2).number_format = "0.00"
        else:
            text_cell(sheet.cell(line, 2), value)  # names of sites, units, standards, people
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60
    print_setup(sheet, title_rows=None, freeze=None)


def render_report(inspection: Inspection, *, fmt: str, language: str | None = None) -> bytes:
    if fmt == "pdf":
        return render_report_pdf(inspection, language=language)
    if fmt == "xlsx":
        return render_report_xlsx(inspection, language=language)
    raise ValueError(f"unknown report format {fmt!r}")


# ---------------------------------------------------------------- import templates

TEMPLATE_FORMS = ("earned", "deduction")
TEMPLATE_HEADERS = {
    ("earned", "zh-hans"): ("序号", "评价项目", "应得分", "实得分", "不适用", "严重问题数", "存在问题", "整改措施"),
    ("earned", "en"): ("code", "item", "points", "earned", "not_applicable", "serious_problems", "problem",
                       "measure"),
    ("deduction", "zh-hans"): ("序号", "评价项目", "应得分", "扣分", "扣分原因", "不适用", "严重问题数", "整改措施"),
    ("deduction", "en"): ("code", "item", "points", "deduction", "deduction_reason", "not_applicable",
                          "serious_problems", "measure"),
}


def results_template_filename(standard, form: str, language: str) -> str:
    return f"{standard.name}-v{standard.version}-{form}-{language}.xlsx"


def results_template_xlsx(standard, *, form: str = "earned", language: str | None = None) -> bytes:
    """The results sheet of `standard` to fill in, as the import reads it: a title row, the header,
    every item in tree order (sections in bold with their points, left without results), and a
    total row whose sums are formulas. In the 实得分 form every leaf starts at full points; in
    the 扣分 form an empty deduction means none. Either imports unchanged as full marks."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from org.spreadsheets import print_setup, text_cell
    from scoring.documents import instructions_sheet, template_language

    if form not in TEMPLATE_FORMS:
        raise ValueError(f"unknown template form {form!r}")
    language = template_language(language)
    headers = TEMPLATE_HEADERS[(form, language)]
    items = list(standard.items.order_by("sort_key").values_list("code", "title", "points", "depth", "is_leaf"))
    bold = Font(bold=True)
    with translation.override(language):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Results")[:31]
        text_cell(sheet.cell(1, 1), _("Results of “%(standard)s” (version %(version)s)")
                  % {"standard": standard.name, "version": standard.version})
        sheet.cell(1, 1).font = Font(bold=True, size=13)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        for column, header in enumerate(headers, start=1):
            text_cell(sheet.cell(2, column), header)
            sheet.cell(2, column).font = bold
            sheet.cell(2, column).fill = PatternFill("solid", fgColor="E8EEF5")
        first = 3
        for line, (code, title, points, depth, is_leaf) in enumerate(items, start=first):
            text_cell(sheet.cell(line, 1), code)
            sheet.cell(line, 1).number_format = "@"
            text_cell(sheet.cell(line, 2), title)
            sheet.cell(line, 2).alignment = Alignment(indent=depth, wrap_text=True, vertical="top")
            sheet.cell(line, 3).value = points
            sheet.cell(line, 3).number_format = "0.00"
            if is_leaf and form == "earned":
                sheet.cell(line, 4).value = points  # start from full points; lower what is found
            sheet.cell(line, 4).number_format = "0.00"
            if not is_leaf:
                for column in (1, 2, 3):
                    sheet.cell(line, column).font = bold
        last = first + len(items) - 1
        total = last + 1
        text_cell(sheet.cell(total, 2), _("Total"))
        serious_column = 6 if form == "earned" else 7
        for column in (4, serious_column):
            letter = get_column_letter(column)
            sheet.cell(total, column).value = f"=SUM({letter}{first}:{letter}{last})"
        for column in range(1, len(headers) + 1):
            sheet.cell(total, column).font = bold
        widths = (10, 40, 9, 9, 30 if form == "deduction" else 8, 10, 30, 30)
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        print_setup(sheet, landscape=True, title_rows="2:2", freeze="C3")
        earned_or_deduction = (
            ("实得分 / earned", _("Earned points, 0 up to the standard points; every item starts at full points."))
            if form == "earned" else
            ("扣分 / deduction", _("Points deducted; empty means none. Earned points are the standard points less "
                                  "the deduction, never below 0.")))
        instructions_sheet(workbook, [
            (_("Column"), _("Content")),
            ("序号 / code", _("The item's code: do not change it. Rows of sections stay without results.")),
            earned_or_deduction,
            *((("扣分原因 / deduction_reason", _("Why points were deducted: kept as the problem found.")),)
              if form == "deduction" else ()),
            ("不适用 / not_applicable", _("是 / yes when the item does not apply (then no points and no "
                                          "deduction).")),
            ("严重问题数 / serious_problems", _("The number of serious problems found, 0 or more.")),
            *((("存在问题 / problem", _("The problem found.")),) if form == "earned" else ()),
            ("整改措施 / measure", _("The rectification measure.")),
            ("", _("The last row adds up the column; it is checked against the items when the sheet is "
                   "imported.")),
        ])
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()
