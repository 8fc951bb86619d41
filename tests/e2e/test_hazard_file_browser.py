"""In the browser at 1024×768, in Chinese and English: the hazard page's "print hazard file" button
shows its progress and downloads the hazard's PDF; the ledger's "hazard files (zip)" downloads the
zip of the filtered list; above the cap the ledger says so and the button is disabled."""

import io
import zipfile

import pytest
from django.urls import reverse

from hazards.models import HazardPhoto
from hazards.services import hazard_photo_add
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, S, image_upload, make_hazard

from .conftest import assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["zh-hans", "en"]
BUSY = {"zh-hans": "正在生成文件…", "en": "Preparing the document…"}


def _switch(page, language):
    if page.input_value("#language-select") != language:
        with page.expect_navigation():
            page.select_option("#language-select", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_download_the_hazard_file_then_the_ledgers_zip(page, live_server, site_a, settings, language):
    manager = make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    category = RiskCategoryFactory(code="E", name="电气")
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager, category=category)
    hazard_photo_add(hazard=hazard, kind=HazardPhoto.Kind.BEFORE, image=image_upload(), by=manager)
    other = make_hazard(S.REGISTERED, site=site_a, by=manager, category=category, location="2 号配电室")
    violations = watch_csp(page)
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)

    page.goto(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")
    assert_fits_tablet(page)
    with page.expect_download() as download:
        page.click("#download-hazard-file")
        busy = page.locator("#download-hazard-file .hz-busy")
        busy.wait_for(state="visible", timeout=2000)
        assert busy.inner_text().strip() == BUSY[language]
        screenshot(page, f"hazard-file-progress-{language}")
    assert download.value.suggested_filename == f"{hazard.number}.pdf"
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    page.locator("#download-hazard-file .hz-busy").wait_for(state="detached")

    page.goto(f"{live_server.url}{reverse('hazards:hazard_list')}?site={site_a.pk}")
    assert_fits_tablet(page)
    with page.expect_download(timeout=60000) as download:
        page.click("#export-zip")
    assert download.value.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    assert sorted(archive.namelist()) == sorted([f"{hazard.number}.pdf", f"{other.number}.pdf", "manifest.xlsx"])
    screenshot(page, f"hazard-files-zip-{language}")

    # Over the cap: the ledger tells the user to narrow the filter, before any click.
    settings.HAZARD_FILE_ZIP_MAX = 1
    page.reload()
    assert page.locator("#export-zip").is_disabled()
    refusal = page.locator("#export-zip-refusal").inner_text()
    assert "2" in refusal and "1" in refusal
    assert_fits_tablet(page)
    screenshot(page, f"hazard-files-zip-cap-{language}")
    assert not violations, violations
