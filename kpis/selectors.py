"""Every read of the KPI app, scoped to the user's unit subtree at the source. Every figure is
computed in SQL by aggregates (a constant number of queries whatever the number of hazards), and
each figure carries the ledger query that lists exactly the hazards behind it."""

from __future__ import annotations

import datetime
import functools
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.urls import get_script_prefix, reverse

from core.dates import today_local
from hazards.models import Hazard, RiskCategory
from hazards.rules import overdue_q
from org.models import OrgUnit, RiskLevel, Site
from org.selectors import scope_queryset, subtree_queryset, user_root_unit, user_sees_everything
from planning.models import Task
from planning.selectors import NOT_PLANNED

from . import rules
from . import tallies as tallies_module
from .db import q_sql
from .models import CategoryTally, CloseTally, HazardTally, OpenTally, RiskSettings


def risk_settings() -> RiskSettings:
    """The one settings row (created with the defaults on first use)."""
    config, _created = RiskSettings.objects.get_or_create(pk=1)
    return config


# --- risk --------------------------------------------------------------------------------------

def site_scores(*, config, today: datetime.date, site_ids=None) -> dict[int, Decimal]:
    """SQL form of kpis.rules.risk_score: {site id: score} of the sites with open hazards (others
    score 0), in one aggregate query."""
    hazards = Hazard.objects.filter(rules.RISK_COUNTED)
    if site_ids is not None:
        hazards = hazards.filter(site_id__in=list(site_ids))
    rows = hazards.values("site_id").annotate(score=Sum(rules.risk_points_expr(config, today))).order_by()
    return {row["site_id"]: rules.quantize(row["score"]) for row in rows}


def site_risk_list(*, user, level: str = "", unit: OrgUnit | None = None) -> QuerySet[Site]:
    """The user's sites, highest risk first (index site_risk_order); `level` narrows to one,
    `unit` (one of the user's units) to its subtree."""
    sites = scope_queryset(Site.objects.select_related("unit"), user).filter(active=True)
    if unit is not None:
        sites = subtree_queryset(sites, unit)
    if level == "none":
        sites = sites.filter(risk_level="")
    elif level in RiskLevel.values:
        sites = sites.filter(risk_level=level)
    return sites.order_by("-risk_score", "code")


# --- KPIs --------------------------------------------------------------------------------------

@dataclass
class Figure:
    """A number on the dashboard and the ledger query listing exactly its hazards."""

    value: int | None
    query: dict = field(default_factory=dict)
    view: str = "hazards:hazard_list"  # the list the figure opens (the planning task list for tasks)

    @property
    def url(self) -> str:
        # The query holds strings and numbers only: the standard library's urlencode (Django's
        # checks each value's type first, a hundred times per dashboard).
        return f"{_list_path(self.view, get_script_prefix())}?{urllib.parse.urlencode(self.query)}"


@functools.lru_cache(maxsize=64)
def _list_path(view: str, script_prefix: str) -> str:
    """reverse(view) (a list without arguments) once per deployment prefix: a dashboard has hundreds
    of figures."""
    return reverse(view)


def task_figures(*, user, unit: OrgUnit | None, start: datetime.date, end: datetime.date,
                 scope: tallies_module.UnitScope | None = None) -> dict:
    """Tasks of the user's scope (narrowed to `unit`'s subtree) due in [start, end]: {"planned":
    Figure, "done": Figure, "rate": Decimal | None}; the figures open the planning task list. One
    query (planning.selectors.planned_tasks, through the scope's plain SQL)."""
    [(n_planned, n_done)] = (scope or unit_scope(user=user, unit=unit)).select(
        Task, "COUNT(*), COUNT(CASE WHEN status = %s THEN 1 END)", where="status <> %s AND due_date >= %s "
        "AND due_date <= %s", params=[NOT_PLANNED, start, end], head_params=[Task.Status.DONE]) or [(0, 0)]
    counts = {"planned": n_planned, "done": n_done}
    query = {"due_from": start.isoformat(), "due_to": end.isoformat(), **({"unit": unit.pk} if unit else {})}
    planned = Figure(counts["planned"], {**query, "planned": "1"}, view="planning:task_list")
    done = Figure(counts["done"], {**query, "status": Task.Status.DONE}, view="planning:task_list")
    return {"planned": planned, "done": done, "rate": rules.rate(done.value, planned.value)}


