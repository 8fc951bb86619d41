"""Thin Celery wrappers around kpis.services."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="kpis.tasks.risk_recompute", ignore_result=True)
def risk_recompute():
    """Nightly (beat): overdue hazards weigh more from the day after their deadline."""
    changed = services.site_risk_recompute_all()
    logger.info("risk levels recomputed: %s sites changed level", changed)


@shared_task(name="kpis.tasks.statistics_reports", ignore_result=True)
def statistics_reports():
    """Daily (beat): draft the finished quarter's and year's statistics reports; remind of unsigned ones."""
    result = services.statistics_reports_run()
    logger.info("statistics reports: %s", result)


def dispatch_recompute() -> None:
    """After the risk settings changed: recompute in the worker (the broker may be down: the
    nightly run then catches up)."""
    try:
        risk_recompute.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - the broker being down must not fail the admin's save
        logger.warning("could not queue the risk recomputation; the nightly run will do it", exc_info=True)
