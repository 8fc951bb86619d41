"""Date arithmetic of schedules, pure functions (no database): the next due date from the last
completed inspection and a cycle, the seasonal windows, the ten-day periods (旬) of risk reviews.

Month arithmetic is python-dateutil's `relativedelta`, which clamps at month ends: 31 Jan + 1 month
is 28 Feb (29 Feb in a leap year), 29 Feb + 1 year is 28 Feb. Each due date is computed from the
date the previous cycle ended (the last completed inspection, or the missed due date), never by
adding n cycles to an old anchor: what counts is when the site was last inspected.
"""

from __future__ import annotations

import calendar
import datetime

from dateutil.relativedelta import relativedelta
from django.db import models
from django.utils.translation import gettext_lazy as _


class CycleUnit(models.TextChoices):
    DAYS = "days", _("Days")
    MONTHS = "months", _("Months")
    QUARTERS = "quarters", _("Quarters")
    HALF_YEARS = "half_years", _("Half-years")
    YEARS = "years", _("Years")
    SEASONAL = "seasonal", _("Seasonal window")


class Season(models.TextChoices):
    SPRING = "spring", _("Spring")
    AUTUMN = "autumn", _("Autumn")


# The windows of the spring and autumn safety checks (春检/秋检): (first month, day), (last month, day).
SEASON_WINDOWS = {
    Season.SPRING: ((3, 1), (5, 31)),
    Season.AUTUMN: ((9, 1), (11, 30)),
}

_MONTHS_PER = {CycleUnit.MONTHS: 1, CycleUnit.QUARTERS: 3, CycleUnit.HALF_YEARS: 6, CycleUnit.YEARS: 12}


def add_cycle(day: datetime.date, unit: str, length: int) -> datetime.date:
    """`day` plus `length` cycles of `unit`, clamped at month ends."""
    if length < 1:
        raise ValueError("a cycle is at least 1")
    if unit == CycleUnit.DAYS:
        return day + datetime.timedelta(days=length)
    if unit in _MONTHS_PER:
        return day + relativedelta(months=_MONTHS_PER[unit] * length)
    raise ValueError(f"no fixed cycle for {unit!r}")


def season_window(season: str, year: int) -> tuple[datetime.date, datetime.date]:
    (m1, d1), (m2, d2) = SEASON_WINDOWS[season]
    return datetime.date(year, m1, d1), datetime.date(year, m2, d2)


def next_season_window(season: str, after: datetime.date | None, start: datetime.date
                       ) -> tuple[datetime.date, datetime.date]:
    """The first window of `season` not yet served: after the window that holds `after` (the last
    completed or missed check), and not ending before `start` (the schedule's first day)."""
    year = start.year
    while True:
        first, last = season_window(season, year)
        if last >= start and (after is None or first > after):
            return first, last
        year += 1


def next_due(*, unit: str, length: int, start: datetime.date, last: datetime.date | None,
             season: str = "") -> tuple[datetime.date, datetime.date | None]:
    """(due date, window start or None) of the next check: `last` + cycle, or `start` for the first;
    for a seasonal schedule the end of the next unserved window (and its first day)."""
    if unit == CycleUnit.SEASONAL:
        first, end = next_season_window(season, last, start)
        return end, first
    if last is None:
        return start, None
    return add_cycle(last, unit, length), None


# ---------------------------------------------------------------- review periods

def month_period(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The calendar month holding `day`: (first, last day)."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def dekad_period(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The ten-day period (旬) holding `day`: 1–10, 11–20, 21–end of month (8 to 11 days)."""
    if day.day <= 10:
        return day.replace(day=1), day.replace(day=10)
    if day.day <= 20:
        return day.replace(day=11), day.replace(day=20)
    return day.replace(day=21), month_period(day)[1]


def periods(cadence_period, start: datetime.date, end: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """Every period (as `cadence_period` cuts them) that overlaps [start, end]."""
    found = []
    day = start
    while day <= end:
        first, last = cadence_period(day)
        found.append((first, last))
        day = last + datetime.timedelta(days=1)
    return found
