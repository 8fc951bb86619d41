"""Results sheets as other organisations keep them (issue 10): deduction tables (扣分制), total rows,
files that misstate their size, formulas without cached values, headers over two rows, .xls and
CSV. Each imports to the right scores or is refused with row and column, and nothing is saved."""

import datetime
from decimal import Decimal

import pytest

from audits.imports import inspection_import_results
from audits.models import Inspection, InspectionResult
from scoring.xlsx import SheetImportError
from tests.sheetcraft import F, Sheet, csv_bytes, xls, xlsx

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 4, 1)
# DEEP_TREE leaves: 1.1.1.1 (3.5), 1.1.1.2 (2.25), 1.1.2 (4), 1.2.1 (5), 1.2.2 (5), 2.1.1 (2), 2.1.2 (3),
# 2.2.1 (6), 2.2.2 (4), 3.1 (0)
DEDUCTION_HEADER = ["序号", "评价项目", "应得分", "扣分", "扣分原因"]
DEDUCTIONS = [
    ["1.1.1.1", "主要负责人职责明确", 3.5, 1, "职责未上墙"],
    ["1.1.1.2", "岗位责任制覆盖全员", 2.25, None, None],
    ["1.1.2", "责任制考核", 4, 0, None],
    ["1.2.1", "三级安全教育", 5, 7, "未开展三级教育，扣完为止"],  # more than the item: earned 0
    ["1.2.2", "特种作业人员持证", 5, "2", "2 名电工证过期"],
    ["2.1.1", "防小动物措施", 2, 0.5, "挡鼠板缺失"],
    ["2.1.2", "绝缘工具定期试验", 3, None, None],
    ["2.2.1", "防倒送电闭锁装置", 6, 6, "无闭锁"],
    ["2.2.2", "发电机定期试运行", 4, 0, None],
    ["3.1", "现场照片留存", 0, 0, None],
]
EXPECTED_EARNED = {"1.1.1.1": Decimal("2.5"), "1.1.1.2": Decimal("2.25"), "1.1.2": Decimal(4), "1.2.1": Decimal(0),
                   "1.2.2": Decimal(3), "2.1.1": Decimal("1.5"), "2.1.2": Decimal(3), "2.2.1": Decimal(0),
                   "2.2.2": Decimal(4), "3.1": Decimal(0)}


def results(standard, site, data, filename="r.xlsx"):
    inspection = inspection_import_results(file=data, filename=filename, standard=standard, date=DAY, site=site)
    return {r.item.code: r for r in inspection.results.select_related("item")}


def refused(standard, site, data, filename="r.xlsx"):
    before = Inspection.objects.count(), InspectionResult.objects.count()
    with pytest.raises(SheetImportError) as exc_info:
        inspection_import_results(file=data, filename=filename, standard=standard, date=DAY, site=site)
    assert (Inspection.objects.count(), InspectionResult.objects.count()) == before
    return {(e.row, e.column): e.message for e in exc_info.value.errors}


# ---------------------------------------------------------------- 3. deduction tables

def test_a_deduction_table_scores_every_item(standard, site_a):
    got = results(standard, site_a, xlsx([DEDUCTION_HEADER] + DEDUCTIONS))
    assert {code: r.earned for code, r in got.items()} == EXPECTED_EARNED
    assert got["1.1.1.1"].problem == "职责未上墙" and got["1.2.2"].problem == "2 名电工证过期"
    assert got["1.1.2"].problem == ""


def test_deduction_in_english_with_problem_and_reason_both_kept(standard, site_a):
    header = ["Code", "Deduction", "Reason for deduction", "Problem", "Measure"]
    got = results(standard, site_a, xlsx([header, ["1.1.2", 1, "no records", "appraisal missing", "keep records"]]))
    assert got["1.1.2"].earned == Decimal(3) and got["1.1.2"].problem == "appraisal missing\nno records"
    assert got["1.1.2"].measure == "keep records"


def test_deduction_and_earned_must_agree(standard, site_a):
    header = ["序号", "应得分", "扣分", "实得分", "扣分原因"]
    ok = results(standard, site_a, xlsx([header, ["1.1.2", 4, 1, 3, "x"], ["1.2.1", 5, 9, 0, "y"]]))
    assert ok["1.1.2"].earned == 3 and ok["1.2.1"].earned == 0
    errors = refused(standard, site_a, xlsx([header, ["1.1.2", 4, 1, 2, "x"]]))
    assert list(errors) == [(2, "D")] and "deduction" in errors[(2, "D")]


def test_deduction_with_not_applicable_is_refused(standard, site_a):
    header = ["序号", "扣分", "不适用"]
    errors = refused(standard, site_a, xlsx([header, ["2.2.1", 2, "是"]]))
    assert list(errors) == [(2, "B")]
    # no deduction on a not-applicable item is fine
    assert results(standard, site_a, xlsx([header, ["2.2.1", None, "是"]]))["2.2.1"].not_applicable


