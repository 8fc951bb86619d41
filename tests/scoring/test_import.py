"""Standard import: every bad file gets all its errors with row and column, and nothing is saved."""

import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from scoring import services
from scoring.models import Standard, StandardItem
from scoring.xlsx import SheetImportError

from .factories import HEADER, SMALL_ROWS, make_standard, make_xlsx, tree_of

pytestmark = pytest.mark.django_db


def _import_errors(data, name="坏标准", filename="bad.xlsx"):
    with pytest.raises(SheetImportError) as exc_info:
        services.standard_import_xlsx(file=data, name=name, filename=filename)
    assert Standard.objects.count() == 0 and StandardItem.objects.count() == 0
    return {(e.row, e.column): e.message for e in exc_info.value.errors}, exc_info.value


def test_import_builds_the_tree_with_sums_and_flags(django_user_model):
    # given a sheet whose codes come in any order
    rows = list(reversed(SMALL_ROWS))
    # when it is imported
    standard = services.standard_import_xlsx(file=make_xlsx(rows), name="自查标准", filename="s.xlsx")
    # then the tree, the parents' sums and the flags are stored
    assert standard.status == Standard.Status.DRAFT and standard.version == "1"
    assert standard.item_count == 11 and standard.total_points == Decimal("45")
    assert standard.source_filename == "s.xlsx"
    items = {i.code: i for i in standard.items.all()}
    assert items["1.1.1"].parent_id == items["1.1"].pk and items["1.1"].parent_id == items["1"].pk
    assert items["1"].points == Decimal("30") and not items["1"].is_leaf
    assert items["1.1.1"].is_leaf and items["1.1.1"].serious and not items["1.1.2"].serious
    assert items["1.1.1"].criteria == "未建立不得分" and items["2.1.2"].depth == 2
    assert [i.code for i in standard.items.order_by("sort_key")][:3] == ["1", "1.1", "1.1.1"]


def test_second_import_of_same_name_gets_next_version():
    make_standard(name="表")
    second = make_standard(name="表")
    assert second.version == "2"


@pytest.mark.parametrize("odd", ["²", "٣", "１"])
def test_a_version_written_in_other_digits_does_not_break_the_next_version(odd):
    """Versions are free text: digits of other scripts are text, not numbers (int() refuses "²")."""
    services.standard_import_xlsx(file=make_xlsx(SMALL_ROWS), name="同名标准", filename="a.xlsx", version="4")
    services.standard_import_xlsx(file=make_xlsx(SMALL_ROWS), name="同名标准", filename="b.xlsx", version=odd)
    third = services.standard_import_xlsx(file=make_xlsx(SMALL_ROWS), name="同名标准", filename="c.xlsx")
    assert third.version == "5"


def test_english_headers_and_parent_points_left_empty():
    rows = [["1", "Management", None, "", "no"], ["1.1", "Duty", "2.5", "c", "yes"], ["1.2", "Training", 1, "", "1"]]
    standard = services.standard_import_xlsx(
        file=make_xlsx(rows, header=[" Code ", "TITLE", "Points", "Criteria", "Serious"]), name="en")
    assert standard.total_points == Decimal("3.5")
    assert list(standard.items.filter(serious=True).values_list("code", flat=True).order_by("code")) == ["1.1", "1.2"]


def test_missing_parent_is_reported_with_row_and_column():
    rows = [["1", "甲", 5, "", ""], ["1.1", "乙", 5, "", ""], ["2.1", "孤儿", 3, "", ""], ["3.1.1", "更孤", 1, "", ""]]
    errors, _ = _import_errors(make_xlsx(rows))
    assert set(errors) == {(4, "A"), (5, "A")}
    assert "2" in errors[(4, "A")] and "missing" in errors[(4, "A")]
    assert "3.1" in errors[(5, "A")]


def test_duplicate_codes_all_reported_with_numeric_hint():
    rows = [["1", "甲", 2, "", ""], ["1.1", "乙", 2, "", ""], ["1.1", "丙", 3, "", ""], [1.1, "丁", 0, "", ""]]
    errors, exc = _import_errors(make_xlsx(rows, text_codes=False))
    assert set(errors) == {(4, "A"), (5, "A")}
    assert "row 3" in errors[(4, "A")] and "text" in errors[(5, "A")]


def test_non_numeric_negative_and_too_precise_points_all_reported():
    rows = [["1", "甲", None, "", ""], ["1.1", "乙", "五", "", ""], ["1.2", "丙", -2, "", ""],
            ["1.3", "丁", "1.255", "", ""], ["1.4", "戊", "nan", "", ""], ["1.5", "己", " 2 ", "", ""]]
    errors, exc = _import_errors(make_xlsx(rows))
    assert set(errors) == {(3, "C"), (4, "C"), (5, "C"), (6, "C")}
    assert "五" in errors[(3, "C")] and "negative" in errors[(4, "C")] and "decimal" in errors[(5, "C")]
    assert str(next(e for e in exc.errors if e.row == 4)).startswith("Row 4, column C (应得分): ")


