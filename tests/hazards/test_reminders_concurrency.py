"""Concurrent reminder scans on PostgreSQL: threads with their own connections scan the same day at
once; every message is written once, and the counts the scans report add up to what was written."""

import datetime
import threading

import pytest
from django.db import connection, connections

from hazards import reminders
from hazards.models import Hazard
from notifications.models import Message

from .factories import make_hazard

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fast_pdf")]
DAY = datetime.timedelta(days=1)


def run_together(*jobs):
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
        t.join(timeout=120)
    return results


@pytest.mark.parametrize("offset", [-3, 0, 7])  # before, on the day, overdue (digest, draft, escalation)
def test_concurrent_scans_write_each_message_once(site_a, manager_a, leader_a, category, offset):
    assert connection.vendor == "postgresql"
    manager_a.email = "mgr@example.com"
    manager_a.save(update_fields=["email"])
    hazards = [make_hazard(Hazard.Status.RECTIFYING, site=site_a, by=manager_a, category=category)
               for _ in range(3)]
    Message.objects.all().delete()
    day = hazards[0].deadline + offset * DAY
    # when four scans of the same day run at once
    results = run_together(*[lambda: reminders.reminder_scan(today=day)] * 4)
    # then none failed, each key is in the outbox once, and the reported counts add up to the rows
    assert not [r for r in results if isinstance(r, Exception)], results
    written = sum(sum(r.values()) for r in results)
    assert written == Message.objects.count() > 0
    assert Message.objects.values("dedupe_key").distinct().count() == Message.objects.count()
    # and a later scan of that day writes nothing
    assert sum(reminders.reminder_scan(today=day).values()) == 0
