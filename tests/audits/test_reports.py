import datetime
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from audits import documents, services

from .factories import item

pytestmark = pytest.mark.django_db

# (code, earned or "NA", serious problems, problem, measure)
RESULTS = [
    ("1.1.1.1", "2.5", 1, "主要负责人未签署安全责任书", "由主要负责人补签责任书并公示"),
    ("1.1.1.2", "2.25", 0, "", ""),
    ("1.1.2", "3.33", 0, "", ""),
    ("1.2.1", "NA", 0, "", ""),
    ("1.2.2", "4.5", 2, "2 名电工作业证过期", "停岗复训，取证后上岗"),
    ("2.1.1", "1.99", 0, "", ""),
    ("2.1.2", "0", 0, "绝缘手套超期未试验", "送检并建立试验台账"),
    ("2.2.1", "NA", 0, "", ""),
    ("2.2.2", "NA", 0, "", ""),
    ("3.1", "0", 0, "", ""),
]

# 序号 | 评价项目 | 应得分 | 实得分 | 得分率(%) | 严重问题数, in tree order, exact to the cent.
EXPECTED = [
    ("1", "安全管理", "14.75", "12.58", "85.29", 3),
    ("1.1", "安全责任制", "9.75", "8.08", "82.87", 1),
    ("1.1.1", "责任制建立", "5.75", "4.75", "82.61", 1),
    ("1.1.1.1", "主要负责人职责明确", "3.50", "2.50", "71.43", 1),
    ("1.1.1.2", "岗位责任制覆盖全员", "2.25", "2.25", "100.00", 0),
    ("1.1.2", "责任制考核", "4.00", "3.33", "83.25", 0),
    ("1.2", "安全培训", "5.00", "4.50", "90.00", 2),
    ("1.2.1", "三级安全教育", "0.00", "0.00", "—", 0),
    ("1.2.2", "特种作业人员持证", "5.00", "4.50", "90.00", 2),
    ("2", "设备设施", "5.00", "1.99", "39.80", 0),
    ("2.1", "变配电室", "5.00", "1.99", "39.80", 0),
    ("2.1.1", "防小动物措施", "2.00", "1.99", "99.50", 0),
    ("2.1.2", "绝缘工具定期试验", "3.00", "0.00", "0.00", 0),
    ("2.2", "自备发电机", "0.00", "0.00", "—", 0),
    ("2.2.1", "防倒送电闭锁装置", "0.00", "0.00", "—", 0),
    ("2.2.2", "发电机定期试运行", "0.00", "0.00", "—", 0),
    ("3", "附加说明（不计分）", "0.00", "0.00", "—", 0),
    ("3.1", "现场照片留存", "0.00", "0.00", "—", 0),
]


@pytest.fixture
def recorded(inspection, standard, inspector_a):
    for code, earned, serious, problem, measure in RESULTS:
        services.result_save(inspection=inspection, item=item(standard, code), by=inspector_a,
                             earned=None if earned == "NA" else Decimal(earned), not_applicable=earned == "NA",
                             serious_problems=serious, problem=problem, measure=measure)
    services.inspection_submit(inspection=inspection, by=inspector_a)
    return inspection


def _cell(value):
    return value if isinstance(value, str) else f"{Decimal(str(value)):.2f}"


def test_xlsx_rollup_sheet_is_exact(recorded):
    workbook = load_workbook(io.BytesIO(documents.render_report_xlsx(recorded, language="zh-hans")))
    table = workbook.worksheets[0]
    rows = list(table.iter_rows(values_only=True))
    assert rows[0] == ("序号", "评价项目", "应得分", "实得分", "得分率(%)", "严重问题数")
    body, total = rows[1:-1], rows[-1]
    assert len(body) == len(EXPECTED)
    # the total row (合计) that other organisations' roll-up tables end with, and that re-imports
    assert total[:2] == (None, "合计") and isinstance(total[2], int | float)
    for got, want in zip(body, EXPECTED, strict=True):
        code, title, points, earned, rate, serious = got
        assert (code, title, serious) == (want[0], want[1], want[5])
        # Numbers are numbers (the rate is "—" when nothing is applicable).
        assert isinstance(points, int | float) and isinstance(earned, int | float)
        assert (_cell(points), _cell(earned), _cell(rate)) == want[2:5]
    # Indentation by level.
    assert table["B5"].alignment.indent == 3 and table["B2"].alignment.indent == 0


def test_xlsx_problem_sheet_by_code(recorded):
    workbook = load_workbook(io.BytesIO(documents.render_report_xlsx(recorded, language="zh-hans")))
    rows = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert rows[0] == ("序号", "评价项目", "存在问题", "整改措施")
    assert [r[0] for r in rows[1:]] == ["1.1.1.1", "1.2.2", "2.1.2"]
    assert rows[2][2:] == ("2 名电工作业证过期", "停岗复训，取证后上岗")


def test_xlsx_english_headers(recorded):
    workbook = load_workbook(io.BytesIO(documents.render_report_xlsx(recorded, language="en")))
    assert next(workbook.worksheets[0].iter_rows(values_only=True)) == (
        "Code", "Item", "Standard points", "Earned points", "Score rate (%)", "Serious problems")
    assert next(workbook.worksheets[1].iter_rows(values_only=True)) == (
        "Code", "Item", "Problem", "Rectification measure")


def test_totals(recorded):
    from audits.selectors import scoresheet

    total = scoresheet(recorded).total
    assert (total.points, total.earned, total.rate, total.serious_problems) == (
        Decimal("19.75"), Decimal("14.57"), Decimal("73.77"), 3)


needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")


@needs_poppler
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pdf_text_and_embedded_cjk_font(recorded, tmp_path, language):
    path = tmp_path / "report.pdf"
    call_command("export_inspection", str(recorded.pk), "--format", "pdf", "--output", str(path), "--lang", language)
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert recorded.number in text
    assert "主要负责人未签署安全责任书" in text and "绝缘手套超期未试验" in text
    if language == "zh-hans":
        assert "序号" in text and "得分率(%)" in text and "严重问题数" in text
        assert "第1页/共" in text.replace(" ", "")
    else:
        assert "Rectification measure" in text and "Page 1 of" in text
    # The totals row and a "—" row of a section whose items are all not applicable.
    assert "73.77" in text and "85.29" in text and "—" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk), fonts


def test_export_xlsx_command(recorded, tmp_path):
    path = tmp_path / "out" / "report.xlsx"
    call_command("export_inspection", str(recorded.pk), "--format", "xlsx", "--output", str(path))
    workbook = load_workbook(path)
    assert workbook.worksheets[0].max_row == len(EXPECTED) + 2  # header, items, total


def test_inspection_problems_seam(recorded):
    from audits.selectors import inspection_problems

    assert [r.item.code for r in inspection_problems(recorded)] == ["1.1.1.1", "1.2.2", "2.1.2"]


def test_draft_report_works_too(inspection):
    assert documents.render_report_xlsx(inspection)
    assert inspection.date == datetime.date(2026, 3, 2)
