"""The notification centre (a user's own in-app messages), the bell's count, and the local mailbox
(staff only, local settings only)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.urls import reverse

from notifications import services
from notifications.mailbox import mail_names
from notifications.models import Channel, Kind, Message
from tests.helpers import normalised_body

pytestmark = pytest.mark.django_db


def in_app(user, n, **extra):
    return services.message_enqueue(
        channel=Channel.IN_APP, kind=Kind.SUPERVISION_DRAFT, dedupe_key=f"in-app-{user.pk}-{n}", recipient_user=user,
        url=f"/hazards/{n}/", context={"hazard_number": f"YH-2026-{n:06d}", "days": 3, "deadline": "2026-11-27"},
        **extra)


@pytest.fixture
def mgr_client(client, manager_a):
    client.force_login(manager_a)
    return client


def test_badge_counts_only_my_unread_messages(mgr_client, manager_a, manager_b, django_assert_num_queries):
    for n in range(3):
        in_app(manager_a, n)
    in_app(manager_b, 9)
    services.message_mark_read(message=Message.objects.filter(recipient_user=manager_a).first(), user=manager_a)
    # session, user (with membership), one count
    with django_assert_num_queries(3):
        response = mgr_client.get(reverse("notifications:badge"))
    assert 'data-unread="2"' in response.content.decode()


def test_pages_do_not_pay_for_the_bell(mgr_client, manager_a):
    in_app(manager_a, 1)
    page = mgr_client.get(reverse("home")).content.decode()
    assert 'id="bell"' in page and reverse("notifications:badge") in page
    assert 'data-unread' not in page  # the count comes with the htmx request, not the page


def test_inbox_lists_my_messages_with_a_constant_query_count(mgr_client, manager_a, django_assert_num_queries):
    in_app(manager_a, 1)
    with django_assert_num_queries(5):  # session, user, count for the paginator, the page, unread count
        body = mgr_client.get(reverse("notifications:inbox")).content.decode()
    assert "YH-2026-000001" in body
    for n in range(2, 12):
        in_app(manager_a, n)
    with django_assert_num_queries(5):
        mgr_client.get(reverse("notifications:inbox"))


def test_mark_read_opens_the_link_and_mark_all(mgr_client, manager_a):
    first, second, third = (in_app(manager_a, n) for n in (1, 2, 3))
    response = mgr_client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/hazards/1/"
    first.refresh_from_db()
    assert first.read_at is not None
    response = mgr_client.post(reverse("notifications:read_all"))
    assert response.status_code == 302
    assert not Message.objects.filter(recipient_user=manager_a, read_at__isnull=True).exists()


def test_someone_elses_message_looks_missing(client, manager_a, manager_b):
    theirs = in_app(manager_a, 1)
    client.force_login(manager_b)
    theirs_url, missing_url = (reverse("notifications:read", args=[pk]) for pk in (theirs.pk, 987654))
    response, missing = client.post(theirs_url), client.post(missing_url)
    assert response.status_code == missing.status_code == 404
    assert normalised_body(response, theirs_url) == normalised_body(missing, missing_url)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notification_pages_need_login(client):
    for name in ("notifications:inbox", "notifications:badge"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_in_chinese(mgr_client, manager_a):
    in_app(manager_a, 1, language="zh-hans")
    mgr_client.cookies["django_language"] = "zh-hans"
    body = mgr_client.get(reverse("notifications:inbox"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "全部标为已读" in body and "请下发督导单" in body


# --- the local mailbox ---------------------------------------------------------------------------

@pytest.fixture
def local_mailbox(settings, tmp_path):
    settings.LOCAL_MAILBOX = True
    settings.LOCAL_MAILBOX_DIR = str(tmp_path / "mailbox")
    settings.EMAIL_BACKEND = "notifications.mailbox.MailboxBackend"
    return tmp_path / "mailbox"


@pytest.fixture
def staff_client(client, admin_a):
    admin_a.is_staff = True
    admin_a.save()
    client.force_login(admin_a)
    return client


def _send(**extra):
    message = EmailMessage(subject="隐患告知书 GZ-2026-00001", body="请查看 http://127.0.0.1:8000/hazards/1/ 详情。",
                           from_email="hazards@localhost", to=["王建国 <wang@example.com>"], **extra)
    message.attach("GZ-2026-00001.pdf", b"%PDF-1.7 test", "application/pdf")
    message.attach("notes.html", b"<script>alert(1)</script>", "text/html")
    assert message.send() == 1


def test_mailbox_lists_mail_with_clickable_links_and_attachments(local_mailbox, staff_client):
    _send()
    [name] = mail_names()
    listing = staff_client.get(reverse("notifications:mailbox")).content.decode()
    assert "隐患告知书 GZ-2026-00001" in listing and "wang@example.com" in listing
    detail = staff_client.get(reverse("notifications:mailbox_detail", args=[name])).content.decode()
    assert '<a href="http://127.0.0.1:8000/hazards/1/" target="_blank"' in detail
    pdf = staff_client.get(reverse("notifications:mailbox_attachment", args=[name, 0]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == b"%PDF-1.7 test"
    html = staff_client.get(reverse("notifications:mailbox_attachment", args=[name, 1]))
    # anything but a PDF or image is a download, never a page
    assert html["Content-Type"] == "application/octet-stream" and html["Content-Disposition"].startswith("attachment")
    assert html["X-Content-Type-Options"] == "nosniff"


def test_mailbox_is_staff_only(local_mailbox, client, manager_a):
    _send()
    [name] = mail_names()
    assert client.get(reverse("notifications:mailbox")).status_code == 302  # to the login page
    client.force_login(manager_a)
    for url in (reverse("notifications:mailbox"), reverse("notifications:mailbox_detail", args=[name]),
                reverse("notifications:mailbox_attachment", args=[name, 0])):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", ".hidden.eml.tmp", "20261130T000000.000000-abcdefgh.eml",
                                  "x.eml"])
def test_mailbox_refuses_other_names(local_mailbox, staff_client, name):
    assert staff_client.get(reverse("notifications:mailbox_detail", args=[name])).status_code == 404


def test_mailbox_is_404_when_off(settings, staff_client):
    settings.LOCAL_MAILBOX = False
    assert staff_client.get(reverse("notifications:mailbox")).status_code == 404
    assert staff_client.get(reverse("notifications:mailbox_detail", args=["x.eml"])).status_code == 404


def test_production_settings_turn_the_mailbox_off():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "x" * 50,
           "ALLOWED_HOSTS": "example.com"}
    env.pop("EMAIL_BACKEND", None)
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.LOCAL_MAILBOX, s.EMAIL_BACKEND)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=django_settings.BASE_DIR).stdout.split()
    assert out == ["False", "django.core.mail.backends.smtp.EmailBackend"]


def test_local_settings_deliver_to_the_mailbox():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    env.pop("EMAIL_BACKEND", None)
    env.pop("LOCAL_MAILBOX", None)
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.LOCAL_MAILBOX, s.EMAIL_BACKEND)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=django_settings.BASE_DIR).stdout.split()
    assert out == ["True", "notifications.mailbox.MailboxBackend"]


def test_status_page_shows_the_outbox(client, admin_a, settings):
    import datetime

    from django.utils import timezone

    admin_a.is_staff = True
    admin_a.save()
    message = services.message_enqueue(channel=Channel.EMAIL, kind=Kind.ESCALATION, dedupe_key="s1",
                                       recipient_address="x@example.com", subject="s", body="b")
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(admin_a)
    body = client.get(reverse("status")).content.decode()
    assert "Waiting: 1 · dead: 0" in body and "late: is a worker running?" in body
