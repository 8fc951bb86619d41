"""In the browser at 1024×768, in Chinese and English (issue 11, fault 7 and working-day deadlines):
"5 working days" typed beside a deadline shows the date it gives before saving; an acknowledgement
recorded today from yesterday's signed paper shows yesterday in the timeline, beside the entry time."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from core.dates import today_local, working_days_after
from hazards import services
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, register

from .conftest import assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LANGUAGES = ["zh-hans", "en"]
DAY = datetime.timedelta(days=1)


def _switch(page, language):
    if page.input_value("#language-select") != language:
        with page.expect_navigation():
            page.select_option("#language-select", language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_five_working_days_show_their_date_before_saving(page, live_server, site_a, language):
    make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    RiskCategoryFactory(code="ELEC", name="电气设备缺陷")
    expected = working_days_after(today_local(), 5).isoformat()
    violations = watch_csp(page)
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)
    page.goto(f"{live_server.url}{reverse('hazards:hazard_create')}")
    page.fill("#id_deadline_wd", "5 working days" if language == "en" else "5 个工作日")
    expect(page.locator("#id_deadline")).to_have_value(expected)
    expect(page.locator("#id_deadline_wd_note")).to_contain_text(expected)
    assert_fits_tablet(page)
    screenshot(page, f"working-days-{language}")
    assert violations == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_yesterdays_signed_notice_shows_yesterday_in_the_timeline(page, live_server, site_a, language,
                                                                   monkeypatch):
    manager = make_user(site_a.unit.parent, "manager", username="mgr", password="Mgr#2026")
    category = RiskCategoryFactory(code="ELEC", name="电气设备缺陷")
    # Given a hazard notified three days ago
    real_now = timezone.now
    monkeypatch.setattr("django.utils.timezone.now", lambda: real_now() - 3 * DAY)
    hazard = register(site=site_a, by=manager, category=category)
    services.hazard_notify(hazards=[hazard], by=manager)
    monkeypatch.setattr("django.utils.timezone.now", real_now)
    yesterday = (today_local() - DAY).isoformat()

    violations = watch_csp(page)
    login(page, live_server, "mgr", "Mgr#2026")
    _switch(page, language)
    # When the acknowledgement signed on paper yesterday is recorded today
    page.goto(f"{live_server.url}{reverse('hazards:hazard_action', args=[hazard.pk, 'acknowledge'])}")
    page.fill("#id_acknowledged_on", yesterday)
    assert_fits_tablet(page)
    with page.expect_navigation():
        page.click("#action-submit")
    # Then the timeline shows when it was entered and the day it was signed
    page.wait_for_url(f"{live_server.url}{reverse('hazards:hazard_detail', args=[hazard.pk])}")
    row = page.locator('#timeline li[data-action="acknowledge"]')
    assert row.locator(f'[data-effective="{yesterday}"]').count() == 1
    text = row.inner_text()
    assert yesterday in text and today_local().isoformat() in text
    assert ("effective" in text) if language == "en" else ("生效日期" in text)
    assert page.locator("[data-acknowledged-on]").first.inner_text() == yesterday
    assert_fits_tablet(page)
    screenshot(page, f"acknowledged-yesterday-{language}")
    assert violations == []
