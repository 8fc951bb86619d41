"""Standards as other programs write them (issue 10): WPS / POI sheets that misstate their size,
formulas without cached values, total rows, headers over two rows, dates, merged and hidden
cells, numbers as text, huge numbers, legacy .xls and CSV in Chinese encodings. Each file is built
here (tests/sheetcraft.py); each either imports to the right tree or is refused with row and
column, and nothing is saved."""

import datetime
from decimal import Decimal

import pytest

from scoring import services
from scoring.models import Standard, StandardItem
from scoring.xlsx import SheetImportError
from tests.sheetcraft import D, E, F, S, Sheet, csv_bytes, xls, xlsx

from .factories import HEADER, SMALL_ROWS, tree_of

pytestmark = pytest.mark.django_db

EXPECTED = None


def _expected():
    global EXPECTED
    if EXPECTED is None:
        from .factories import make_xlsx

        standard = services.standard_import_xlsx(file=make_xlsx(SMALL_ROWS), name="参照", filename="ref.xlsx")
        EXPECTED = tree_of(standard)
        StandardItem.objects.filter(standard=standard).delete()
        standard.delete()
    return EXPECTED


def imported(data, filename="s.xlsx", name="导入"):
    standard = services.standard_import_xlsx(file=data, name=name, filename=filename)
    return tree_of(standard)


def refused(data, filename="s.xlsx"):
    before = Standard.objects.count(), StandardItem.objects.count()
    with pytest.raises(SheetImportError) as exc_info:
        services.standard_import_xlsx(file=data, name="坏", filename=filename)
    assert (Standard.objects.count(), StandardItem.objects.count()) == before
    return {(e.row, e.column): e.message for e in exc_info.value.errors}


ROWS = [HEADER] + SMALL_ROWS


# ---------------------------------------------------------------- 1. files that misstate their size

@pytest.mark.parametrize("sheet", [
    Sheet(ROWS, dimension="A1"),  # WPS, POI SXSSF
    Sheet(ROWS, dimension=None),
    Sheet(ROWS, dimension="A1:E1048576"),  # a template claiming every row
    Sheet(ROWS, dimension="A1:B3"),
    Sheet(ROWS, row_numbers=False),  # rows and cells without r=
    Sheet([HEADER] + [[S(v) if isinstance(v, str) else v for v in row] for row in SMALL_ROWS], dimension="A1"),
], ids=["A1", "none", "claims-million", "claims-less", "no-refs", "shared-strings"])
def test_a_sheet_is_read_whatever_size_it_claims(sheet):
    assert imported(xlsx(sheet)) == _expected()


def test_empty_trailing_rows_and_extra_columns_do_not_count():
    rows = [HEADER + ["备注", None, "另一列"]] + [r + ["x", None, 1] for r in SMALL_ROWS] + [[None] * 5] * 30
    assert imported(xlsx(Sheet(rows, dimension="A1:H60000"))) == _expected()


def test_the_row_limit_counts_rows_with_data(monkeypatch):
    monkeypatch.setattr("scoring.xlsx.MAX_ROWS", 11)
    assert imported(xlsx(Sheet(ROWS + [[None]] * 50, dimension="A1:E100000"))) == _expected()
    monkeypatch.setattr("scoring.xlsx.MAX_ROWS", 10)
    errors = refused(xlsx(ROWS))
    assert "more than 10 rows" in errors[(None, None)]


def test_a_header_without_items_is_refused():
    errors = refused(xlsx(Sheet([HEADER], dimension="A1:E500")))
    assert "no items" in errors[(None, None)]


# ---------------------------------------------------------------- 2. formulas without cached values

def test_formulas_with_cached_values_give_those_values():
    rows = [HEADER, ["1", "甲", F("=C3+C4", cached=5), None, None], ["1.1", "乙", 2, None, None],
            ["1.2", "丙", F("=1+2", cached=3), None, None]]
    assert [p for _c, _t, p, *_ in imported(xlsx(rows))] == [Decimal(5), Decimal(2), Decimal(3)]