@dataclass
class KpiRow:
    kpi: rules.Kpi
    numerator: Figure
    base: Figure
    rate: Decimal | None

    @property
    def met(self) -> bool | None:
        if self.rate is None:
            return None
        return self.rate <= self.kpi.target if self.kpi.lower_is_better else self.rate >= self.kpi.target


def overdue_rows(*, user, unit: OrgUnit | None, today: datetime.date, start: datetime.date,
                 end: datetime.date, scope: tallies_module.UnitScope | None = None) -> dict[int, dict]:
    """The overdue counts per unit that kpi_figures and open_now share (one query; see _overdue)."""
    return _overdue(scope or unit_scope(user=user, unit=unit), today=today, start=start, end=end)


annotate_sets = rules.annotate_sets  # kept for the callers of the selectors' name


def apply_set(queryset: QuerySet[Hazard], key: str, today: datetime.date) -> QuerySet[Hazard]:
    """The ledger's `?set=key` filter (registered in kpis.apps)."""
    hazard_set = rules.SETS[key]
    if hazard_set.needs:
        queryset = annotate_sets(queryset)
    return queryset.filter(hazard_set.q(today))


def _base_query(unit: OrgUnit | None, start: datetime.date, end: datetime.date, period: str) -> dict:
    query = {"unit": unit.pk} if unit is not None else {}
    prefix = "discovered" if period == rules.Period.DISCOVERED else "deadline"
    query[f"{prefix}_from"] = start.isoformat()
    query[f"{prefix}_to"] = end.isoformat()
    return query


def category_names() -> dict[int, str]:
    """The risk dictionary's names by id (one query; the figures group by category id)."""
    return dict(RiskCategory.objects.values_list("pk", "name"))


def _units_in_scope(*, user, unit: OrgUnit | None) -> QuerySet[OrgUnit]:
    """The units of the user's scope, narrowed to `unit`'s subtree; no user: `unit`'s whole subtree
    (the statistics reports and the command)."""
    units = OrgUnit.objects.order_by()
    if user is None:
        return subtree_queryset(units, unit, unit_field="")
    units = scope_queryset(units, user, unit_field="")
    if unit is not None and not (user_root_unit(user) == unit and not user_sees_everything(user)):
        units = subtree_queryset(units, unit, unit_field="")
    return units


def unit_scope(*, user, unit: OrgUnit | None) -> tallies_module.UnitScope:
    """The plain-SQL reader (kpis.tallies.UnitScope) of the units of _units_in_scope: the same
    scope as every other figure. A page that shows several figures builds it once and passes it on."""
    return tallies_module.UnitScope(_units_in_scope(user=user, unit=unit))


COHORT_COLUMNS = (*tallies_module.COHORT_SETS, *(f"st_{v}" for v in Hazard.Status.values),
                  *(f"sev_{v}" for v in Hazard.Severity.values), "close_days")


def _tally_sums(scope: tallies_module.UnitScope, start: datetime.date, end: datetime.date) -> dict:
    """The period's sums of the summary table HazardTally: the cohort discovered in [start, end]
    (kind d; key: the column) and what fell due in it (kind l; key "due:" + the column); one
    query grouped by kind."""
    columns = list(dict.fromkeys([*COHORT_COLUMNS, *tallies_module.DEADLINE_SETS]))
    rows = scope.select(HazardTally, "kind, " + ", ".join(f"SUM({name})" for name in columns), start=start, end=end,
                        where="kind IN (%s, %s)", params=[HazardTally.Kind.DISCOVERED, HazardTally.Kind.DEADLINE],
                        group_by="kind")
    by_kind = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}
    found, due = by_kind.get(HazardTally.Kind.DISCOVERED, {}), by_kind.get(HazardTally.Kind.DEADLINE, {})
    sums = {name: int(found.get(name) or 0) for name in COHORT_COLUMNS}
    sums.update({f"due:{name}": int(due.get(name) or 0) for name in tallies_module.DEADLINE_SETS})
    return sums


