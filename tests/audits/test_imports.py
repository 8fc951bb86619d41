import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from audits.imports import inspection_import_results
from audits.models import Inspection, InspectionEvent, InspectionResult
from org.models import NumberCounter
from scoring.xlsx import SheetImportError

pytestmark = pytest.mark.django_db

HEADER = ["序号", "评价项目", "实得分", "不适用", "严重问题数", "存在问题", "整改措施"]


def sheet(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    ["1.1.1.1", "主要负责人职责明确", 3.5, None, None, None, None],
    ["1.1.1.2", "岗位责任制覆盖全员", 1.25, None, 1, "外包人员未纳入", "补充外包人员岗位责任制"],
    ["1.1.2", "责任制考核", 4, None, None, None, None],
    ["1.2.1", "三级安全教育", "5", None, None, None, None],
    ["1.2.2", "特种作业人员持证", 0, "否", 2, "2 名电工证过期", "立即停岗复训"],
    ["2.1.1", "防小动物措施", 2, None, None, None, None],
    ["2.1.2", "绝缘工具定期试验", 3, None, None, None, None],
    ["2.2.1", "防倒送电闭锁装置", None, "是", None, None, None],
    ["2.2.2", "发电机定期试运行", None, "是", None, None, None],
    ["3.1", "现场照片留存", 0, None, None, None, None],
]


def write(tmp_path, data: bytes, name="results.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def counts():
    return (Inspection.objects.count(), InspectionResult.objects.count(), InspectionEvent.objects.count(),
            list(NumberCounter.objects.filter(key="inspection").values_list("last", flat=True)))


def test_import_creates_a_draft_with_the_results(standard, site_a, inspector_a):
    inspection = inspection_import_results(file=sheet(GOOD_ROWS), filename="r.xlsx", standard=standard,
                                           date=datetime.date(2026, 4, 1), site=site_a, by=inspector_a)
    assert inspection.status == Inspection.Status.DRAFT
    assert inspection.kind == "self_assessment"
    results = {r.item.code: r for r in inspection.results.select_related("item")}
    assert results["1.1.1.2"].earned == Decimal("1.25")
    assert results["1.1.1.2"].problem == "外包人员未纳入"
    assert results["1.2.2"].serious_problems == 2
    assert results["2.2.1"].not_applicable and results["2.2.1"].earned is None
    event = inspection.events.get()
    assert event.action == "imported" and "r.xlsx" in event.comment


def test_import_with_submit(standard, site_a):
    inspection = inspection_import_results(file=sheet(GOOD_ROWS), filename="r.xlsx", standard=standard,
                                           date=datetime.date(2026, 4, 1), site=site_a, submit=True)
    assert inspection.status == Inspection.Status.SUBMITTED
    assert [e.action for e in inspection.events.all()] == ["imported", "submitted"]


def test_submit_refused_when_leaves_missing_saves_nothing(standard, site_a):
    from django.core.exceptions import ValidationError

    before = counts()
    with pytest.raises(ValidationError, match="not scored"):
        inspection_import_results(file=sheet(GOOD_ROWS[:3]), filename="r.xlsx", standard=standard,
                                  date=datetime.date(2026, 4, 1), site=site_a, submit=True)
    assert counts() == before


def test_english_headers_and_section_rows_without_results(standard, site_a):
    rows = [["1", "安全管理", None, None, None, None, None]] + GOOD_ROWS
    data = sheet(rows, header=["code", "title", "earned", "not_applicable", "serious_problems", "problem", "measure"])
    inspection = inspection_import_results(file=data, filename="r.xlsx", standard=standard,
                                           date=datetime.date(2026, 4, 1), site=site_a)
    assert inspection.results.filter(earned__isnull=False).count() == 8


BAD_CASES = {
    "unknown code": (["9.9", "", 1, None, None, None, None], "C", "A", "Unknown code 9.9"),
    "section disagreeing with its items": (["1.1", "", 1, None, None, None, None], None, "C", "add up to"),
    "section with a problem text": (["2", "", None, None, None, "问题", None], None, "A", "is a section"),
    "earned above points": (["2.1.1", "", 2.5, None, None, None, None], None, "C", "more than 2.00"),
    "negative earned": (["2.1.1", "", -1, None, None, None, None], None, "C", "negative"),
    "non-numeric earned": (["2.1.1", "", "满分", None, None, None, None], None, "C", "not a number"),
    "earned and not applicable": (["2.1.1", "", 1, "是", None, None, None], None, "C", "Both earned"),
    "non-integer serious count": (["2.1.1", "", 1, None, 1.5, None, None], None, "E", "whole number"),
    "bad not-applicable value": (["2.1.1", "", None, "也许", None, None, None], None, "D", "yes/no"),
    "bad code": (["一.1", "", 1, None, None, None, None], None, "A", "not an item code"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_each_bad_row_is_reported_with_row_and_column_and_nothing_saved(case, standard, site_a, tmp_path):
    row, _unused, column, message = BAD_CASES[case]
    before = counts()
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=sheet([GOOD_ROWS[0], row]), filename="r.xlsx", standard=standard,
                                  date=datetime.date(2026, 4, 1), site=site_a)
    [error] = exc.value.errors
    assert (error.row, error.column) == (3, column)
    assert message in error.message
    assert counts() == before


def test_duplicate_code_reported_against_first_row(standard, site_a):
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=sheet([GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[0]]), filename="r.xlsx",
                                  standard=standard, date=datetime.date(2026, 4, 1), site=site_a)
    [error] = exc.value.errors
    assert (error.row, error.column) == (4, "A") and "row 2" in error.message


def test_all_errors_at_once(standard, site_a):
    rows = [row for row, *_ in BAD_CASES.values()]
    # Give each bad row a distinct code where the case allows, so every row reports its own error.
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=sheet(rows + [GOOD_ROWS[0], GOOD_ROWS[0]]), filename="r.xlsx",
                                  standard=standard, date=datetime.date(2026, 4, 1), site=site_a)
    assert len(exc.value.errors) >= len(BAD_CASES)
    assert {e.row for e in exc.value.errors} >= set(range(2, 2 + len(BAD_CASES))) | {len(rows) + 3}
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF-1.4 not a workbook", "r.xlsx", "not an Excel workbook"),
    (b"a,b,c\n1,2,3\n", "r.csv", "Required column missing"),
    (b"a,b,c\n1,2,3\n", "r.docx", "not a spreadsheet"),
    (b"", "r.xlsx", "empty"),
])
def test_bad_files(standard, site_a, data, name, message):
    with pytest.raises(SheetImportError, match=message):
        inspection_import_results(file=data, filename=name, standard=standard, date=datetime.date(2026, 4, 1),
                                  site=site_a)
    assert not Inspection.objects.exists()


