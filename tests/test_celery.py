"""The broker is real here (Redis in CI, the filesystem transport otherwise): a task published
through it is consumed by a worker and records a heartbeat."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery_app import app
from notifications.models import Heartbeat
from notifications.tasks import heartbeat


@pytest.mark.django_db(transaction=True)
def test_heartbeat_travels_through_broker_to_worker(settings):
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            heartbeat.delay().get(timeout=20) if app.conf.result_backend else _wait_for_heartbeat()
    finally:
        app.conf.task_always_eager = True
    beat = Heartbeat.objects.get(name="beat")
    assert beat.runs >= 1 and beat.worker


def _wait_for_heartbeat():
    import time

    heartbeat.delay()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name="beat").exists():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not process the heartbeat within 20 s")


def test_beat_schedule_has_heartbeat(settings):
    assert settings.CELERY_BEAT_SCHEDULE["heartbeat"]["task"] == "notifications.tasks.heartbeat"