def _overdue(scope: tallies_module.UnitScope, *, today, start=None, end=None) -> dict[int, dict]:
    """Overdue hazards now (hazards.rules.overdue_q) per unit id: {"now": n, "cohort": overdue
    among those discovered in [start, end], "cohort_supervised": of which supervised}. One grouped
    query (the rules' Q objects compiled by kpis.db.q_sql), an index-only scan of the partial
    index hazard_overdue_cover (PostgreSQL)."""
    overdue_sql, overdue_params = q_sql(Hazard, overdue_q(today))
    columns, head_params = ["unit_id", "COUNT(*)"], []
    if start is not None:
        period_sql, period_params = q_sql(Hazard, rules.in_period_q(rules.Period.DISCOVERED, start, end))
        supervised_sql, supervised_params = q_sql(Hazard, Q(supervision_count__gt=0))
        columns += [f"COUNT(CASE WHEN {period_sql} THEN 1 END)",
                    f"COUNT(CASE WHEN {period_sql} AND {supervised_sql} THEN 1 END)"]
        head_params = [*period_params, *period_params, *supervised_params]
    rows = scope.select(Hazard, ", ".join(columns), where=overdue_sql, params=overdue_params, group_by="unit_id",
                        head_params=head_params)
    keys = ("now", "cohort", "cohort_supervised")
    return {row[0]: dict(zip(keys, row[1:], strict=False)) for row in rows}


def kpi_figures(*, user, unit: OrgUnit | None, start: datetime.date, end: datetime.date,
                today: datetime.date | None = None, names: dict[int, str] | None = None,
                overdue: dict[int, dict] | None = None, scope: tallies_module.UnitScope | None = None) -> dict:
    """Every KPI of `unit`'s subtree (within the user's scope; no user: the whole subtree) for the
    period [start, end]: the summary tables' sums (one query), the categories (one), the overdue
    ones (one, unless the caller passes `overdue` from _overdue) and the 90th percentile of days to
    close (one). Each figure carries the ledger query of exactly its hazards."""
    today = today or today_local()
    scope = scope or unit_scope(user=user, unit=unit)
    sums = _tally_sums(scope, start, end)
    if overdue is None:
        overdue = _overdue(scope, today=today, start=start, end=end)
    late = sum(row["cohort"] for row in overdue.values())
    late_supervised = sum(row["cohort_supervised"] for row in overdue.values())
    counts = {(rules.Period.DISCOVERED, key): sums[key] for key in tallies_module.COHORT_SETS}
    counts.update({(rules.Period.DEADLINE, key): sums[f"due:{key}"] for key in tallies_module.DEADLINE_SETS})
    counts[(rules.Period.DISCOVERED, "overdue")] = late
    # Overdue or supervised: the overdue ones, plus the supervised ones not overdue (inclusion-exclusion
    # of rules.SETS["supervision_due"]; tests/kpis/test_tallies.py holds it to that set's own count).
    counts[(rules.Period.DISCOVERED, "supervision_due")] = late + sums["supervised"] - late_supervised
    kpis = []
    for kpi in rules.KPIS:
        base_query = _base_query(unit, start, end, kpi.period)
        numerator = Figure(counts[(kpi.period, kpi.numerator)], {**base_query, "set": kpi.numerator})
        base = Figure(counts[(kpi.period, kpi.base)], {**base_query, "set": kpi.base})
        kpis.append(KpiRow(kpi, numerator, base, rules.rate(numerator.value, base.value)))
    cohort = _base_query(unit, start, end, rules.Period.DISCOVERED)
    found = {**cohort, "set": "found"}
    counts_by = {
        "severity": [(label, Figure(sums[f"sev_{value}"], {**found, "severity": value}))
                     for value, label in Hazard.Severity.choices],
        "status": [(label, Figure(sums[f"st_{value}"], {**cohort, "status": value}))
                   for value, label in Hazard.Status.choices],
    }
    closed = sums[f"st_{Hazard.Status.CLOSED}"]
    return {
        "kpis": kpis, "by_key": {row.kpi.key: row for row in kpis}, "counts_by": counts_by,
        "status_counts": {value: sums[f"st_{value}"] for value in Hazard.Status.values},
        "found": Figure(sums["found"], found),
        "by_category": _by_category(scope, start, end, cohort,
                                    category_names() if names is None else names),
        "days_to_close": {
            "closed": Figure(closed, {**cohort, "set": "closed"}),
            "average": rules.quantize(Decimal(sums["close_days"]) / closed) if closed else None,
            "p90": _percentile_days(scope, start, end, closed, 0.9),
        },
    }


