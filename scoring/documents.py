"""The import template of a standard (评价标准导入模板), in Chinese or English: the sheet the
standard import reads, with a few example items that import unchanged, and a second sheet that
explains the columns (the import reads only the first visible sheet)."""

from __future__ import annotations

import io

from django.utils import translation
from django.utils.translation import gettext as _

# The headers are the format's contract (scoring.services.STANDARD_COLUMNS accepts both).
TEMPLATE_HEADERS = {
    "zh-hans": ("序号", "评价项目", "应得分", "评分标准", "严重"),
    "en": ("code", "title", "points", "criteria", "serious"),
}
EXAMPLE = {
    "zh-hans": [
        ("1", "安全管理", None, "", ""),
        ("1.1", "安全生产责任制", 10, "未建立不得分；每缺一个岗位扣 2 分", "是"),
        ("1.2", "安全培训", 5, "未按计划培训扣 5 分", "否"),
        ("2", "设备设施", None, "", ""),
        ("2.1", "配电室防小动物措施", 5, "缺一项扣 1 分", "否"),
    ],
    "en": [
        ("1", "Safety management", None, "", ""),
        ("1.1", "Safety responsibility system", 10, "None: 0 points; 2 points off per missing post", "yes"),
        ("1.2", "Safety training", 5, "Training not as planned: 5 points off", "no"),
        ("2", "Equipment", None, "", ""),
        ("2.1", "Switch room protection against small animals", 5, "1 point off per missing measure", "no"),
    ],
}


def template_language(language: str | None) -> str:
    return "en" if (language or "").lower().startswith("en") else "zh-hans"


def standard_template_xlsx(*, language: str | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from org.spreadsheets import print_setup, text_cell

    language = template_language(language)
    with translation.override(language):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Standard")[:31]
        for column, header in enumerate(TEMPLATE_HEADERS[language], start=1):
            text_cell(sheet.cell(1, column), header)
            sheet.cell(1, column).font = Font(bold=True)
        for line, (code, title, points, criteria, serious) in enumerate(EXAMPLE[language], start=2):
            text_cell(sheet.cell(line, 1), code)
            text_cell(sheet.cell(line, 2), title)
            sheet.cell(line, 3).value = points
            text_cell(sheet.cell(line, 4), criteria)
            text_cell(sheet.cell(line, 5), serious)
            sheet.cell(line, 2).alignment = Alignment(indent=code.count("."), wrap_text=True, vertical="top")
            sheet.cell(line, 4).alignment = Alignment(wrap_text=True, vertical="top")
        for column, width in zip("ABCDE", (10, 40, 10, 60, 8), strict=True):
            sheet.column_dimensions[column].width = width
        # The whole code column as text: 1.10 typed below the examples stays 1.10.
        sheet.column_dimensions["A"].number_format = "@"
        print_setup(sheet, landscape=True)
        _instructions(workbook, [
            (_("Column"), _("Content")),
            ("序号 / code", _("Required. Item code such as 1, 1.1, 1.1.2; the column is formatted as text so that "
                             "1.10 stays 1.10.")),
            ("评价项目 / title", _("Required. The item's title.")),
            ("应得分 / points", _("Required on items without sub-items: standard points, 0 or more, at most 2 "
                                 "decimals. A parent's points may stay empty (they are the sum of its sub-items).")),
            ("评分标准 / criteria", _("Optional. Scoring criteria or key points.")),
            ("严重 / serious", _("Optional. 是/否, yes/no, true/false or 1/0.")),
            ("", _("Replace the example rows with your items. A last row 合计 / Total with the sum of the points "
                   "is allowed and checked.")),
        ])
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def _instructions(workbook, lines) -> None:
    from openpyxl.styles import Alignment, Font

    from org.spreadsheets import print_setup, text_cell

    sheet = workbook.create_sheet(_("Instructions")[:31])
    for line, (label, text) in enumerate(lines, start=1):
        text_cell(sheet.cell(line, 1), label)
        text_cell(sheet.cell(line, 2), text)
        sheet.cell(line, 1).font = Font(bold=True)
        sheet.cell(line, 2).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    print_setup(sheet, freeze=None, title_rows=None)


def instructions_sheet(workbook, lines) -> None:
    """The explanation sheet of a template (second sheet: the import reads only the first)."""
    _instructions(workbook, lines)
