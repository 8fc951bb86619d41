"""Writing workbooks that open in Excel and WPS as the user expects, shared by every xlsx export
(standards, inspection reports, import templates; the ledger's streaming writer uses `xlsx_text`).

- User text is text, never a formula: openpyxl writes any string starting with "=" as a formula,
  so `text_cell` sets the type back to string (and the quote prefix Excel itself uses, so that
  editing the cell in Excel keeps it text).
- Never fail on text a user can type or paste: the xlsx format (XML 1.0) cannot hold most control
  characters. Word's manual line break (\\v) and page break (\\f) become line breaks; the others,
  invisible anyway, are dropped. Everything else round-trips exactly (export → import gives the
  same text).
- Print setup: A4, fitted to the page width, the header row repeated on every printed page, page
  numbers in the footer; the header row frozen on screen.
"""

from __future__ import annotations

import re

_BREAKS = re.compile("[\x0b\x0c\u2028\u2029]")
# What XML 1.0 cannot carry (openpyxl raises IllegalCharacterError on these), and lone surrogates.
_ILLEGAL = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xlsx_text(value: str) -> str:
    """`value` made storable in an xlsx cell (see the module docstring)."""
    if not _BREAKS.search(value) and not _ILLEGAL.search(value):
        return value
    return _ILLEGAL.sub("", _BREAKS.sub("\n", value))


def text_cell(cell, value) -> None:
    """Put user text into an openpyxl cell as text, whatever it starts with."""
    if value is None or value == "":
        cell.value = None
        return
    text = xlsx_text(str(value))
    cell.value = text
    if cell.data_type != "s":
        cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def append_row(sheet, values, *, text_columns=()) -> int:
    """Append a row; the 1-based `text_columns` are written with `text_cell`, other values as
    they are (numbers, dates). Returns the new row number."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if column in text_columns or isinstance(value, str):
            text_cell(cell, value)
        else:
            cell.value = value
    return row


def print_setup(sheet, *, landscape: bool = False, title_rows: str | None = "1:1", freeze: str | None = "A2") -> None:
    """A4, fitted to the page width (as many pages down as needed), header rows repeated on each
    printed page, "page / pages" in the footer, the header frozen on screen."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE if landscape else sheet.ORIENTATION_PORTRAIT
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.horizontalCentered = True
    if title_rows:
        sheet.print_title_rows = title_rows
    sheet.oddFooter.center.text = "&P / &N"
    if freeze:
        sheet.freeze_panes = freeze