def _by_category(scope, start, end, cohort, names) -> list[tuple[str, Figure]]:
    rows = scope.select(CategoryTally, "category_id, SUM(found)", start=start, end=end, group_by="category_id",
                        having="SUM(found) > 0")
    found = {**cohort, "set": "found"}
    out = [(names.get(category_id, "?"), Figure(int(n), {**found, "category": category_id})) for category_id, n in rows]
    return sorted(out, key=lambda item: (-item[1].value, item[0]))


def _percentile_days(scope, start, end, n: int, fraction: float) -> int | None:
    """The nearest-rank percentile of days from discovery to closing of the period's closed
    hazards: the value at rank ⌈fraction × n⌉ in ascending order. One grouped query over the
    histogram CloseTally (days → count), the rank found in Python."""
    if not n:
        return None
    rank = -(-int(fraction * 100) * n // 100)  # ceil without floats
    rows = scope.select(CloseTally, "days, SUM(n)", start=start, end=end, group_by="days")
    seen = 0
    for days, count in sorted(rows):
        seen += count
        if seen >= rank:
            return days
    return None


def dashboard_figures(*, user, unit: OrgUnit | None, start: datetime.date, end: datetime.date,
                      today: datetime.date, units: list[OrgUnit] | None = None) -> dict:
    """Every figure of the dashboard for `unit`'s subtree (within the user's scope) and the period
    [start, end]: {"kpis": kpi_figures, "months": monthly_found_closed, "now": open_now, "risk":
    risk_distribution, "tasks": task_figures}, sharing one scope, the category names and the
    overdue rows (a constant 9 queries; `units`: the user's units when the caller has them)."""
    scope = unit_scope(user=user, unit=unit)
    names = category_names()
    overdue = overdue_rows(user=user, unit=unit, today=today, start=start, end=end, scope=scope)
    return {
        "kpis": kpi_figures(user=user, unit=unit, start=start, end=end, today=today, names=names, overdue=overdue,
                            scope=scope),
        "months": monthly_found_closed(user=user, unit=unit, start=start, end=end, scope=scope),
        "now": open_now(user=user, unit=unit, today=today, names=names, overdue=overdue, units=units, scope=scope),
        "risk": risk_distribution(user=user, unit=unit, scope=scope),
        "tasks": task_figures(user=user, unit=unit, start=start, end=end, scope=scope),
    }


# --- the dashboard's charts ---------------------------------------------------------------------

def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months [start, end] touches."""
    months, day = [], tallies_module.month_of(start)
    while day <= end:
        months.append(day)
        day = tallies_module.next_month(day)
    return months


def _as_date(value) -> datetime.date:
    """A DateField read by a plain cursor: a date (PostgreSQL) or its ISO text (SQLite)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _month_end(month: datetime.date) -> datetime.date:
    return tallies_module.next_month(month) - datetime.timedelta(days=1)


def monthly_found_closed(*, user, unit, start, end, scope: tallies_module.UnitScope | None = None) -> list[dict]:
    """Found (discovered, not voided) and closed (销号, local date of closing) per month of the
    period; one grouped query over the summary table (its month and edge day rows, added up per
    month here)."""
    rows = (scope or unit_scope(user=user, unit=unit)).select(
        HazardTally, "kind, day, SUM(found), SUM(n)", start=start, end=end, where="kind IN (%s, %s)",
        params=[HazardTally.Kind.DISCOVERED, HazardTally.Kind.CLOSED], group_by="kind, day")
    found, closed = {}, {}
    for kind, day, n_found, n in rows:
        month = tallies_module.month_of(_as_date(day))
        if kind == HazardTally.Kind.DISCOVERED:
            found[month] = found.get(month, 0) + int(n_found or 0)
        else:
            closed[month] = closed.get(month, 0) + int(n or 0)
    unit_q = {"unit": unit.pk} if unit is not None else {}
    out = []
    for month in months_between(start, end):
        first, last = max(month, start), min(_month_end(month), end)
        out.append({
            "month": month,
            "found": Figure(found.get(month, 0), {**unit_q, "discovered_from": first.isoformat(),
                                                   "discovered_to": last.isoformat(), "set": "found"}),
            "closed": Figure(closed.get(month, 0), {**unit_q, "closed_from": first.isoformat(),
                                                     "closed_to": last.isoformat()}),
        })
    return out


def open_now(*, user, unit, today, names: dict[int, str] | None = None,
             overdue: dict[int, dict] | None = None, units: list[OrgUnit] | None = None,
             scope: tallies_module.UnitScope | None = None) -> dict:
    """Open hazards now, whatever their discovery date: by severity and by category (one grouped
    query over the summary table OpenTally), and the overdue ones in all and by the sub-units of
    `unit` (one level down; from `overdue`, kpis.selectors._overdue's rows, or one query). `units`:
    the user's units when the caller has them already (the unit picker's list), else one query."""
    open_rows = (scope or unit_scope(user=user, unit=unit)).select(OpenTally, "severity, category_id, SUM(n)",
                                                                   group_by="severity, category_id")
    by_severity: dict[str, int] = {}
    by_category: dict[int, int] = {}
    for severity, category_id, n in open_rows:
        by_severity[severity] = by_severity.get(severity, 0) + int(n)
        by_category[category_id] = by_category.get(category_id, 0) + int(n)
    unit_q = {"unit": unit.pk} if unit is not None else {}
    severity = [(label, Figure(by_severity.get(value, 0), {**unit_q, "status": "open", "severity": value}))
                for value, label in Hazard.Severity.choices]
    if overdue is None:
        overdue = _overdue(scope or unit_scope(user=user, unit=unit), today=today)
    total = Figure(sum(row["now"] for row in overdue.values()), {**unit_q, "overdue": "yes"})
    names = category_names() if names is None else names
    category = sorted(
        ((names.get(cid, "?"), Figure(n, {**unit_q, "status": "open", "category": cid}))
         for cid, n in by_category.items() if n),
        key=lambda item: (-item[1].value, item[0]))
    return {"severity": severity, "category": category, "overdue": total,
            "overdue_by_unit": _overdue_by_unit(user=user, unit=unit, overdue=overdue, units=units)}


def _overdue_by_unit(*, user, unit, overdue: dict[int, dict],
                     units: list[OrgUnit] | None = None) -> list[tuple[OrgUnit, Figure]]:
    """Overdue hazards per child of `unit`, each with its whole subtree (from the per-unit rows of
    _overdue and the user's `units`, or one query for them). Hazards of sites owned by `unit`
    itself are in the total (kpis.views), not in a bar: the ledger's unit filter always takes a
    whole subtree, and each bar must equal its ledger."""
    root = unit or user_root_unit(user)
    if units is not None:  # the user's units (org.selectors.unit_list): the root's subtree of them
        units = [u for u in units if root is None or root.is_ancestor_of(u)]
    else:
        units = list(subtree_queryset(OrgUnit.objects.all(), root, unit_field="") if root is not None
                     else OrgUnit.objects.all())
    if root is None:  # a superuser without membership: the top units
        children = [u for u in units if u.parent_id is None]
    else:
        children = [u for u in units if u.parent_id == root.pk]
    if not children:
        total = sum(row["now"] for row in overdue.values())
        return [(root, Figure(total, {"unit": root.pk, "overdue": "yes"}))] if root else []
    children.sort(key=lambda u: u.path)
    paths = {u.pk: u.path for u in units}
    step = len(children[0].path)
    counts: dict[str, int] = {}
    for unit_id, row in overdue.items():
        prefix = paths.get(unit_id, "")[:step]
        counts[prefix] = counts.get(prefix, 0) + row["now"]
    return [(child, Figure(counts.get(child.path, 0), {"unit": child.pk, "overdue": "yes"})) for child in children]


def risk_distribution(*, user, unit, scope: tallies_module.UnitScope | None = None) -> list[dict]:
    """Active sites per risk level (one grouped query); each links to the risk list of that level."""
    counts = dict((scope or unit_scope(user=user, unit=unit)).select(
        Site, "risk_level, COUNT(*)", where="active = %s", params=[True], group_by="risk_level"))
    rows = []
    for value, label in [*RiskLevel.choices, ("", None)]:
        rows.append({"level": value or "none", "label": label, "count": counts.get(value, 0),
                     "colour": rules.WARNING_TIERS[value].colour if value else "grey"})
    return rows



def home_panel(*, user) -> dict:
    """The home page's risk panel: active sites per level, one grouped query."""
    return {"template": "kpis/_home_panel.html", "risk": risk_distribution(user=user, unit=None)}
