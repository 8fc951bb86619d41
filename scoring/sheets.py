"""The cells of the first visible worksheet of a spreadsheet, whatever program wrote it: Excel,
WPS Office, Java POI/EasyExcel, openpyxl; .xlsx/.xlsm, legacy .xls and WPS .et (BIFF), and CSV in
the encodings Chinese Windows writes. `read_grid` returns a `Grid`; `scoring.xlsx.read_rows`
turns it into records by header.

What this module never trusts, because real files get it wrong:
- the size a sheet claims (`<dimension ref="A1"/>` from WPS and POI's streaming writer, or a
  template claiming a million rows): every `<row>` element is read, and only rows holding data
  count towards the limit;
- that formulas carry their value: programs save `=B2-C2` without one. A formula with a cached
  value gives that value; one without is computed when it is plain arithmetic over this sheet
  (`scoring.formulas`), and otherwise stays `Uncached` for the importer to name, never empty;
- the name of the file: the content decides the format (zip → xlsx, OLE → xls/et, text → CSV
  only when the name says .csv/.txt).

Hidden rows are read like the others (their data is in the file); hidden sheets are skipped when
looking for the first sheet, because the user sees the first visible one.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

MAX_COLUMNS = 100
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls / .et, and every password-protected xlsx
ZIP_MAGIC = b"PK\x03\x04"
XLSX_SUFFIXES = (".xlsx", ".xlsm")
BIFF_SUFFIXES = (".xls", ".et")
CSV_SUFFIXES = (".csv", ".txt")
ACCEPTED_SUFFIXES = XLSX_SUFFIXES + BIFF_SUFFIXES + CSV_SUFFIXES
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED_SUFFIXES)


class GridError(Exception):
    """The file as a whole cannot be read; the message says why in plain words."""


@dataclass(frozen=True)
class Uncached:
    """A formula whose value the file does not hold and that cannot be computed safely."""
    formula: str


@dataclass(frozen=True)
class ExcelError:
    """An error value shown in the cell, such as #DIV/0! or #REF!."""
    code: str


@dataclass
class Grid:
    fmt: str  # "xlsx", "xls", "csv"
    sheet_name: str
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, values from column A)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # min_row, min_col, max_row, max_col
    data_rows: int = 0

    def value(self, row: int, column: int):
        return self._index().get(row, {}).get(column)

    def _index(self):
        if not hasattr(self, "_by_row"):
            self._by_row = {number: {i + 1: v for i, v in enumerate(values)} for number, values in self.rows}
        return self._by_row


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_grid(data: bytes, name: str | None, *, max_rows: int, slack: int = 0) -> Grid:
    """The first visible worksheet of `data`. Raises GridError for a file that is not a
    spreadsheet we read, and for more than `max_rows` + `slack` rows holding data (the slack
    being for the title and header rows)."""
    suffix = Path(str(name)).suffix.lower() if name else ""
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data, max_rows=(max_rows, slack))
    if data.startswith(OLE_MAGIC):
        return _read_biff(data, max_rows=(max_rows, slack))
    if suffix in CSV_SUFFIXES:
        return _read_csv(data, max_rows=(max_rows, slack))
    if suffix and suffix not in ACCEPTED_SUFFIXES:
        raise GridError(_("“%(name)s” is not a spreadsheet. Accepted: Excel or WPS workbooks (.xlsx, .xls, .et) "
                          "and CSV files (.csv).") % {"name": Path(str(name)).name})
    raise GridError(_("The file is not an Excel workbook (.xlsx, or .xls / .et from Excel or WPS) nor a CSV file "
                      "(.csv). Save it in Excel or WPS as “Excel Workbook (*.xlsx)” and upload it again."))


def too_many_rows(max_rows: int) -> GridError:
    return GridError(_("The worksheet has more than %(limit)s rows with data.") % {"limit": f"{max_rows:,}"})


class _Rows:
    """Collects rows, keeping only those with data and counting them against the limit."""

    def __init__(self, grid: Grid, max_rows: tuple[int, int]):
        self.grid, (self.max_rows, self.slack) = grid, max_rows

    def add(self, number: int, values: list) -> None:
        while values and _blank(values[-1]):
            values.pop()
        if not values:
            return
        self.grid.data_rows += 1
        if self.grid.data_rows > self.max_rows + self.slack:
            raise too_many_rows(self.max_rows)
        self.grid.rows.append((number, values))


# ---------------------------------------------------------------- xlsx

