"""Spot checks: the same seed draws the same sample, the size and the category proportions hold,
small units get their minimum, and a drawn plan is never drawn again."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st

from planning import services
from planning.models import SpotCheckPick, SpotCheckPlan, Task
from tests.factories import SiteFactory

D = datetime.date
PROPORTIONS = [["mining", 30], ["chemical", 30], ["metallurgy", 15], ["gas", 15], ["*", 10]]
CATEGORIES = ["mining", "chemical", "metallurgy", "gas", "public", "commercial"]


def _population(n):
    return [(i, f"S{i:05d}", CATEGORIES[i % len(CATEGORIES)]) for i in range(1, n + 1)]


def test_the_same_seed_draws_the_same_sample_and_another_seed_another():
    sites = _population(600)
    first = services.spot_check_sample(sites=sites, percentage=Decimal("10"), minimum=3, proportions=PROPORTIONS,
                                       seed=42)
    again = services.spot_check_sample(sites=list(reversed(sites)), percentage=Decimal("10"), minimum=3,
                                       proportions=PROPORTIONS, seed=42)
    other = services.spot_check_sample(sites=sites, percentage=Decimal("10"), minimum=3, proportions=PROPORTIONS,
                                       seed=43)
    assert first.picks == again.picks  # the order of the rows read does not matter
    assert first.picks != other.picks


def test_the_sample_follows_the_proportions():
    sample = services.spot_check_sample(sites=_population(600), percentage=Decimal("10"), minimum=3,
                                        proportions=PROPORTIONS, seed=7)
    assert sample.size == 60 and sample.population == 600
    assert Counter(stratum for _i, _c, stratum in sample.picks) == {
        "mining": 18, "chemical": 18, "metallurgy": 9, "gas": 9, "*": 6}
    assert len({site_id for site_id, _c, _s in sample.picks}) == 60


def test_a_small_unit_gets_its_minimum_and_a_thin_stratum_passes_its_share_on():
    sites = [(1, "A1", "mining"), (2, "A2", "public"), (3, "A3", "public"), (4, "A4", "public"),
             (5, "A5", "public"), (6, "A6", "chemical")]
    sample = services.spot_check_sample(sites=sites, percentage=Decimal("2"), minimum=4, proportions=PROPORTIONS,
                                        seed=1)
    assert sample.size == 4  # 2 % of 6 rounds up to 1; the minimum is 4
    counts = Counter(stratum for _i, _c, stratum in sample.picks)
    assert counts["mining"] == 1 and counts["chemical"] == 1 and counts["*"] == 2


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=0, max_value=300), pct=st.integers(min_value=0, max_value=100),
       minimum=st.integers(min_value=0, max_value=20), seed=st.integers(min_value=0, max_value=2**40))
def test_any_sample_has_the_promised_size_without_repeats(n, pct, minimum, seed):
    import math

    sites = _population(n)
    sample = services.spot_check_sample(sites=sites, percentage=Decimal(pct), minimum=minimum,
                                        proportions=PROPORTIONS, seed=seed)
    assert sample.size == min(n, max(minimum, math.ceil(n * pct / 100)))
    assert len({p[0] for p in sample.picks}) == sample.size


@pytest.mark.parametrize(("text", "message"), [
    ("mining:30,coal:10", "unknown category “coal”"),
    ("mining:x", "whole number"),
    ("mining:10,mining:5", "listed twice"),
    ("mining:0,*:0", "add up to 0"),
])
def test_bad_proportions_are_refused_with_the_part_named(text, message):
    with pytest.raises(Exception) as error:
        services.parse_proportions(text)
    assert message in " ".join(error.value.messages)


@pytest.mark.django_db
def test_the_command_prints_the_codes_then_the_count_and_the_same_seed_gives_the_same_list(team_a, capsys):
    from tests.audits.factories import make_standard

    make_standard()
    for i in range(40):
        SiteFactory(unit=team_a, code=f"T{i:03d}", category=CATEGORIES[i % len(CATEGORIES)])
    args = ["draw_spot_checks", "--unit", team_a.code, "--month", "2026-12", "--seed", "2026", "--percent", "10",
            "--proportions", "mining:30,chemical:30,metallurgy:15,gas:15,*:10"]
    call_command(*args, "--dry-run")
    dry = capsys.readouterr().out.split()
    assert not SpotCheckPlan.objects.exists()
    call_command(*args)
    drawn = capsys.readouterr().out.split()
    call_command(*args)
    again = capsys.readouterr().out.split()
    assert dry == drawn == again
    assert drawn[-1] == "4" and len(drawn) == 5 and all(code.startswith("T") for code in drawn[:-1])
    plan = SpotCheckPlan.objects.get()
    assert (plan.seed, plan.population, plan.status, plan.month) == (2026, 40, "drawn", D(2026, 12, 1))
    assert list(SpotCheckPick.objects.order_by("rank").values_list("site__code", flat=True)) == drawn[:-1]
    tasks = Task.objects.filter(plan=plan)
    assert tasks.count() == 4
    assert set(tasks.values_list("kind", "source", "due_date", "window_start")) == {
        ("spot_check", "spot_check", D(2026, 12, 31), D(2026, 12, 1))}
    with pytest.raises(CommandError, match="drawn with seed 2026"):
        call_command("draw_spot_checks", "--unit", team_a.code, "--month", "2026-12", "--seed", "7")
    assert Task.objects.count() == 4
