"""The KPI summary tables (kpis.tallies) stay exact through every kind of hazard write, and the
dashboard's figures read from them equal the KPI sets' own counts over the hazard table."""

import datetime
import random
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.utils import timezone

from hazards.models import AuthorityReport, Hazard, ServiceVisit
from kpis import rules, selectors, tallies
from kpis.models import HazardTally
from tests.hazards.factories import MAJOR_COMPLETE, RiskCategoryFactory

from .conftest import at, hand_built

pytestmark = pytest.mark.django_db
S = Hazard.Status
D = datetime.date
TODAY = D(2026, 6, 15)


def _random_world(rng, *, sites, categories, by, n=40):
    made = []
    for _ in range(n):
        status = rng.choice(S.values)
        discovered = TODAY - datetime.timedelta(days=rng.randrange(200))
        fields = {"deadline": rng.choice([None, discovered + datetime.timedelta(days=rng.randrange(-5, 60))])}
        if status != S.REGISTERED and rng.random() < 0.9:
            fields["notified_at"] = at(discovered + datetime.timedelta(days=1))
        if status in (S.ACCEPTED, S.CLOSED):
            fields["accepted_at"] = at(discovered + datetime.timedelta(days=rng.randrange(1, 70)))
        if status == S.CLOSED:
            closed_on = discovered + datetime.timedelta(days=rng.randrange(1, 90))
            fields["closed_at"] = at(closed_on, hour=rng.choice([1, 23]))  # local day ≠ UTC day at 01:00
        if rng.random() < 0.3:
            fields.update(MAJOR_COMPLETE, severity=Hazard.Severity.MAJOR)
        if rng.random() < 0.2:
            fields["responsible_name"] = rng.choice(["", "\u3000"])
        made.append(hand_built(site=rng.choice(sites), category=rng.choice(categories), by=by, status=status,
                               discovered_on=discovered, supervision_count=rng.choice([0, 0, 1]),
                               service_visits=rng.choice([0, 0, 1]), reports=rng.choice([0, 1]), **fields))
    return made


@pytest.fixture
def categories(category):
    return [category, RiskCategoryFactory(code="GAS", name="燃气", score=3)]


def test_every_kind_of_write_keeps_the_tallies_exact(site_a, site_b, manager_a, categories):
    rng = random.Random(7)
    made = _random_world(rng, sites=[site_a, site_b], categories=categories, by=manager_a)
    assert tallies.differences(today=TODAY) == []
    # Edits through save(): state, dates, severity, category, the unit (a site move), closing.
    for hazard in rng.sample(made, 15):
        hazard.status = rng.choice(S.values)
        hazard.discovered_on -= datetime.timedelta(days=rng.randrange(3))
        hazard.deadline = rng.choice([None, TODAY - datetime.timedelta(days=rng.randrange(-9, 9))])
        hazard.category = rng.choice(categories)
        hazard.severity = rng.choice(Hazard.Severity.values)
        hazard.unit = rng.choice([site_a.unit, site_b.unit])
        hazard.closed_at = at(TODAY) if hazard.status == S.CLOSED else None
        hazard.save()
    # Service visits and authority reports written and deleted.
    ServiceVisit.objects.filter(hazard__in=made[:10]).delete()
    for report in AuthorityReport.objects.all()[:3]:
        report.delete()
    lone = hand_built(site=site_b, category=categories[1], by=manager_a, status=S.RECTIFYING, discovered_on=TODAY)
    assert tallies.differences(today=TODAY) == []
    lone.delete()
    assert tallies.differences(today=TODAY) == []
    assert HazardTally.objects.exists()


def test_a_write_without_signals_is_found_by_check_and_repaired_by_rebuild(site_a, manager_a, category, capsys):
    hazard = hand_built(site=site_a, category=category, by=manager_a, discovered_on=TODAY)
    call_command("rebuild_kpi_tallies", "--check")
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0"
    Hazard.objects.filter(pk=hazard.pk).update(status=S.VOIDED)  # no signal
    with pytest.raises(CommandError, match="1 tally cells differ|tally cells differ"):
        call_command("rebuild_kpi_tallies", "--check")
    assert "found 1 ≠ 0" in capsys.readouterr().out
    call_command("rebuild_kpi_tallies")
    assert int(capsys.readouterr().out.strip().splitlines()[-1]) > 0
    assert tallies.differences() == []


