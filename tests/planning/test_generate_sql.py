"""PostgreSQL only: the generator's one-statement insert (services._GENERATE_SQL) writes the same
tasks and history as the Python rows other databases get (services._task_row), and the task list's
filters, sorts and search have their indexes while generated tasks write no index they do not need."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from planning import services
from planning.cycles import CycleUnit, Season
from planning.filters import TaskFilter
from planning.models import Schedule, Task, TaskEvent
from tests.factories import SiteFactory

from .conftest import make_schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
D = datetime.date
TODAY = D(2026, 12, 6)


@pytest.fixture(autouse=True)
def _needs_postgres():
    assert connection.vendor == "postgresql", "these tests need PostgreSQL (set DATABASE_URL)"


@pytest.fixture
def schedules(site_a, standard, group_a):
    """One schedule of each shape the generator distinguishes, plus two it must leave alone."""
    def site():
        return SiteFactory(unit=site_a.unit)

    shapes = {
        "monthly with a group": make_schedule(site(), standard, next_due=D(2026, 12, 20), group=group_a),
        "overdue": make_schedule(site(), standard, next_due=D(2026, 10, 1), window_days=3),
        "no window": make_schedule(site(), standard, next_due=D(2027, 1, 5), window_days=0),
        "seasonal": make_schedule(site(), standard, kind="special", cycle_unit=CycleUnit.SEASONAL,
                                  season=Season.AUTUMN, next_due=D(2026, 12, 30), start_date=D(2026, 1, 1)),
        "seasonal, no window start": make_schedule(site(), standard, kind="special", cycle_unit=CycleUnit.SEASONAL,
                                                   season=Season.SPRING, next_due=D(2026, 12, 31),
                                                   start_date=D(2026, 1, 1)),
        "seasonal, over": make_schedule(site(), standard, kind="special", cycle_unit=CycleUnit.SEASONAL,
                                        season=Season.AUTUMN, next_due=D(2026, 11, 30), start_date=D(2026, 1, 1)),
        "beyond the horizon": make_schedule(site(), standard, next_due=D(2027, 1, 6)),
        "inactive": make_schedule(site(), standard, next_due=D(2026, 12, 10)),
    }
    Schedule.objects.filter(pk=shapes["seasonal"].pk).update(next_window_start=D(2026, 9, 1))
    Schedule.objects.filter(pk=shapes["seasonal, over"].pk).update(next_window_start=D(2026, 9, 1))
    Schedule.objects.filter(pk=shapes["inactive"].pk).update(active=False)
    return {name: schedule.pk for name, schedule in shapes.items()}


def _written(schedules):
    names = {pk: name for name, pk in schedules.items()}
    tasks = {names[row[0]]: row[1:] for row in Task.objects.values_list(
        "schedule_id", "site_id", "unit_id", "source", "kind", "standard_id", "title", "due_date", "window_start",
        "window_end", "group_id", "status", "created_by_id")}
    events = sorted((names[row[0]], *row[1:]) for row in TaskEvent.objects.values_list(
        "task__schedule_id", "action", "from_status", "to_status", "actor_id", "comment"))
    return tasks, events


def test_the_statement_writes_what_the_python_rows_would(schedules):
    end = TODAY + datetime.timedelta(days=30)
    assert services._generate_in_python(TODAY, end, timezone.now()) == 6
    in_python = _written(schedules)
    TaskEvent.objects.all().delete()
    Task.objects.all().delete()

    assert services.tasks_generate(today=TODAY, horizon=30) == 6  # PostgreSQL: _GENERATE_SQL

    assert _written(schedules) == in_python
    tasks, events = in_python
    window = {name: (row[7], row[6], row[8], row[10]) for name, row in tasks.items()}  # from, due, to, status
    assert window == {
        "monthly with a group": (D(2026, 12, 13), D(2026, 12, 20), D(2026, 12, 27), "assigned"),
        "overdue": (D(2026, 12, 3), TODAY, D(2026, 12, 9), "planned"),
        "no window": (D(2027, 1, 5), D(2027, 1, 5), D(2027, 1, 5), "planned"),
        "seasonal": (D(2026, 9, 1), D(2026, 12, 30), D(2026, 12, 30), "planned"),
        "seasonal, no window start": (D(2026, 12, 31), D(2026, 12, 31), D(2026, 12, 31), "planned"),
        # A season already over when planning first sees it: due today, so that it is done or
        # missed (and its schedule moves on to the next season) rather than never planned.
        "seasonal, over": (D(2026, 9, 1), TODAY, TODAY, "planned"),
    }
    assert [(name, action, to) for name, action, _from, to, _actor, _comment in events] == sorted(
        (name, "created", row[10]) for name, row in tasks.items())


def test_the_statement_is_idempotent_and_counts_only_what_it_created(schedules):
    assert services.tasks_generate(today=TODAY, horizon=30) == 6
    assert services.tasks_generate(today=TODAY, horizon=30) == 0
    # The next day (same horizon end): the overdue schedule's task, due yesterday, is still open.
    assert services.tasks_generate(today=TODAY + datetime.timedelta(days=1), horizon=29) == 0
    assert (Task.objects.count(), TaskEvent.objects.count()) == (6, 6)


def _plan(queryset) -> str:
    sql, params = queryset.order_by().only("id").query.sql_with_params()
    with connection.cursor() as cursor:
        # The test table is nearly empty: without scans the plan shows whether an index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    return plan


def test_the_title_search_can_use_the_partial_trigram_index(site_a):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'planning_task_title_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition and "WHERE ((title)::text <> ''::text)" in definition, definition

    searched = TaskFilter({"q": "接地"}, queryset=Task.objects.all()).qs

    assert "planning_task_title_trgm" in _plan(searched)


def test_every_filter_and_sort_of_the_list_leads_an_index_and_no_foreign_key_has_its_own():
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT i.relname, array_agg(a.attname ORDER BY k.n), x.indpred IS NOT NULL
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
            LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
            WHERE x.indrelid = 'planning_task'::regclass GROUP BY i.relname, x.indpred""")
        indexes = {name: (columns, partial) for name, columns, partial in cursor.fetchall()}
    leading = {columns[0] for columns, partial in indexes.values() if not partial}
    # status, kind, source, unit, group, site and the due dates of planning.filters.TaskFilter and
    # CalendarFilter; the sorts by unit, site and group follow those foreign keys.
    assert {"status", "kind", "source", "unit_id", "group_id", "site_id", "due_date"} <= leading
    single = sorted(name for name, (columns, partial) in indexes.items() if len(columns) == 1 and not partial)
    assert single == ["planning_task_inspection_id_key", "planning_task_pkey"], single
