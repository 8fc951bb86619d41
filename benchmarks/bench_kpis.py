"""KPI dashboard benchmark against PostgreSQL with 1,000,000 hazards:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hz_kpis_bench \
        .venv/bin/python benchmarks/bench_kpis.py [--runs N] [--reload] [--explain]

- the dashboard of the whole company (a manager of the root unit, this year): median server time
  of N requests through Django's test Client; target ≤ 300 ms;
- side by side, in the same run: the raw SQL of the aggregates the page runs over hazards and sites
  (captured from the page and replayed with a cursor), and of every statement the page runs;
  target page ≤ 1.5 × the aggregates;
- the same for the statistics of a quarter (`hazard_statistics`, JSON) and the group assessment;
- EXPLAIN ANALYZE of the page's heaviest statement.

The database (default hz_kpis_bench) is created and migrated if needed; the hazards are loaded once
with COPY (spread over five years, 5 % major, every state) and reused by later runs.
"""

import argparse
import datetime
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hz_kpis_bench")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
from django.conf import settings  # noqa: E402

# The test Client asks as "testserver" (the test settings do not list it outside pytest).
settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from hazards.models import Hazard, RiskCategory  # noqa: E402
from kpis.models import HazardTally  # noqa: E402
from org import services as org_services  # noqa: E402
from org.models import OrgUnit, Role, Site  # noqa: E402

N_HAZARDS = 1_000_000
# The statements that are the page's aggregates: over the hazards, the summary tables, the sites and
# the inspection tasks (not the session, the user, the unit list or the category names).
AGGREGATED = re.compile(r'\b(hazards_hazard|kpis_hazardtally|kpis_categorytally|kpis_opentally|kpis_closetally'
                        r'|org_site|planning_task)\b')
TARGET_MS, TARGET_RATIO = 300, 1.5
STATUSES = ["registered", "notified", "rectifying", "pending_acceptance", "accepted", "closed", "closed", "closed",
            "closed", "voided"]


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def load(reload: bool) -> None:
    call_command("migrate", verbosity=0)
    if Hazard.objects.count() >= N_HAZARDS and not reload:
        print(f"reusing {Hazard.objects.count():,} hazards")
        if not HazardTally.objects.exists():
            build_tallies()
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE hazards_hazard, hazards_hazardevent, hazards_notice, hazards_notice_hazards, "
                       "hazards_servicerecord, hazards_authorityreport RESTART IDENTITY CASCADE")
    rng = random.Random(15)
    company = OrgUnit.objects.filter(code="KB").first() or org_services.orgunit_create(
        code="KB", name="基准公司", kind=OrgUnit.Kind.COMPANY, parent=None)
    teams = list(OrgUnit.objects.filter(path__startswith=company.path, kind=OrgUnit.Kind.TEAM))
    if not teams:
        for b in range(4):
            branch = org_services.orgunit_create(code=f"KB-B{b}", name=f"分公司{b}", kind=OrgUnit.Kind.BRANCH,
                                                 parent=company)
            for t in range(5):
                teams.append(org_services.orgunit_create(code=f"KB-B{b}-T{t}", name=f"供电所{b}-{t}",
                                                         kind=OrgUnit.Kind.TEAM, parent=branch))
    if not Site.objects.filter(code__startswith="KS").exists():
        Site.objects.bulk_create([Site(code=f"KS{i:05d}", name=f"基准客户{i:05d}", unit=teams[i % len(teams)])
                                  for i in range(5000)])
    sites = list(Site.objects.filter(code__startswith="KS").values_list("id", "unit_id"))
    if not RiskCategory.objects.filter(code__startswith="KC").exists():
        RiskCategory.objects.bulk_create([RiskCategory(code=f"KC{i:02d}", name=f"风险类别{i}", score=i % 9 + 1)
                                          for i in range(14)])
    categories = list(RiskCategory.objects.filter(code__startswith="KC").values_list("id", flat=True))
    User = get_user_model()
    manager = User.objects.filter(username="kb_manager").first() or org_services.user_create(
        username="kb_manager", password="pw-123456", unit=company, role=Role.MANAGER, full_name="基准经理")
    today = timezone.localdate()
    columns = ["number", "site_id", "unit_id", "location", "description", "category_id", "severity", "source",
               "basis", "discovered_by_id", "discovered_on", "responsible_name", "responsible_email",
               "responsible_phone", "required_measures", "deadline", "status", "five_responsible_person",
               "five_measures", "five_contingency_plan", "plan_goal", "plan_methods", "plan_funds_materials",
               "plan_organisation", "plan_time_limit", "plan_safety_measures", "supervision_count", "void_reason",
               "version", "created_at", "updated_at", "notified_at", "accepted_at", "closed_at"]
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(f"COPY hazards_hazard ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(N_HAZARDS):
                site_id, unit_id = sites[i % len(sites)]
                discovered = today - datetime.timedelta(days=rng.randrange(5 * 365))
                # Older hazards are mostly closed; the recent ones in every state.
                status = "closed" if (today - discovered).days > 400 and rng.random() < 0.9 else rng.choice(STATUSES)
                major = rng.random() < 0.05
                created = timezone.make_aware(datetime.datetime.combine(discovered, datetime.time(9)))
                deadline = discovered + datetime.timedelta(days=rng.randrange(7, 90))
                notified = created + datetime.timedelta(days=1) if status != "registered" else None
                accepted = (created + datetime.timedelta(days=rng.randrange(5, 120))
                            if status in ("accepted", "closed") else None)
                closed = accepted + datetime.timedelta(days=rng.randrange(0, 5)) if status == "closed" else None
                copy.write_row((
                    f"YH-{discovered.year}-{i + 1:07d}", site_id, unit_id, "1 号配电室", f"隐患描述 {i}",
                    rng.choice(categories), "major" if major else "general", "manual", "", manager.pk, discovered,
                    f"责任人{i % 500}", "", "", "紧固接地线", deadline, status,
                    "李矿长" if major else "", "措施" if major else "", "预案" if major else "", "", "", "", "", "",
                    "", rng.randrange(2) if status in ("notified", "rectifying") else 0, "", 1, created, created,
                    notified, accepted, closed))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE hazards_hazard")
    print(f"loaded {N_HAZARDS:,} hazards with COPY in {time.perf_counter() - started:.1f} s")
    build_tallies()


def build_tallies() -> None:
    """COPY sends no signal: the summary tables are counted once after the load (the command an
    operator runs after a bulk load), then kept by every write."""
    started = time.perf_counter()
    call_command("rebuild_kpi_tallies", stdout=open(os.devnull, "w"))
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"summary tables counted from the hazards (rebuild_kpi_tallies) in {time.perf_counter() - started:.1f} s: "
          f"{HazardTally.objects.count():,} day rows")


