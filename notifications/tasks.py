"""Thin Celery wrappers: they take ids and call notifications.delivery / services, which re-check
each row's state under its lock (a task run twice does nothing the second time)."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from . import delivery, services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.tasks.heartbeat", ignore_result=True)
def heartbeat():
    worker = heartbeat.request.hostname or ""
    beat = services.heartbeat_record(name="beat", worker=worker)
    logger.info("heartbeat %s recorded (run %s) by %s", beat.name, beat.runs, worker)


@shared_task(name="notifications.tasks.deliver_messages", bind=True, ignore_result=True, acks_late=True,
             reject_on_worker_lost=True, autoretry_for=(DatabaseError,), retry_backoff=True,
             retry_backoff_max=600, max_retries=None)
def deliver_messages(self, ids):
    """Attempt the messages `ids` now; failed ones are retried with exponential backoff (the row's
    next_attempt_at), dead after NOTIFY_MAX_ATTEMPTS. A lost retry is picked up by the sweeper."""
    result = delivery.message_deliver(ids=list(ids))
    logger.info("delivered %s: sent %s, failed %s, dead %s, skipped %s", ids, result.sent, result.failed,
                result.dead, result.skipped)
    if result.retry_ids and not self.request.is_eager:
        countdown = max((result.next_retry_at - timezone.now()).total_seconds(), 1)
        # Retry the failed ids only; the rows hold the attempt count (dead after N), not the task.
        raise self.retry(args=[result.retry_ids], countdown=countdown)
    return None


@shared_task(name="notifications.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox():
    """Periodic (beat, every NOTIFY_SWEEP_SECONDS): re-dispatch messages due for longer than
    NOTIFY_SWEEP_AFTER_SECONDS."""
    count = services.outbox_sweep()
    if count:
        logger.info("sweeper re-dispatched %s messages (due for more than %s s)", count,
                    settings.NOTIFY_SWEEP_AFTER_SECONDS)
    return count
