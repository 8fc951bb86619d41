"""In the browser at 1024×768: an inspector creates a small inspection, records it (full marks, a
number, not applicable, a refused value, a problem), submits it and downloads its PDF report."""

import subprocess
from decimal import Decimal

import pytest

from audits.models import Inspection
from tests.e2e.conftest import assert_fits_tablet, assert_static_loaded, login, screenshot
from tests.factories import make_user

from .factories import make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL_TREE = [
    ("1", "用电安全管理", None, False),
    ("1.1", "配备持证电工", "10", True),
    ("1.2", "值班巡视记录完整", "5", False),
    ("2", "受电设施", None, False),
    ("2.1", "配电室防小动物措施", "3", False),
    ("2.2", "自备电源防倒送电闭锁", "8", True),
]


def _row(page, code):
    return page.locator(f'.result-row[data-code="{code}"]')


def _wait_saved(row):
    row.locator('.result-state[data-state]:not([data-state="unscored"])').wait_for()


def test_inspector_records_submits_and_downloads_report(page, live_server, site_a, tmp_path):
    standard = make_standard(SMALL_TREE, name="小型检查表")
    make_user(site_a.unit.parent, "inspector", username="field_insp", password="Field#2026",
              full_name="王检查")
    login(page, live_server, "field_insp", "Field#2026")

    # Create the inspection.
    page.goto(f"{live_server.url}/inspections/")
    assert_static_loaded(page)
    page.click("#create-link")
    page.select_option("#id_site", str(site_a.pk))
    page.select_option("#id_standard", str(standard.pk))
    page.select_option("#id_kind", "periodic")
    page.fill("#id_date", "2026-11-20")
    with page.expect_navigation():
        page.click("#create-submit")
    page.wait_for_url("**/record/1/")
    inspection = Inspection.objects.get()
    assert_fits_tablet(page)

    # Section 1: full marks, then a typed value with a problem and a serious problem.
    row = _row(page, "1.1")
    row.locator(".quick-full").click()
    _wait_saved(row)
    row = _row(page, "1.2")
    row.locator("summary").click()
    row.locator("textarea[name=problem]").fill("9 月有 6 天无巡视记录")
    row.locator("textarea[name=measure]").fill("完善巡视记录并每周抽查")
    row.locator(".earned-input").fill("3.5")
    row.locator(".earned-input").press("Tab")
    _wait_saved(row)
    page.locator('#running-totals [data-total="earned"]', has_text="13.50").wait_for()
    assert page.locator('#running-totals [data-total="points"]').inner_text() == "26.00"
    screenshot(page, "audits-record-section-1")

    # Section 2: a value above the standard points is refused inline, then N/A and 0.
    page.click("#next-section")
    page.wait_for_url("**/record/2/")
    row = _row(page, "2.1")
    row.locator(".earned-input").fill("4")
    row.locator(".earned-input").press("Tab")
    row.locator(".result-errors").wait_for()
    assert "3.00" in row.locator(".result-errors").inner_text()
    row.locator(".quick-zero").click()
    row.locator('.result-state[data-state="scored"]').wait_for()
    row = _row(page, "2.2")
    row.locator(".quick-na").click()
    row.locator('.result-state[data-state="na"]').wait_for()
    page.locator('#running-totals [data-total="points"]', has_text="18.00").wait_for()
    assert page.locator('#running-totals [data-total="rate"]').inner_text() == "75.00"
    assert_fits_tablet(page)
    screenshot(page, "audits-record-section-2")

    # Submit with the confirmation.
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#submit-button")
    page.wait_for_url(f"**/inspections/{inspection.pk}/")
    inspection.refresh_from_db()
    assert inspection.status == "submitted"
    assert page.locator("#rollup-table").is_visible()
    assert "9 月有 6 天无巡视记录" in page.locator("#problem-table").inner_text()
    screenshot(page, "audits-detail")
    results = {r.item.code: r for r in inspection.results.select_related("item")}
    assert results["1.2"].earned == Decimal("3.5") and results["2.2"].not_applicable

    # Download the PDF report.
    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    assert download.suggested_filename == f"{inspection.number}.pdf"
    path = tmp_path / "report.pdf"
    download.save_as(path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert inspection.number in text and "9 月有 6 天无巡视记录" in text and "75.00" in text
