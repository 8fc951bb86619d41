"""Every xlsx we write opens in Excel/WPS as the user expects (issue 10): user text as text (never a
formula), text Excel cannot hold made storable instead of a crash, numbers as numbers, widths,
frozen header, A4 print setup with the header repeated; exports re-import to the same; the import
templates (standard; results in the 实得分 and 扣分 forms, in both languages) import unchanged."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from audits import documents as audit_documents
from audits.imports import inspection_import_results
from audits.models import Inspection
from scoring import documents as scoring_documents
from scoring import services
from scoring.models import StandardItem
from scoring.xlsx import SheetImportError
from tests.audits.factories import make_standard as make_active_standard

pytestmark = pytest.mark.django_db

# What users type or paste: leading =, +, -, @ (formula starters in Excel), Word's line and page
# breaks, other control characters, emoji, CJK extension B, right-to-left text.
HOSTILE = ["=1+1", "=HYPERLINK(\"http://x\",\"y\")", "+86 138", "-5 分", "@SUM(A1)", "=cmd|' /C calc'!A0",
           "第一行\x0b第二行", "分页\x0c之后", "控制\x01字符\x1f", "😀 𠀀 עברית"]


def _stored(text):
    """What an xlsx can hold of `text` (org.spreadsheets.xlsx_text)."""
    from org.spreadsheets import xlsx_text
    return xlsx_text(text)


def _cells(data: bytes, sheet_index=0):
    book = load_workbook(io.BytesIO(data))
    return book, book.worksheets[sheet_index]


def _assert_print_setup(sheet, *, title_rows="$1:$1"):
    assert sheet.page_setup.paperSize in (9, "9")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (1, "1")
    if title_rows:
        assert sheet.print_title_rows == title_rows


# ---------------------------------------------------------------- standard export

def test_standard_export_writes_text_as_text_and_reimports_the_same():
    rows = [["1", "总则", None, "", ""]] + [[f"1.{i}", f"项目{i}", 1, "", ""] for i in range(1, len(HOSTILE) + 1)]
    from tests.scoring.factories import make_xlsx
    standard = services.standard_import_xlsx(file=make_xlsx(rows), name="=恶意", filename="s.xlsx")
    for i, text in enumerate(HOSTILE, start=1):  # as typed in the admin or pasted from Word
        title = text.replace("\x0b", " ").replace("\x0c", " ") if i % 2 else f"项目{i}"
        StandardItem.objects.filter(standard=standard, code=f"1.{i}").update(criteria=text, title=title)
    data = services.standard_export_xlsx(standard)
    _book, sheet = _cells(data)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} was written as a formula"
    criteria = [sheet.cell(i + 3, 4).value for i in range(len(HOSTILE))]
    assert criteria == [_stored(t) for t in HOSTILE]
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width == 50
    assert isinstance(sheet.cell(3, 3).value, int | float)
    _assert_print_setup(sheet)
    again = services.standard_import_xlsx(file=data, name="再导入", filename="again.xlsx")
    original = list(standard.items.order_by("sort_key").values_list("code", "title", "points", "criteria"))
    assert list(again.items.order_by("sort_key").values_list("code", "title", "points", "criteria")) == [
        (c, _stored(t), p, _stored(k)) for c, t, p, k in original]


# ---------------------------------------------------------------- inspection report

@pytest.fixture
def active_standard(db):
    return make_active_standard()


def _results(standard, rows, site):
    from openpyxl import Workbook

    from org.spreadsheets import append_row
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "实得分", "存在问题", "整改措施"])
    for row in rows:
        append_row(sheet, row)  # the problems as text, as Excel keeps what a user types
    buffer = io.BytesIO()
    book.save(buffer)
    return inspection_import_results(file=buffer.getvalue(), filename="r.xlsx", standard=standard,
                                     date=datetime.date(2026, 4, 1), site=site)


@pytest.mark.parametrize("language, total_word", [("zh-hans", "合计"), ("en", "Total")])
def test_report_workbook_text_total_row_print_setup_and_reimport(active_standard, site_a, language, total_word):
    codes = ["1.1.2", "1.2.1", "1.2.2", "2.1.1", "2.1.2", "2.2.2", "1.1.1.1", "1.1.1.2", "2.2.1", "3.1"]
    rows = [[code, (3 if i == 0 else 1) if code != "3.1" else 0, HOSTILE[i] if i < 6 else "", HOSTILE[i]]
            for i, code in enumerate(codes)]
    inspection = _results(active_standard, rows, site_a)
    data = audit_documents.render_report_xlsx(inspection, language=language)
    book, table = _cells(data)
    problems = book.worksheets[1]
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} was written as a formula"
    assert [problems.cell(r, 3).value for r in range(2, 8)] == [_stored(t) for t in HOSTILE[:6]]
    last = table.max_row
    assert table.cell(last, 1).value is None and table.cell(last, 2).value == total_word
    assert table.cell(last, 4).value == 11  # 3 + 8 × 1 + 0
    assert isinstance(table.cell(2, 3).value, int | float) and table.cell(2, 3).number_format == "0.00"
    assert table.freeze_panes == "A2" and table.column_dimensions["B"].width == 60
    _assert_print_setup(table)
    _assert_print_setup(problems)
    # the report, total row included, re-imports to the same scores
    again = inspection_import_results(file=data, filename="report.xlsx", standard=active_standard,
                                      date=datetime.date(2026, 4, 2), site=site_a)
    scores = {(r.item.code, r.earned) for r in inspection.results.select_related("item")}
    assert {(r.item.code, r.earned) for r in again.results.select_related("item")} == scores


def test_a_tampered_report_total_is_refused(active_standard, site_a):
    inspection = _results(active_standard, [["1.1.2", 3, "", ""]], site_a)
    book, table = _cells(audit_documents.render_report_xlsx(inspection, language="zh-hans"))
    table.cell(table.max_row, 4).value = 99
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(SheetImportError) as exc:
        inspection_import_results(file=buffer.getvalue(), filename="t.xlsx", standard=active_standard,
                                  date=datetime.date(2026, 4, 2), site=site_a)
    [error] = exc.value.errors
    assert error.row == table.max_row and error.column == "D" and "99" in error.message


# ---------------------------------------------------------------- ledger export

def test_ledger_writer_text_and_print_setup(tmp_path):
    from hazards.exports import XlsxStreamWriter

    path = tmp_path / "ledger.xlsx"
    with XlsxStreamWriter(path, sheet_name="隐患台账", widths=[16, 40]) as writer:
        writer.write_row(["编号", "描述"], bold=True)
        for text in HOSTILE:
            writer.write_row(["YH-2026-000001", text])
        writer.write_row([Decimal("1.5"), datetime.date(2026, 3, 1)])
    book = load_workbook(path)
    sheet = book.active
    assert [sheet.cell(r, 2).value for r in range(2, 2 + len(HOSTILE))] == [_stored(t) for t in HOSTILE]
    assert all(sheet.cell(r, 2).data_type == "s" for r in range(2, 2 + len(HOSTILE)))
    assert sheet.cell(len(HOSTILE) + 2, 1).value == 1.5
    assert sheet.cell(len(HOSTILE) + 2, 2).value == datetime.datetime(2026, 3, 1)
    assert sheet.freeze_panes == "B2"
    _assert_print_setup(sheet)
    assert sheet.page_setup.orientation == "landscape"
    with zipfile.ZipFile(path) as archive:
        assert "&amp;P / &amp;N" in archive.read("xl/worksheets/sheet1.xml").decode()


# ---------------------------------------------------------------- import templates

@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_standard_template_imports_unchanged(language):
    data = scoring_documents.standard_template_xlsx(language=language)
    book, sheet = _cells(data)
    assert sheet.freeze_panes == "A2" and len(book.worksheets) == 2
    _assert_print_setup(sheet)
    standard = services.standard_import_xlsx(file=data, name=f"模板 {language}", filename="t.xlsx")
    assert standard.item_count == 5 and standard.total_points == Decimal(20)
    assert StandardItem.objects.get(standard=standard, code="1.1").serious


@pytest.mark.parametrize("form", ["earned", "deduction"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_results_templates_import_unchanged_as_full_marks(active_standard, site_a, form, language):
    data = audit_documents.results_template_xlsx(active_standard, form=form, language=language)
    book, sheet = _cells(data)
    assert sheet.freeze_panes == "C3" and sheet.cell(2, 1).value in ("序号", "code")
    _assert_print_setup(sheet, title_rows="$2:$2")
    assert sheet.cell(sheet.max_row, 4).data_type == "f"  # the total adds up as the user fills in
    inspection = inspection_import_results(file=data, filename="t.xlsx", standard=active_standard,
                                           date=datetime.date(2026, 4, 1), site=site_a)
    leaves = active_standard.items.filter(is_leaf=True)
    assert {(r.item.code, r.earned) for r in inspection.results.select_related("item")} == {
        (leaf.code, leaf.points) for leaf in leaves}


def test_a_filled_deduction_template_imports(active_standard, site_a):
    data = audit_documents.results_template_xlsx(active_standard, form="deduction", language="zh-hans")
    book, sheet = _cells(data)
    codes = {sheet.cell(r, 1).value: r for r in range(3, sheet.max_row)}
    sheet.cell(codes["1.2.1"], 4).value = 2
    sheet.cell(codes["1.2.1"], 5).value = "=未开展三级教育"  # text the user typed, starting with =
    sheet.cell(codes["1.2.1"], 5).data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    inspection = inspection_import_results(file=buffer.getvalue(), filename="t.xlsx", standard=active_standard,
                                           date=datetime.date(2026, 4, 1), site=site_a)
    result = inspection.results.get(item__code="1.2.1")
    assert result.earned == 3 and result.problem == "=未开展三级教育"


def test_an_earned_sheet_with_no_result_at_all_is_refused(active_standard, site_a):
    from django.utils import translation

    with translation.override("en"), pytest.raises(SheetImportError, match="nothing would be scored"):
        _results(active_standard, [["1.1.2", None, "问题", ""], ["1.2.1", None, "", ""]], site_a)
    assert not Inspection.objects.exists()


def test_template_downloads(client, manager_a, active_standard):
    client.force_login(manager_a)
    response = client.get(reverse("scoring:standard_template") + "?lang=en")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert "standard-template-en.xlsx" in response["Content-Disposition"]
    url = reverse("audits:inspection_import_template")
    response = client.get(url, {"standard": active_standard.pk, "form": "deduction", "lang": "zh-hans"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    load_workbook(io.BytesIO(response.content))
    assert client.get(url, {"standard": 999999, "form": "earned", "lang": "en"}).status_code == 404
    assert client.get(url, {"standard": active_standard.pk, "form": "x", "lang": "en"}).status_code == 404
    page = client.get(reverse("audits:inspection_import")).content.decode()
    assert 'id="results-template"' in page and 'id="template-form"' in page and 'id="template-standard"' in page
