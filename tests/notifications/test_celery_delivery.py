"""Delivery through the real broker (Redis in CI, the filesystem transport otherwise) to a real
worker: a reminder written in a business transaction reaches the mailbox after commit; with the
broker unreachable at commit the business transaction still succeeds, the message waits queued,
and the sweeper delivers it once the broker is back."""

import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import transaction
from django.utils import timezone

from config.celery_app import app
from notifications import services
from notifications.models import Channel, Heartbeat, Kind, Message
from notifications.tasks import sweep_outbox

pytestmark = pytest.mark.django_db(transaction=True)

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused at once


@pytest.fixture
def real_broker():
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


@contextmanager
def broker_down():
    """Publishing goes to an address where no broker listens (the worker's own connection is not
    touched); the pools are rebuilt on entry and exit."""
    saved_url, saved_options = app.conf.broker_write_url, dict(app.conf.broker_transport_options or {})
    app.conf.broker_write_url = UNREACHABLE
    app.conf.broker_transport_options = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                         "interval_max": 0.2}
    _reset_pools()
    try:
        yield
    finally:
        app.conf.broker_write_url, app.conf.broker_transport_options = saved_url, saved_options
        _reset_pools()


def _reset_pools():
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def reminder(key):
    return services.message_enqueue(
        channel=Channel.EMAIL, kind=Kind.REMINDER_BEFORE, dedupe_key=key, recipient_address="party@example.com",
        recipient_name="王建国", language="zh-hans",
        context={"hazard_number": "YH-2026-000007", "site_name": "城东水厂", "deadline": "2026-12-10", "days": 3})


def test_reminder_travels_through_the_broker_to_a_worker_and_is_sent(real_broker):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # when the business transaction commits
        with transaction.atomic():
            message = reminder("e2e-reminder")
        # then the worker delivers it
        assert wait_for(lambda: Message.objects.get(pk=message.pk).status == Message.Status.SENT), (
            "the worker did not deliver the message within 60 s")
    message.refresh_from_db()
    assert message.attempts == 1 and message.sent_at
    assert [m.subject for m in mail.outbox] == ["提醒：隐患 YH-2026-000007 整改期限为 2026-12-10"]


def test_broker_outage_delays_but_never_drops(real_broker, settings):
    settings.NOTIFY_SWEEP_AFTER_SECONDS = 0
    # given the broker is unreachable during a business action
    started = time.monotonic()
    with broker_down():
        with transaction.atomic():
            Heartbeat.objects.create(name="business-write", last_run_at=timezone.now())
            message = reminder("outage-reminder")
    # then the action committed quickly, and the message is waiting, not lost
    assert time.monotonic() - started < 10
    assert Heartbeat.objects.filter(name="business-write").exists()
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED and message.attempts == 0 and mail.outbox == []
    # when the broker is back and the sweeper runs (beat → broker → worker)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sweep_outbox.delay()
        assert wait_for(lambda: Message.objects.get(pk=message.pk).status == Message.Status.SENT), (
            "the sweeper did not get the message delivered within 60 s")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["王建国 <party@example.com>"]


def test_beat_schedule_runs_the_sweeper(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert entry["task"] == sweep_outbox.name and entry["schedule"] == settings.NOTIFY_SWEEP_SECONDS
