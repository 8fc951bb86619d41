"""Hazard benchmarks against PostgreSQL with 200,000 hazards:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hz_bench .venv/bin/python benchmarks/bench_hazards.py

- the ledger page with two filters and a sort: median server time of ~30 requests through Django's
  test Client (a logged-in manager) vs. the raw SQL of the same page timed with a cursor, read two
  ways: the page's data (count + page query) and every statement the page runs (session, user,
  choices too); targets ≤ 50 ms median and ≤ 1.5× raw. Also printed: the same request answered by
  an empty view (Django's floor for any page), and the EXPLAIN of the page query.
- every filter and sort of the ledger, one by one and in combinations (median page time of each);
- the Django admin changelist of the same data, for comparison;
- the xlsx export of 100,000 hazards: rows/s (target ≥ 20,000) and peak traced memory for 20,000
  and 100,000 rows (flat memory: about the same);
- a one-page hazard notice PDF: median seconds (target ≤ 0.5 s).

The database (default hz_bench) is created and migrated if needed; the 200,000 hazards are loaded
once with COPY and reused by later runs (--reload to load them again).
"""

import argparse
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hz_bench")
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
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from hazards import exports  # noqa: E402
from hazards.documents import render_notice_pdf  # noqa: E402
from hazards.models import Hazard, Notice, RiskCategory  # noqa: E402
from org import services as org_services  # noqa: E402
from org.models import OrgUnit, Role, Site  # noqa: E402

N_HAZARDS = 200_000
EXPORT_ROWS = 100_000
LEDGER_TARGET_MS, LEDGER_TARGET_RATIO = 50, 1.5
EXPORT_TARGET_ROWS_PER_S = 20_000
PDF_TARGET_S = 0.5
STATUSES = ["registered", "notified", "rectifying", "pending_acceptance", "accepted", "closed", "voided"]


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def timed_gets(client, url: str, runs: int, content: bytes | None = None) -> float:
    """Median ms of `runs` GETs of `url` after one to warm up (templates, translations); each must
    answer 200 (and `content`, if given)."""
    client.get(url)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        assert content is None or response.content == content
    return median_ms(samples)