def _read_xlsx(data: bytes, *, max_rows: tuple) -> Grid:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    # BadZipFile, and what a mangled central directory raises besides (NotImplementedError for an
    # unknown zip version or compression, ValueError, EOFError, OSError).
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:
        raise GridError(_("The file is damaged: it is not a readable workbook. Open it in Excel or WPS, save it "
                          "as .xlsx and try again.")) from exc
    if "xl/workbook.bin" in names:
        raise GridError(_("The workbook is in the binary format (.xlsb). Save it as “Excel Workbook (*.xlsx)”."))
    if "xl/workbook.xml" not in names:
        if "content.xml" in names:
            raise GridError(_("The file is an OpenDocument spreadsheet (.ods). Save it as “Excel Workbook "
                              "(*.xlsx)”."))
        raise GridError(_("The file is a zip archive but not an Excel workbook (.xlsx)."))
    try:
        with warnings.catch_warnings():
            # Files from WPS and other programs lack parts openpyxl expects (a default style,
            # known extensions): it warns and carries on, which is what we want.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML and zip errors for broken files
        raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx and "
                          "try again.") % {"error": type(exc).__name__}) from exc
    try:
        sheets = [ws for ws in workbook.worksheets if getattr(ws, "sheet_state", "visible") == "visible"]
        if not sheets:
            raise GridError(_("The workbook has no visible worksheet."))
        sheet = sheets[0]
        grid = Grid(fmt="xlsx", sheet_name=sheet.title)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _read_xlsx_sheet(workbook, sheet, grid, max_rows)
        except GridError:
            raise
        except Exception as exc:  # the sheet's XML is parsed lazily: broken or hostile XML surfaces here
            raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx "
                              "and try again.") % {"error": type(exc).__name__}) from exc
    finally:
        workbook.close()
    _compute_formulas(grid)
    return grid


def _read_xlsx_sheet(workbook, sheet, grid: Grid, max_rows: tuple) -> None:
    # openpyxl's read-only worksheet trusts <dimension> and gives a formula's text or its cached
    # value, never both. Its own sheet parser, fed the sheet's XML directly, reads every <row>
    # and lets us keep both: the value when cached, the text when not. (openpyxl is pinned < 4.)
    from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            has_formula = element.find(FORMULA_TAG) is not None
            self.data_only = True
            cell = super().parse_cell(element)
            if has_formula:
                self.data_only = False
                formula = self.parse_formula(element)  # also translates shared formulas
                text = getattr(formula, "text", formula)
                cached = element.find(VALUE_TAG)
                if cell["value"] is None and not (cached is not None and element.get("t") == "str"):
                    cell["value"] = Uncached(str(text or "="))
            if cell["data_type"] == "e" and cell["value"] is not None:
                cell["value"] = ExcelError(str(cell["value"]))
            return cell

    collector = _Rows(grid, max_rows)
    with sheet._get_source() as source:
        parser = Parser(source, sheet._shared_strings, data_only=True, epoch=workbook.epoch,
                        date_formats=workbook._date_formats, timedelta_formats=workbook._timedelta_formats)
        for number, cells in parser.parse():
            values: list = []
            for cell in cells:
                column = cell["column"]
                if column > MAX_COLUMNS or cell["value"] is None:
                    continue
                if len(values) < column:
                    values.extend([None] * (column - len(values)))
                values[column - 1] = cell["value"]
            collector.add(number, values)
        merged = parser.merged_cells
    if merged is not None:
        for cell_range in merged.mergeCell:
            from openpyxl.worksheet.cell_range import CellRange

            bounds = CellRange(cell_range.ref).bounds  # min_col, min_row, max_col, max_row
            grid.merged.append((bounds[1], bounds[0], bounds[3], bounds[2]))


def _compute_formulas(grid: Grid) -> None:
    from decimal import Decimal

    from .formulas import Evaluator, NotComputable

    pending = [(number, index) for number, values in grid.rows for index, v in enumerate(values)
               if isinstance(v, Uncached)]
    if not pending:
        return
    index = grid._index()

    def lookup(row, column):
        value = index.get(row, {}).get(column)
        if isinstance(value, ExcelError):
            raise NotComputable(value.code)
        return value

    def formula_of(row, column):
        value = index.get(row, {}).get(column)
        return value.formula if isinstance(value, Uncached) else None

    evaluator = Evaluator(lookup, formula_of)
    results = {}
    for number, position in pending:
        try:
            value = evaluator.cell(number, position + 1)
        except NotComputable:
            continue
        except RecursionError:
            continue
        results[(number, position)] = Decimal(0) if value is None else value
    rows = dict(grid.rows)
    for (number, position), value in results.items():
        rows[number][position] = value
    del grid._by_row


# ---------------------------------------------------------------- .xls / .et (BIFF)

