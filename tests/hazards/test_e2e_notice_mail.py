"""In the browser, end to end: issuing a notice puts an e-mail with the notice PDF in the local
mailbox (as under `make run`); the "send e-mail" button sends it again; the home page's "my work"
lists what waits and leads to where it is done; the reminder scan's digest lights the bell."""

import datetime
import io

import pytest
from pypdf import PdfReader

from hazards import reminders
from hazards.models import Hazard, Notice
from notifications.models import Channel, Kind, Message
from tests.e2e.conftest import assert_fits_tablet, login, screenshot, watch_csp

from .factories import make_hazard, register, today

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mailbox(settings, tmp_path):
    """The local settings' mail set-up: delivered mail lands in the staff-only local mailbox."""
    settings.LOCAL_MAILBOX, settings.LOCAL_MAILBOX_DIR = True, str(tmp_path / "mailbox")
    settings.EMAIL_BACKEND = "notifications.mailbox.MailboxBackend"


def open_mailbox(page):
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#mailbox-link")


def test_issuing_a_notice_puts_its_pdf_in_the_local_mailbox(page, live_server, mailbox, site_a, admin_a, category):
    # given a hazard ready to be notified, and an admin (staff: the local mailbox is theirs)
    hazard = register(site=site_a, by=admin_a, category=category)
    violations = watch_csp(page)
    login(page, live_server, "adm_a", "pw-123456")
    # when the notice is issued on the hazard page
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    with page.expect_navigation():
        page.click('#hazard-actions [data-action="notify"]')
    with page.expect_navigation():
        page.click("#notify-submit")
    notice = Notice.objects.get()
    # then the mailbox holds the e-mail to the party, with the stored PDF attached
    open_mailbox(page)
    with page.expect_navigation():
        page.locator("#mailbox-table a", has_text=notice.number).first.click()
    assert page.locator("#mail-to").inner_text() == "王建国 <wang@example.com>"
    link = page.locator("#mail-attachments a")
    assert link.inner_text().strip() == f"{notice.number}.pdf"
    pdf = page.request.get(live_server.url + link.get_attribute("href")).body()
    assert pdf == notice.file.open("rb").read()
    assert notice.number in "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    screenshot(page, "notice-mail-in-local-mailbox")

    # and the button on the notice sends it again, to another address
    page.goto(f"{live_server.url}/hazards/{hazard.pk}/")
    form = page.locator(".notice-email-form").first
    form.locator('input[name="to"]').fill("office@example.com")
    with page.expect_navigation():
        form.locator('button[type="submit"]').click()
    assert "office@example.com" in page.locator(".alert-success").inner_text()
    open_mailbox(page)
    assert page.locator("#mailbox-table td", has_text="office@example.com").count() == 1
    assert violations == []


def test_my_work_and_the_bell(page, live_server, site_a, manager_a, category):
    # given an overdue hazard and one waiting for acceptance in the manager's branch
    late = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category)
    Hazard.objects.filter(pk=late.pk).update(deadline=today() - datetime.timedelta(days=3))
    pending = make_hazard(Hazard.Status.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    # and the day's scan wrote the overdue digest and the supervision notice to issue
    counts = reminders.reminder_scan()
    assert counts["overdue_digest"] == 1 and counts["supervision_draft"] == 1  # in-app (no e-mail address)
    violations = watch_csp(page)
    login(page, live_server, "mgr_a", "pw-123456")
    # the home page lists the work
    work = page.locator("#my-work")
    assert work.is_visible()
    assert pending.number in page.locator("#work-replies").inner_text()
    assert late.number in page.locator("#work-overdue").inner_text()
    assert_fits_tablet(page)
    screenshot(page, "home-my-work")
    # and the bell counts the unread in-app messages: the digest, the draft (and the risk
    # warning of the site whose level the hazards raised)
    inbox = Message.objects.filter(channel=Channel.IN_APP, recipient_user=manager_a, read_at__isnull=True)
    assert {Kind.OVERDUE_DIGEST, Kind.SUPERVISION_DRAFT} <= set(inbox.values_list("kind", flat=True))
    page.locator(f'#bell-count[data-unread="{inbox.count()}"]').wait_for(state="visible")
    # an overdue row leads to the supervision form
    with page.expect_navigation():
        page.locator("#work-overdue a", has_text=late.number).click()
    assert page.url.endswith(f"/hazards/{late.pk}/act/supervise/")
    # the bell leads to the messages: the digest and the draft
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.click("#bell")
    text = page.locator("#inbox-list").inner_text()
    assert late.number in text
    assert violations == []
