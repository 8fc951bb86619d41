"""In the browser, at tablet size: a finding becomes a hazard, which is notified, answered by the
party (recorded on its behalf), accepted and closed; the status badge and the timeline follow
every step, and each step leaves a screenshot in artifacts/."""

import io

import pytest
from django.utils import timezone
from PIL import Image

from hazards.models import Hazard, Notice
from org.models import Role
from tests.e2e.conftest import assert_fits_tablet, login, screenshot
from tests.factories import make_user

from .factories import RiskCategoryFactory, today
from .test_views import days, make_inspection_with_problems

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (30, 140, 60)).save(out, "PNG")
    return out.getvalue()


def open_action(page, action: str):
    """Click the action's button; its form opens in the modal (fetched by htmx)."""
    page.click(f'#hazard-actions [data-action="{action}"]')
    page.wait_for_selector(f'#action-modal #action-form[data-action="{action}"]', state="visible")


def submit_action(page):
    with page.expect_navigation():
        page.click("#action-modal #action-submit")


def assert_state(page, status: str, actions: list[str]):
    assert page.locator("#hazard-status [data-status]").get_attribute("data-status") == status
    timeline = [li.get_attribute("data-action") for li in page.locator("#timeline li").all()]
    assert timeline == actions, timeline
    assert page.locator("#timeline li").last.get_attribute("data-to") == status


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_finding_to_closed_hazard_in_the_browser(page, live_server, site_a, branch_a, language):
    manager = make_user(branch_a, Role.MANAGER, username="mgr_loop", password="pw-123456")
    RiskCategoryFactory(code="OTHER", name="其他")
    inspection = make_inspection_with_problems(site_a, manager, problems=(("2.1.1", "配电室未设挡鼠板", "加装挡鼠板"),))
    login(page, live_server, "mgr_loop", "pw-123456")
    with page.expect_navigation():
        page.select_option("#language-select", language)
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh-hans" else "en")

    # Register from the finding, with the inspection page's button.
    page.goto(f"{live_server.url}/inspections/{inspection.pk}/")
    with page.expect_navigation():
        page.click("#create-hazards-button")
    assert f"inspection={inspection.pk}" in page.url
    hazard = Hazard.objects.get(source_result__inspection=inspection)
    rows = page.locator("#hazard-table tbody tr")
    assert rows.count() == 1 and rows.first.get_attribute("data-number") == hazard.number
    assert rows.first.locator("[data-status]").get_attribute("data-status") == "registered"
    assert_fits_tablet(page)
    screenshot(page, f"hazards-{language}-1-ledger-from-findings")

    # The finding has no deadline yet: the page says so, and the file is completed first.
    page.click(f"text={hazard.number}")
    page.wait_for_selector("#hazard-status")
    assert page.locator("#notify-missing").is_visible()
    assert page.locator('#hazard-actions [data-action="notify"]').count() == 0
    assert_state(page, "registered", ["register"])
    with page.expect_navigation():
        page.click('#hazard-actions [data-action="edit"]')
    page.fill("#id_deadline", days(14).isoformat())
    with page.expect_navigation():
        page.click("#hazard-submit")
    assert_state(page, "registered", ["register", "edit"])
    screenshot(page, f"hazards-{language}-2-registered")

    # Notify: one notice, issued as a stored PDF.
    with page.expect_navigation():
        page.click('#hazard-actions [data-action="notify"]')
    assert page.locator(f"#notify-{hazard.pk}").is_checked()
    screenshot(page, f"hazards-{language}-3-notify-form")
    with page.expect_navigation():
        page.click("#notify-submit")
    assert_state(page, "notified", ["register", "edit", "notify"])
    notice = Notice.objects.get(hazards=hazard)
    assert page.locator(".notice-link").inner_text().strip() == notice.number
    screenshot(page, f"hazards-{language}-4-notified")

    # The party's reply, recorded on its behalf, with a photo after rectification.
    open_action(page, "submit_reply")
    assert page.input_value("#action-modal #id_submitted_by_name") == site_a.contact_name
    page.fill("#action-modal #id_cause", "挡鼠板损坏后未及时更换")
    page.fill("#action-modal #id_handling", "已加装挡鼠板并封堵电缆孔洞")
    page.check('#action-modal input[name="result"][value="handled"]')
    page.set_input_files("#action-modal #id_photos", files=[{"name": "after.png", "mimeType": "image/png",
                                                              "buffer": png()}])
    screenshot(page, f"hazards-{language}-5-reply-form")
    submit_action(page)
    assert_state(page, "pending_acceptance", ["register", "edit", "notify", "submit_reply"])
    assert page.locator("#photos-card img").count() == 1

    # Acceptance on site, then closing (销号).
    open_action(page, "accept")
    page.fill("#action-modal #id_comment", "现场验收合格")
    submit_action(page)
    assert_state(page, "accepted", ["register", "edit", "notify", "submit_reply", "accept"])
    screenshot(page, f"hazards-{language}-6-accepted")

    open_action(page, "close")
    submit_action(page)
    assert_state(page, "closed", ["register", "edit", "notify", "submit_reply", "accept", "close"])
    assert page.locator("#no-actions").is_visible()
    assert_fits_tablet(page)
    screenshot(page, f"hazards-{language}-7-closed")

    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.CLOSED and timezone.localdate(hazard.closed_at) >= today()