def _read_biff(data: bytes, *, max_rows: tuple) -> Grid:
    import xlrd
    from xlrd.compdoc import CompDoc

    try:
        streams = {name.lower() for name in _ole_streams(CompDoc(data, logfile=io.StringIO()))}
    except Exception as exc:
        raise GridError(_("The file is damaged: it is not a readable workbook. Open it in Excel or WPS, save it "
                          "as .xlsx and try again.")) from exc
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        raise GridError(_("The workbook is password-protected. Remove the password in Excel or WPS, save it and "
                          "upload it again."))
    if not ({"workbook", "book"} & streams):
        raise GridError(_("The file is not an Excel or WPS workbook that can be read. Save it as “Excel Workbook "
                          "(*.xlsx)” and upload it again."))
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise GridError(_("The workbook is password-protected. Remove the password in Excel or WPS, save it "
                              "and upload it again.")) from exc
        raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx and "
                          "try again.") % {"error": str(exc)[:80]}) from exc
    except NotImplementedError:
        # formatting_info is BIFF8 only; Excel 5/95 files are read without merged cells.
        book = _open_plain(data)
    except Exception as exc:  # xlrd raises assorted errors on damaged records
        raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx and "
                          "try again.") % {"error": type(exc).__name__}) from exc
    try:
        return _read_biff_sheet(book, max_rows)
    except GridError:
        raise
    except Exception as exc:
        raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx and "
                          "try again.") % {"error": type(exc).__name__}) from exc
    finally:
        book.release_resources()


def _open_plain(data: bytes):
    import xlrd

    try:
        return xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except Exception as exc:
        raise GridError(_("The workbook cannot be read (%(error)s). Open it in Excel or WPS, save it as .xlsx and "
                          "try again.") % {"error": type(exc).__name__}) from exc


def _ole_streams(doc) -> list[str]:
    return [entry.name for entry in doc.dirlist if entry.etype == 2]


def _read_biff_sheet(book, max_rows: tuple) -> Grid:
    import xlrd

    visible = [i for i in range(book.nsheets) if book.sheet_by_index(i).visibility == 0]
    if not visible:
        raise GridError(_("The workbook has no visible worksheet."))
    sheet = book.sheet_by_index(visible[0])
    grid = Grid(fmt="xls", sheet_name=sheet.name)
    collector = _Rows(grid, max_rows)
    width = min(sheet.ncols, MAX_COLUMNS)
    for r in range(sheet.nrows):
        values = []
        for c in range(width):
            cell = sheet.cell(r, c)
            kind, value = cell.ctype, cell.value
            if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                value = None
            elif kind == xlrd.XL_CELL_NUMBER:
                value = int(value) if float(value).is_integer() and abs(value) < 2**53 else value
            elif kind == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate_as_datetime(value, book.datemode)
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    value = cell.value  # a serial outside the dates Excel shows: keep the number
            elif kind == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif kind == xlrd.XL_CELL_ERROR:
                value = ExcelError(xlrd.error_text_from_code.get(value, "#ERROR"))
            values.append(value)
        collector.add(r + 1, values)
    for min_row, max_row, min_col, max_col in getattr(sheet, "merged_cells", []):
        grid.merged.append((min_row + 1, min_col + 1, max_row, max_col))
    return grid


# ---------------------------------------------------------------- CSV

def decode_text(data: bytes) -> str:
    """Text of a CSV as Excel and WPS write it on Chinese Windows: UTF-8 with or without BOM
    ("CSV UTF-8"), UTF-16 with BOM ("Unicode text", tab-separated), or the ANSI code page GBK
    (read as GB18030, its superset). Anything else is refused: guessing gives mojibake."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise GridError(_("The file starts as %(encoding)s text but is not valid %(encoding)s.")
                                % {"encoding": encoding.upper()}) from exc
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise GridError(_("The text encoding of the CSV file is not recognised: save it as “CSV UTF-8” or as CSV "
                      "from Chinese Excel or WPS (GBK)."))


def _read_csv(data: bytes, *, max_rows: tuple) -> Grid:
    text = decode_text(data)
    if "\x00" in text:
        raise GridError(_("The file is not a CSV text file (it holds binary data)."))
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    grid = Grid(fmt="csv", sheet_name="")
    collector = _Rows(grid, max_rows)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            collector.add(number, [value if value != "" else None for value in record[:MAX_COLUMNS]])
    except csv.Error as exc:
        raise GridError(_("Row %(row)s of the CSV file cannot be read (%(error)s).")
                        % {"row": number + 1, "error": exc}) from exc
    return grid


def excel_serial(value: datetime.datetime | datetime.date) -> float:
    """The number Excel stores for a date (1900 date system)."""
    from openpyxl.utils.datetime import to_excel

    return to_excel(value)