@pytest.mark.parametrize("value", ["-1", "abc", 1e26, "1e999", "1.234"])
def test_bad_deductions_are_named(standard, site_a, value):
    errors = refused(standard, site_a, xlsx([DEDUCTION_HEADER, ["1.1.2", "x", 4, value, None]]))
    assert list(errors) == [(2, "D")]


def test_a_sheet_with_neither_earned_nor_deduction_is_refused(standard, site_a):
    errors = refused(standard, site_a, xlsx([["序号", "评价项目", "应得分", "存在问题"], ["1.1.2", "x", 4, "问题"]]))
    assert list(errors) == [(1, None)] and "实得分" in errors[(1, None)] and "扣分" in errors[(1, None)]


def test_a_header_without_rows_is_refused_not_an_empty_draft(standard, site_a):
    errors = refused(standard, site_a, xlsx(Sheet([["序号", "实得分"]] + [[None, None]] * 20, dimension="A1:B5000")))
    assert "no item rows" in errors[(None, None)]


# ---------------------------------------------------------------- 4. total rows

def test_a_total_row_matching_the_sums_is_accepted(standard, site_a):
    total = [None, "合计", 34.75, 14.5, None]  # 34.75 points, 14.5 deducted (7 on a 5-point item counts 5)
    got = results(standard, site_a, xlsx([DEDUCTION_HEADER] + DEDUCTIONS + [total]))
    assert {code: r.earned for code, r in got.items()} == EXPECTED_EARNED


def test_a_total_row_with_formulas_without_cached_values(standard, site_a):
    last = len(DEDUCTIONS) + 1
    total = [None, "合  计", F(f"=SUM(C2:C{last})"), F(f"=SUM(D2:D{last})"), None]
    # Excel's SUM skips the deduction typed as text ("2"): 14.5, which is what was deducted
    got = results(standard, site_a, xlsx([DEDUCTION_HEADER] + DEDUCTIONS + [total]))
    assert {code: r.earned for code, r in got.items()} == EXPECTED_EARNED
    total[3] = F(f"=SUM(D2:D{last})+1")
    errors = refused(standard, site_a, xlsx([DEDUCTION_HEADER] + DEDUCTIONS + [total]))
    assert list(errors) == [(last + 1, "D")] and "15.5" in errors[(last + 1, "D")]


def test_a_total_of_the_deductions_as_written_is_accepted(standard, site_a):
    total = [None, "合计", None, 16.5, None]  # 7 on a 5-point item counted as written
    assert results(standard, site_a, xlsx([DEDUCTION_HEADER] + DEDUCTIONS + [total]))["1.2.1"].earned == 0


def test_a_wrong_total_is_reported(standard, site_a):
    header = ["序号", "评价项目", "应得分", "实得分", "严重问题数"]
    rows = [["1.1.2", "x", 4, 3, 1], ["1.2.1", "y", 5, 5, None], [None, "总计", 9, 9, 2]]
    errors = refused(standard, site_a, xlsx([header] + rows))
    assert set(errors) == {(4, "D"), (4, "E")}
    assert "9" in errors[(4, "D")] and "8" in errors[(4, "D")]


# ---------------------------------------------------------------- 1, 2, 5 and other writers

def test_a_wps_sheet_claiming_one_cell_is_read_whole(standard, site_a):
    got = results(standard, site_a, xlsx(Sheet([DEDUCTION_HEADER] + DEDUCTIONS, dimension="A1")))
    assert {code: r.earned for code, r in got.items()} == EXPECTED_EARNED


def test_earned_as_formulas_without_cached_values(standard, site_a):
    header = ["序号", "应得分", "扣分", "实得分"]
    rows = [header, ["1.1.2", 4, 1, F("=B2-C2")], ["1.2.1", 5, 2, F("=MAX(0,B3-C3)")],
            ["2.1.1", 2, 0, F("=VLOOKUP(A4,标准!A:C,3,0)")]]
    errors = refused(standard, site_a, xlsx(rows))
    assert list(errors) == [(4, "D")] and "VLOOKUP" in errors[(4, "D")]
    got = results(standard, site_a, xlsx(rows[:3]))
    assert got["1.1.2"].earned == 3 and got["1.2.1"].earned == 3


def test_two_row_header_with_a_deduction_group(standard, site_a):
    rows = [["2026年春季安全检查自查评价表"], ["序号", "评价项目", "应得分", "扣分情况", None],
            [None, None, None, "扣分", "扣分原因"]] + DEDUCTIONS
    sheet = Sheet(rows, merged=("A1:E1", "A2:A3", "B2:B3", "C2:C3", "D2:E2"))
    got = results(standard, site_a, xlsx(sheet))
    assert {code: r.earned for code, r in got.items()} == EXPECTED_EARNED


def test_xls_and_gbk_csv(standard, site_a):
    assert {c: r.earned for c, r in results(standard, site_a, xls([DEDUCTION_HEADER] + DEDUCTIONS),
                                              filename="r.et").items()} == EXPECTED_EARNED
    data = csv_bytes([DEDUCTION_HEADER] + DEDUCTIONS, encoding="gbk")
    assert {c: r.earned for c, r in results(standard, site_a, data, filename="r.csv").items()} == EXPECTED_EARNED
