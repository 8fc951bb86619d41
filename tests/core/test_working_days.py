"""Working days (工作日) with China's 2026 public holidays and adjusted working days (调休), as
published by the State Council: Mid-Autumn 2026-09-25..27, National Day 2026-10-01..07, with
Sunday 2026-09-20 and Saturday 2026-10-10 worked."""

import datetime

import pytest

from core.dates import WorkingDaysUnknown, is_working_day, parse_working_days, working_days_after

D = datetime.date


def test_an_ordinary_week_skips_the_weekend():
    # Friday 2026-12-04 + 5 working days = Friday 2026-12-11.
    assert working_days_after(D(2026, 12, 4), 5) == D(2026, 12, 11)
    assert working_days_after(D(2026, 12, 7), 1) == D(2026, 12, 8)


def test_national_day_week_is_skipped_and_its_adjusted_saturday_counts():
    # From Wednesday 2026-09-30: 1 Oct..7 Oct are holidays, Thu 8, Fri 9, Sat 10 (调休) worked.
    assert working_days_after(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert working_days_after(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # Sunday 11 is a rest day again.
    assert working_days_after(D(2026, 9, 30), 4) == D(2026, 10, 12)


def test_the_adjusted_sunday_before_mid_autumn_counts():
    assert is_working_day(D(2026, 9, 20)) and not is_working_day(D(2026, 9, 19))
    # Saturday 19 + 1 working day = Sunday 20 (调休); Thursday 24 + 1 = Monday 28 (Mid-Autumn 25..27).
    assert working_days_after(D(2026, 9, 19), 1) == D(2026, 9, 20)
    assert working_days_after(D(2026, 9, 24), 1) == D(2026, 9, 28)


def test_a_year_without_published_holidays_is_refused_with_the_year():
    with pytest.raises(WorkingDaysUnknown) as exc:
        working_days_after(D(2026, 12, 28), 10)
    assert "2027" in str(exc.value)


@pytest.mark.parametrize(("text", "n"), [
    ("5 working days", 5), ("5 Working Days", 5), ("1 working day", 1), ("5wd", 5), ("5 wd", 5),
    ("5 个工作日", 5), ("5工作日", 5), (" 12 个工作日 ", 12),
])
def test_working_day_expressions(text, n):
    assert parse_working_days(text) == n


@pytest.mark.parametrize("text", ["", "2026-12-10", "5 days", "five working days", "5 working days later", None])
def test_other_text_is_not_an_expression(text):
    assert parse_working_days(text) is None


def test_zero_or_too_many_working_days_are_refused():
    with pytest.raises(ValueError):
        parse_working_days("0 wd")
    with pytest.raises(ValueError):
        parse_working_days("9999 wd")
