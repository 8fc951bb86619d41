"""The local calendar. Deadlines are days (DateFields) in the site's time zone, settings.TIME_ZONE
(Asia/Shanghai by default; sites have no time zone of their own). A day ends at local midnight:
at 23:59:59 in Shanghai (15:59:59 UTC) a hazard due that day is still in time, at 00:00 it is
one day late. Every rule that needs "today" asks `today_local()`, never `date.today()` (the
server's zone) or `timezone.now().date()` (UTC)."""

from __future__ import annotations

import datetime

from django.utils import timezone


def today_local() -> datetime.date:
    """Today's date in settings.TIME_ZONE."""
    # Looked up at call time (not imported by name) so a clock set in tests or the demo applies.
    return timezone.localdate()


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The aware instant at which `day` begins in settings.TIME_ZONE."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
