"""Task generation for 100,000 schedules, against PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hz_planning_bench .venv/bin/python benchmarks/bench_planning.py

- first run: every schedule is due within the horizon, so 100,000 tasks (and their 100,000
  "created" history rows) are written by planning.services.tasks_generate (target ≤ 10 s);
- second run with the same arguments: nothing to create (target ≤ 3 s);
- beside each, a hand-written SQL doing the same selection and insert in one statement each
  (INSERT … SELECT … WHERE NOT EXISTS … ON CONFLICT DO NOTHING RETURNING, then the history rows),
  timed on the same data after the tasks are deleted again.

The database (default hz_planning_bench) is created and migrated if needed; the 100,000 sites and
schedules are loaded once and reused by later runs (--reload to load them again).
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hz_planning_bench")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


ensure_database(os.environ["DATABASE_URL"])

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from org.models import OrgUnit, Site  # noqa: E402
from org.services import orgunit_create  # noqa: E402
from planning import services  # noqa: E402
from planning.models import Schedule, Task, TaskEvent  # noqa: E402
from scoring.models import Standard  # noqa: E402

N = 100_000
TODAY = datetime.date(2026, 12, 6)
HORIZON = 30


def load(reload: bool) -> None:
    if Schedule.objects.count() == N and not reload:
        return
    print(f"loading {N:,} sites and schedules …")
    Task.inspectors.through.objects.all().delete()
    TaskEvent.objects.all().delete()
    Task.objects.all().delete()
    Schedule.objects.all().delete()
    Site.objects.filter(code__startswith="B").delete()
    unit = OrgUnit.objects.filter(code="BENCH").first() or orgunit_create(code="BENCH", name="基准单位",
                                                                            kind=OrgUnit.Kind.BRANCH)
    standard = Standard.objects.filter(name="基准标准").first() or Standard.objects.create(
        name="基准标准", status=Standard.Status.ACTIVE)
    Site.objects.bulk_create([Site(code=f"B{i:06d}", name=f"基准客户{i}", unit=unit) for i in range(N)],
                             batch_size=5000)
    sites = list(Site.objects.filter(code__startswith="B").values_list("pk", flat=True))
    Schedule.objects.bulk_create([
        Schedule(site_id=pk, unit=unit, kind="periodic", standard=standard, cycle_unit="months", cycle_length=1,
                 window_days=7, start_date=TODAY, next_due=TODAY + datetime.timedelta(days=i % HORIZON))
        for i, pk in enumerate(sites)], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE planning_schedule")


def clear_tasks() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE planning_taskevent, planning_task_inspectors, planning_task CASCADE")


RAW_SQL = """
WITH new AS (
  INSERT INTO planning_task (site_id, unit_id, source, schedule_id, kind, standard_id, title, due_date,
                             window_start, window_end, group_id, status, created_at)
  SELECT s.site_id, s.unit_id, 'schedule', s.id, s.kind, s.standard_id, '', GREATEST(s.next_due, %(today)s),
         GREATEST(s.next_due, %(today)s) - s.window_days, GREATEST(s.next_due, %(today)s) + s.window_days,
         s.group_id, CASE WHEN s.group_id IS NULL THEN 'planned' ELSE 'assigned' END, now()
  FROM planning_schedule s
  WHERE s.active AND s.next_due <= %(end)s
    AND NOT EXISTS (SELECT 1 FROM planning_task t WHERE t.schedule_id = s.id
                    AND t.status IN ('planned', 'assigned', 'in_progress'))
  ON CONFLICT DO NOTHING
  RETURNING id, status
)
INSERT INTO planning_taskevent (task_id, action, from_status, to_status, actor_id, at, comment)
SELECT id, 'created', '', status, NULL, now(), '' FROM new
"""


def raw(today: datetime.date) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RAW_SQL, {"today": today, "end": today + datetime.timedelta(days=HORIZON)})
        return cursor.rowcount


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    load(args.reload)
    timezone.activate("Asia/Shanghai")
    rows = {"first": [], "second": [], "raw first": [], "raw second": []}
    for _round in range(args.rounds):
        clear_tasks()
        seconds, created = timed(services.tasks_generate, today=TODAY, horizon=HORIZON)
        assert created == N, created
        rows["first"].append(seconds)
        seconds, created = timed(services.tasks_generate, today=TODAY, horizon=HORIZON)
        assert created == 0, created
        rows["second"].append(seconds)
        clear_tasks()
        seconds, created = timed(raw, TODAY)
        assert created == N, created
        rows["raw first"].append(seconds)
        seconds, created = timed(raw, TODAY)
        assert created == 0, created
        rows["raw second"].append(seconds)
    median = {name: statistics.median(values) for name, values in rows.items()}
    print(f"{N:,} schedules due within {HORIZON} days, {args.rounds} rounds, medians:")
    print(f"  first run (creates {N:,} tasks + history): {median['first']:.2f} s  "
          f"(hand-written SQL {median['raw first']:.2f} s, {median['first'] / median['raw first']:.1f}×)  "
          f"target ≤ 10 s {'✔' if median['first'] <= 10 else '✘'}")
    print(f"  second run (creates nothing):           {median['second']:.2f} s  "
          f"(hand-written SQL {median['raw second']:.2f} s, {median['second'] / median['raw second']:.1f}×)  "
          f"target ≤ 3 s {'✔' if median['second'] <= 3 else '✘'}")
    print("  all runs:", {name: [round(v, 2) for v in values] for name, values in rows.items()})
    clear_tasks()


if __name__ == "__main__":
    main()