def test_missing_code_column(standard, site_a):
    with pytest.raises(SheetImportError, match="Required column missing"):
        inspection_import_results(file=sheet([["x", 1]], header=["评价项目", "实得分"]), filename="r.xlsx",
                                  standard=standard, date=datetime.date(2026, 4, 1), site=site_a)


# ---------------------------------------------------------------- the command

def test_command_prints_id_last(standard, site_a, tmp_path, capsys):
    path = write(tmp_path, sheet(GOOD_ROWS))
    call_command("import_inspection_results", str(path), "--standard", str(standard.pk), "--site", site_a.code,
                 "--date", "2026-04-02")
    out = capsys.readouterr().out.strip().splitlines()
    inspection = Inspection.objects.get()
    assert out[-1] == str(inspection.pk)
    assert inspection.date == datetime.date(2026, 4, 2) and inspection.site == site_a


def test_command_unit_and_kind(standard, branch_a, tmp_path, capsys):
    path = write(tmp_path, sheet(GOOD_ROWS))
    call_command("import_inspection_results", str(path), "--standard", str(standard.pk), "--unit", branch_a.code,
                 "--kind", "spot_check", "--submit")
    inspection = Inspection.objects.get()
    assert (inspection.unit, inspection.kind, inspection.status) == (branch_a, "spot_check", "submitted")


def test_command_errors_go_to_stderr_and_nothing_is_saved(standard, site_a, tmp_path, capsys):
    path = write(tmp_path, sheet([BAD_CASES["unknown code"][0], BAD_CASES["earned above points"][0]]))
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_inspection_results", str(path), "--standard", str(standard.pk), "--site", site_a.code)
    err = capsys.readouterr().err
    assert "Row 2, column A" in err and "Row 3, column C" in err
    assert not Inspection.objects.exists()


def test_command_refuses_inactive_standard(site_a, tmp_path):
    from scoring.models import Standard

    from .factories import make_standard

    draft = make_standard(name="草稿", status=Standard.Status.DRAFT)
    path = write(tmp_path, sheet(GOOD_ROWS))
    with pytest.raises(CommandError):
        call_command("import_inspection_results", str(path), "--standard", str(draft.pk), "--site", site_a.code)
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_roll_up_table_reimports_to_the_same_results(standard, site_a, inspector_a, language):
    """Our own report's first sheet (a roll-up table with section rows carrying sums) is a valid
    results sheet: importing it gives the same scores."""
    from audits import services
    from audits.documents import render_report_xlsx

    original = inspection_import_results(file=sheet(GOOD_ROWS), filename="r.xlsx", standard=standard,
                                         date=datetime.date(2026, 4, 1), site=site_a, submit=True)
    exported = render_report_xlsx(original, language=language)
    again = inspection_import_results(file=exported, filename="report.xlsx", standard=standard,
                                      date=datetime.date(2026, 4, 2), site=site_a)

    def scores(inspection):
        return {(r.item.code, r.earned, r.not_applicable, r.serious_problems)
                for r in inspection.results.select_related("item")}
    assert scores(again) == scores(original)
    assert services.inspection_submit(inspection=again, by=inspector_a).status == Inspection.Status.SUBMITTED


def test_a_tampered_section_sum_is_refused(standard, site_a):
    from openpyxl import load_workbook

    from audits.documents import render_report_xlsx

    original = inspection_import_results(file=sheet(GOOD_ROWS), filename="r.xlsx", standard=standard,
                                         date=datetime.date(2026, 4, 1), site=site_a, submit=True)
    book = load_workbook(io.BytesIO(render_report_xlsx(original, language="zh-hans")))
    first = book.worksheets[0]
    header = [c.value for c in first[1]]
    earned_col = header.index("实得分") + 1
    first.cell(row=2, column=earned_col).value = 999  # row 2 is section 1
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=buffer.getvalue(), filename="t.xlsx", standard=standard,
                                  date=datetime.date(2026, 4, 2), site=site_a)
    [error] = exc.value.errors
    assert error.row == 2 and "add up to" in error.message
