"""Due-date arithmetic: month ends clamp, leap years, seasons and ten-day periods."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning.cycles import CycleUnit, Season, add_cycle, dekad_period, next_due, next_season_window, periods

D = datetime.date


@pytest.mark.parametrize(("day", "unit", "length", "expected"), [
    (D(2026, 1, 31), CycleUnit.MONTHS, 1, D(2026, 2, 28)),
    (D(2028, 1, 31), CycleUnit.MONTHS, 1, D(2028, 2, 29)),  # leap year
    (D(2026, 3, 31), CycleUnit.MONTHS, 1, D(2026, 4, 30)),
    (D(2026, 8, 31), CycleUnit.QUARTERS, 2, D(2027, 2, 28)),
    (D(2026, 11, 30), CycleUnit.QUARTERS, 1, D(2027, 2, 28)),
    (D(2027, 11, 30), CycleUnit.QUARTERS, 1, D(2028, 2, 29)),
    (D(2026, 8, 31), CycleUnit.HALF_YEARS, 1, D(2027, 2, 28)),
    (D(2028, 2, 29), CycleUnit.YEARS, 1, D(2029, 2, 28)),
    (D(2028, 2, 29), CycleUnit.YEARS, 4, D(2032, 2, 29)),
    (D(2026, 12, 31), CycleUnit.DAYS, 1, D(2027, 1, 1)),
    (D(2028, 2, 28), CycleUnit.DAYS, 1, D(2028, 2, 29)),
    (D(2026, 12, 15), CycleUnit.MONTHS, 1, D(2027, 1, 15)),
])
def test_a_cycle_added_clamps_at_month_ends(day, unit, length, expected):
    assert add_cycle(day, unit, length) == expected


def test_the_next_due_date_counts_from_the_last_completed_check_not_from_an_old_anchor():
    # 31 Jan done → due 28 Feb; done on 28 Feb → due 28 Mar (not 31 Mar): when it was last inspected counts.
    first = next_due(unit=CycleUnit.MONTHS, length=1, start=D(2026, 1, 1), last=D(2026, 1, 31))[0]
    assert first == D(2026, 2, 28)
    assert next_due(unit=CycleUnit.MONTHS, length=1, start=D(2026, 1, 1), last=first)[0] == D(2026, 3, 28)


def test_the_first_check_is_due_on_the_start_date():
    assert next_due(unit=CycleUnit.MONTHS, length=3, start=D(2026, 5, 7), last=None) == (D(2026, 5, 7), None)


@pytest.mark.parametrize(("season", "last", "start", "expected"), [
    (Season.SPRING, None, D(2026, 1, 10), (D(2026, 3, 1), D(2026, 5, 31))),
    (Season.SPRING, None, D(2026, 4, 10), (D(2026, 3, 1), D(2026, 5, 31))),  # the window still open
    (Season.SPRING, None, D(2026, 6, 1), (D(2027, 3, 1), D(2027, 5, 31))),
    (Season.SPRING, D(2026, 4, 2), D(2025, 1, 1), (D(2027, 3, 1), D(2027, 5, 31))),  # served this year
    (Season.AUTUMN, D(2026, 4, 2), D(2025, 1, 1), (D(2026, 9, 1), D(2026, 11, 30))),
    (Season.AUTUMN, D(2026, 11, 30), D(2025, 1, 1), (D(2027, 9, 1), D(2027, 11, 30))),
])
def test_seasonal_windows(season, last, start, expected):
    assert next_season_window(season, last, start) == expected


def test_a_seasonal_schedule_is_due_at_the_end_of_its_window():
    assert next_due(unit=CycleUnit.SEASONAL, length=1, start=D(2026, 1, 1), last=None, season=Season.AUTUMN) == (
        D(2026, 11, 30), D(2026, 9, 1))


@pytest.mark.parametrize(("day", "expected"), [
    (D(2026, 2, 1), (D(2026, 2, 1), D(2026, 2, 10))),
    (D(2026, 2, 15), (D(2026, 2, 11), D(2026, 2, 20))),
    (D(2026, 2, 28), (D(2026, 2, 21), D(2026, 2, 28))),  # 8 days
    (D(2028, 2, 29), (D(2028, 2, 21), D(2028, 2, 29))),  # 9 days
    (D(2026, 1, 31), (D(2026, 1, 21), D(2026, 1, 31))),  # 11 days
])
def test_ten_day_periods(day, expected):
    assert dekad_period(day) == expected


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)),
       st.sampled_from([CycleUnit.MONTHS, CycleUnit.QUARTERS, CycleUnit.HALF_YEARS, CycleUnit.YEARS]),
       st.integers(min_value=1, max_value=24))
def test_a_month_cycle_lands_in_the_right_month_on_the_same_day_or_the_month_end(day, unit, length):
    months = {CycleUnit.MONTHS: 1, CycleUnit.QUARTERS: 3, CycleUnit.HALF_YEARS: 6, CycleUnit.YEARS: 12}[unit] * length
    result = add_cycle(day, unit, length)
    index = day.year * 12 + day.month - 1 + months
    assert (result.year, result.month) == (index // 12, index % 12 + 1)
    following = (result.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    month_end = (following - datetime.timedelta(days=1)).day
    assert result.day == min(day.day, month_end)


@given(st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31)), st.integers(min_value=0, max_value=120))
def test_ten_day_periods_tile_any_range_without_gap_or_overlap(start, days):
    end = start + datetime.timedelta(days=days)
    found = periods(dekad_period, start, end)
    assert found[0][0] <= start and found[-1][1] >= end
    for (_a, last), (first, _b) in zip(found, found[1:], strict=False):
        assert first == last + datetime.timedelta(days=1)