def load(reload: bool) -> None:
    call_command("migrate", verbosity=0)
    if Hazard.objects.count() >= N_HAZARDS and not reload:
        print(f"reusing {Hazard.objects.count():,} hazards")
        return
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE hazards_hazard, hazards_hazardevent, hazards_hazardphoto, hazards_notice, "
                       "hazards_notice_hazards, hazards_workorderreply, hazards_extensionrequest, "
                       "hazards_servicerecord, hazards_authorityreport, hazards_acceptance, hazards_whitelistentry "
                       "RESTART IDENTITY CASCADE")
    rng = random.Random(7)
    company = OrgUnit.objects.filter(code="BENCH").first() or org_services.orgunit_create(
        code="BENCH", name="基准公司", kind=OrgUnit.Kind.COMPANY, parent=None)
    teams = list(OrgUnit.objects.filter(path__startswith=company.path, kind=OrgUnit.Kind.TEAM))
    if not teams:
        for b in range(4):
            branch = org_services.orgunit_create(code=f"BENCH-B{b}", name=f"分公司{b}", kind=OrgUnit.Kind.BRANCH,
                                                 parent=company)
            for t in range(5):
                teams.append(org_services.orgunit_create(code=f"BENCH-B{b}-T{t}", name=f"供电所{b}-{t}",
                                                         kind=OrgUnit.Kind.TEAM, parent=branch))
    if not Site.objects.filter(code__startswith="BS").exists():
        Site.objects.bulk_create([
            Site(code=f"BS{i:05d}", name=f"基准客户{i:05d}有限公司", unit=teams[i % len(teams)],
                 contact_name=f"联系人{i}", contact_email=f"c{i}@example.com") for i in range(2000)])
    sites = list(Site.objects.filter(code__startswith="BS").values_list("id", "unit_id"))
    if not RiskCategory.objects.filter(code__startswith="BC").exists():
        RiskCategory.objects.bulk_create([RiskCategory(code=f"BC{i}", name=f"风险类别{i}", score=i + 1)
                                          for i in range(10)])
    categories = list(RiskCategory.objects.filter(code__startswith="BC").values_list("id", flat=True))
    User = get_user_model()
    manager = User.objects.filter(username="bench_manager").first() or org_services.user_create(
        username="bench_manager", password="pw-123456", unit=company, role=Role.MANAGER, full_name="基准经理")
    if not User.objects.filter(username="bench_admin").exists():
        User.objects.create_superuser("bench_admin", "admin@example.com", "pw-123456")

    today = timezone.localdate()
    now = timezone.now()
    columns = ["number", "site_id", "unit_id", "location", "description", "category_id", "severity", "source",
               "basis", "discovered_by_id", "discovered_on", "responsible_name", "responsible_email",
               "responsible_phone", "required_measures", "deadline", "status", "five_responsible_person",
               "five_measures", "five_contingency_plan", "plan_goal", "plan_methods", "plan_funds_materials",
               "plan_organisation", "plan_time_limit", "plan_safety_measures", "supervision_count", "void_reason",
               "version", "created_at", "updated_at", "notified_at"]
    with connection.cursor() as cursor:
        with cursor.connection.cursor().copy(
                f"COPY hazards_hazard ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(N_HAZARDS):
                site_id, unit_id = sites[i % len(sites)]
                status = STATUSES[rng.randrange(len(STATUSES))]
                discovered = today - datetime.timedelta(days=rng.randrange(720))
                major = rng.random() < 0.05
                created = now - datetime.timedelta(days=(today - discovered).days, seconds=rng.randrange(86400))
                copy.write_row((
                    f"YH-{discovered.year}-{i + 1:06d}", site_id, unit_id, f"{rng.randrange(1, 9)} 号配电室",
                    f"隐患描述 {i}：高压柜接地线松动，电缆沟盖板缺失，存在触电风险", rng.choice(categories),
                    "major" if major else "general", "manual", "DL/T 572 第 5.2 条", manager.pk, discovered,
                    f"责任人{i % 500}", f"p{i % 500}@example.com", "13800000000", "紧固接地线并补齐盖板",
                    discovered + datetime.timedelta(days=rng.randrange(7, 90)), status,
                    "李矿长" if major else "", "", "", "", "", "", "", "", "", rng.randrange(3) if status in (
                        "notified", "rectifying") else 0, "", 1, created, created,
                    created if status != "registered" else None,
                ))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"loaded {N_HAZARDS:,} hazards with COPY in {time.perf_counter() - started:.1f} s")