def test_formulas_without_cached_values_are_computed_when_plain_arithmetic():
    rows = [HEADER, ["1", "甲", F("=SUM(C3:C5)"), None, None], ["1.1", "乙", F("=10-2.5"), None, None],
            ["1.2", "丙", F("=C3*2", shared=0, ref="C4:C5"), None, None],
            ["1.3", "丁", F("", shared=0, follower=True), None, None],  # =C4*2, translated
            ["2", "戊", F("=ROUND(C3*1/3,1)+MAX(0,-1)+ABS(-1)-1+50%*2"), None, None]]
    tree = {code: points for code, _t, points, *_ in imported(xlsx(rows))}
    assert tree == {"1": Decimal("52.5"), "1.1": Decimal("7.5"), "1.2": Decimal(15), "1.3": Decimal(30),
                    "2": Decimal("3.5")}


def test_formulas_that_cannot_be_computed_are_named_cell_by_cell():
    rows = [HEADER, ["1", "甲", None, None, None],
            ["1.1", "乙", F("=VLOOKUP(A3,Sheet2!A:B,2,0)"), None, None],
            ["1.2", "丙", F("='其他表'!B2"), None, None],
            ["1.3", "丁", F("=C5/0"), None, None],
            ["1.4", F('=IF(C3>1,"好","差")'), 3, None, None],
            ["1.5", "己", F("=C7+1"), None, None]]  # refers to itself
    errors = refused(xlsx(rows))
    assert set(errors) >= {(3, "C"), (4, "C"), (5, "C"), (6, "B"), (7, "C")}
    assert "VLOOKUP" in errors[(3, "C")] and "no saved value" in errors[(3, "C")]


def test_excel_error_values_are_named():
    errors = refused(xlsx([HEADER, ["1", "甲", E("#DIV/0!"), None, None], ["2", E("#REF!"), 3, None, None]]))
    assert "#DIV/0!" in errors[(2, "C")] and "#REF!" in errors[(3, "B")]


# ---------------------------------------------------------------- 4. total rows

@pytest.mark.parametrize("total", [
    [None, "合计", 45, None, None],
    [None, "合  计：", F("=C2+C7+C11"), None, None],
    ["总计", None, 45, None, None],  # the word in the code column (merged A:B)
    [None, "Total", None, None, None],  # no figure: nothing to check
])
def test_a_total_row_is_recognised_and_checked(total):
    assert imported(xlsx(ROWS + [total])) == _expected()


def test_a_wrong_total_is_reported_at_its_cell():
    errors = refused(xlsx(ROWS + [[None, "合计", 50, None, None]]))
    assert list(errors) == [(13, "C")] and "50" in errors[(13, "C")] and "45" in errors[(13, "C")]


def test_two_total_rows_are_refused():
    errors = refused(xlsx(ROWS + [[None, "合计", 45, None, None], [None, "总计", 45, None, None]]))
    assert (14, None) in errors


# ---------------------------------------------------------------- 5. headers over two rows

def test_title_row_and_a_header_merged_over_two_rows():
    rows = [["某供电公司客户安全自查评价表"], [None, None, None, "填表日期：2026年3月1日"],
            ["序号", "评价项目", "分值", None, "严重"], [None, None, "应得分", "评分标准", None]] + SMALL_ROWS
    sheet = Sheet(rows, merged=("A1:E1", "A3:A4", "B3:B4", "C3:D3", "E3:E4"))
    assert imported(xlsx(sheet)) == _expected()


def test_a_missing_column_is_reported_at_the_header_not_the_title():
    rows = [["某供电公司客户安全自查评价表"], ["序号", "评价项目", "备注"]] + [r[:2] + ["x"] for r in SMALL_ROWS]
    errors = refused(xlsx(Sheet(rows, merged=("A1:C1",))))
    assert list(errors) == [(2, None)] and "应得分" in errors[(2, None)]


# ---------------------------------------------------------------- values as other programs store them

def test_numbers_as_text_full_width_and_with_units():
    rows = [HEADER, ["１", "甲", None, "", ""], ["１．１", "乙", "１２", "", ""],
            ["1.2", "丙", "\u30003\u3000", "", ""], ["1.3", "丁", "10分", "", ""], ["1.4", "戊", " 2.50 ", "", ""]]
    assert {c: p for c, _t, p, *_ in imported(xlsx(rows))} == {
        "1": Decimal(27.5), "1.1": Decimal(12), "1.2": Decimal(3), "1.3": Decimal(10), "1.4": Decimal("2.5")}


