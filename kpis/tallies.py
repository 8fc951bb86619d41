"""The KPI summary tables (kpis.models.HazardTally, CategoryTally, OpenTally): exact counts per
unit and day, kept in step with the hazards so that the dashboard and the statistics read a few
thousand tally rows instead of aggregating hundreds of thousands of hazard rows (issue 15: the
whole company's dashboard over 1,000,000 hazards in ≤ 300 ms).

How they stay exact:
- A *cell* is one tally row's key (a unit and a day, and a category or a state where the table has
  one). Every write of a hazard, a rectification service record or an authority report marks the
  cells the row was in before and is in after (`hazard_cells`; Django's post_save / post_delete
  signals, which every save of these models sends: services, the admin, imports, the demo and
  tests alike). The marked cells are recounted from the hazard table with the KPI sets' own Q
  objects (kpis.rules.SETS: each definition stays written once).
- They are recounted once the writer's transaction has committed (`core.transaction.after_commit`),
  in a short transaction of their own that locks the tally rows in one global order: a writer
  never holds a tally lock while it waits for anything else, so two writers cannot deadlock (two
  notices of the same unit would, if each locked its cells while saving its hazards one by one).
  A recount first locks its row (created empty if missing), then counts: under READ COMMITTED it
  sees every change committed before it, and every committed change is followed by its own
  recount, so the last recount of a cell counts them all. Outside a transaction (a command in
  autocommit) the recount runs at once. The test settings recount at once inside the writer's
  transaction as well (settings.KPI_TALLIES_IMMEDIATE: a test's transaction never commits);
  tests/kpis/test_tallies.py runs the committed path on PostgreSQL with concurrent writers.
- Writes that send no signal (QuerySet.update, bulk_create, COPY) must be followed by `rebuild`
  (`manage.py rebuild_kpi_tallies`), which recounts everything under a table lock; `--check`
  lists the cells that differ.

What is not tallied: the sets that depend on today (overdue, supervision due, late work orders)
are read from the hazard table, the dashboard's through the partial covering index
hazard_overdue_cover (kpis/migrations/0002_tallies.py; PostgreSQL).

Tables: HazardTally (per unit, day and meaning of the day: discovered, deadline, closed),
CategoryTally (found per risk category), CloseTally (days to close, for the percentile), each with
day rows and month rows summing them (period_ranges reads a period as whole months plus its edge
days; UnitScope reads them); OpenTally (open hazards now per state, severity and category).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core.dates import today_local
from core.transaction import after_commit
from hazards.models import Hazard
from hazards.rules import is_open, open_q

from . import rules
from .db import DaysBetween
from .models import CategoryTally, CloseTally, HazardTally, OpenTally

S = Hazard.Status
# The KPI sets counted per day of discovery (none depends on today) and per deadline day.
COHORT_SETS = ("found", "filed", "closed", "open", "monitored", "notified", "serviced", "supervised",
               "report_due", "reported")
DEADLINE_SETS = ("due", "on_time")
# What a cell's key is made of, per table.
KEY_FIELDS = ("unit_id", "discovered_on", "deadline", "closed_at", "status", "severity", "category_id")


def _local_day(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value else None


def hazard_cells(values: dict) -> set[tuple]:
    """The tally cells a hazard with these `values` (KEY_FIELDS) counts in: tuples whose first
    item names the table ("d", "l", "c": HazardTally kinds; "cat": CategoryTally; "open":
    OpenTally)."""
    unit = values["unit_id"]
    cells = {("d", unit, values["discovered_on"]), ("cat", unit, values["discovered_on"], values["category_id"])}
    if values["deadline"] is not None:
        cells.add(("l", unit, values["deadline"]))
    if values["closed_at"] is not None:
        cells.add(("c", unit, _local_day(values["closed_at"])))
    if values["status"] == S.CLOSED and values["closed_at"] is not None:
        days = (_local_day(values["closed_at"]) - values["discovered_on"]).days
        cells.add(("close", unit, values["discovered_on"], days))
    if is_open(values["status"]):
        cells.add(("open", unit, values["status"], values["severity"], values["category_id"]))
    return cells


def _cohort_aggregates(today: datetime.date) -> dict:
    aggregates = {key: Count("id", filter=rules.SETS[key].q(today)) for key in COHORT_SETS}
    aggregates.update({f"st_{value}": Count("id", filter=Q(status=value)) for value in S.values})
    aggregates.update({f"sev_{value}": Count("id", filter=~Q(status=S.VOIDED) & Q(severity=value))
                       for value in Hazard.Severity.values})
    aggregates["close_days"] = Sum(DaysBetween("closed_at", "discovered_on"), filter=Q(status=S.CLOSED))
    return aggregates


def _deadline_aggregates(today: datetime.date) -> dict:
    return {key: Count("id", filter=rules.SETS[key].q(today)) for key in DEADLINE_SETS}


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min))


DAY, MONTH = HazardTally.Span.DAY, HazardTally.Span.MONTH


def month_of(day: datetime.date) -> datetime.date:
    """The first day of `day`'s month (the `day` of its month rows)."""
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    """The first day of the month after `day`'s."""
    return month_of(day) + relativedelta(months=1)


