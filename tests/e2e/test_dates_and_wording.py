"""In the browser at 1024×768, in Chinese and in English (issue 11, faults 3 and 8): the new
inspection's required date starts filled with today (the browser accepted the ISO value) and is
sent as typed; the language menu names each language in itself; a severity change reads as its
labels in the history."""

import datetime

import pytest
from django.urls import reverse

from audits.models import Inspection
from hazards import services as hazard_services
from hazards.models import Hazard
from tests.audits.factories import make_standard
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, register

from .conftest import assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _switch(page, language):
    if page.input_value("#language-select") != language:
        with page.expect_navigation():
            page.select_option("#language-select", language)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_inspection_date_starts_as_today_and_is_kept(page, live_server, site_a, language):
    standard = make_standard()
    make_user(site_a.unit.parent, "inspector", username="insp", password="Insp#2026")
    violations = watch_csp(page)
    login(page, live_server, "insp", "Insp#2026")
    _switch(page, language)
    options = page.locator("#language-select option").all_inner_texts()
    assert [o.strip() for o in options] == ["简体中文", "English"], options

    page.goto(f"{live_server.url}{reverse('audits:inspection_create')}")
    today = datetime.date.today().isoformat()
    assert page.input_value("#id_date") == today  # an empty field here was fault 3
    assert_fits_tablet(page)
    screenshot(page, f"inspection-create-date-{language}")
    page.select_option("#id_site", str(site_a.pk))
    page.select_option("#id_standard", str(standard.pk))
    with page.expect_navigation():
        page.click("#create-submit")
    assert Inspection.objects.get().date.isoformat() == today
    assert not violations, violations


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_history_reads_a_severity_change_by_its_labels(page, live_server, site_a, language):
    manager = make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    hazard = register(site=site_a, by=manager, category=RiskCategoryFactory(code="ELEC", name="电气设备缺陷"))
    hazard_services.hazard_update(hazard=hazard, by=manager, severity=Hazard.Severity.MAJOR)
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")
    timeline = page.locator("#timeline").inner_text()
    expected = "一般隐患 → 重大隐患" if language == "zh-hans" else "General hazard → Major hazard"
    assert expected in timeline, timeline
    assert "general →" not in timeline
    assert_fits_tablet(page)
    screenshot(page, f"hazard-history-severity-{language}")
