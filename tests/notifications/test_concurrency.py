"""Real concurrency on PostgreSQL: threads with their own connections enqueue the same message and
deliver the same rows at once. Skipped on SQLite outside CI; in CI a non-PostgreSQL run fails."""

import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, connections, transaction

from notifications import delivery, services
from notifications.models import Channel, Kind, Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    assert connection.vendor == "postgresql", "row-lock tests need PostgreSQL (set DATABASE_URL)"


def run_together(*jobs):
    """Start all jobs at the same instant; return each one's result or exception."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def runner(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # noqa: BLE001 - the exception is the result under test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _scan(key):
    """One scan's business transaction: enqueue, then keep the transaction open a little, so the
    others' inserts of the same key meet an uncommitted row."""
    with transaction.atomic():
        message = services.message_enqueue(
            channel=Channel.EMAIL, kind=Kind.REMINDER_DUE_DAY, dedupe_key=key, recipient_address="party@example.com",
            context={"hazard_number": "YH-2026-000001", "deadline": "2026-12-01"})
        time.sleep(0.2)
    return message.pk, message.was_created


@pytest.mark.parametrize("round_", range(2))
def test_concurrent_scans_enqueue_one_message_per_key(round_):
    # given eight scans running at once over the same hazard, kind and day
    key = f"reminder_due_day:email:hazards.hazard:1:party@example.com:2026-12-01:{round_}"
    # when each enqueues the reminder
    results = run_together(*[lambda: _scan(key)] * 8)
    # then none fails, all see the same row, exactly one created it, and one e-mail left
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({pk for pk, _created in results}) == 1
    assert sum(created for _pk, created in results) == 1
    assert Message.objects.filter(dedupe_key=key).count() == 1
    assert Message.objects.get(dedupe_key=key).status == Message.Status.SENT
    assert len(mail.outbox) == 1


class SlowBackend(LocmemBackend):
    """A mail server that takes its time, so two workers overlap on the same rows."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


def test_two_workers_never_send_one_message_twice(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.notifications.test_concurrency.SlowBackend"
    # given five queued messages (written without dispatch, as if the broker had been down)
    monkeypatch.setattr(delivery, "dispatch", lambda ids: None)
    ids = []
    for i in range(5):
        with transaction.atomic():
            ids.append(services.message_enqueue(
                channel=Channel.EMAIL, kind=Kind.ESCALATION, dedupe_key=f"esc-{i}",
                recipient_address=f"leader{i}@example.com", body="升级", subject="升级").pk)
    assert mail.outbox == []
    # when three workers deliver the same ids at the same moment (a task delivered twice + the sweeper)
    results = run_together(*[lambda: delivery.message_deliver(ids=ids)] * 3)
    # then each message was sent exactly once
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r.sent for r in results) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"leader{i}@example.com" for i in range(5))
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Message.Status.SENT}
    assert set(Message.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == {1}