def period_ranges(start: datetime.date, end: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """The tally rows that add up to the days [start, end] exactly, as (span, first day, last day)
    ranges (inclusive): the month rows of the months wholly inside, and the day rows of the days
    before and after them."""
    first_full = start if start.day == 1 else next_month(start)
    after_last_full = month_of(end + datetime.timedelta(days=1))  # the month after the last full one
    if first_full >= after_last_full:  # no whole month inside
        return [(DAY, start, end)]
    one_day = datetime.timedelta(days=1)
    ranges = [(MONTH, first_full, after_last_full - one_day)]
    if start < first_full:
        ranges.append((DAY, start, first_full - one_day))
    if after_last_full <= end:
        ranges.append((DAY, after_last_full, end))
    return ranges


class UnitScope:
    """Reads of the summary tables (and of the sites) for the units of a scope, in plain SQL.

    A dashboard reads five summary tables, a few thousand rows in all; the ORM would spend more time
    building and compiling those statements than the database spends running them (issue 15: the
    page within 1.5 × its own SQL). The units are the scope's own queryset (org.selectors'
    scope_queryset / subtree_queryset), compiled once into `unit_id IN (SELECT ...)`; the period is
    period_ranges; table and column names come from the models; every value is a parameter."""

    def __init__(self, units):
        """`units`: a queryset of org.OrgUnit (the scope, already narrowed)."""
        try:
            self.sql, params = units.values("pk").order_by().query.sql_with_params()
            self.params = list(params)
        except EmptyResultSet:  # a user without a unit: nothing in scope
            self.sql, self.params = None, []

    def select(self, model, columns: str, *, start: datetime.date | None = None, end: datetime.date | None = None,
               where: str = "", params: Iterable = (), group_by: str = "", having: str = "",
               head_params: Iterable = ()) -> list[tuple]:
        """The rows of `SELECT columns FROM model's table WHERE <scope> [AND <period>] [AND where]
        [GROUP BY group_by] [HAVING having]` (`model`: a table with a `unit` column; the period,
        [start, end], through period_ranges for a summary table; `columns` with %s placeholders
        for `head_params`, `where` for `params`); no rows when the scope is empty. Column names
        in `columns`, `where`, `group_by` and `having` are the code's own, never input."""
        if self.sql is None:
            return []
        clauses, values = [f"unit_id IN ({self.sql})"], [*head_params, *self.params]
        if start is not None:
            ranges = period_ranges(start, end)
            clauses.append("(" + " OR ".join(["(span = %s AND day >= %s AND day <= %s)"] * len(ranges)) + ")")
            values.extend(value for item in ranges for value in item)
        if where:
            clauses.append(where)
            values.extend(params)
        sql = f"SELECT {columns} FROM {model._meta.db_table} WHERE {' AND '.join(clauses)}"  # noqa: S608  # nosec B608
        if group_by:
            sql += f" GROUP BY {group_by}"
        if having:
            sql += f" HAVING {having}"
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(sql, values)
            return cursor.fetchall()


COUNTER_FIELDS = [f.name for f in HazardTally._meta.get_fields()
                  if getattr(f, "get_internal_type", lambda: "")() in ("PositiveIntegerField", "BigIntegerField")]


def _locked(model, key: dict):
    """The tally row of `key`, created empty if missing, locked until the transaction ends."""
    model.objects.bulk_create([model(**key)], ignore_conflicts=True)
    return model.objects.select_for_update().get(**key)


def _recount(cell: tuple, today: datetime.date) -> None:
    table, unit = cell[0], cell[1]
    if table == "month":  # ("month", "d"|"l"|"c"|"cat", unit, first day[, category]): the sum of its days
        _recount_month(cell)
        return
    if table in ("d", "l", "c"):
        row = _locked(HazardTally, {"unit_id": unit, "kind": table, "span": DAY, "day": cell[2]})
        hazards = Hazard.objects.filter(unit_id=unit).order_by()
        if table == "d":
            values = rules.annotate_sets(hazards.filter(discovered_on=cell[2])).aggregate(**_cohort_aggregates(today))
            values["close_days"] = values["close_days"] or 0
        elif table == "l":
            values = rules.annotate_sets(hazards.filter(deadline=cell[2])).aggregate(**_deadline_aggregates(today))
        else:
            start, end = _day_bounds(cell[2])
            values = {"n": hazards.filter(closed_at__gte=start, closed_at__lt=end).count()}
    elif table == "cat":
        row = _locked(CategoryTally, {"unit_id": unit, "span": DAY, "day": cell[2], "category_id": cell[3]})
        values = {"found": Hazard.objects.filter(unit_id=unit, discovered_on=cell[2], category_id=cell[3])
                  .exclude(status=S.VOIDED).count()}
    elif table == "close":
        row = _locked(CloseTally, {"unit_id": unit, "span": DAY, "day": cell[2], "days": cell[3]})
        values = {"n": Hazard.objects.filter(unit_id=unit, discovered_on=cell[2], status=S.CLOSED)
                  .annotate(days=DaysBetween("closed_at", "discovered_on")).filter(days=cell[3]).count()}
    else:
        row = _locked(OpenTally, {"unit_id": unit, "status": cell[2], "severity": cell[3], "category_id": cell[4]})
        values = {"n": Hazard.objects.filter(unit_id=unit, status=cell[2], severity=cell[3],
                                             category_id=cell[4]).count()}
    _store(row, values)


def _store(row, values: dict) -> None:
    """Write the counts that differ from the locked row's."""
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if changed:
        for name in changed:
            setattr(row, name, values[name])
        row.save(update_fields=changed)


def _recount_month(cell: tuple) -> None:
    _month, table, unit, first = cell[:4]
    days = {"unit_id": unit, "span": DAY, "day__gte": first, "day__lt": next_month(first)}
    if table == "cat":
        row = _locked(CategoryTally, {"unit_id": unit, "span": MONTH, "day": first, "category_id": cell[4]})
        values = CategoryTally.objects.filter(category_id=cell[4], **days).aggregate(found=Sum("found"))
    elif table == "close":
        row = _locked(CloseTally, {"unit_id": unit, "span": MONTH, "day": first, "days": cell[4]})
        values = CloseTally.objects.filter(days=cell[4], **days).aggregate(n=Sum("n"))
    else:
        row = _locked(HazardTally, {"unit_id": unit, "kind": table, "span": MONTH, "day": first})
        values = HazardTally.objects.filter(kind=table, **days).aggregate(
            **{name: Sum(name) for name in COUNTER_FIELDS})
    _store(row, {name: value or 0 for name, value in values.items()})


def _order(cell: tuple) -> tuple:
    return tuple(str(part) for part in cell)


def recount(cells: Iterable[tuple], *, today: datetime.date | None = None) -> None:
    """Recount `cells` (hazard_cells' tuples) and the month rows above their days in one
    transaction, in one global order (every day cell, sorted, then every month cell, sorted), so
    two writers lock shared rows in the same order and cannot deadlock. The month row is summed
    after its day row is written: the last writer to lock it sees every committed day."""
    today = today or today_local()
    cells = set(cells)
    months = {("month", cell[0], cell[1], month_of(cell[2]), *cell[3:]) for cell in cells if cell[0] != "open"}
    with transaction.atomic():
        for cell in [*sorted(cells, key=_order), *sorted(months, key=_order)]:
            _recount(cell, today)


_PENDING = "_kpi_tally_cells"  # the cells marked on a connection, recounted after its commit


def mark(cells: set[tuple]) -> None:
    """Recount `cells` once the current transaction commits (at once outside a transaction, or
    with settings.KPI_TALLIES_IMMEDIATE). A transaction that rolls back leaves its marks for the
    next commit on the connection: recounting is exact whatever the reason, only a little early."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block or getattr(settings, "KPI_TALLIES_IMMEDIATE", False):
        recount(cells)
        return
    pending = getattr(connection, _PENDING, None)
    if pending is None:
        pending = set()
        setattr(connection, _PENDING, pending)
    pending |= cells
    # One callback per mark (the first to run recounts them all, the others find nothing): a
    # callback registered in a savepoint that rolls back is dropped, a later one is not.
    after_commit(flush)


def flush() -> None:
    """Recount every cell marked on the connection (after its commit; core.transaction.after_commit)."""
    connection = connections[DEFAULT_DB_ALIAS]
    cells = getattr(connection, _PENDING, None)
    if cells:
        setattr(connection, _PENDING, set())
        recount(cells)


def key_values(hazard) -> dict:
    return {name: getattr(hazard, name) for name in KEY_FIELDS}


def stored_key_values(pk: int) -> dict | None:
    """The cell key of the hazard row as stored (before a save changes it), or None."""
    return Hazard.objects.filter(pk=pk).values(*KEY_FIELDS).first()


# --- rebuild -------------------------------------------------------------------------------------

def _expected(today: datetime.date) -> dict[str, dict[tuple, dict]]:
    """Every cell's counts computed from the hazards in one grouped query per table."""
    hazards = Hazard.objects.order_by()
    expected: dict[str, dict[tuple, dict]] = {"tally": {}, "category": {}, "close": {}, "open": {}}
    for row in rules.annotate_sets(hazards).values("unit_id", "discovered_on").annotate(**_cohort_aggregates(today)):
        unit, day = row.pop("unit_id"), row.pop("discovered_on")
        row["close_days"] = row["close_days"] or 0
        expected["tally"][(unit, "d", DAY, day)] = row
    for row in rules.annotate_sets(hazards.filter(deadline__isnull=False)).values("unit_id", "deadline").annotate(
            **_deadline_aggregates(today)):
        expected["tally"][(row.pop("unit_id"), "l", DAY, row.pop("deadline"))] = row
    closed: dict[tuple, int] = {}
    for unit, closed_at in hazards.filter(closed_at__isnull=False).values_list("unit_id", "closed_at").iterator():
        key = (unit, "c", DAY, _local_day(closed_at))
        closed[key] = closed.get(key, 0) + 1
    for key, n in closed.items():
        expected["tally"][key] = {"n": n}
    for row in (hazards.exclude(status=S.VOIDED).values("unit_id", "discovered_on", "category_id")
                .annotate(found=Count("id"))):
        expected["category"][(row["unit_id"], DAY, row["discovered_on"], row["category_id"])] = {
            "found": row["found"]}
    for row in (hazards.filter(status=S.CLOSED, closed_at__isnull=False)
                .values("unit_id", "discovered_on", days=DaysBetween("closed_at", "discovered_on"))
                .annotate(n=Count("id"))):
        expected["close"][(row["unit_id"], DAY, row["discovered_on"], row["days"])] = {"n": row["n"]}
    _add_months(expected["tally"], kind_position=1)
    _add_months(expected["category"], kind_position=None)
    _add_months(expected["close"], kind_position=None)
    for row in (hazards.filter(open_q()).values("unit_id", "status", "severity", "category_id")
                .annotate(n=Count("id"))):
        expected["open"][(row["unit_id"], row["status"], row["severity"], row["category_id"])] = {"n": row["n"]}
    return expected


def _add_months(cells: dict[tuple, dict], *, kind_position: int | None) -> None:
    """Add to `cells` (day rows keyed (unit, [kind,] span, day, …)) the month rows summing them."""
    span_at = 2 if kind_position is not None else 1
    months: dict[tuple, dict] = {}
    for key, values in cells.items():
        month_key = (*key[:span_at], MONTH, month_of(key[span_at + 1]), *key[span_at + 2:])
        sums = months.setdefault(month_key, {})
        for name, value in values.items():
            sums[name] = sums.get(name, 0) + value
    cells.update(months)


TABLES = {
    "tally": (HazardTally, ("unit_id", "kind", "span", "day")),
    "category": (CategoryTally, ("unit_id", "span", "day", "category_id")),
    "close": (CloseTally, ("unit_id", "span", "day", "days")),
    "open": (OpenTally, ("unit_id", "status", "severity", "category_id")),
}


def differences(*, today: datetime.date | None = None) -> list[str]:
    """The cells whose stored counts differ from the hazards (empty: the tallies are exact), one
    line each, e.g. "tally (3, 'd', date(2026, 1, 5)): found 4 ≠ 5"."""
    expected = _expected(today or today_local())
    lines = []
    for table, (model, key_fields) in TABLES.items():
        stored = {}
        for row in model.objects.values():
            key = tuple(row.pop(name) for name in key_fields)
            row.pop("id")
            stored[key] = row
        for key in sorted(set(stored) | set(expected[table]), key=lambda k: tuple(str(p) for p in k)):
            have, want = stored.get(key, {}), expected[table].get(key, {})
            for name in sorted(set(have) | set(want)):
                if have.get(name, 0) != want.get(name, 0):
                    lines.append(f"{table} {key}: {name} {have.get(name, 0)} ≠ {want.get(name, 0)}")
    return lines


@transaction.atomic
def rebuild(*, today: datetime.date | None = None) -> int:
    """Recount every tally from the hazards (after writes that sent no signal: bulk loads, COPY,
    QuerySet.update). The tally tables are locked first (PostgreSQL; SQLite writes one at a time
    anyway): a recount under way finishes before the hazards are read, and one that comes later
    waits and then recounts on top of the rebuilt rows. Returns the number of tally rows written."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model, _keys in TABLES.values())
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")  # nosec B608 - our own table names
    expected = _expected(today or today_local())
    written = 0
    for table, (model, key_fields) in TABLES.items():
        model.objects.all().delete()
        rows = [model(**dict(zip(key_fields, key, strict=True)), **values)
                for key, values in expected[table].items()]
        model.objects.bulk_create(rows, batch_size=5000)
        written += len(rows)
    return written


# --- signal receivers (connected in kpis.apps) ----------------------------------------------------

def hazard_pre_save(sender, instance, raw=False, **kwargs) -> None:
    instance._tally_before = stored_key_values(instance.pk) if instance.pk and not raw else None


def hazard_post_save(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    cells = hazard_cells(key_values(instance))
    before = getattr(instance, "_tally_before", None)
    if before:
        cells |= hazard_cells(before)
    mark(cells)


def hazard_post_delete(sender, instance, **kwargs) -> None:
    mark(hazard_cells(key_values(instance)))


def related_changed(sender, instance, raw=False, **kwargs) -> None:
    """A rectification service visit or an authority report was written or deleted: its hazard's
    day of discovery counts it (serviced, reported)."""
    if raw:
        return
    values = stored_key_values(instance.hazard_id)
    if values:
        mark({("d", values["unit_id"], values["discovered_on"])})
