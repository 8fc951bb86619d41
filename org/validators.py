"""Bounds of what users type, shared by forms, models (full_clean) and imports: text lengths,
single-line names and plausible dates. A form field and its model field use the same limits, so
a value the form accepts is never refused later, and an import that calls full_clean (or reads
the model's max_length) reports the same limit with its row and column."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.dates import today_local

# Free text typed in a box: a hazard's description, measures, findings, reasons, comments. Long
# enough for any real one (a page of Chinese), short enough that a notice stays a few pages.
LONG_TEXT_MAX = 2000
# A person's name (responsible party, acknowledged by, submitted by).
PERSON_NAME_MAX = 100

# No date in this product is before the system's era, nor decades ahead.
EARLIEST_DATE = datetime.date(2000, 1, 1)
YEARS_AHEAD = 10


def long_text(max_length: int = LONG_TEXT_MAX) -> dict:
    """Keyword arguments of a TextField users type into: the form's maxlength and the model's
    check (Django does not check a TextField's max_length by itself)."""
    return {"max_length": max_length, "validators": [MaxLengthValidator(max_length)]}


# Names, titles and addresses are one line: a line break or other control character in them is
# a paste accident, and such text was once used to break out of a CSS string in a document.
single_line = RegexValidator(r"[\x00-\x1f\x7f]", inverse_match=True,
                             message=_("Enter this on one line, without line breaks or tabs."),
                             code="single_line")


def latest_date() -> datetime.date:
    today = today_local()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _show(value: datetime.date) -> str:
    return date_format(value, "DATE_FORMAT")


def validate_plausible_date(value: datetime.date) -> None:
    """Not before 2000-01-01 and not more than ten years ahead (year 0001 or 9999 is a typo)."""
    if value is None:
        return
    if value < EARLIEST_DATE:
        raise ValidationError(_("Enter a date on or after %(date)s.") % {"date": _show(EARLIEST_DATE)},
                              code="date_too_early")
    latest = latest_date()
    if value > latest:
        raise ValidationError(_("Enter a date no later than %(date)s.") % {"date": _show(latest)},
                              code="date_too_late")


def validate_past_date(value: datetime.date) -> None:
    """A date something happened on (discovery, inspection, service, report): plausible and not
    after today."""
    validate_plausible_date(value)
    if value is not None and value > today_local():
        raise ValidationError(_("This date is in the future: enter the day it happened."), code="date_in_future")


def validate_not_before(value: datetime.date | None, earliest: datetime.date | None, message) -> None:
    """Raise `message` (with %(date)s = earliest) when value is before earliest."""
    if value is not None and earliest is not None and value < earliest:
        raise ValidationError(message % {"date": _show(earliest)}, code="date_order")


def date_input_bounds(*, past: bool = False) -> dict:
    """min/max attributes of an <input type="date"> for the same bounds (the browser's picker)."""
    latest = today_local() if past else latest_date()
    return {"min": EARLIEST_DATE.isoformat(), "max": latest.isoformat()}


def command_date(value: str, option: str) -> datetime.date:
    """A management command's day option (`--date 2026-12-07`): ISO YYYY-MM-DD within the plausible
    range of validate_plausible_date (2000-01-01 to ten years ahead). Raises CommandError naming the
    option, so a typo such as 9999-12-31 is refused with a message, never a traceback."""
    from django.core.management.base import CommandError

    try:
        day = datetime.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise CommandError(f"{option} {value!r}: give a day as YYYY-MM-DD, e.g. {today_local().isoformat()}") from None
    try:
        validate_plausible_date(day)
    except ValidationError as exc:
        raise CommandError(f"{option} {value!r}: {' '.join(str(m) for m in exc.messages)}") from None
    return day
