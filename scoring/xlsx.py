"""Reading Excel sheets (xlsx) the way customers keep them: the first worksheet, the header in
row 1, columns found by their header text in Chinese or English. Shared by the standard import
(scoring.services) and the inspection results import (audits).

Every problem becomes a `SheetError` with its Excel row and column letter; the importers collect
all of them and raise one `SheetImportError`, so a user fixes a file in one round.

Item codes: a code cell formatted as text is read as written (`1.10` stays `1.10`). Excel stores a
code typed as a number as a float, so `1.10` arrives as 1.1 and cannot be told apart from `1.1`;
numeric code cells are read by their shortest form (1.1 -> "1.1", 2.0 -> "2"), and a duplicate that
results is reported by the importer as a duplicate, with a hint to format the column as text.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .models import ITEM_CODE_RE

# Guards against huge or hostile files (zip bombs, million-row sheets).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 100
# The header is row 1, or the first of these rows that names every required column (title rows above).
HEADER_SEARCH_ROWS = 5
MAX_CODE_LEVELS = 10
MAX_CODE_SEGMENT = 9999  # StandardItem.sort_key pads segments to 4 digits
MAX_DECIMAL = Decimal("9999999.99")  # fits DecimalField(max_digits=9, decimal_places=2)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted xlsx
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class SheetError:
    row: int | None
    column: str | None  # column letter, e.g. "B"
    message: str
    header: str | None = None  # the header text of that column, as found in the file

    def __str__(self) -> str:
        where = {"row": self.row, "column": self.column, "header": self.header, "message": self.message}
        if self.row and self.column and self.header:
            return _("Row %(row)s, column %(column)s (%(header)s): %(message)s") % where
        if self.row and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % where
        if self.row:
            return _("Row %(row)s: %(message)s") % where
        if self.column:
            return _("Column %(column)s: %(message)s") % where
        return self.message


class SheetImportError(Exception):
    """All the problems found in one file; nothing was saved."""

    def __init__(self, errors: list[SheetError]):
        self.errors = sorted(errors, key=lambda e: (e.row or 0, e.column or "", e.message))
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True)
class Column:
    key: str
    # Accepted header texts, e.g. ("序号", "code"): matched case-insensitively, trimmed, with
    # full-width and half-width forms (brackets, letters, digits) treated alike.
    headers: tuple[str, ...]
    required: bool = False
    _normalised: frozenset = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_normalised", frozenset(normalise_header(h) for h in self.headers))


def normalise_header(value: Any) -> str:
    """Header text for matching: width-folded, no spaces, no case, and without a trailing unit in
    brackets, so that 应得分（分）, "Points (pts)" and 应得分 name the same column."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).casefold()
    return re.sub(r"\([^()]*\)$", "", text) or text


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _file_error(message: str) -> SheetImportError:
    return SheetImportError([SheetError(row=None, column=None, message=message)])


def _read_bytes(file, filename: str | None) -> tuple[bytes, str | None]:
    if isinstance(file, bytes | bytearray):
        return bytes(file), filename
    if isinstance(file, str | Path):
        path = Path(file)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise _file_error(_("The file cannot be read: %(error)s") % {"error": exc.strerror or exc}) from exc
        if size > MAX_FILE_BYTES:
            raise _too_big()
        return path.read_bytes(), filename or path.name
    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise _too_big()
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _too_big()
    return data, filename or getattr(file, "name", None)