def test_tallied_figures_equal_each_sets_own_count(site_a, site_b, manager_a, categories):
    rng = random.Random(11)
    _random_world(rng, sites=[site_a, site_b], categories=categories, by=manager_a, n=60)
    start, end = TODAY - datetime.timedelta(days=120), TODAY - datetime.timedelta(days=10)
    figures = selectors.kpi_figures(user=None, unit=site_a.unit.parent or site_a.unit, start=start, end=end,
                                    today=TODAY)
    hazards = selectors.subtree_queryset(Hazard.objects.all(), site_a.unit.parent or site_a.unit)
    checked = 0
    for row in figures["kpis"]:
        base = selectors.annotate_sets(hazards.filter(rules.in_period_q(row.kpi.period, start, end)))
        for key, figure in ((row.kpi.numerator, row.numerator), (row.kpi.base, row.base)):
            assert figure.value == base.filter(rules.SETS[key].q(TODAY)).count(), key
            checked += 1
    assert checked == 2 * len(rules.KPIS)
    cohort = hazards.filter(discovered_on__gte=start, discovered_on__lte=end)
    closed = sorted(timezone.localtime(h.closed_at).date() - h.discovered_on
                    for h in cohort.filter(status=S.CLOSED))
    if closed:
        rank = -(-90 * len(closed) // 100)
        assert figures["days_to_close"]["p90"] == closed[rank - 1].days
    for _label, figure in figures["by_category"]:
        assert figure.value == cohort.exclude(status=S.VOIDED).filter(category=figure.query["category"]).count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_of_one_cell_both_count(site_a, manager_a, category):
    first = hand_built(site=site_a, category=category, by=manager_a, discovered_on=TODAY)
    second = hand_built(site=site_a, category=category, by=manager_a, discovered_on=TODAY)
    barrier = threading.Barrier(2)
    errors = []

    def close(pk):
        try:
            hazard = Hazard.objects.get(pk=pk)
            barrier.wait()
            hazard.status, hazard.closed_at = S.CLOSED, at(TODAY)
            hazard.save()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close, args=(h.pk,)) for h in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cell = HazardTally.objects.get(unit=site_a.unit, kind="d", day=TODAY)
    assert (cell.closed, cell.open) == (2, 0)
    assert tallies.differences() == []


@pytest.mark.parametrize(("start", "end"), [
    (D(2026, 1, 1), D(2026, 6, 15)),  # whole months, then days
    (D(2026, 1, 17), D(2026, 5, 31)),  # days, then whole months
    (D(2026, 2, 3), D(2026, 2, 20)),  # inside one month
    (D(2026, 2, 1), D(2026, 2, 28)),  # exactly one month
    (D(2025, 12, 30), D(2026, 1, 2)),  # across the year, no whole month
    (D(2026, 3, 31), D(2026, 4, 1)),
])
def test_month_and_day_rows_add_up_to_any_period(site_a, manager_a, category, start, end):
    rng = random.Random(start.toordinal())
    for _ in range(25):
        day = D(2025, 12, 1) + datetime.timedelta(days=rng.randrange(200))
        hand_built(site=site_a, category=category, by=manager_a, discovered_on=day,
                   status=rng.choice([S.REGISTERED, S.VOIDED, S.CLOSED]),
                   closed_at=at(day + datetime.timedelta(days=rng.randrange(30))))
    figures = selectors.kpi_figures(user=None, unit=site_a.unit, start=start, end=end, today=TODAY)
    found = Hazard.objects.filter(discovered_on__gte=start, discovered_on__lte=end).exclude(status=S.VOIDED)
    assert figures["found"].value == found.count()
    months = selectors.monthly_found_closed(user=None, unit=site_a.unit, start=start, end=end)
    assert sum(m["found"].value for m in months) == found.count()
    closed = [h for h in Hazard.objects.filter(closed_at__isnull=False)
              if start <= timezone.localtime(h.closed_at).date() <= end]
    assert sum(m["closed"].value for m in months) == len(closed)
    assert tallies.differences(today=TODAY) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_unit_saving_several_hazards_neither_deadlock_nor_miss(site_a, manager_a, category,
                                                                                  settings):
    """Two transactions each save two hazards of one unit in opposite day order (as two notices
    do): the tallies are recounted after each commit, so neither waits on the other's tally rows
    while holding its own, and both changes are counted."""
    settings.KPI_TALLIES_IMMEDIATE = False
    day1, day2 = TODAY - datetime.timedelta(days=2), TODAY - datetime.timedelta(days=1)
    first = [hand_built(site=site_a, category=category, by=manager_a, discovered_on=d) for d in (day1, day2)]
    second = [hand_built(site=site_a, category=category, by=manager_a, discovered_on=d) for d in (day2, day1)]
    assert HazardTally.objects.get(unit=site_a.unit, kind="d", span="d", day=day1).st_registered == 2
    barrier = threading.Barrier(2)
    errors = []

    def notify(hazards):
        try:
            with transaction.atomic():
                for i, hazard in enumerate(hazards):
                    hazard.status, hazard.notified_at = S.NOTIFIED, at(TODAY)
                    hazard.save()
                    if i == 0:
                        barrier.wait(timeout=10)
                        time.sleep(0.2)  # both hold their first save before either saves again
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=notify, args=(hazards,)) for hazards in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for day in (day1, day2):
        cell = HazardTally.objects.get(unit=site_a.unit, kind="d", span="d", day=day)
        assert (cell.st_registered, cell.st_notified, cell.notified) == (0, 2, 2)
    assert tallies.differences() == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="table locks: PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_during_a_write_waits_for_it(site_a, manager_a, category, settings):
    settings.KPI_TALLIES_IMMEDIATE = False
    hazard = hand_built(site=site_a, category=category, by=manager_a, discovered_on=TODAY)
    saved = threading.Event()
    errors = []

    def slow_edit():
        try:
            with transaction.atomic():
                Hazard.objects.select_for_update().get(pk=hazard.pk)
                hazard.discovered_on = TODAY - datetime.timedelta(days=1)
                hazard.save()
                # A recount of the cells marked so far, as a slow request would hold them.
                tallies.recount(tallies.hazard_cells(tallies.key_values(hazard)))
                saved.set()
                time.sleep(1)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_edit)
    writer.start()
    saved.wait(timeout=10)
    tallies.rebuild()
    writer.join()
    assert errors == []
    assert tallies.differences() == []
