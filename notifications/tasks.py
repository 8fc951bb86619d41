import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="notifications.tasks.heartbeat", ignore_result=True)
def heartbeat():
    worker = heartbeat.request.hostname or ""
    beat = services.heartbeat_record(name="beat", worker=worker)
    logger.info("heartbeat %s recorded (run %s) by %s", beat.name, beat.runs, worker)
