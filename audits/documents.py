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
    return {
        "inspection": inspection,
        "rows": sheet.rows,
        "sections": sheet.sections,
        "total": sheet.total,
        "problems": selectors.inspection_problems(inspection),
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
    return render_pdf(PDF_TEMPLATE, context, language=language)


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
        for row in context["rows"]:
            table.append([
                row.code, row.title, cents(row.possible), cents(row.earned),
                rules.rate_cell(row.rate), row.serious_problems,
            ])
            line = table.max_row
            table.cell(line, 2).alignment = Alignment(indent=row.depth, wrap_text=True, vertical="top")
            for column in (3, 4, 5):
                cell = table.cell(line, column)
                if isinstance(cell.value, Decimal):
                    cell.number_format = "0.00"
                else:
                    cell.alignment = Alignment(horizontal="right")
            if not row.is_leaf:
                for column in range(1, 7):
                    table.cell(line, column).font = bold
        for index, width in enumerate((10, 60, 12, 12, 13, 12), start=1):
            table.column_dimensions[get_column_letter(index)].width = width

        problems = workbook.create_sheet(_("Problems and measures")[:31])
        problems.append(list(problem_headers()))
        for result in context["problems"]:
            problems.append([result.item.code, result.item.title, result.problem, result.measure])
            for column in (2, 3, 4):
                problems.cell(problems.max_row, column).alignment = Alignment(wrap_text=True, vertical="top")
        for index, width in enumerate((10, 40, 50, 50), start=1):
            problems.column_dimensions[get_column_letter(index)].width = width

        for sheet in (table, problems):
            sheet.freeze_panes = "A2"
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
        (_("Inspectors"), "、".join(context["inspectors"]) or "—"),
        (_("Status"), inspection.get_status_display()),
        (_("Standard points"), cents(total.possible)),
        (_("Earned points"), cents(total.earned)),
        (_("Score rate (%)"), rules.rate_cell(total.rate)),
        (_("Serious problems"), total.serious_problems),
    ]
    for label, value in lines:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = bold
        if isinstance(value, Decimal):
            sheet.cell(sheet.max_row, 2).number_format = "0.00"
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 60


def render_report(inspection: Inspection, *, fmt: str, language: str | None = None) -> bytes:
    if fmt == "pdf":
        return render_report_pdf(inspection, language=language)
    if fmt == "xlsx":
        return render_report_xlsx(inspection, language=language)
    raise ValueError(f"unknown report format {fmt!r}")
