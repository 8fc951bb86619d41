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

import datetime
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

from . import sheets
from .models import ITEM_CODE_RE
from .sheets import ExcelError, Grid, Uncached

# Guards against huge or hostile files (zip bombs, million-row sheets).
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = sheets.MAX_COLUMNS
# The header is among the first rows with data (title, unit and date lines may come first).
HEADER_SEARCH_ROWS = 10
MAX_CODE_LEVELS = 10
MAX_CODE_SEGMENT = 9999  # StandardItem.sort_key pads segments to 4 digits
MAX_DECIMAL = Decimal("9999999.99")  # fits DecimalField(max_digits=9, decimal_places=2)
ZIP_MAGIC = sheets.ZIP_MAGIC


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


def read_grid(file, *, filename: str | None = None) -> Grid:
    """The first visible worksheet of an upload, a path or bytes (see scoring.sheets), or a
    SheetImportError saying in plain words why it is not a usable spreadsheet."""
    data, name = _read_bytes(file, filename)
    if not data:
        raise _file_error(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED_BYTES:
                    raise _too_big()
        except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as exc:  # see sheets._read_xlsx
            raise _file_error(_("The file is damaged: it is not a readable workbook. Open it in Excel or WPS, "
                                "save it as .xlsx and try again.")) from exc
    try:
        return sheets.read_grid(data, name, max_rows=MAX_ROWS, slack=HEADER_SEARCH_ROWS)
    except sheets.GridError as exc:
        raise _file_error(str(exc)) from exc


class Rows(list):
    """The data rows of a sheet (dicts, see `read_rows`), with what the importers need besides:
    the columns found (`letters`, `headers`), the header rows, the total rows (合计/总计, kept
    apart from the items) and the problems found in single cells (`errors`: formulas without a
    value, Excel error values, cells merged over several rows), which the importer reports with
    its own."""

    letters: dict
    headers: dict
    header_rows: tuple
    totals: list
    errors: list


# Rows that add up a table (an empty 序号, a word like 合计 in one of the first cells).
TOTAL_WORDS = {"合计", "总计", "总分", "合计得分", "总计得分", "得分合计", "总得分", "共计", "总合计", "合计分数",
               "total", "totals", "grandtotal", "sum", "overalltotal"}


class _Reported:
    """A cell whose problem is already reported (see Rows.errors): the parse_* functions skip it."""

    def __repr__(self):
        return "<reported>"


REPORTED = _Reported()


def is_reported(value) -> bool:
    return value is REPORTED


def read_rows(file, columns: list[Column], *, filename: str | None = None) -> Rows:
    """The data rows of the first visible worksheet as dicts {key: raw cell value, "_row": excel
    row, "_col": {key: letter}, "_header": {key: header text}}; empty rows and total rows are
    left out (totals are in `.totals`). Raises SheetImportError for a file that is not a
    spreadsheet, an empty one, too many rows, missing required columns (all listed, at the row
    that comes closest to being the header) and duplicated columns."""
    grid = read_grid(file, filename=filename)
    return _records(grid, columns)


def _records(grid: Grid, columns: list[Column]) -> Rows:
    if not grid.rows:
        raise _file_error(_("The first worksheet is empty: it must hold a header row and the items below it."))
    header_rows, positions, header_texts = _find_header(grid, columns)
    letters = {key: column_letter(index + 1) for key, index in positions.items()}
    out = Rows()
    out.letters, out.headers, out.header_rows, out.totals, out.errors = letters, header_texts, header_rows, [], []
    last_header = header_rows[-1]
    vertical = _vertical_merges(grid, positions, last_header, out.errors, header_texts)
    code_index = positions.get("code")
    data_rows = sum(1 for number, _values in grid.rows if number > last_header)
    if data_rows > MAX_ROWS:
        raise _file_error(str(sheets.too_many_rows(MAX_ROWS)))
    for number, values in grid.rows:
        if number <= last_header:
            continue
        record = {key: (values[index] if index < len(values) else None) for key, index in positions.items()}
        if all(_is_blank(v) for v in record.values()) and not _is_total(values, code_index):
            continue
        for key, value in record.items():
            problem = _cell_problem(value, (number, positions[key]) in vertical)
            if problem:
                out.errors.append(SheetError(row=number, column=letters[key], header=header_texts[key],
                                             message=problem))
                record[key] = REPORTED
        record["_row"] = number
        record["_col"] = letters
        record["_header"] = header_texts
        if _is_total(values, code_index):
            out.totals.append(record)
        else:
            out.append(record)
    return out


def _cell_problem(value, merged_below: bool) -> str | None:
    if isinstance(value, Uncached):
        return _("The formula %(formula)s has no saved value and cannot be computed here (it is not plain "
                 "arithmetic over this sheet). Open the file in Excel or WPS and save it again, or type the "
                 "value.") % {"formula": value.formula}
    if isinstance(value, ExcelError):
        return _("The cell shows the Excel error %(error)s: correct it or type the value.") % {"error": value.code}
    if merged_below:
        return _("This cell is merged with the cells below it, so only the first row would get its value: "
                 "unmerge the cells and give each row its own value.")
    return None


def _vertical_merges(grid: Grid, positions: dict, last_header: int, errors, header_texts) -> set:
    """Cells of the read columns, below the header, that are covered by a merge spanning rows:
    the first row holds the value, the others would silently read as empty."""
    covered = set()
    read = set(positions.values())
    for min_row, min_col, max_row, max_col in grid.merged:
        if max_row <= min_row or max_row <= last_header:
            continue
        for column in range(min_col - 1, max_col):
            if column in read:
                for row in range(max(min_row, last_header + 1), max_row + 1):
                    covered.add((row, column))
    return covered


def _is_total(values: list, code_index: int | None) -> bool:
    code = values[code_index] if code_index is not None and code_index < len(values) else None
    if not _is_blank(code) and not _is_total_word(code):
        return False
    texts = [v for v in values[:6] if isinstance(v, str) and v.strip()]
    return bool(texts) and _is_total_word(texts[0])


def _is_total_word(value) -> bool:
    if not isinstance(value, str):
        return False
    text = re.sub(r"[\s:：()（）]+", "", unicodedata.normalize("NFKC", value)).casefold()
    return text in TOTAL_WORDS


def _header_cells(grid: Grid, number: int) -> list:
    """A header row's texts with merged cells filled in (a header merged across columns or rows
    names every column it covers)."""
    values = list(dict(grid.rows).get(number, []))
    for min_row, min_col, max_row, max_col in grid.merged:
        if min_row <= number <= max_row:
            top = grid.value(min_row, min_col)
            if len(values) < max_col:
                values.extend([None] * (max_col - len(values)))
            for column in range(min_col, max_col + 1):
                if _is_blank(values[column - 1]):
                    values[column - 1] = top
    return values


def _find_header(grid: Grid, columns: list[Column]) -> tuple[tuple, dict, dict]:
    """The header: one row, or two (a group heading over sub-headings, merged cells), among the
    first rows of the sheet (title, unit or date lines may come first). When none names every
    required column, the error points at the row(s) that come closest."""
    candidates = [number for number, _values in grid.rows[:HEADER_SEARCH_ROWS]]
    options = []  # (score, rows, positions, texts, errors); the best complete one wins
    for position, number in enumerate(candidates):
        top = _header_cells(grid, number)
        options.append(((number,), *_match_headers(top, columns, row=number)))
        following = candidates[position + 1] if position + 1 < len(candidates) else None
        if following == number + 1:
            below = _header_cells(grid, following)
            if _looks_like_subheader(below, columns):
                combined = [b if not _is_blank(b) and _known(b, columns) else t
                            for t, b in itertools.zip_longest(top, below)]
                options.append(((number, following), *_match_headers(combined, columns, row=number)))

    def score(option):
        rows, positions = option[0], option[1]
        return (len(positions), -len(rows), -rows[0])

    complete = [option for option in options if not option[3]]
    if complete:
        rows, positions, texts, _errors = max(complete, key=score)
        return rows, positions, texts
    rows, _positions, _texts, errors = max(options, key=score)
    if len(rows) == 2:
        errors = [SheetError(row=e.row, column=e.column, header=e.header,
                             message=e.message + " " + _("(Header read from rows %(first)s–%(second)s.)")
                             % {"first": rows[0], "second": rows[1]}) for e in errors]
    raise SheetImportError(errors)


def _known(value, columns: list[Column]) -> bool:
    normalised = normalise_header(value)
    return any(normalised in column._normalised for column in columns)


def _looks_like_subheader(values: list, columns: list[Column]) -> bool:
    """A second header row: text only, and at least one of it names a column."""
    filled = [v for v in values if not _is_blank(v)]
    return bool(filled) and all(isinstance(v, str) for v in filled) and any(_known(v, columns) for v in filled)


def _match_headers(header, columns: list[Column], row: int = 1) -> tuple[dict, dict, list[SheetError]]:
    positions: dict[str, int] = {}
    texts: dict[str, str] = {}
    errors: list[SheetError] = []
    for index, value in enumerate(header):
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            continue
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


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _error(errors, row, column, header, message):
    errors.append(SheetError(row=row, column=column, header=header, message=message))


def parse_decimal(value, *, row: int | None, column: str | None, header: str | None, errors: list[SheetError],
                  required: bool = False, minimum: Decimal | None = Decimal(0), maximum: Decimal | None = None,
                  places: int = 2) -> Decimal | None:
    """A number of points: ints, floats (through their shortest decimal form, so 2.3 is 2.3 and
    not 2.29999…), and numeric strings with spaces or full-width digits. Appends an error and
    returns None when the value is missing (if required), not a number, out of range or has more
    than `places` decimals."""
    if value is REPORTED:
        return None
    if _is_blank(value):
        if required:
            _error(errors, row, column, header, _("A number is required here."))
        return None
    if isinstance(value, bool):
        _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
        return None
    if isinstance(value, datetime.date):
        # A number in a cell formatted as a date: the file stores the number (the serial).
        value = sheets.excel_serial(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
            return None
        number = Decimal(repr(value))
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    else:
        text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))
        text = text.removesuffix("分")  # 10分: points with their unit, as Chinese tables write them
        try:
            number = Decimal(text) if _NUMBER_RE.match(text) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": str(value).strip()})
            return None
    if not number.is_finite():
        _error(errors, row, column, header, _("“%(value)s” is not a number.") % {"value": value})
        return None
    # The range first: quantizing a number like 1E+26 to cents exceeds Decimal's precision.
    if minimum is not None and number < minimum:
        if minimum == 0:
            message = _("“%(value)s” is negative; it must be 0 or more.") % {"value": _plain(number)}
        else:
            message = _("%(value)s is less than %(minimum)s.") % {"value": _plain(number), "minimum": minimum}
        _error(errors, row, column, header, message)
        return None
    limit = MAX_DECIMAL if maximum is None else maximum
    if number > limit:
        _error(errors, row, column, header,
               _("%(value)s is more than %(maximum)s.") % {"value": _plain(number), "maximum": limit})
        return None
    quantized = number.quantize(Decimal(1).scaleb(-places))
    if isinstance(value, float) and number != quantized and round(number, 9) == quantized:
        # Excel arithmetic leaves binary noise (0.1 + 0.2 = 0.30000000000000004): drop it.
        number = quantized
    if number != quantized:
        _error(errors, row, column, header,
               _("%(value)s has more than %(places)s decimal places.") % {"value": _plain(number), "places": places})
        return None
    return number


