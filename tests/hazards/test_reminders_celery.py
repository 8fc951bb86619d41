"""The reminder scan through the real broker (Redis in CI) and a real worker: beat's task is
published, the worker runs the scan, the scan's messages are dispatched after its commit and the
worker delivers them. And the beat entry that runs it is in django-celery-beat's tables."""

import datetime
import importlib
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.apps import apps as django_apps
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from config.celery_app import app
from hazards.models import Hazard
from hazards.tasks import send_reminders
from notifications.models import Channel, Kind, Message

from .factories import make_hazard

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_pdf")]


@pytest.fixture
def due_in_three_days(site_a, manager_a, category):
    hazard = make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category,
                         deadline=timezone.localdate() + datetime.timedelta(days=3))
    Message.objects.all().delete()
    mail.outbox.clear()
    return hazard


@pytest.fixture
def real_broker():
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_beat_task_on_a_real_worker_delivers_the_reminder(due_in_three_days, real_broker):
    hazard = due_in_three_days
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # when beat's task is published (as beat does) and a worker takes it
        send_reminders.delay()
        # then the scan's e-mail reaches the party through a second task, after the scan's commit
        sent = Message.objects.filter(kind=Kind.REMINDER_BEFORE, channel=Channel.EMAIL, status=Message.Status.SENT)
        assert wait_for(sent.exists), "the worker did not deliver the reminder within 90 s"
    (email,) = [m for m in mail.outbox if m.to == ["王建国 <wang@example.com>"]]
    assert hazard.number in email.subject and hazard.deadline.isoformat() in email.subject
    assert Message.objects.filter(kind=Kind.REMINDER_BEFORE, channel=Channel.SMS, status=Message.Status.SENT).exists()


def test_the_beat_entry_is_in_the_database(settings):
    # (Tests with transactions empty the tables: the data migration's function is run again here;
    # run twice, it still makes one entry.)
    migration = importlib.import_module("hazards.migrations.0008_reminder_scan_schedule")
    migration.create(django_apps, None)
    migration.create(django_apps, None)
    entry = PeriodicTask.objects.get(name="reminder-scan")
    assert entry.task == send_reminders.name and entry.task in app.tasks and entry.enabled
    assert (entry.crontab.minute, entry.crontab.hour, str(entry.crontab.timezone)) == ("0", "8-20", settings.TIME_ZONE)
