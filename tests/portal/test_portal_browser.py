"""The party's whole path in the browser, at phone size (390×844), in Chinese and in English: the
notice e-mail arrives in the local mailbox, its link opens the portal without logging in, the
party draws a signature and acknowledges, asks for an extension, replies with a photo; then the
inspector sees it on the timeline and accepts. Any CSP violation fails the test."""

import datetime
import io
import re

import pytest
from django.db import transaction
from PIL import Image

from hazards.models import ExtensionRequest, Hazard, Notice
from notifications import mailbox
from notifications.services import notice_email_enqueue
from portal.models import PartyAction
from tests.e2e.conftest import CHROMIUM, login, screenshot, watch_csp
from tests.hazards.factories import RiskCategoryFactory, make_hazard

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}

TEXT = {
    "zh-hans": {"acknowledged": "谢谢：您的签收及签名已记录。", "extension": "延期申请已记录",
                "reply": "的回复已记录", "ask": "申请延期", "answer": "回复：整改情况"},
    "en": {"acknowledged": "Thank you: your acknowledgement of receipt is recorded",
           "extension": "Your extension request for hazard", "reply": "Your reply on hazard",
           "ask": "Ask for an extension", "answer": "Reply: rectification done"},
}


@pytest.fixture
def mailed(settings, tmp_path, site_a, inspector_a, small_pdf, monkeypatch, live_server):
    """A notice issued to the party and e-mailed through the outbox into the local mailbox."""
    monkeypatch.setattr("hazards.documents.render_notice_pdf", lambda notice, hazards=None: small_pdf)
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "notifications.mailbox.MailboxBackend"
    settings.LOCAL_MAILBOX_DIR = str(tmp_path / "mailbox")
    hazard = make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=inspector_a, category=RiskCategoryFactory())
    with transaction.atomic():
        notice_email_enqueue(notice=hazard.notices.get())
    [name] = mailbox.mail_names()
    body = mailbox.mail_read(name).body
    url = re.search(rf"{re.escape(live_server.url)}/p/\S+/", body).group(0)
    return hazard, url


def _photo(tmp_path):
    path = tmp_path / "after.jpg"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 140, 60)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return str(path)


def _sign(page):
    canvas = page.locator("#signature-pad")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 30, y)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + 30 + i * 22, y + (20 if i % 2 else -20), steps=4)
    page.mouse.up()


def _fits_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_party_signs_asks_for_an_extension_and_replies_on_a_phone(browser, live_server, mailed, inspector_a,
                                                                  tmp_path, language):
    hazard, url = mailed
    text = TEXT[language]
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    page = context.new_page()
    violations = watch_csp(page)

    # The e-mailed link, opened without logging in: the secret leaves the address bar.
    page.goto(url)
    assert re.fullmatch(rf"{re.escape(live_server.url)}/p/[A-Za-z0-9_-]{{16}}/", page.url)
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    if language == "en":
        with page.expect_navigation():
            page.click("#lang-en")
        assert page.locator("html").get_attribute("lang") == "en"
    assert hazard.number in page.locator(f"#hazard-{hazard.pk}").inner_text()
    _fits_phone(page)
    screenshot(page, f"portal-{language}-1-notice")

    # Acknowledge: an empty signature is refused in the page, then a drawn one is accepted.
    page.fill("#ack-acknowledged_by_name", "王建国")
    page.click("#acknowledge-submit")
    page.locator("#signature-empty").wait_for(state="visible")
    _sign(page)
    with page.expect_navigation():
        page.click("#acknowledge-submit")
    assert text["acknowledged"] in page.locator("#portal-message").inner_text()
    assert page.locator("#acknowledged-pdf").count() == 1
    screenshot(page, f"portal-{language}-2-acknowledged")

    # Ask for an extension.
    page.locator(f"#extension-{hazard.pk} > summary").click()
    assert text["ask"] in page.locator(f"#extension-{hazard.pk} > summary").inner_text()
    wanted = Hazard.objects.get(pk=hazard.pk).deadline + datetime.timedelta(days=10)
    page.fill(f"#h{hazard.pk}-ext-requested_deadline", wanted.isoformat())
    page.fill(f"#h{hazard.pk}-ext-reason", "备件到货延迟" if language == "zh-hans" else "Spare parts are late")
    page.fill(f"#h{hazard.pk}-ext-requested_by_name", "王建国")
    with page.expect_navigation():
        page.click(f"#extension-submit-{hazard.pk}")
    assert text["extension"] in page.locator("#portal-message").inner_text()
    assert page.locator(f'#hazard-{hazard.pk} [data-extension="pending"]').count() == 1

    # Reply with a photo from the "camera".
    page.locator(f"#reply-{hazard.pk} > summary").click()
    assert text["answer"] in page.locator(f"#reply-{hazard.pk} > summary").inner_text()
    page.fill(f"#h{hazard.pk}-reply-submitted_by_name", "王建国")
    page.fill(f"#h{hazard.pk}-reply-cause", "设备老化")
    page.fill(f"#h{hazard.pk}-reply-handling", "已紧固接地线并测试合格")
    page.check(f"#h{hazard.pk}-reply-result_0")
    page.set_input_files(f"#h{hazard.pk}-reply-photos", _photo(tmp_path))
    _fits_phone(page)
    screenshot(page, f"portal-{language}-3-reply-form")
    with page.expect_navigation():
        page.click(f"#reply-submit-{hazard.pk}")
    assert text["reply"] in page.locator("#portal-message").inner_text()
    photo = page.locator(f"#hazard-{hazard.pk} [data-reply] img")
    assert photo.count() == 1
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0"), "the reply photo did not load"
    _fits_phone(page)
    screenshot(page, f"portal-{language}-4-replied")
    assert violations == []
    context.close()

    # What was recorded: the party as the actor, its signature, the acknowledged copy.
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert hazard.status == Hazard.Status.PENDING_ACCEPTANCE
    assert ExtensionRequest.objects.get(hazard=hazard).status == ExtensionRequest.Status.PENDING
    assert PartyAction.objects.filter(hazard=hazard).count() == 3
    assert PartyAction.objects.get(hazard=hazard, action="acknowledge").signature
    assert Notice.objects.get(pk=hazard.notices.get().pk).signed_scan

    # The inspector sees the steps on the timeline and accepts.
    staff = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    staff_page = staff.new_page()
    staff_violations = watch_csp(staff_page)
    login(staff_page, live_server, inspector_a.username, "pw-123456")
    staff_page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    assert staff_page.locator('#timeline li[data-action="acknowledge"] [data-via="portal"]').count() == 1
    assert staff_page.locator('#timeline li[data-action="submit_reply"] [data-via="portal"]').count() == 1
    staff_page.goto(f"{live_server.url}/hazards/{hazard.pk}/act/accept/")
    staff_page.fill("#id_comment", "现场验收合格")
    with staff_page.expect_navigation():
        staff_page.click("#action-submit")
    assert Hazard.objects.get(pk=hazard.pk).status == Hazard.Status.ACCEPTED
    assert staff_violations == []
    staff.close()


def test_a_bad_link_in_the_browser_is_a_clear_page(page, live_server, mailed):
    _hazard, url = mailed
    violations = watch_csp(page)
    page.set_viewport_size(PHONE)
    response = page.goto(url[:-5] + "AAAA/")
    assert response.status == 404
    body = page.locator("body").inner_text()
    assert "无法打开此链接" in body and "This link cannot be opened" in body
    _fits_phone(page)
    assert violations == []
    assert CHROMIUM
