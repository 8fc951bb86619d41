"""Business actions write their messages into the outbox in their own transaction: given / when /
then, asserting the rows (kind, recipient, attachment, text) and that a rolled-back action leaves
none."""

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import translation

from hazards import services
from hazards.lifecycle import Action
from hazards.models import Hazard, Notice
from notifications.models import Channel, Kind, Message

from .factories import make_hazard, pending_extension, perform, register

pytestmark = pytest.mark.usefixtures("fast_pdf")
S = Hazard.Status
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_issuing_a_notice_queues_its_pdf_by_email_and_an_sms(site_a, inspector_a, category,
                                                            django_capture_on_commit_callbacks):
    hazard = register(site=site_a, by=inspector_a, category=category)
    # when the notice is issued (and the transaction commits)
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.hazard_notify(hazards=[hazard], by=inspector_a)
    # then one e-mail with the stored PDF and one SMS, both about the notice
    email = Message.objects.get(channel=Channel.EMAIL)
    assert (email.kind, email.recipient_address, email.about, email.unit) == (
        Kind.NOTICE_ISSUED, "wang@example.com", notice, notice.unit)
    assert email.attachments[0]["filename"] == f"{notice.number}.pdf"
    assert email.attachments[0]["sha256"] == notice.sha256
    sms = Message.objects.get(channel=Channel.SMS)
    assert sms.recipient_address == "13800000000" and notice.number in sms.body
    # and delivery after commit sent the stored bytes
    (sent,) = mail.outbox
    assert sent.attachments[0][1] == notice.file.open("rb").read()
    assert Message.objects.get(pk=email.pk).status == Message.Status.SENT


def test_a_rolled_back_notice_leaves_no_message(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.hazard_notify(hazards=[hazard], by=inspector_a)
        raise RuntimeError("the request failed after the action")
    assert not Message.objects.exists() and not Notice.objects.exists()


def test_a_party_without_email_or_phone_gets_nothing_and_the_notice_is_issued(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category, responsible_email="", responsible_phone="")
    notice = services.hazard_notify(hazards=[hazard], by=inspector_a)
    assert notice.pk and not Message.objects.exists()


def test_one_sms_per_phone_for_a_notice_of_several_hazards(site_a, inspector_a, category):
    hazards = [register(site=site_a, by=inspector_a, category=category) for _ in range(3)]
    services.hazard_notify(hazards=hazards, by=inspector_a)
    assert Message.objects.filter(channel=Channel.SMS).count() == 1
    assert Message.objects.filter(channel=Channel.EMAIL).count() == 1


def test_supervision_notice_queues_its_pdf(site_a, manager_a, category, monkeypatch):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    Message.objects.all().delete()
    # given the deadline passed (the service reads today's local date)
    monkeypatch.setattr("hazards.services.notices.local_today", lambda: hazard.deadline + 3 * DAY)
    monkeypatch.setattr("hazards.lifecycle.local_today", lambda: hazard.deadline + 3 * DAY)
    notice = services.hazard_supervise(hazard=hazard, new_deadline=hazard.deadline + 10 * DAY, by=manager_a)
    email = Message.objects.get(channel=Channel.EMAIL)
    assert (email.kind, email.about, email.attachments[0]["filename"]) == (
        Kind.SUPERVISION_ISSUED, notice, f"{notice.number}.pdf")
    assert (hazard.deadline + 10 * DAY).isoformat() in email.body
    assert Message.objects.get(channel=Channel.SMS).kind == Kind.SUPERVISION_ISSUED


@pytest.mark.parametrize("approve", [True, False])
def test_extension_decision_tells_the_party_the_deadline_that_holds(site_a, manager_a, category, approve):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    perform(Action.REQUEST_EXTENSION, hazard, manager_a)
    extension = pending_extension(hazard)
    Message.objects.all().delete()
    services.hazard_decide_extension(extension=extension, approve=approve, comment="理由", by=manager_a)
    hazard.refresh_from_db()
    email = Message.objects.get(channel=Channel.EMAIL)
    assert (email.kind, email.about, email.recipient_address) == (Kind.EXTENSION_DECIDED, extension,
                                                                  "wang@example.com")
    assert hazard.deadline.isoformat() in email.body
    # in the language of the notice the party received (Chinese by default)
    assert email.subject.startswith("延期已批准" if approve else "延期未批准")
    assert hazard.deadline == (extension.requested_deadline if approve else extension.old_deadline)
    assert Message.objects.filter(channel=Channel.SMS, kind=Kind.EXTENSION_DECIDED).count() == 1


def test_rejected_reply_tells_the_party_why(site_a, manager_a, category):
    hazard = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    Message.objects.all().delete()
    acceptance = services.hazard_reject(hazard=hazard, reason="接地电阻仍超标", by=manager_a)
    email = Message.objects.get(channel=Channel.EMAIL)
    assert (email.kind, email.about) == (Kind.REPLY_REJECTED, acceptance)
    assert "接地电阻仍超标" in email.body
    assert Message.objects.filter(channel=Channel.SMS, kind=Kind.REPLY_REJECTED).count() == 1


def test_party_messages_use_the_notice_language(site_a, manager_a, category):
    # given a notice issued in English
    hazard = register(site=site_a, by=manager_a, category=category)
    services.hazard_notify(hazards=[hazard], by=manager_a, language="en")
    for action in (Action.ACKNOWLEDGE, Action.SUBMIT_REPLY):
        perform(action, Hazard.objects.get(pk=hazard.pk), manager_a)
    # when the rectification is rejected
    services.hazard_reject(hazard=Hazard.objects.get(pk=hazard.pk), reason="Not finished", by=manager_a)
    # then the party reads it in English too
    email = Message.objects.get(kind=Kind.REPLY_REJECTED, channel=Channel.EMAIL)
    assert email.language == "en" and email.subject.startswith("Rectification not accepted")