def replay(cursor, statements) -> float:
    started = time.perf_counter()
    for sql in statements:
        cursor.execute(sql)
        cursor.fetchall()
    return time.perf_counter() - started


def page(client, label: str, url: str, runs: int) -> None:
    """The page and, interleaved with it run by run (so that a machine speeding up or slowing down
    weighs on both alike), the replay of its aggregates and of every statement it runs."""
    client.get(url)  # warm up (templates, translations, caches)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    every = [q["sql"] for q in ctx.captured_queries]
    aggregates = [sql for sql in every if AGGREGATED.search(sql)]
    page_samples, agg_samples, all_samples = [], [], []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            page_samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
            agg_samples.append(replay(cursor, aggregates))
            all_samples.append(replay(cursor, every))
    page_ms, agg_ms, all_ms = median_ms(page_samples), median_ms(agg_samples), median_ms(all_samples)
    ratio = page_ms / agg_ms if aggregates else None  # a page with no aggregate (no groups in the data)
    print(f"\n{label}  {url}  ({len(every)} queries, {len(aggregates)} over hazards/sites)")
    print(f"  page (Django test Client, median of {runs}):        {page_ms:8.1f} ms   target ≤ {TARGET_MS} ms "
          f"{'OK' if page_ms <= TARGET_MS else 'MISSED'}")
    print(f"  raw SQL of its aggregates (summary tables, hazards): {agg_ms:8.1f} ms")
    print(f"  raw SQL of every statement it runs:                  {all_ms:8.1f} ms")
    if ratio is not None:
        print(f"  ratio page / aggregates: {ratio:5.2f} ×   target ≤ {TARGET_RATIO} × "
              f"{'OK' if ratio <= TARGET_RATIO else 'MISSED'}")
    per_query = []
    with connection.cursor() as cursor:
        for sql in aggregates:
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            per_query.append((time.perf_counter() - started, sql))
    print("  each aggregate (ms): " + ", ".join(f"{t * 1000:.0f}" for t, _sql in per_query))
    return max(per_query)[1] if per_query else ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the slowest statement")
    args = parser.parse_args()
    load(args.reload)
    client = Client()
    client.force_login(get_user_model().objects.get(username="kb_manager"))
    today = timezone.localdate()
    year = f"start={today.year}-01-01&end={today.isoformat()}"
    slowest = page(client, "DASHBOARD (whole company, this year)", f"/kpis/?{year}", args.runs)
    page(client, "DASHBOARD (whole company, five years)",
         f"/kpis/?start={today.year - 4}-01-01&end={today.isoformat()}", max(3, args.runs // 3))
    page(client, "GROUP ASSESSMENT (this month)", "/kpis/groups/", args.runs)
    started = time.perf_counter()
    call_command("hazard_statistics", "--unit", "KB", "--from", f"{today.year}-01-01", "--to", today.isoformat(),
                 "--output", os.devnull)
    print(f"\nSTATISTICS (hazard_statistics --format json, whole company, this year): "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")
    if args.explain:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest)
            print("\nEXPLAIN ANALYZE of the slowest dashboard statement:")
            print("\n".join("    " + row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
