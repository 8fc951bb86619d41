"""Thin Celery wrappers of hazards services."""

import logging

from celery import shared_task

from . import reminders

logger = logging.getLogger(__name__)


@shared_task(name="hazards.tasks.send_reminders", ignore_result=True, acks_late=True)
def send_reminders():
    """Periodic (django-celery-beat, the "reminder scan" entry): the reminder scan as of today's
    local date. Safe to run any number of times (each message once per dedupe key)."""
    counts = reminders.reminder_scan()
    logger.info("reminder scan: %s", reminders.format_counts(counts))
    return counts
