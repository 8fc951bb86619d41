"""The local calendar. Deadlines are days (DateFields) in the site's time zone, settings.TIME_ZONE
(Asia/Shanghai by default; sites have no time zone of their own). A day ends at local midnight:
at 23:59:59 in Shanghai (15:59:59 UTC) a hazard due that day is still in time, at 00:00 it is
one day late. Every rule that needs "today" asks `today_local()`, never `date.today()` (the
server's zone) or `timezone.now().date()` (UTC)."""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

from django.utils import timezone


def today_local() -> datetime.date:
    """Today's date in settings.TIME_ZONE."""
    # Looked up at call time (not imported by name) so a clock set in tests or the demo applies.
    return timezone.localdate()


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The aware instant at which `day` begins in settings.TIME_ZONE."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@contextlib.contextmanager
def travel_to(moment: datetime.datetime) -> Iterator[datetime.datetime]:
    """Run a block as if the clock read `moment` (an aware datetime): django.utils.timezone.now()
    returns it and timezone.localdate() (without a value) its local date, so auto_now fields,
    today_local() and every rule agree. For the demo's story and for tests; process-wide and not
    for concurrent use. Raises ValueError for a naive `moment`."""
    if timezone.is_naive(moment):
        raise ValueError("travel_to needs an aware datetime")
    real_now, real_localdate = timezone.now, timezone.localdate

    def localdate(value=None, timezone=None):  # noqa: A002 - Django's own parameter name
        return real_localdate(moment if value is None else value, timezone)

    timezone.now, timezone.localdate = (lambda: moment), localdate
    try:
        yield moment
    finally:
        timezone.now, timezone.localdate = real_now, real_localdate
