"""Each reminder e-mail to the party carries its own link to the portal for the hazard's latest
notice (issue 13: "each notice e-mail (and each reminder) carries a link"); the SMS does not, a
repeated scan makes no link, and the link opens the notice like the notice e-mail's."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from hazards import reminders
from notifications.models import Channel, Kind, Message
from portal.models import PartyLink

from .conftest import open_link

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
LINK = re.compile(r"https?://\S+/p/[\w-]+/[\w-]+/")


def test_every_reminder_e_mail_has_a_new_link_that_opens_the_notice(client, notified, settings):
    notice = notified.notices.get()
    Message.objects.all().delete()
    links_before = PartyLink.objects.count()
    deadline = notified.deadline
    assert reminders.reminder_scan(today=deadline - 3 * DAY)["reminder_before"] == 2
    email = Message.objects.get(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE)
    sms = Message.objects.get(channel=Channel.SMS, kind=Kind.REMINDER_BEFORE)
    urls = LINK.findall(email.body)
    assert len(urls) == 1, email.body
    assert not LINK.search(sms.body)
    assert PartyLink.objects.count() == links_before + 1
    link = PartyLink.objects.latest("pk")
    assert (link.notice_id, link.address) == (notice.pk, notified.responsible_email.lower())
    # valid until PORTAL_LINK_DAYS_AFTER_DEADLINE days after the deadline, as the e-mail says
    last_day = deadline + datetime.timedelta(days=settings.PORTAL_LINK_DAYS_AFTER_DEADLINE)
    assert last_day.isoformat() in email.body
    # the same day again: no message, no link
    assert reminders.reminder_scan(today=deadline - 3 * DAY)["reminder_before"] == 0
    assert PartyLink.objects.count() == links_before + 1
    # the link opens the notice
    location = open_link(client, urlsplit(urls[0]).path)
    assert location == reverse("portal:notice", args=[link.selector])
    page = client.get(location)
    assert page.status_code == 200 and notified.number in page.content.decode()
    # the due day's reminder has another link
    assert reminders.reminder_scan(today=deadline)["reminder_due_day"] == 2
    due = Message.objects.get(channel=Channel.EMAIL, kind=Kind.REMINDER_DUE_DAY)
    assert LINK.findall(due.body) and LINK.findall(due.body) != urls
    assert PartyLink.objects.count() == links_before + 2


def test_no_link_when_the_setting_is_empty(notified, settings):
    settings.NOTIFY_REMINDER_LINKS = ""
    Message.objects.all().delete()
    links_before = PartyLink.objects.count()
    reminders.reminder_scan(today=notified.deadline - 3 * DAY)
    email = Message.objects.get(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE)
    assert not LINK.search(email.body) and PartyLink.objects.count() == links_before


def test_the_link_says_what_is_left_to_do(notified, manager_a):
    """Before receipt the reminder offers to sign; after it, only the extension and the reply."""
    from hazards import services as hazard_services

    Message.objects.all().delete()
    deadline = notified.deadline
    reminders.reminder_scan(today=deadline - 3 * DAY)
    before = Message.objects.get(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE).body
    hazard_services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=manager_a,
                                       acknowledged_on=notified.discovered_on)
    reminders.reminder_scan(today=deadline - 1 * DAY)
    after = Message.objects.filter(channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE).latest("pk").body
    sign = ("acknowledge receipt", "签名签收")
    assert any(word in before for word in sign), before
    assert not any(word in after for word in sign) and LINK.search(after), after


def test_the_portal_shows_the_day_signed_and_the_reasons_in_words(client, site_a, manager_a, fast_documents):
    """Receipt recorded later from paper: the portal shows the day signed, not the day it was
    entered; a superseded link's reason is shown in words on the hazard page."""
    from django.utils import timezone

    from core.dates import today_local, travel_to
    from hazards import services as hazard_services
    from hazards.models import Hazard
    from portal import services as portal_services
    from tests.hazards.factories import RiskCategoryFactory, make_hazard

    today = today_local()
    with travel_to(timezone.now() - datetime.timedelta(days=3)):
        hazard = make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=RiskCategoryFactory())
    signed = today - datetime.timedelta(days=2)
    hazard_services.hazard_acknowledge(hazard=hazard, acknowledged_by_name="王建国", by=manager_a,
                                       acknowledged_on=signed)
    notice = hazard.notices.get()
    portal_services.link_issue(notice=notice, address="wang@example.com")
    _link, path = portal_services.link_issue(notice=notice, address="wang@example.com", supersede=True)
    page = client.get(open_link(client, path)).content.decode()
    assert signed.isoformat() in page and today.isoformat() not in page.split('id="acknowledged"')[1][:300], page
    client.force_login(manager_a)
    hazard_page = client.get(reverse("hazards:hazard_detail", args=[hazard.pk])).content.decode()
    assert "superseded by a new link" in hazard_page or "已由新链接取代" in hazard_page
    assert "· superseded<" not in hazard_page