def _too_big() -> SheetImportError:
    return _file_error(_("The file is larger than %(limit)s MB.") % {"limit": MAX_FILE_BYTES // (1024 * 1024)})


def _not_xlsx() -> SheetImportError:
    return _file_error(_("The file is not an Excel workbook (.xlsx). Save it in Excel as “Excel Workbook (*.xlsx)” "
                         "and upload it again."))


def open_workbook(file, *, filename: str | None = None):
    """The openpyxl workbook (read-only, cached values) of an upload, a path or bytes, or a
    SheetImportError saying in plain words why it is not a usable workbook."""
    from openpyxl import load_workbook

    data, name = _read_bytes(file, filename)
    if not data:
        raise _file_error(_("The file is empty."))
    if name and Path(str(name)).suffix.lower() not in XLSX_SUFFIXES:
        raise _file_error(_("“%(name)s” is not an .xlsx file. Only Excel workbooks (.xlsx) can be imported.")
                          % {"name": Path(str(name)).name})
    if data.startswith(OLE_MAGIC):
        raise _file_error(_("The workbook is password-protected or in the old Excel 97–2003 (.xls) format. Remove "
                            "the password and save it as “Excel Workbook (*.xlsx)”."))
    if not data.startswith(ZIP_MAGIC):
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                raise _too_big()
    except zipfile.BadZipFile as exc:
        raise _not_xlsx() from exc
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise _file_error(_("The file is a zip archive but not an Excel workbook (.xlsx)."))
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML and zip errors for broken files
        raise _file_error(_("The workbook cannot be read (%(error)s). Open it in Excel, save it as .xlsx and try "
                            "again.") % {"error": type(exc).__name__}) from exc


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(file, columns: list[Column], *, filename: str | None = None) -> list[dict]:
    """The data rows of the first worksheet as dicts {key: raw cell value, "_row": excel row,
    "_col": {key: letter}, "_header": {key: header text}}; fully empty rows are skipped.
    Raises SheetImportError for a file that is not a workbook, an empty one, too many rows,
    missing required columns (all listed) and duplicated columns."""
    workbook = open_workbook(file, filename=filename)
    try:
        return _read_first_sheet(workbook, columns)
    except SheetImportError:
        raise
    except Exception as exc:  # the sheet's XML is parsed lazily: broken or hostile XML surfaces here
        raise _file_error(_("The workbook cannot be read (%(error)s). Open it in Excel, save it as .xlsx and try "
                            "again.") % {"error": type(exc).__name__}) from exc
    finally:
        workbook.close()


def _read_first_sheet(workbook, columns: list[Column]) -> list[dict]:
    if not workbook.worksheets:
        raise _file_error(_("The workbook has no worksheet."))
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
    header = next(rows, None)
    if header is None or all(_is_blank(v) for v in header):
        raise _file_error(_("The first worksheet is empty: row 1 must hold the column headers."))
    header_row = 1
    positions, header_texts, errors = _match_headers(header, columns)
    # Sheets kept by customers often carry a title (and a unit or date line) above the header:
    # the first of the leading rows that names every required column is taken as the header.
    leading = []
    while errors and header_row + len(leading) < HEADER_SEARCH_ROWS:
        candidate = next(rows, None)
        if candidate is None:
            break
        leading.append(candidate)
        found = _match_headers(candidate, columns, row=header_row + len(leading))
        if not found[2]:
            positions, header_texts, errors = found
            header_row += len(leading)
            leading = []
    if errors:
        raise SheetImportError(errors)
    letters = {key: column_letter(index + 1) for key, index in positions.items()}
    out = []
    for number, values in enumerate(itertools.chain(leading, rows), start=header_row + 1):
        if number > MAX_ROWS + 1:
            raise _file_error(_("The worksheet has more than %(limit)s rows.") % {"limit": f"{MAX_ROWS:,}"})
        record = {key: (values[index] if index < len(values) else None) for key, index in positions.items()}
        if all(_is_blank(v) for v in record.values()):
            continue
        record["_row"] = number
        record["_col"] = letters
        record["_header"] = header_texts
        out.append(record)
    return out


def _match_headers(header: tuple, columns: list[Column], row: int = 1) -> tuple[dict, dict, list[SheetError]]:
    positions: dict[str, int] = {}
    texts: dict[str, str] = {}
    errors: list[SheetError] = []
    for index, value in enumerate(header):
        normalised = normalise_header(value)
        if not normalised:
            continue
        for column in columns:
            if normalised in column._normalised:
                if column.key in positions:
                    errors.append(SheetError(
                        row=row, column=column_letter(index + 1), header=str(value).strip(),
                        message=_("Duplicate column: column %(first)s (%(header)s) already holds it.")
                        % {"first": column_letter(positions[column.key] + 1), "header": texts[column.key]},
                    ))
                else:
                    positions[column.key] = index
                    texts[column.key] = str(value).strip()
                break
    for column in columns:
        if column.required and column.key not in positions:
            errors.append(SheetError(
                row=row, column=None,
                message=_("Required column missing: %(headers)s (the header row must name one of these).")
                % {"headers": " / ".join(column.headers)},
            ))
    return positions, texts, errors


def _error(errors, row, column, header, message):
    errors.append(SheetError(row=row, column=column, header=header, message=message))


def parse_decimal(value, *, row: int | None, column: str | None, header: str | None, errors: list[SheetError],
                  required: bool = False, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None,
                  places: int = 2) -> Decimal | None:
    """A number of points: ints, floats (through their shortest decimal form, so 2.3 is 2.3 and
    not 2.29999…), and numeric strings with spaces or full-width digits. Appends an error and
    returns None when the value is missing (if required), not a number, out of range or has more
    than `places` decimals."""
    if _is_blank(value):
        if required:
            _error(errors, row, column, header, _("A number is required here."))
        return None
    if isinstance(value, bool):
        _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
        return None
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
            return None
        number = Decimal(repr(value))
        # Excel arithmetic leaves binary noise (0.1 + 0.2 = 0.30000000000000004): drop it.
        quantized = number.quantize(Decimal(1).scaleb(-places))
        if number != quantized and round(number, 9) == quantized:
            number = quantized
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": str(value).strip()})
            return None
    if not number.is_finite():
        _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
        return None
    if minimum is not None and number < minimum:
        if minimum == 0:
            message = _("“%(value)s” is negative; it must be 0 or more.") % {"value": number}
        else:
            message = _("%(value)s is less than %(minimum)s.") % {"value": number, "minimum": minimum}
        _error(errors, row, column, header, message)
        return None
    limit = MAX_DECIMAL if maximum is None else maximum
    if number > limit:
        _error(errors, row, column, header,
               _("%(value)s is more than %(maximum)s.") % {"value": number, "maximum": limit})
        return None
    if number != number.quantize(Decimal(1).scaleb(-places)):
        _error(errors, row, column, header,
               _("%(value)s has more than %(places)s decimal places.") % {"value": number, "places": places})
        return None
    return number


TRUE_WORDS = {"是", "yes", "y", "true", "t", "1", "√", "✓", "✔", "对", "严重"}
FALSE_WORDS = {"否", "no", "n", "false", "f", "0", "×", "✗", "✘", "x", "错", "不"}


def parse_bool(value, *, row: int | None, column: str | None, header: str | None, errors: list[SheetError],
               default: bool = False) -> bool:
    """是/否, yes/no, true/false, 1/0, y/n, √/×; an empty cell gives `default`."""
    if _is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    _error(errors, row, column, header,
           _("“%(value)s” is not a yes/no value: use 是/否, yes/no, true/false or 1/0.")
           % {"value": str(value).strip()})
    return default


_CODE_RE = re.compile(ITEM_CODE_RE)


def parse_code(value, *, row: int | None, column: str | None, header: str | None,
               errors: list[SheetError]) -> str | None:
    """An item code like `1`, `1.1`, `1.1.2`. Text is read as written (full-width digits and dots,
    a trailing dot and leading zeros of a segment tolerated: `01.02.` -> `1.2`); a numeric cell is
    read by its shortest form (see the module docstring). Appends an error and returns None when
    the cell is empty or not a code."""
    if _is_blank(value):
        _error(errors, row, column, header, _("The code is empty."))
        return None
    if isinstance(value, bool):
        text = str(value)
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or value < 0:
            text = str(value)
        elif value == int(value):
            text = str(int(value))
        else:
            text = repr(value)
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).replace("。", ".").rstrip(".")
    if not _CODE_RE.match(text):
        _error(errors, row, column, header,
               _("“%(value)s” is not an item code: use numbers separated by dots, like 1, 1.2 or 1.2.3.")
               % {"value": str(value).strip()})
        return None
    segments = [int(part) for part in text.split(".")]
    if len(segments) > MAX_CODE_LEVELS or max(segments) > MAX_CODE_SEGMENT:
        _error(errors, row, column, header,
               _("“%(value)s” is too deep or too large: at most %(levels)s levels of numbers up to %(max)s.")
               % {"value": text, "levels": MAX_CODE_LEVELS, "max": MAX_CODE_SEGMENT})
        return None
    return ".".join(str(s) for s in segments)


def parse_text(value, *, row: int | None, column: str | None, header: str | None, errors: list[SheetError],
               required: bool = False, max_length: int | None = None) -> str:
    """A text cell, trimmed; numbers are written as their shortest form."""
    if _is_blank(value):
        if required:
            _error(errors, row, column, header, _("This cell must not be empty."))
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        _error(errors, row, column, header,
               _("The text is longer than %(max)s characters.") % {"max": max_length})
        return text[:max_length]
    return text
