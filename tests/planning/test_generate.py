"""Task generation: the horizon, idempotency (a rerun creates nothing; two concurrent runs on
PostgreSQL create each task once), missed tasks, and an inspection's submission rolling the
schedule forward."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from audits import services as audit_services
from audits.models import Inspection
from planning import services
from planning.cycles import CycleUnit, Season
from planning.models import Schedule, ScheduleRule, Task, TaskEvent
from tests.factories import SiteFactory

from .conftest import make_schedule

pytestmark = pytest.mark.django_db
D = datetime.date


def test_tasks_are_generated_within_the_horizon_with_their_history(site_a, standard, group_a):
    near = make_schedule(site_a, standard, next_due=D(2026, 12, 20), group=group_a)
    other = SiteFactory(unit=site_a.unit)
    far = make_schedule(other, standard, next_due=D(2027, 2, 1))

    created = services.tasks_generate(today=D(2026, 12, 6), horizon=30)

    assert created == 1
    task = Task.objects.get()
    assert (task.schedule, task.site, task.unit, task.due_date) == (near, site_a, site_a.unit, D(2026, 12, 20))
    assert (task.window_start, task.window_end) == (D(2026, 12, 13), D(2026, 12, 27))
    assert task.status == Task.Status.ASSIGNED and task.group == group_a  # the schedule's group
    assert list(task.events.values_list("action", "to_status")) == [("created", "assigned")]
    assert not far.tasks.exists()


def test_a_second_run_creates_nothing_and_the_command_prints_zero(site_a, standard, capsys):
    for _ in range(5):
        make_schedule(SiteFactory(unit=site_a.unit), standard, next_due=D(2026, 12, 10))

    call_command("generate_tasks", "--date", "2026-12-06", "--horizon", "30")
    first = capsys.readouterr().out.strip().splitlines()[-1]
    call_command("generate_tasks", "--date", "2026-12-06", "--horizon", "30")
    second = capsys.readouterr().out.strip().splitlines()[-1]

    assert (first, second) == ("5", "0")
    assert Task.objects.count() == 5 and TaskEvent.objects.count() == 5


def test_an_overdue_schedule_gets_one_task_due_today_and_no_more_on_later_days(site_a, standard):
    make_schedule(site_a, standard, next_due=D(2026, 9, 1))
    assert services.tasks_generate(today=D(2026, 12, 6)) == 1
    assert services.tasks_generate(today=D(2026, 12, 7)) == 0
    task = Task.objects.get()
    assert task.due_date == D(2026, 12, 6)


def test_missed_tasks_are_marked_counted_and_move_the_schedule_on(site_a, standard):
    schedule = make_schedule(site_a, standard, next_due=D(2026, 12, 10), window_days=3)
    services.tasks_generate(today=D(2026, 12, 6))

    assert services.tasks_mark_missed(today=D(2026, 12, 13)) == 0  # window ends on the 13th
    assert services.tasks_mark_missed(today=D(2026, 12, 14)) == 1

    task = Task.objects.get()
    assert task.status == Task.Status.MISSED and task.closed_at is not None
    assert task.events.filter(action="missed", from_status="assigned") .exists() is False
    assert task.events.filter(action="missed", from_status="planned", to_status="missed").exists()
    schedule.refresh_from_db()
    assert schedule.next_due == D(2027, 1, 10) and schedule.last_done is None
    assert services.tasks_mark_missed(today=D(2026, 12, 15)) == 0


def test_the_command_counts_missed_tasks_and_creates_the_next(site_a, standard, capsys):
    make_schedule(site_a, standard, next_due=D(2026, 12, 10), window_days=3)
    services.tasks_generate(today=D(2026, 12, 6))
    call_command("generate_tasks", "--date", "2027-01-02", "--horizon", "30")
    out = capsys.readouterr().out.strip().splitlines()
    assert "tasks missed 1" in out[0] and out[-1] == "1"
    assert list(Task.objects.order_by("due_date").values_list("status", "due_date")) == [
        ("missed", D(2026, 12, 10)), ("planned", D(2027, 1, 10))]


def test_a_seasonal_schedule_generates_its_window(site_a, standard):
    make_schedule(site_a, standard, kind="special", cycle_unit=CycleUnit.SEASONAL, season=Season.AUTUMN,
                  next_due=D(2026, 11, 30), start_date=D(2026, 1, 1))
    Schedule.objects.update(next_window_start=D(2026, 9, 1))
    assert services.tasks_generate(today=D(2026, 11, 5)) == 1
    task = Task.objects.get()
    assert (task.window_start, task.due_date, task.window_end) == (D(2026, 9, 1), D(2026, 11, 30), D(2026, 11, 30))


def _score_all(inspection, by):
    for result in inspection.results.select_related("item"):
        audit_services.result_save(inspection=inspection, item=result.item, earned=Decimal("0"),
                                   not_applicable=False, by=by)


def test_starting_a_task_and_submitting_its_inspection_completes_it_and_rolls_the_site_forward(
        site_a, standard, group_a, inspector_a, monkeypatch):
    schedule = make_schedule(site_a, standard, next_due=D(2026, 12, 8), group=group_a)
    services.tasks_generate(today=D(2026, 12, 6))
    task = Task.objects.get()
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a: D(2026, 12, 6))

    inspection = services.task_start(task=task, by=inspector_a)

    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS and task.inspection == inspection
    assert (inspection.site, inspection.kind, inspection.standard, inspection.group) == (
        site_a, "periodic", standard, group_a)
    assert list(inspection.inspectors.all()) == [inspector_a]
    _score_all(inspection, inspector_a)
    audit_services.inspection_submit(inspection=inspection, by=inspector_a)

    task.refresh_from_db()
    schedule.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert list(task.events.values_list("action", flat=True)) == ["created", "started", "done"]
    assert (schedule.last_done, schedule.next_due) == (D(2026, 12, 6), D(2027, 1, 6))


def test_an_inspection_made_without_the_task_completes_it_too(site_a, standard, inspector_a, monkeypatch):
    make_schedule(site_a, standard, next_due=D(2026, 12, 8))
    services.tasks_generate(today=D(2026, 12, 6))
    inspection = audit_services.inspection_create(standard=standard, kind="periodic", date=D(2026, 12, 1),
                                                  site=site_a, by=inspector_a)
    _score_all(inspection, inspector_a)
    audit_services.inspection_submit(inspection=inspection, by=inspector_a)
    task = Task.objects.get()
    assert task.status == Task.Status.DONE and task.inspection == inspection
    assert Schedule.objects.get().next_due == D(2027, 1, 1)


def test_a_reopened_inspection_puts_its_task_back_in_progress(site_a, standard, inspector_a, manager_a):
    inspection = audit_services.inspection_create(standard=standard, kind="special", date=D(2026, 12, 1),
                                                  site=site_a, by=inspector_a)
    task = services.tasks_create(sites=[site_a], kind="special", standard=standard, due_date=D(2026, 12, 1),
                                 by=manager_a)[0]
    _score_all(inspection, inspector_a)
    audit_services.inspection_submit(inspection=inspection, by=inspector_a)
    audit_services.inspection_reopen(inspection=Inspection.objects.get(pk=inspection.pk), reason="补录",
                                     by=manager_a)
    task.refresh_from_db()
    assert task.status == Task.Status.IN_PROGRESS and task.closed_at is None


def test_rules_make_schedules_for_matching_sites_from_their_last_inspection(branch_a, site_a, standard, inspector_a):
    low = SiteFactory(unit=site_a.unit, voltage_level="0.4kV", inspection_cycle_months=3)
    inspection = audit_services.inspection_create(standard=standard, kind="special", date=D(2026, 4, 10),
                                                  site=site_a, by=inspector_a)
    Inspection.objects.filter(pk=inspection.pk).update(status="submitted")
    ScheduleRule.objects.create(name="每站月检", unit=branch_a, standard=standard, use_site_cycle=True)
    ScheduleRule.objects.create(name="10kV 春检", unit=branch_a, standard=standard, kind="special",
                                cycle_unit=CycleUnit.SEASONAL, season=Season.SPRING, voltage_from="10kV")

    result = services.schedules_sync(today=D(2026, 2, 1))

    assert result.created == 3
    periodic = Schedule.objects.get(site=low, kind="periodic")
    assert (periodic.cycle_unit, periodic.cycle_length, periodic.next_due) == ("months", 3, D(2026, 2, 1))
    spring = Schedule.objects.get(site=site_a, kind="special")
    assert (spring.last_done, spring.next_window_start, spring.next_due) == (
        D(2026, 4, 10), D(2027, 3, 1), D(2027, 5, 31))
    assert not Schedule.objects.filter(site=low, kind="special").exists()  # 0.4 kV: no spring check
    assert services.schedules_sync(today=D(2026, 2, 1)).created == 0


def test_a_schedule_edited_for_its_site_is_left_alone_by_its_rule(rule_a, site_a, standard, manager_a):
    services.schedules_sync(today=D(2026, 2, 1))
    schedule = Schedule.objects.get()
    services.schedule_update(schedule=schedule, standard=standard, group=None, cycle_unit=CycleUnit.QUARTERS,
                             cycle_length=1, season="", window_days=5, active=True, by=manager_a)
    ScheduleRule.objects.filter(pk=rule_a.pk).update(cycle_length=2)
    assert services.schedules_sync(today=D(2026, 2, 1)).updated == 0
    schedule.refresh_from_db()
    assert (schedule.cycle_unit, schedule.cycle_length, schedule.overridden) == ("quarters", 1, True)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_generators_running_at_once_create_each_task_once(site_a, standard):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    sites = [SiteFactory(unit=site_a.unit) for _ in range(60)]
    for site in sites:
        make_schedule(site, standard, next_due=D(2026, 12, 10))
    barrier = threading.Barrier(2)
    counts, errors = [], []

    def run():
        try:
            barrier.wait()
            counts.append(services.tasks_generate(today=D(2026, 12, 6)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(counts) == 60
    assert Task.objects.count() == 60 and TaskEvent.objects.count() == 60