_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,6})?$")


def _plain(number: Decimal) -> str:
    """A number as people write it; huge or tiny ones in scientific notation, as Excel shows them."""
    if abs(number.adjusted()) > 15:
        return f"{number:.6E}".replace(".000000E", "E")
    return f"{number:f}"


TRUE_WORDS = {"是", "yes", "y", "true", "t", "1", "√", "✓", "✔", "对", "严重"}
FALSE_WORDS = {"否", "no", "n", "false", "f", "0", "×", "✗", "✘", "x", "错", "不"}


def parse_bool(value, *, row: int | None, column: str | None, header: str | None, errors: list[SheetError],
               default: bool = False) -> bool:
    """是/否, yes/no, true/false, 1/0, y/n, √/×; an empty cell gives `default`."""
    if value is REPORTED or _is_blank(value):
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
    if value is REPORTED:
        return None
    if _is_blank(value):
        _error(errors, row, column, header, _("The code is empty."))
        return None
    if isinstance(value, datetime.date):
        _error(errors, row, column, header,
               _("Excel shows this code as a date (%(value)s): format the code column as text and type the code "
                 "again.") % {"value": value.strftime("%Y-%m-%d")})
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
    """A text cell, trimmed; numbers are written as their shortest form, dates as 2026-03-01."""
    if value is REPORTED:
        return ""
    if _is_blank(value):
        if required:
            _error(errors, row, column, header, _("This cell must not be empty."))
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.date()
    if isinstance(value, datetime.date | datetime.time):
        value = value.isoformat()
    text = str(value).strip()
    if max_length is not None and len(text) > max_length:
        _error(errors, row, column, header,
               _("The text is longer than %(max)s characters.") % {"max": max_length})
        return text[:max_length]
    return text
