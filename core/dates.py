"""The local calendar. Deadlines are days (DateFields) in the site's time zone, settings.TIME_ZONE
(Asia/Shanghai by default; sites have no time zone of their own). A day ends at local midnight:
at 23:59:59 in Shanghai (15:59:59 UTC) a hazard due that day is still in time, at 00:00 it is
one day late. Every rule that needs "today" asks `today_local()`, never `date.today()` (the
server's zone) or `timezone.now().date()` (UTC).

Working days (工作日) are China's: `working_days_after` is the one place that counts them."""

from __future__ import annotations

import contextlib
import datetime
import re
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _


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


def local_day(moment: datetime.datetime) -> datetime.date:
    """The local date of an aware instant (what "entered on" means for a row's timestamp)."""
    return timezone.localdate(moment)


# --- working days ----------------------------------------------------------------------------

# At most this many working days ahead (about a year and a half): a deadline, not a plan.
MAX_WORKING_DAYS = 400

# "5 working days", "5 working day", "5wd", "5 个工作日", "5工作日" (the whole input, nothing else).
WORKING_DAYS = re.compile(r"^\s*(\d{1,4})\s*(?:working\s*days?|wd|个?\s*工作日)\s*$", re.IGNORECASE)


class WorkingDaysUnknown(ValueError):
    """The calendar of a year is not known (not yet published, or outside the package's data)."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(_("China's public holidays for %(year)d are not in the calendar yet: enter the "
                           "date itself.") % {"year": year})


def parse_working_days(text) -> int | None:
    """The N of "N working days" (English, "N wd", or "N 个工作日"/"N工作日"); None if `text` is
    not such an expression. Raises ValueError for N outside 1..MAX_WORKING_DAYS."""
    match = WORKING_DAYS.match(str(text or ""))
    if not match:
        return None
    n = int(match.group(1))
    if not 1 <= n <= MAX_WORKING_DAYS:
        raise ValueError(_("Enter between 1 and %(max)d working days.") % {"max": MAX_WORKING_DAYS})
    return n


def is_working_day(day: datetime.date) -> bool:
    """A working day in mainland China: Monday to Friday unless a public holiday, plus the
    weekend days the State Council moves to working days (调休)."""
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise WorkingDaysUnknown(day.year) from None


def working_days_after(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (start itself not counted): "5 working days" from a
    Friday is the next Friday in an ordinary week.

    The rule is the State Council General Office's yearly notice on public holidays
    (国务院办公厅关于…部分节假日安排的通知): its holidays are not working days, and the weekend
    days it names as working days (调休上班) are. The dates come from the `chinese-calendar`
    package (PyPI, github.com/LKI/chinese-calendar), which transcribes those notices; a year it
    does not cover raises WorkingDaysUnknown (its message says what to do), never a guess."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day