def test_points_missing_on_a_leaf():
    rows = [["1", "甲", None, "", ""], ["1.1", "乙", None, "", ""], ["1.2", "丙", 1, "", ""]]
    errors, _ = _import_errors(make_xlsx(rows))
    assert set(errors) == {(3, "C")} and "1.1" in errors[(3, "C")]


def test_parent_children_mismatch_at_two_levels():
    rows = [["1", "甲", 10, "", ""], ["1.1", "乙", 4, "", ""], ["1.1.1", "丙", 1, "", ""], ["1.1.2", "丁", 2, "", ""],
            ["1.2", "戊", 5, "", ""]]
    errors, _ = _import_errors(make_xlsx(rows))
    # 1.1 says 4 but its leaves add up to 3; 1 says 10 but 1.1 (3) + 1.2 (5) = 8
    assert set(errors) == {(2, "C"), (3, "C")}
    assert "4" in errors[(3, "C")] and "3" in errors[(3, "C")]
    assert "10" in errors[(2, "C")] and "8" in errors[(2, "C")]


def test_empty_title_and_bad_serious_and_bad_code():
    rows = [["1", "", 1, "", ""], ["2", "乙", 1, "", "也许"], ["x.1", "丙", 1, "", ""], ["3", "  ", 1, "", ""]]
    errors, _ = _import_errors(make_xlsx(rows))
    assert set(errors) == {(2, "B"), (3, "E"), (4, "A"), (5, "B")}


def test_all_kinds_of_errors_come_together():
    rows = [["1", "甲", 9, "", ""], ["1.1", "", "abc", "", ""], ["1.1", "乙", 1, "", ""], ["4.1", "丙", 2, "", ""]]
    errors, exc = _import_errors(make_xlsx(rows))
    assert {(3, "B"), (3, "C"), (4, "A"), (5, "A")} <= set(errors)
    assert len(exc.errors) >= 4


def test_text_file_renamed_xlsx():
    errors, _ = _import_errors(b"code,title\n1,a\n", filename="standard.xlsx")
    assert list(errors) == [(None, None)] and "not an Excel workbook" in errors[(None, None)]


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    errors, _ = _import_errors(buffer.getvalue())
    assert list(errors) == [(None, None)] and "zip" in errors[(None, None)]


def test_broken_workbook_xml():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<not-xml")
        archive.writestr("xl/workbook.xml", "<broken")
    errors, _ = _import_errors(buffer.getvalue())
    assert list(errors) == [(None, None)] and "cannot be read" in errors[(None, None)]


def _with_central_directory(data: bytes, offset: int, value: bytes) -> bytes:
    """`data` with `value` written at `offset` of every central directory header (PK\\1\\2)."""
    out, start = bytearray(data), 0
    while (at := out.find(b"PK\x01\x02", start)) >= 0:
        out[at + offset:at + offset + len(value)] = value
        start = at + 4
    return bytes(out)


@pytest.mark.parametrize(("offset", "value"), [
    (6, (64).to_bytes(2, "little")),  # "version needed to extract" 6.4: zipfile raises NotImplementedError
    (10, (99).to_bytes(2, "little")),  # an unknown compression method
    (42, (0xFFFFFFF0).to_bytes(4, "little")),  # a member's header offset beyond the file
])
def test_a_mangled_zip_directory_is_refused_as_damaged(offset, value):
    data = _with_central_directory(make_xlsx(SMALL_ROWS), offset, value)
    errors, _ = _import_errors(data)
    assert list(errors) == [(None, None)]
    assert "damaged" in errors[(None, None)] or "cannot be read" in errors[(None, None)]
    assert not Standard.objects.exists()


