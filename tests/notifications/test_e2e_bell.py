"""In the browser: the bell shows my unread count, leads to my notifications, and marking read
(one, then all) brings the count down; the local mailbox shows a sent e-mail with its PDF."""

import pytest
from django.core.mail import EmailMessage

from notifications import services
from notifications.models import Channel, Kind
from tests.e2e.conftest import assert_fits_tablet, login, screenshot, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def in_app(user, n):
    return services.message_enqueue(
        channel=Channel.IN_APP, kind=Kind.SUPERVISION_DRAFT, dedupe_key=f"bell-{n}", recipient_user=user,
        language="zh-hans", url="/", context={"hazard_number": f"YH-2026-{n:06d}", "days": 4,
                                              "deadline": "2026-11-26"})


def test_bell_counts_lists_and_marks_read(page, live_server, manager_a, manager_b):
    for n in (1, 2, 3):
        in_app(manager_a, n)
    in_app(manager_b, 9)  # someone else's
    violations = watch_csp(page)
    login(page, live_server, "mgr_a", "pw-123456")
    count = page.locator("#bell-count")
    count.wait_for(state="visible")
    assert count.get_attribute("data-unread") == "3"
    assert_fits_tablet(page)

    with page.expect_navigation():
        page.click("#bell")
    items = page.locator("#inbox-list li")
    assert items.count() == 3 and "YH-2026-000009" not in page.locator("main").inner_text()
    assert "请下发督导单" in items.first.inner_text()
    screenshot(page, "notifications-inbox")

    with page.expect_navigation():
        items.first.locator("button.mark-read").click()
    page.locator("#bell-count").wait_for(state="visible")
    assert page.locator("#bell-count").get_attribute("data-unread") == "2"
    assert page.locator('#inbox-list li[data-read="1"]').count() == 1

    with page.expect_navigation():
        page.click("#mark-all-read")
    # (a locator, not wait_for_function: the CSP forbids evaluating strings)
    page.locator('#bell-count[data-unread="0"]').wait_for(state="attached")
    assert not page.locator("#bell-count").is_visible()
    assert page.locator('#inbox-list li[data-read="0"]').count() == 0
    assert violations == []


def test_local_mailbox_shows_the_mail_and_its_pdf(page, live_server, admin_a, settings, tmp_path):
    settings.LOCAL_MAILBOX, settings.LOCAL_MAILBOX_DIR = True, str(tmp_path / "mailbox")
    settings.EMAIL_BACKEND = "notifications.mailbox.MailboxBackend"
    admin_a.is_staff = True
    admin_a.save()
    message = EmailMessage(subject="隐患告知书 GZ-2026-00001", body=f"详情：{live_server.url}/",
                           from_email="hazards@localhost", to=["wang@example.com"])
    message.attach("GZ-2026-00001.pdf", b"%PDF-1.4\n%test\n", "application/pdf")
    message.send()
    violations = watch_csp(page)
    login(page, live_server, "adm_a", "pw-123456")
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#mailbox-link")
    with page.expect_navigation():
        page.get_by_role("link", name="隐患告知书 GZ-2026-00001").click()
    assert page.locator("#mail-to").inner_text() == "wang@example.com"
    assert page.locator(f'#mail-body a[href="{live_server.url}/"]').count() == 1
    link = page.locator("#mail-attachments a")
    assert link.inner_text().strip() == "GZ-2026-00001.pdf"
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    screenshot(page, "local-mailbox")
    assert violations == []