@pytest.mark.parametrize("value", [1e26, "1e26", 1e308, "1E+999", -1e26, "9" * 40, "1e-30"])
def test_huge_and_tiny_numbers_get_a_message_not_a_server_error(value):
    errors = refused(xlsx([HEADER, ["1", "甲", value, "", ""]]))
    assert list(errors) == [(2, "C")]


def test_dates_in_number_and_code_columns():
    # a points cell formatted as a date stores its number; a code Excel turned into a date is named
    rows = [HEADER, ["1", "甲", D(10), "", ""], [D(45000), "乙", 1, "", ""]]
    errors = refused(xlsx(rows))
    assert list(errors) == [(3, "A")] and "date" in errors[(3, "A")] and "2023-03-15" in errors[(3, "A")]
    assert imported(xlsx([HEADER, ["1", "甲", D(10), D(45000), ""]]))[0][2:4] == (Decimal(10), "2023-03-15")


def test_merged_cells_over_data_rows_are_refused_not_half_read():
    rows = [HEADER, ["1", "甲", None, "同一标准", ""], ["1.1", "乙", 2, None, ""], ["1.2", "丙", 3, None, ""]]
    errors = refused(xlsx(Sheet(rows, merged=("D2:D4",))))
    assert set(errors) == {(2, "D"), (3, "D"), (4, "D")} and "merged" in errors[(3, "D")]


def test_the_first_visible_sheet_is_read_and_hidden_rows_too():
    hidden = Sheet([["下拉选项"], ["是"], ["否"]], name="dict", state="hidden")
    visible = Sheet(ROWS, name="标准", hidden_rows=(5, 6))
    assert imported(xlsx(hidden, visible)) == _expected()


def test_no_visible_sheet():
    errors = refused(xlsx(Sheet(ROWS, state="veryHidden")))
    assert "visible" in errors[(None, None)]


# ---------------------------------------------------------------- legacy .xls / .et and CSV

@pytest.mark.parametrize("filename", ["standard.xls", "standard.et", "standard.xlsx", None])
def test_legacy_xls_and_wps_et(filename):
    assert imported(xls(ROWS), filename=filename) == _expected()


def test_xls_hidden_first_sheet_dates_and_formulas():
    rows = [HEADER, ["1", "甲", F("=C3+C4"), None, None], ["1.1", "乙", 2, datetime.date(2026, 3, 1), None],
            ["1.2", "丙", 3, None, None]]
    tree = imported(xls(rows, hidden_first=[["dictionary"], ["是"]]), filename="s.xls")
    assert [(c, p, crit) for c, _t, p, crit, _s in tree] == [
        ("1", Decimal(5), ""), ("1.1", Decimal(2), "2026-03-01"), ("1.2", Decimal(3), "")]


@pytest.mark.parametrize("encoding, bom, delimiter", [
    ("gbk", False, ","),  # Excel / WPS "CSV" on Chinese Windows
    ("utf-8", True, ","),  # "CSV UTF-8"
    ("utf-8", False, ","),
    ("utf-16-le", True, "\t"),  # "Unicode text"
    ("gb18030", False, ";"),
])
def test_csv_in_the_encodings_windows_writes(encoding, bom, delimiter):
    data = csv_bytes(ROWS + [[None] * 5] * 3, encoding=encoding, bom=bom, delimiter=delimiter)
    assert imported(data, filename="standard.csv") == _expected()


def test_csv_in_an_unknown_encoding_is_refused():
    errors = refused(b"\x81\x30\xff\xfe\xfa" * 20, filename="s.csv")
    assert "encoding" in errors[(None, None)]


def test_xlsb_and_ods_are_named():
    import io
    import zipfile

    for member, word in (("xl/workbook.bin", ".xlsb"), ("content.xml", ".ods")):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(member, "x")
        assert word in refused(buffer.getvalue())[(None, None)]


def test_a_password_protected_xlsx_is_named():
    # Excel and WPS store an encrypted xlsx as an OLE file holding EncryptionInfo and
    # EncryptedPackage streams: an OLE file like an .xls, which must not be called "damaged".
    data = bytearray(xls([["a"]]))
    at = data.find("Workbook".encode("utf-16-le"))
    name = "EncryptedPackage".encode("utf-16-le")
    data[at:at + 64] = name + b"\0" * (64 - len(name))
    data[at + 64:at + 66] = (len(name) + 2).to_bytes(2, "little")
    assert "password" in refused(bytes(data), filename="secret.xlsx")[(None, None)]