def test_password_protected_or_old_xls():
    errors, _ = _import_errors(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert "damaged" in errors[(None, None)] or "cannot be read" in errors[(None, None)]


def test_content_decides_not_the_extension():
    # an xlsx named .csv (a browser or a mail client renamed it) is read as what it is
    standard = services.standard_import_xlsx(file=make_xlsx(SMALL_ROWS), name="改名", filename="standard.csv")
    assert standard.item_count == 11


def test_wrong_extension():
    errors, _ = _import_errors(b"%PDF-1.7 ...", filename="standard.pdf")
    assert "standard.pdf" in errors[(None, None)] and "not a spreadsheet" in errors[(None, None)]


def test_empty_workbook():
    errors, _ = _import_errors(make_xlsx([], header=None))
    assert "empty" in errors[(None, None)]


def test_header_only_workbook():
    errors, _ = _import_errors(make_xlsx([]))
    assert "no items" in errors[(None, None)]


def test_missing_header_columns_all_listed():
    errors, exc = _import_errors(make_xlsx([["1", "a"]], header=["编号说明", "评分标准"]))
    messages = [e.message for e in exc.errors]
    assert len(messages) == 3
    assert any("序号" in m for m in messages) and any("评价项目" in m for m in messages)
    assert any("应得分" in m for m in messages)


def test_duplicate_header():
    errors, _ = _import_errors(make_xlsx([["1", "a", 1, 1]], header=["序号", "评价项目", "应得分", "points"]))
    assert list(errors) == [(1, "D")] and "C" in errors[(1, "D")]


def test_name_and_version_problems_are_listed_with_sheet_errors():
    make_standard(name="已有", version="7")
    with pytest.raises(SheetImportError) as exc_info:
        services.standard_import_xlsx(file=make_xlsx([["1", "", 1, "", ""]]), name="已有", version="7")
    messages = [str(e) for e in exc_info.value.errors]
    assert any("already exists" in m for m in messages) and any(m.startswith("Row 2, column B") for m in messages)
    assert Standard.objects.count() == 1


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr("scoring.xlsx.MAX_ROWS", 5)
    rows = [[str(i), f"项{i}", 1, "", ""] for i in range(1, 8)]
    errors, _ = _import_errors(make_xlsx(rows))
    assert "more than 5 rows" in errors[(None, None)]


def test_empty_rows_are_skipped_and_numeric_codes_accepted():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([1, "甲", None])
    sheet.append([None, None, None])
    sheet.append([1.1, "乙", 2.5])
    sheet.append([1.2, "丙", 0.1 + 0.2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    standard = services.standard_import_xlsx(file=buffer.getvalue(), name="数字编号")
    assert [(c, p) for c, _, p, _, _ in tree_of(standard)] == [
        ("1", Decimal("2.8")), ("1.1", Decimal("2.5")), ("1.2", Decimal("0.3"))]


def test_export_then_import_gives_the_same_tree():
    original = make_standard(name="往返")
    data = services.standard_export_xlsx(original)
    again = services.standard_import_xlsx(file=data, name="往返", filename="export.xlsx")
    assert tree_of(again) == tree_of(original)
    assert again.total_points == original.total_points and again.version == "2"


def test_export_keeps_codes_like_1_10_apart():
    rows = [["1", "甲", None, "", ""]] + [[f"1.{i}", f"项{i}", 1, "", ""] for i in range(1, 12)]
    original = make_standard(name="十项以上", rows=rows)
    again = services.standard_import_xlsx(file=services.standard_export_xlsx(original), name="十项以上")
    assert {c for c, *_ in tree_of(again)} >= {"1.1", "1.10", "1.11"}
    assert tree_of(again) == tree_of(original)


def _with_replaced_part(data: bytes, part: str, content: str) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for info in source.infolist():
            archive.writestr(info, content if info.filename == part else source.read(info.filename))
    return target.getvalue()


def test_hostile_xml_in_the_sheet_is_refused_quickly():
    laughs = ['<!ENTITY a0 "lol">'] + [f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{"".join(laughs)}]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>')
    data = _with_replaced_part(make_xlsx(SMALL_ROWS), "xl/worksheets/sheet1.xml", sheet)
    errors, _ = _import_errors(data)
    assert list(errors) == [(None, None)] and "cannot be read" in errors[(None, None)]


def test_broken_sheet_xml_is_reported_not_raised():
    data = _with_replaced_part(make_xlsx(SMALL_ROWS), "xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>")
    errors, _ = _import_errors(data)
    assert "cannot be read" in errors[(None, None)]


def test_title_rows_above_the_header_and_units_in_headers():
    """Sheets as customers keep them: a title and a unit line above the header, units in brackets."""
    header = ["序号", "评价项目", "应得分（分）", "评分标准", "严重"]
    data = make_xlsx([["某供电公司安全生产自查评价标准", None, None, None, None],
                      ["编制单位：安全监察部", None, None, None, None],
                      header, *SMALL_ROWS], header=None)
    standard = services.standard_import_xlsx(file=data, name="带标题的标准")
    assert standard.item_count == 11 and standard.total_points == Decimal("45")


def test_errors_below_a_title_name_the_real_excel_rows():
    rows = [["标题", None, None, None, None], HEADER, ["1", "安全管理", 5, "", ""], ["1.1", "", -1, "", ""]]
    errors, _exc = _import_errors(make_xlsx(rows, header=None))
    assert {(4, "B"), (4, "C")} <= set(errors), errors


def test_no_header_in_the_leading_rows_is_reported_once_against_row_1():
    rows = [["标题"], ["说明"], ["1", "安全管理", 5]]
    errors, exc = _import_errors(make_xlsx(rows, header=None))
    assert all(row == 1 for row, _col in errors) and len(exc.errors) == 3  # code, title, points missing
