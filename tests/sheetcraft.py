"""Hand-written xlsx files with the quirks of other writers (WPS Office, Java POI/EasyExcel, Excel
itself), built byte by byte so a test controls exactly what the file says: the `<dimension>` it
claims, inline or shared strings, formulas with or without a cached value, shared formulas, merged
cells, hidden rows and sheets, date-formatted cells. Also legacy .xls (xlwt) and CSV in the
encodings Chinese Windows writes.

A cell is given as a plain value (str, int, float, None) or as one of the small classes below.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass
class F:
    """A formula; `cached` is the value Excel would have saved (None: written by a program that
    does not calculate). `shared` makes it part of a shared formula group (si), `master` its
    first cell with the text and the ref."""
    text: str
    cached: object = None
    shared: int | None = None
    ref: str | None = None  # on the master of a shared group
    follower: bool = False  # a follower of a shared group: no text


@dataclass
class D:
    """A number formatted as a date (the cell stores the serial)."""
    serial: float


@dataclass
class S:
    """A string stored in the shared-string table (Excel's way) instead of inline (WPS / POI streaming)."""
    text: str


@dataclass
class E:
    """An Excel error value such as #DIV/0!."""
    code: str


@dataclass
class Sheet:
    rows: list  # list of lists of cells; row 1 first
    name: str = "Sheet1"
    dimension: str | None = "auto"  # "auto": the true range; None: no element; else as written ("A1")
    merged: tuple = ()
    hidden_rows: tuple = ()
    state: str | None = None  # "hidden" / "veryHidden"
    start_row: int = 1
    row_numbers: bool = True  # False: <row> and <c> without r= (some writers omit them)


def col_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_xml(sheet: Sheet, shared: list[str]) -> str:
    width = max((len(r) for r in sheet.rows), default=1)
    last = sheet.start_row + len(sheet.rows) - 1
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
    if sheet.dimension == "auto":
        parts.append(f'<dimension ref="A{sheet.start_row}:{col_letter(width)}{max(last, 1)}"/>')
    elif sheet.dimension:
        parts.append(f'<dimension ref="{sheet.dimension}"/>')
    parts.append("<sheetData>")
    for offset, row in enumerate(sheet.rows):
        number = sheet.start_row + offset
        hidden = ' hidden="1"' if number in sheet.hidden_rows else ""
        parts.append(f'<row r="{number}"{hidden}>' if sheet.row_numbers else f"<row{hidden}>")
        for index, value in enumerate(row, start=1):
            ref = f' r="{col_letter(index)}{number}"' if sheet.row_numbers else ""
            parts.append(_cell_xml(ref, value, shared))
        parts.append("</row>")
    parts.append("</sheetData>")
    if sheet.merged:
        parts.append(f'<mergeCells count="{len(sheet.merged)}">'
                     + "".join(f'<mergeCell ref="{m}"/>' for m in sheet.merged) + "</mergeCells>")
    parts.append("</worksheet>")
    return "".join(parts)


def _cell_xml(ref: str, value, shared: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, F):
        if value.follower:
            f = f'<f t="shared" si="{value.shared}"/>'
        elif value.shared is not None:
            f = f'<f t="shared" ref="{value.ref}" si="{value.shared}">{escape(value.text.lstrip("="))}</f>'
        else:
            f = f"<f>{escape(value.text.lstrip('='))}</f>"
        if value.cached is None:
            return f"<c{ref}>{f}</c>"
        if isinstance(value.cached, str):
            return f'<c{ref} t="str">{f}<v>{escape(value.cached)}</v></c>'
        return f"<c{ref}>{f}<v>{value.cached}</v></c>"
    if isinstance(value, D):
        return f'<c{ref} s="1"><v>{value.serial}</v></c>'
    if isinstance(value, S):
        shared.append(value.text)
        return f'<c{ref} t="s"><v>{len(shared) - 1}</v></c>'
    if isinstance(value, E):
        return f'<c{ref} t="e"><v>{escape(value.code)}</v></c>'
    if isinstance(value, bool):
        return f'<c{ref} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c{ref}><v>{value!r}</v></c>"
    text = str(value)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c{ref} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def xlsx(*sheets: Sheet | list) -> bytes:
    """A workbook of the given sheets (a bare list of rows is one sheet)."""
    sheets = [s if isinstance(s, Sheet) else Sheet(rows=s) for s in sheets]
    shared: list[str] = []
    bodies = [_sheet_xml(s, shared) for s in sheets]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/styles.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                   + overrides + "</Types>")
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
        n = len(sheets)
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' + rels
                   + f'<Relationship Id="rId{n + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/styles" Target="styles.xml"/>'
                   f'<Relationship Id="rId{n + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
        entries = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i}" r:id="rId{i}"'
            + (f' state="{s.state}"' if s.state else "") + "/>" for i, s in enumerate(sheets, start=1))
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                   f"<sheets>{entries}</sheets></workbook>")
        z.writestr("xl/styles.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
                   '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
                   '<borders count="1"><border/></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                   '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
                   '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                   '</cellXfs></styleSheet>')
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" '
                   f'uniqueCount="{len(shared)}">'
                   + "".join(f"<si><t>{escape(t)}</t></si>" for t in shared) + "</sst>")
        for i, body in enumerate(bodies, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", body)
    return out.getvalue()


def xls(rows: list, *, sheet_name: str = "Sheet1", hidden_first: list | None = None) -> bytes:
    """A legacy Excel 97–2003 workbook (BIFF8) written by xlwt; dates as date-formatted serials."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    if hidden_first is not None:
        hidden = book.add_sheet("dict")
        for r, row in enumerate(hidden_first):
            for c, value in enumerate(row):
                hidden.write(r, c, value)
        hidden.visibility = 1
    sheet = book.add_sheet(sheet_name)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, datetime.date):
                sheet.write(r, c, value, date_style)
            elif isinstance(value, F):
                sheet.write(r, c, xlwt.Formula(value.text.lstrip("=")))
            else:
                sheet.write(r, c, value)
    if hidden_first is not None:
        book.active_sheet = 1
        sheet.set_selected(True)
        hidden.set_selected(False)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list, *, encoding: str = "gbk", bom: bool = False, delimiter: str = ",") -> bytes:
    import csv

    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = text.getvalue().encode(encoding)
    if bom:
        data = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe"}[encoding] + data
    return data
