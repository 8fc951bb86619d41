"""Fuzzing both importers (issue 10): sheets of random shapes and cell values (the quirks of real
writers: formulas with and without values, shared strings, dates, error values, merged cells,
size claims, title and total rows, huge numbers, full-width text) and byte-mutated workbooks. Every
file either imports correctly or is refused with SheetImportError whose cell-level messages name
their row and column; never another exception; a refused file saves nothing.

The examples are derandomized so that CI runs the same cases every time; set FUZZ_EXAMPLES to run
more (e.g. FUZZ_EXAMPLES=2000 before a release)."""

import datetime
import os
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.imports import inspection_import_results
from audits.models import Inspection, InspectionResult
from scoring import services
from scoring.models import Standard, StandardItem
from scoring.xlsx import SheetImportError
from tests.audits.factories import make_standard
from tests.sheetcraft import D, E, F, S, Sheet, csv_bytes, xls, xlsx

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

STANDARD_HEADERS = ["序号", "评价项目", "应得分", "评分标准", "严重", "code", "title", "points", "分值", "备注", "合计"]
RESULT_HEADERS = ["序号", "实得分", "扣分", "扣分原因", "不适用", "严重问题数", "存在问题", "整改措施", "应得分",
                  "code", "earned", "deduction", "评价项目"]
CODES = ["1", "1.1", "1.1.1", "1.1.1.1", "1.1.1.2", "1.1.2", "1.2", "1.2.1", "1.2.2", "2", "2.1", "2.1.1",
         "2.1.2", "2.2.1", "2.2.2", "3.1", "1.10", "０１．２", "9999.9999", "1..2", "-1", "a"]
TEXTS = ["", " ", "合计", "总  计", "Total", "是", "否", "yes", "√", "×", "不适用", "=1+1", "+x", "@", "10分",
         "１２", "\u30003\u3000", "1e26", "1E+999", "nan", "inf", "-0", "0.001", "2,5", "一二三", "😀", "𠀀",
         "a" * 2100, "<b>&amp;</b>", "'", '"', "\t", "\n", "_x0041_"]
FORMULAS = ["=1+1", "=C2-D2", "=SUM(C2:C9)", "=SUM(A:A)", "=C2/0", "=VLOOKUP(A2,B:C,2,0)", "='x'!A1",
            "=C3*2", "=ROUND(C2/3,2)", "=MAX(0,C2-D2)", "=IF(C2>1,1,0)", "=(((1", "=1E308*1E308", "=C2^200",
            "=-C2", "=50%", "=A1", "=SUM(A1:XFD1048576)"]


def cell_values():
    return st.one_of(
        st.none(),
        st.sampled_from(CODES),
        st.sampled_from(TEXTS),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.decimals(places=3, min_value=-100, max_value=100).map(lambda d: float(d)),
        st.builds(D, st.floats(min_value=-10, max_value=3_000_000, allow_nan=False)),
        st.builds(S, st.sampled_from(CODES + TEXTS)),
        st.builds(E, st.sampled_from(["#DIV/0!", "#REF!", "#N/A", "#VALUE!"])),
        st.builds(F, st.sampled_from(FORMULAS),
                  st.one_of(st.none(), st.integers(-5, 50), st.sampled_from(["", "x", "1.5"]))),
        st.booleans(),
    )


def sheets(headers):
    width = st.integers(min_value=1, max_value=8)

    @st.composite
    def build(draw):
        columns = draw(width)
        header = draw(st.lists(st.one_of(st.sampled_from(headers), cell_values()), min_size=columns,
                               max_size=columns))
        rows = draw(st.lists(st.lists(cell_values(), min_size=0, max_size=columns + 1), max_size=12))
        title = draw(st.lists(st.lists(st.sampled_from(TEXTS + headers), max_size=3), max_size=2))
        grid = title + [header] + rows
        height = len(grid)
        merged = draw(st.lists(st.tuples(st.integers(1, max(height, 1)), st.integers(1, columns),
                                         st.integers(0, 3), st.integers(0, 2)), max_size=3))
        refs = tuple(f"{_letter(c)}{r}:{_letter(c + dc)}{r + dr}" for r, c, dr, dc in merged if dr or dc)
        dimension = draw(st.sampled_from(["auto", None, "A1", "A1:Z1048576", "B2:C3"]))
        state = draw(st.sampled_from([None, None, None, "hidden"]))
        sheet = Sheet(grid, dimension=dimension, merged=refs, hidden_rows=tuple(draw(st.sets(st.integers(1, 9)))),
                      row_numbers=draw(st.booleans()))
        extra = [Sheet([["隐藏"]], name="hidden", state="hidden")] if state else []
        return xlsx(*extra, sheet)
    return build()


def _letter(index):
    from tests.sheetcraft import col_letter
    return col_letter(index)


def mutated(base: bytes):
    @st.composite
    def build(draw):
        data = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] = draw(st.integers(0, 255))
        cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
        return bytes(data[:cut] if cut is not None else data)
    return build()


def _check_refusal(exc: SheetImportError):
    assert exc.errors, "a refusal lists its problems"
    for error in exc.errors:
        assert error.message and str(error)
        if error.column is not None:
            assert error.row is not None or "Column" in str(error)


