"""The outbox: a message is a row written in the caller's transaction, delivered after commit,
once per dedupe key; failures retry with backoff and go dead after NOTIFY_MAX_ATTEMPTS."""

import datetime
import hashlib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from notifications import delivery, services
from notifications.attachments import AttachmentRef, attachment_for_file, notice_attachment
from notifications.models import Channel, Kind, Message

pytestmark = pytest.mark.django_db

EMAIL = {"channel": Channel.EMAIL, "kind": Kind.REMINDER_BEFORE, "recipient_address": "party@example.com",
         "recipient_name": "王建国", "language": "zh-hans",
         "context": {"hazard_number": "YH-2026-000123", "site_name": "江州化工",
                     "deadline": datetime.date(2026, 12, 10), "days": 3}}


def enqueue(key="k1", **overrides):
    return services.message_enqueue(dedupe_key=key, **{**EMAIL, **overrides})


def test_enqueue_writes_a_queued_row_rendered_in_chinese_and_delivers_after_commit(django_capture_on_commit_callbacks):
    # given / when: the business transaction writes the message
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            message = enqueue()
            # then: nothing is sent inside the transaction
            assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 0
    assert message.subject == "提醒：隐患 YH-2026-000123 整改期限为 2026-12-10"
    assert "王建国" in message.body and "3 天" in message.body
    assert len(callbacks) == 1
    # when the transaction has committed, the dispatch runs (eagerly in tests)
    callbacks[0]()
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.attempts == 1 and message.sent_at
    assert [m.to for m in mail.outbox] == [["王建国 <party@example.com>"]]
    assert mail.outbox[0].subject == message.subject
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<outbox-{message.pk}-")


def test_english_recipient_gets_english_text():
    message = enqueue(language="en")
    assert message.subject == "Reminder: hazard YH-2026-000123 is due on 2026-12-10"
    assert "in 3 days" in message.body


def test_rolled_back_business_transaction_leaves_no_message_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enqueue()
            raise RuntimeError("the business action failed")
    assert callbacks == [] and Message.objects.count() == 0 and mail.outbox == []


