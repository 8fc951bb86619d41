"""In the browser at 1024×768, in Chinese and English (issue 11, fault 10): a report that takes
seconds shows that it is being prepared and then downloads; a leader opening "register hazard" is
refused before any form; an action form on its own page has its inner padding."""

import datetime
import time

import pytest
from django.urls import reverse

from audits import documents
from audits import services as audit_services
from tests.audits.factories import make_standard
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, S, make_hazard

from .conftest import assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["zh-hans", "en"]


def _switch(page, language):
    if page.input_value("#language-select") != language:
        with page.expect_navigation():
            page.select_option("#language-select", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_slow_report_shows_progress_then_downloads(page, live_server, site_a, monkeypatch, language):
    inspector = make_user(site_a.unit.parent, "inspector", username="insp", password="Insp#2026")
    inspection = audit_services.inspection_create(standard=make_standard(), kind="periodic", site=site_a,
                                                  date=datetime.date(2026, 11, 2), by=inspector)
    real = documents.render_report

    def slow(*args, **kwargs):
        time.sleep(1.5)  # a report of a few hundred items with photos
        return real(*args, **kwargs)

    monkeypatch.setattr(documents, "render_report", slow)
    violations = watch_csp(page)
    login(page, live_server, "insp", "Insp#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('audits:inspection_detail', args=[inspection.pk])}")
    with page.expect_download() as download:
        page.click("#download-pdf")
        busy = page.locator("#download-pdf .hz-busy")
        busy.wait_for(state="visible", timeout=1000)
        assert busy.inner_text().strip() == ("正在生成文件…" if language == "zh-hans" else "Preparing the document…")
        screenshot(page, f"report-progress-{language}")
    assert download.value.suggested_filename == f"{inspection.number}.pdf"
    page.locator("#download-pdf .hz-busy").wait_for(state="detached")
    assert not violations, violations


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_leader_is_refused_before_the_register_form(page, live_server, site_a, language):
    make_user(site_a.unit.parent, "leader", username="lead", password="Lead#2026")
    login(page, live_server, "lead", "Lead#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('hazards:hazard_create')}")
    assert page.locator("#action-refusal").is_visible()
    assert page.locator("#hazard-form").count() == 0
    assert_fits_tablet(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_action_form_on_its_own_page_has_inner_padding(page, live_server, site_a, language):
    manager = make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager, category=RiskCategoryFactory(code="E", name="电气"))
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('hazards:hazard_action', args=[hazard.pk, 'service'])}")
    for selector in ("#action-card .modal-header", "#action-card .modal-body", "#action-card .modal-footer"):
        padding = page.evaluate(f"parseFloat(getComputedStyle(document.querySelector('{selector}')).paddingLeft)")
        assert padding >= 12, (selector, padding)
    assert_fits_tablet(page)
    screenshot(page, f"action-page-padding-{language}")