def ledger(runs: int) -> None:
    manager = get_user_model().objects.get(username="bench_manager")
    client = Client()
    client.force_login(manager)
    category = RiskCategory.objects.filter(code__startswith="BC").order_by("code").first()
    url = f"/hazards/?status=rectifying&category={category.pk}&ordering=deadline"
    page_ms = timed_gets(client, url, runs)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    page_queries = [q["sql"] for q in ctx.captured_queries]
    hazard_queries = [sql for sql in page_queries if '"hazards_hazard"' in sql]
    assert len(hazard_queries) == 2, hazard_queries  # the count and the page
    assert not any(sql.startswith("DECLARE") for sql in page_queries), "server-side cursors on the ledger"

    def run_raw(statements):
        samples = []
        with connection.cursor() as cursor:
            for _ in range(runs):
                started = time.perf_counter()
                results = []
                for sql in statements:
                    cursor.execute(sql)
                    results.append(cursor.fetchall())
                samples.append(time.perf_counter() - started)
        return median_ms(samples), results

    raw_ms, results = run_raw(hazard_queries)
    all_ms, _ = run_raw(page_queries)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN ANALYZE " + hazard_queries[1])
        plan = "\n".join("    " + r[0] for r in cursor.fetchall())
    floor_ms = request_floor(client, url, runs)
    count = results[0][0][0]
    print(f"\nLEDGER  {url}  ({count:,} matching of {Hazard.objects.count():,}; {len(page_queries)} queries)")
    print(f"  page (Django test Client, median of {runs}): {page_ms:7.1f} ms   target ≤ {LEDGER_TARGET_MS} ms "
          f"{'OK' if page_ms <= LEDGER_TARGET_MS else 'MISSED'}")
    print(f"  raw SQL of the page's data (count + page query):      {raw_ms:7.1f} ms")
    print(f"  raw SQL of every statement the page runs ({len(page_queries)}):         {all_ms:7.1f} ms")
    for label, base in (("count + page query", raw_ms), ("every statement", all_ms)):
        ratio = page_ms / base
        print(f"  ratio page / raw SQL ({label}): {ratio:5.2f} ×   target ≤ {LEDGER_TARGET_RATIO} × "
              f"{'OK' if ratio <= LEDGER_TARGET_RATIO else 'MISSED'}")
    print(f"  the same request answered by an empty view (middleware, session, login): {floor_ms:5.1f} ms")
    print(f"  page - empty-view request - raw SQL of every statement = {page_ms - floor_ms - all_ms:5.1f} ms "
          "(filter form, ORM, templates)")
    # The same page's data through the ORM only (filterset, count, page rows), without templates.
    from django.test import RequestFactory

    from hazards.ledger import ROW_FIELDS
    from hazards.views.ledger import _ledger_filter
    from org.backends import MembershipModelBackend
    from org.views import filtered_page

    request = RequestFactory().get(url)
    request.user = MembershipModelBackend().get_user(manager.pk)  # as the login middleware loads it
    orm = []
    for _ in range(runs):
        started = time.perf_counter()
        ledger_filter = _ledger_filter(request)
        page = filtered_page(request, ledger_filter, ledger_filter.default_ordering(), values=ROW_FIELDS)
        list(page.object_list), page.paginator.count
        orm.append(time.perf_counter() - started)
    orm_ms = median_ms(orm)
    print(f"  ORM part of the page (filters, count, rows; no template): {orm_ms:5.1f} ms = {orm_ms / raw_ms:.2f} × raw")
    print("  EXPLAIN ANALYZE of the page query:\n" + plan)

    admin = Client()
    admin.force_login(get_user_model().objects.get(username="bench_admin"))
    admin_url = f"/admin/hazards/hazard/?status__exact=rectifying&category__id__exact={category.pk}"
    first = admin.get(admin_url)
    if first.status_code != 200:
        print(f"  admin changelist: HTTP {first.status_code} (hazards admin not registered?)")
        return
    admin_runs = max(5, runs // 3)
    print(f"  Django admin changelist, same filters (median of {admin_runs}): "
          f"{timed_gets(admin, admin_url, admin_runs):7.1f} ms")
    search_url = "/admin/hazards/hazard/?q=YH-2026-0001"
    print(f"  Django admin changelist, searching a number (median of {admin_runs}): "
          f"{timed_gets(admin, search_url, admin_runs):7.1f} ms")


def ledger_matrix(runs: int) -> None:
    """Every filter and every sort the ledger offers, one at a time and in a few combinations: the
    median page time of each (indexes for all of them; no page should fall back to a table scan)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username="bench_manager"))
    unit = OrgUnit.objects.filter(code="BENCH-B1-T2").first()
    site = Site.objects.filter(code="BS00042").first()
    category = RiskCategory.objects.filter(code__startswith="BC").order_by("code").first()
    urls = ["", "ordering=number", "ordering=-number", "ordering=site", "ordering=-site", "ordering=status",
            "ordering=-severity", "ordering=discovered_on", "ordering=-deadline", "status=open",
            "status=open&ordering=deadline", "severity=major", f"category={category.pk}", "overdue=yes",
            "overdue=no&ordering=-discovered_on", f"unit={unit.pk}", f"unit={unit.pk}&ordering=site", f"site={site.pk}",
            "q=YH-2026-0001", "q=基准客户00042", "q=接地线", "deadline_from=2026-01-01&deadline_to=2026-02-01",
            "discovered_from=2026-01-01&discovered_to=2026-01-10&ordering=site", "page=400",
            "status=closed&ordering=-site&page=100"]
    print(f"\nLEDGER, every filter and sort (median of {runs} each; the list counts at most "
          f"{settings.LIST_COUNT_CAP:,} rows)")
    medians = []
    for query in urls:
        url = f"/hazards/?{query}" if query else "/hazards/"
        medians.append(timed_gets(client, url, runs))
        print(f"  {medians[-1]:7.1f} ms  {url}")
    print(f"  slowest {max(medians):.1f} ms, median {statistics.median(medians):.1f} ms "
          f"(target of the issue's page ≤ {LEDGER_TARGET_MS} ms)")


def request_floor(client, url, runs) -> float:
    """Median time of the same request (same client, session and middleware) answered by a view that
    does nothing but return an empty response: what any page costs before its own work."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.test.utils import override_settings
    from django.urls import path

    module = type(sys)("bench_floor_urls")
    module.urlpatterns = [path(url.split("?")[0].strip("/") + "/", login_required(lambda request: HttpResponse("")))]
    sys.modules[module.__name__] = module
    with override_settings(ROOT_URLCONF=module.__name__):
        return timed_gets(client, url, runs, content=b"")


def export() -> None:
    last_id = Hazard.objects.order_by("id").values_list("id", flat=True)[EXPORT_ROWS - 1]
    today = timezone.localdate()

    def run(limit_id, traced):
        queryset = Hazard.objects.filter(id__lte=limit_id).order_by("id")
        with tempfile.TemporaryFile() as handle:
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            rows = exports.write_xlsx(queryset, handle, today=today)
            elapsed = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if traced else None
            if traced:
                tracemalloc.stop()
            size = handle.tell()
        return rows, elapsed, peak, size

    rows, elapsed, _, size = run(last_id, False)
    rate = rows / elapsed
    print(f"\nEXPORT  {rows:,} hazards × {len(exports.COLUMNS)} columns → {size / 1e6:.1f} MB xlsx in {elapsed:.2f} s")
    print(f"  rows/s: {rate:,.0f}   target ≥ {EXPORT_TARGET_ROWS_PER_S:,} "
          f"{'OK' if rate >= EXPORT_TARGET_ROWS_PER_S else 'MISSED'}")
    small_id = Hazard.objects.order_by("id").values_list("id", flat=True)[EXPORT_ROWS // 5 - 1]
    small_rows, _, small_peak, _ = run(small_id, True)
    big_rows, _, big_peak, _ = run(last_id, True)
    print(f"  peak traced memory: {small_rows:,} rows {small_peak / 1e6:.1f} MB; {big_rows:,} rows "
          f"{big_peak / 1e6:.1f} MB (flat: {'yes' if big_peak < small_peak * 1.5 else 'NO'})")


def pdf(runs: int) -> None:
    hazard = Hazard.objects.filter(status="notified").order_by("id").first()
    notice = Notice.objects.filter(number="GZ-BENCH-000001").first()
    if notice is None:
        notice = Notice.objects.create(kind=Notice.Kind.HAZARD, number="GZ-BENCH-000001", site=hazard.site,
                                       unit=hazard.unit, addressee=hazard.responsible_name, deadline=hazard.deadline,
                                       issued_by=get_user_model().objects.get(username="bench_manager"))
        notice.hazards.set([hazard])
    render_notice_pdf(notice)  # WeasyPrint's first load and font discovery
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        data = render_notice_pdf(notice)
        times.append(time.perf_counter() - started)
    pages = "?"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=False).stdout.decode()
        pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    median_s = statistics.median(times)
    print(f"\nPDF  one hazard notice ({pages} page(s), {len(data) / 1e3:.0f} kB), median of {runs}: {median_s:.3f} s"
          f"   target ≤ {PDF_TARGET_S} s {'OK' if median_s <= PDF_TARGET_S else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--reload", action="store_true", help="load the 200,000 hazards again")
    args = parser.parse_args()
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql", "needs PostgreSQL"
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    print(f"database {settings.DATABASES['default']['NAME']}")
    load(args.reload)
    ledger(args.runs)
    ledger_matrix(max(5, args.runs // 3))
    export()
    pdf(max(5, args.runs // 3))


if __name__ == "__main__":
    main()
