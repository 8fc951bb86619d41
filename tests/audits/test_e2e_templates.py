"""In the browser (issue 10): a manager downloads the import templates from the import pages and
uploads them unchanged; the standard imports, the results import as full marks."""

import datetime
import os
import re
from pathlib import Path

import pytest

from audits.models import Inspection
from org.models import Role
from scoring.models import Standard
from tests.e2e.conftest import assert_fits_tablet, login, screenshot, watch_csp
from tests.factories import make_user

from .factories import make_standard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _async_unsafe():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _download(page, selector) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    download = info.value
    path = Path(download.path())
    assert download.suggested_filename.endswith(".xlsx") and path.stat().st_size > 1000
    return path


def test_templates_download_and_import_unchanged(page, live_server, branch_a, site_a):
    # A manager of the company's top unit: standards are company-wide (scoring/lifecycle.py).
    make_user(branch_a.parent, Role.MANAGER, username="tpl_mgr", password="pw-123456")
    standard = make_standard(name="模板用评价标准")
    violations = watch_csp(page)
    login(page, live_server, "tpl_mgr", "pw-123456")

    # the standard template, in English, uploaded as it came
    page.goto(f"{live_server.url}/standards/import/")
    english = _download(page, "#template-en")
    _download(page, "#template-zh")
    page.fill("#id_name", "From the template")
    page.set_input_files("#id_file", str(english))
    page.click("#import-submit")
    page.wait_for_selector("#item-tree")
    assert Standard.objects.get(name="From the template").item_count == 5

    # the results template of an active standard, in the 扣分 form, uploaded as it came
    page.goto(f"{live_server.url}/inspections/import/")
    assert_fits_tablet(page)
    page.select_option("#template-standard", str(standard.pk))
    page.select_option("#template-form", "deduction")
    page.select_option("#template-lang", "zh-hans")
    screenshot(page, "inspection-import-template")
    sheet = _download(page, "#template-download")
    page.set_input_files("#id_file", str(sheet))
    page.select_option("#id_standard", str(standard.pk))
    page.select_option("#id_site", str(site_a.pk))
    # a date safely in the past whatever the time zones of server and browser
    page.fill("#id_date", (datetime.date.today() - datetime.timedelta(days=2)).isoformat())
    invalid = page.evaluate("Array.from(document.querySelectorAll('#import-form :invalid')).map(e => e.id)")
    assert invalid == [], invalid
    with page.expect_navigation():
        page.click("#import-submit")
    screenshot(page, "inspection-import-template-result")
    assert page.locator("#sheet-errors, #form-errors").count() == 0, page.locator("main").inner_text()[:2000]
    page.wait_for_url(re.compile(r"/inspections/\d+/$"))
    inspection = Inspection.objects.get()
    leaves = {item.code: item.points for item in standard.items.filter(is_leaf=True)}
    assert {r.item.code: r.earned for r in inspection.results.select_related("item")} == leaves
    assert violations == []