def _standard_case(data, filename) -> str:
    """Import `data` as a standard: "refused" (with its problems listed, nothing saved) or
    "imported" (a consistent tree that survives export and import); any other end fails."""
    before = Standard.objects.count(), StandardItem.objects.count()
    with transaction.atomic():
        try:
            standard = services.standard_import_xlsx(file=data, name="模糊", filename=filename)
        except SheetImportError as exc:
            _check_refusal(exc)
            assert (Standard.objects.count(), StandardItem.objects.count()) == before
            outcome = "refused"
        else:
            # a correct import: a tree whose parents carry their children's sums
            items = {i.code: i for i in standard.items.all()}
            assert items and standard.item_count == len(items)
            for item in items.values():
                if not item.is_leaf:
                    kids = [k for k in items.values() if k.parent_id == item.pk]
                    assert item.points == sum((k.points for k in kids), Decimal(0))
                assert 0 <= item.points <= Decimal("9999999.99")
            again = services.standard_import_xlsx(file=services.standard_export_xlsx(standard), name="模糊 2",
                                                  filename="again.xlsx")
            assert sorted(again.items.values_list("code", "title", "points", "criteria", "serious")) == sorted(
                standard.items.values_list("code", "title", "points", "criteria", "serious"))
            outcome = "imported"
        transaction.set_rollback(True)
    return outcome


def _results_case(standard, site, data, filename) -> str:
    """Import `data` as inspection results: "refused" or "imported" with scores in bounds."""
    before = Inspection.objects.count(), InspectionResult.objects.count()
    with transaction.atomic():
        try:
            inspection = inspection_import_results(file=data, filename=filename, standard=standard,
                                                   date=datetime.date(2026, 4, 1), site=site)
        except SheetImportError as exc:
            _check_refusal(exc)
            assert (Inspection.objects.count(), InspectionResult.objects.count()) == before
            outcome = "refused"
        else:
            results = list(inspection.results.select_related("item"))
            assert any(r.earned is not None or r.not_applicable for r in results)
            for result in results:
                if result.not_applicable:
                    assert result.earned is None and result.serious_problems == 0
                elif result.earned is not None:
                    assert 0 <= result.earned <= result.item.points
            outcome = "imported"
        transaction.set_rollback(True)
    return outcome


@FUZZ
@given(data=sheets(STANDARD_HEADERS))
def test_fuzz_standard_sheets(data):
    assert _standard_case(data, "fuzz.xlsx") in OUTCOMES


@FUZZ
@given(data=sheets(RESULT_HEADERS))
def test_fuzz_results_sheets(data, site_a):
    assert _results_case(_active(), site_a, data, "fuzz.xlsx") in OUTCOMES


_BASE_ROWS = [["序号", "评价项目", "应得分", "评分标准", "严重"], ["1", "甲", None, "", ""],
              ["1.1", "乙", 5, "标准", "是"], ["1.2", "丙", 2.5, "", "否"], [None, "合计", 7.5, None, None]]


@FUZZ
@given(data=st.one_of(mutated(xlsx(Sheet(_BASE_ROWS, dimension="A1"))), mutated(xls(_BASE_ROWS)),
                      mutated(csv_bytes(_BASE_ROWS, encoding="gbk"))),
       filename=st.sampled_from(["m.xlsx", "m.xls", "m.et", "m.csv", None]))
def test_fuzz_mutated_standard_files(data, filename):
    assert _standard_case(data, filename) in OUTCOMES


_RESULT_ROWS = [["序号", "应得分", "扣分", "扣分原因", "实得分"], ["1.1.2", 4, 1, "缺记录", 3],
                ["1.2.1", 5, None, None, None], [None, "合计", 1, None, None]]


@FUZZ
@given(data=st.one_of(mutated(xlsx(_RESULT_ROWS)), mutated(xls(_RESULT_ROWS)),
                      mutated(csv_bytes(_RESULT_ROWS, encoding="utf-8", bom=True))),
       filename=st.sampled_from(["m.xlsx", "m.xls", "m.csv"]))
def test_fuzz_mutated_results_files(data, filename, site_a):
    assert _results_case(_active(), site_a, data, filename) in OUTCOMES


OUTCOMES = {"imported", "refused"}


@pytest.mark.django_db
def test_the_fuzz_cases_reach_both_outcomes(site_a):
    """The checks above can fail either way: the unmutated files import, a broken one is refused."""
    assert _standard_case(xlsx(Sheet(_BASE_ROWS, dimension="A1")), "base.xlsx") == "imported"
    assert _standard_case(b"PK\x03\x04 not a workbook", "broken.xlsx") == "refused"
    from tests.audits.test_imports import GOOD_ROWS, sheet

    standard = make_standard(name="两种结果")
    assert _results_case(standard, site_a, sheet(GOOD_ROWS), "good.xlsx") == "imported"
    assert _results_case(standard, site_a, b"\x00\x01garbage", "broken.xlsx") == "refused"


def _active():
    standard = Standard.objects.filter(name="模糊评价标准").first()
    return standard or make_standard(name="模糊评价标准")