def test_same_dedupe_key_is_a_no_op_returning_the_existing_row(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue()
        second = enqueue(recipient_address="other@example.com")
    assert first.was_created and not second.was_created
    assert second.pk == first.pk and second.recipient_address == "party@example.com"
    assert Message.objects.count() == 1 and len(callbacks) == 1 and len(mail.outbox) == 1


def test_in_app_message_is_delivered_by_being_written(manager_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = services.message_enqueue(channel=Channel.IN_APP, kind=Kind.SUPERVISION_DRAFT, dedupe_key="i1",
                                           recipient_user=manager_a,
                                           context={"hazard_number": "YH-2026-000001", "days": 3})
    assert message.status == Message.Status.SENT and message.read_at is None
    assert callbacks == [] and mail.outbox == []
    assert "YH-2026-000001" in message.body


@pytest.mark.parametrize("overrides, field", [
    ({"recipient_address": ""}, "recipient_address"),
    ({"channel": Channel.IN_APP, "recipient_address": ""}, "recipient_user"),
    ({"channel": "fax"}, "channel"),
    ({"channel": Channel.SMS, "recipient_address": "13800000000",
      "attachments": [AttachmentRef("a.pdf", "a.pdf", "application/pdf", "0" * 64)]}, "attachments"),
])
def test_undeliverable_message_is_refused_and_nothing_written(overrides, field):
    with pytest.raises(ValidationError) as exc:
        enqueue(**overrides)
    assert field in exc.value.message_dict
    assert Message.objects.count() == 0


def test_email_address_defaults_to_the_users(manager_a):
    manager_a.email = "mgr@example.com"
    manager_a.save()
    message = enqueue(recipient_address="", recipient_user=manager_a)
    assert message.recipient_address == "mgr@example.com"


def test_dedupe_key_convention_and_length():
    class Hazard:
        class _meta:  # noqa: N801
            label_lower = "hazards.hazard"
        pk = 123

    key = services.dedupe_key(Kind.REMINDER_BEFORE, Channel.EMAIL, Hazard(), "Party@Example.com", "2026-12-07")
    assert key == "reminder_before:email:hazards.hazard:123:party@example.com:2026-12-07"
    long_key = services.dedupe_key(Kind.ESCALATION, Channel.EMAIL, None, "x" * 400)
    assert len(long_key) == 255 and long_key != services.dedupe_key(Kind.ESCALATION, Channel.EMAIL, None, "x" * 401)


# --- attachments ---------------------------------------------------------------------------------

def test_attachment_is_the_stored_bytes(stored_pdf):
    name, data, sha = stored_pdf
    ref = attachment_for_file(_field(name), sha256=sha, filename="GZ-2026-00001.pdf",
                              mimetype="application/pdf")
    message = enqueue(attachments=[ref])
    result = delivery.message_deliver(ids=[message.pk])
    assert result.sent == 1
    assert mail.outbox[0].attachments == [("GZ-2026-00001.pdf", data, "application/pdf")]


def test_changed_attachment_is_never_sent_and_the_message_is_dead(stored_pdf):
    name, data, sha = stored_pdf
    message = enqueue(attachments=[attachment_for_file(_field(name), sha256=sha)])
    default_storage.delete(name)
    default_storage.save(name, ContentFile(data + b"tampered"))
    result = delivery.message_deliver(ids=[message.pk])
    message.refresh_from_db()
    assert result.dead == 1 and mail.outbox == []
    assert message.status == Message.Status.DEAD and "AttachmentChanged" in message.last_error


def test_notice_attachment_refers_to_the_issued_pdf(site_a, manager_a, fast_pdf):
    from hazards import services as hazard_services
    from tests.hazards.factories import RiskCategoryFactory, register

    hazard = register(site=site_a, by=manager_a, category=RiskCategoryFactory())
    notice = hazard_services.hazard_notify(hazards=[hazard], by=manager_a)
    ref = notice_attachment(notice)
    assert ref.name == notice.file.name and ref.sha256 == notice.sha256 and ref.filename == f"{notice.number}.pdf"
    with notice.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == ref.sha256


def _field(name):
    from django.db.models import FileField
    from django.db.models.fields.files import FieldFile

    field = FileField()
    field.storage = default_storage
    return FieldFile(None, field, name)


# --- retries, backoff, dead -----------------------------------------------------------------------

def test_failures_back_off_exponentially_then_the_message_is_dead(settings):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.FailingBackend"
    settings.NOTIFY_MAX_ATTEMPTS, settings.NOTIFY_RETRY_BASE_SECONDS = 4, 60
    message = enqueue()
    now = timezone.now()
    waits = []
    for _attempt in range(4):
        result = delivery.message_deliver(ids=[message.pk], now=now)
        message.refresh_from_db()
        if message.status == Message.Status.FAILED:
            waits.append((message.next_attempt_at - now).total_seconds())
            # not due yet: nothing happens before next_attempt_at
            assert delivery.message_deliver(ids=[message.pk], now=now).skipped == 1
            now = message.next_attempt_at
    assert waits == [60, 120, 240]
    assert result.dead == 1
    assert message.status == Message.Status.DEAD and message.attempts == 4 and message.next_attempt_at is None
    assert "mail server unreachable" in message.last_error


def test_backoff_is_capped(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_MAX_SECONDS = 60, 600
    assert [delivery.backoff_seconds(n) for n in range(1, 7)] == [60, 120, 240, 480, 600, 600]


def test_delivery_is_idempotent(django_capture_on_commit_callbacks):
    message = enqueue()
    assert delivery.message_deliver(ids=[message.pk]).sent == 1
    again = delivery.message_deliver(ids=[message.pk, message.pk])
    assert (again.sent, again.skipped) == (0, 1) and len(mail.outbox) == 1


def test_resend_queues_the_same_row_again(settings, admin_a, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.conftest.FailingBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 1
    message = enqueue()
    delivery.message_deliver(ids=[message.pk])
    message.refresh_from_db()
    assert message.status == Message.Status.DEAD
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.message_resend(message=message, by=admin_a)
        services.message_resend(message=message, by=admin_a)  # a double click changes nothing
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.resent_by == admin_a and message.attempts == 1
    assert Message.objects.count() == 1 and len(mail.outbox) == 1


# --- sweeper and command --------------------------------------------------------------------------

def test_sweeper_redispatches_only_what_waited_past_the_grace(settings, monkeypatch):
    settings.NOTIFY_SWEEP_AFTER_SECONDS = 120
    old, fresh = enqueue("old"), enqueue("fresh")
    Message.objects.filter(pk=old.pk).update(next_attempt_at=timezone.now() - datetime.timedelta(minutes=5))
    dispatched = []
    monkeypatch.setattr(delivery, "dispatch", lambda ids: dispatched.extend(ids))
    assert services.outbox_sweep() == 1
    assert dispatched == [old.pk] and fresh.pk not in dispatched


def test_sweep_task_delivers_what_the_lost_dispatch_left(settings):
    from notifications.tasks import sweep_outbox

    settings.NOTIFY_SWEEP_AFTER_SECONDS = 0
    message = enqueue()  # no on_commit here: as if the broker had been down at commit
    assert sweep_outbox.delay() is not None
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and len(mail.outbox) == 1


def test_deliver_outbox_sends_everything_due_and_prints_counts(settings, capsys, sms_outbox):
    enqueue("a")
    enqueue("b", channel=Channel.SMS, recipient_address="13800000000")
    enqueue("c", channel=Channel.SMS, recipient_address="not a phone")
    call_command("deliver_outbox")
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "sent 2, failed 1, dead 0"
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1


# --- SMS ------------------------------------------------------------------------------------------

def test_sms_is_short_chinese_with_number_and_deadline(sms_outbox):
    message = enqueue(channel=Channel.SMS, recipient_address="13800000000")
    delivery.message_deliver(ids=[message.pk])
    [(to, text)] = sms_outbox
    assert to == "13800000000" and len(text) <= 70
    assert "YH-2026-000123" in text and "2026-12-10" in text and "整改" in text


def test_sms_is_cut_to_the_limit(settings, sms_outbox):
    settings.SMS_MAX_CHARS = 20
    message = enqueue(channel=Channel.SMS, recipient_address="13800000000")
    assert len(message.body) == 20 and message.body.endswith("…")


def test_enqueue_many_writes_new_keys_once_with_one_dispatch(manager_a, django_capture_on_commit_callbacks):
    # given one key already in the outbox
    enqueue("k-0")
    specs = [{**EMAIL, "dedupe_key": f"k-{i}", "recipient_address": f"p{i}@example.com"} for i in range(5)]
    specs.append({**EMAIL, "dedupe_key": "k-1"})  # repeated within the batch
    specs.append({"channel": Channel.IN_APP, "kind": Kind.OVERDUE_DIGEST, "dedupe_key": "k-app",
                  "recipient_user": manager_a, "context": {"hazards": []}})
    # when a scan writes them in one go
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            written = services.message_enqueue_many(specs)
    # then the new keys only, one row each, one dispatch for the e-mails, all sent
    assert sorted(m.dedupe_key for m in written) == ["k-1", "k-2", "k-3", "k-4", "k-app"]
    assert Message.objects.count() == 6 and len(callbacks) == 1  # one dispatch for the whole batch
    assert sorted(m.to[0] for m in mail.outbox) == [f"王建国 <p{i}@example.com>" for i in range(1, 5)]
    assert Message.objects.get(dedupe_key="k-app").status == Message.Status.SENT
    # and a second scan writes nothing
    assert services.message_enqueue_many(specs) == []
