"""In the browser, at tablet size (issue 11, faults 5 and 6): one notice over two hazards is
acknowledged from the first hazard's page, and the second hazard's page then shows it rectifying
with no receipt left to record; a second supervision notice shows what it cites."""

import datetime

import pytest

from hazards import services
from hazards.models import Hazard
from org.models import Role
from tests.e2e.conftest import assert_fits_tablet, login, screenshot, watch_csp
from tests.factories import make_user

from .factories import RiskCategoryFactory, register, today
from .test_e2e_hazard_loop import open_action, submit_action

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
DAY = datetime.timedelta(days=1)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_receipt_through_one_hazard_moves_the_other(page, live_server, site_a, branch_a, language, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    manager = make_user(branch_a, Role.MANAGER, username="mgr_ack", password="pw-123456")
    category = RiskCategoryFactory(code="ELEC", name="电气")
    first, second = (register(site=site_a, by=manager, category=category, deadline=today() + (10 + i) * DAY)
                     for i in range(2))
    notice = services.hazard_notify(hazards=[first, second], by=manager, language=language)
    errors = watch_csp(page)
    login(page, live_server, "mgr_ack", "pw-123456")
    with page.expect_navigation():
        page.select_option("#language-select", language)

    page.goto(f"{live_server.url}/hazards/{first.pk}/")
    open_action(page, "acknowledge")
    assert second.number in page.locator("#action-modal #action-form").inner_text()  # moves with it
    page.fill("#action-modal #id_acknowledged_by_name", "王建国")
    submit_action(page)
    assert notice.number in page.locator(".alert-success").first.inner_text()
    assert page.locator("#hazard-status [data-status]").get_attribute("data-status") == "rectifying"
    screenshot(page, f"notice-receipt-{language}-1-first")

    page.goto(f"{live_server.url}/hazards/{second.pk}/")
    assert page.locator("#hazard-status [data-status]").get_attribute("data-status") == "rectifying"
    assert page.locator('#hazard-actions [data-action="acknowledge"]').count() == 0
    assert page.locator('#timeline li[data-action="acknowledge"]').count() == 1
    assert_fits_tablet(page)
    screenshot(page, f"notice-receipt-{language}-2-second")
    assert Hazard.objects.filter(pk__in=[first.pk, second.pk], status="rectifying").count() == 2
    assert not errors, errors


def test_the_second_supervision_shows_its_chain(page, live_server, site_a, branch_a, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    manager = make_user(branch_a, Role.MANAGER, username="mgr_dd", password="pw-123456")
    hazard = register(site=site_a, by=manager, category=RiskCategoryFactory(code="ELEC", name="电气"),
                      deadline=today() + 5 * DAY)
    original = services.hazard_notify(hazards=[hazard], by=manager)
    d0 = hazard.deadline
    monkeypatch.setattr(services.notices, "local_today", lambda: d0 + 3 * DAY)
    first = services.hazard_supervise(hazard=Hazard.objects.get(pk=hazard.pk), new_deadline=d0 + 10 * DAY,
                                      by=manager)
    monkeypatch.setattr(services.notices, "local_today", lambda: d0 + 14 * DAY)
    second = services.hazard_supervise(hazard=Hazard.objects.get(pk=hazard.pk), new_deadline=d0 + 30 * DAY,
                                       by=manager)
    login(page, live_server, "mgr_dd", "pw-123456")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    cited = page.locator(f'.notice-chain[data-notice="{second.number}"]').inner_text()
    assert original.number in cited and first.number in cited and (d0 + 10 * DAY).isoformat() in cited
    assert_fits_tablet(page)
    screenshot(page, "notice-supervision-chain-en")
