"""Thin Celery wrappers around planning.services (the same code as the commands)."""

import logging

from celery import shared_task
from django.conf import settings

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="planning.tasks.planning_daily", ignore_result=True)
def planning_daily():
    """Daily (beat): schedules for new sites and changed rules, missed tasks, the horizon's new tasks."""
    result = services.planning_run(horizon=settings.PLANNING_HORIZON_DAYS)
    logger.info("planning: %s schedules new, %s tasks missed, %s tasks created, %s reviews, %s reminders",
                result.schedules_created, result.missed, result.created, result.reviews, result.reminders)
