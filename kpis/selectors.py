"""Every read of the KPI app, scoped to the user's unit subtree at the source. Every figure is
computed in SQL by aggregates (a constant number of queries whatever the number of hazards), and
each figure carries the ledger query that lists exactly the hazards behind it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.urls import reverse
from django.utils.http import urlencode

from core.dates import today_local
from hazards.filters import local_day_start
from hazards.models import Hazard, RiskCategory
from hazards.rules import open_q, overdue_q
from org.models import OrgUnit, RiskLevel, Site
from org.selectors import scope_queryset, subtree_queryset, user_root_unit, user_sees_everything
from planning.models import Task

from . import rules
from .db import DaysBetween
from .models import RiskSettings


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


def site_risk_list(*, user, level: str = "") -> QuerySet[Site]:
    """The user's sites, highest risk first (index site_risk_order); `level` narrows to one."""
    sites = scope_queryset(Site.objects.select_related("unit"), user).filter(active=True)
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
        return f"{reverse(self.view)}?{urlencode(self.query)}"


def planned_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """The inspection tasks that count as planned (检查任务计划数): every task but the cancelled
    ones. Done against planned = status done among them (group assessment, dashboard)."""
    return queryset.exclude(status=Task.Status.CANCELLED)


def task_figures(*, user, unit: OrgUnit | None, start: datetime.date, end: datetime.date) -> dict:
    """Tasks of the user's scope (narrowed to `unit`'s subtree) due in [start, end]: {"planned":
    Figure, "done": Figure, "rate": Decimal | None}; the figures open the planning task list. One
    query."""
    tasks = scope_queryset(Task.objects.all(), user)
    if unit is not None:
        tasks = subtree_queryset(tasks, unit)
    counts = planned_tasks(tasks.filter(due_date__gte=start, due_date__lte=end)).order_by().aggregate(
        planned=Count("id"), done=Count("id", filter=Q(status=Task.Status.DONE)))
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


def scoped_hazards(*, user, unit: OrgUnit | None) -> QuerySet[Hazard]:
    """The hazards of the user's scope, narrowed to `unit`'s subtree (a unit the caller took from
    the user's own unit list)."""
    hazards = scope_queryset(Hazard.objects.all(), user)
    if unit is not None and not (user_root_unit(user) == unit and not user_sees_everything(user)):
        hazards = subtree_queryset(hazards, unit)
    return hazards.order_by()


def annotate_sets(queryset: QuerySet[Hazard]) -> QuerySet[Hazard]:
    """The annotations a set's Q may read (kpis.rules.HazardSet.needs)."""
    return queryset.annotate(accepted_on=rules.accepted_on_annotation())


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


def kpi_figures(*, user, unit: OrgUnit | None, start: datetime.date, end: datetime.date,
                today: datetime.date | None = None, names: dict[int, str] | None = None) -> dict:
    """Every KPI of `unit`'s subtree (within the user's scope) for the period [start, end]: two
    aggregate queries (the cohort discovered in the period; what fell due in it), one for the
    categories and one for the 90th percentile of days to close."""
    today = today or today_local()
    # No user: a report of `unit`'s whole subtree (the statistics reports and the command).
    hazards = (scoped_hazards(user=user, unit=unit) if user is not None
               else subtree_queryset(Hazard.objects.all(), unit).order_by())
    sets_by_period: dict[str, set[str]] = {}
    for kpi in rules.KPIS:
        sets_by_period.setdefault(kpi.period, set()).update({kpi.numerator, kpi.base})
    counts: dict[tuple[str, str], int] = {}
    extra: dict = {}
    for period, keys in sets_by_period.items():
        rows = annotate_sets(hazards.filter(rules.in_period_q(period, start, end)))
        aggregates = {key: Count("id", filter=rules.SETS[key].q(today)) for key in sorted(keys)}
        if period == rules.Period.DISCOVERED:
            aggregates.update(_cohort_aggregates(today))
        result = rows.aggregate(**aggregates)
        for key in keys:
            counts[(period, key)] = result.pop(key)
        if period == rules.Period.DISCOVERED:
            extra = result
    kpis = []
    for kpi in rules.KPIS:
        base_query = _base_query(unit, start, end, kpi.period)
        numerator = Figure(counts[(kpi.period, kpi.numerator)], {**base_query, "set": kpi.numerator})
        base = Figure(counts[(kpi.period, kpi.base)], {**base_query, "set": kpi.base})
        kpis.append(KpiRow(kpi, numerator, base, rules.rate(numerator.value, base.value)))
    cohort = _base_query(unit, start, end, rules.Period.DISCOVERED)
    found = {**cohort, "set": "found"}
    counts_by = {
        "severity": [(label, Figure(extra[f"sev_{value}"], {**found, "severity": value}))
                     for value, label in Hazard.Severity.choices],
        "status": [(label, Figure(extra[f"st_{value}"], {**cohort, "status": value}))
                   for value, label in Hazard.Status.choices],
    }
    closed = extra["closed_days_n"]
    return {
        "kpis": kpis, "by_key": {row.kpi.key: row for row in kpis}, "counts_by": counts_by,
        "status_counts": {value: extra[f"st_{value}"] for value in Hazard.Status.values},
        "found": Figure(counts[(rules.Period.DISCOVERED, "found")], found),
        "by_category": _by_category(hazards, start, end, cohort, category_names() if names is None else names),
        "days_to_close": {
            "closed": Figure(closed, {**cohort, "set": "closed"}),
            "average": rules.quantize(extra["closed_days_avg"]) if closed else None,
            "p90": _percentile_days(hazards, start, end, closed, 0.9),
        },
    }


def _closed_days():
    return DaysBetween("closed_at", "discovered_on")


def _cohort_aggregates(today) -> dict:
    aggregates = {f"sev_{value}": Count("id", filter=~Q(status=Hazard.Status.VOIDED) & Q(severity=value))
                  for value in Hazard.Severity.values}
    aggregates.update({f"st_{value}": Count("id", filter=Q(status=value)) for value in Hazard.Status.values})
    closed = Q(status=Hazard.Status.CLOSED)
    aggregates["closed_days_n"] = Count("id", filter=closed)
    aggregates["closed_days_avg"] = Avg(_closed_days(), filter=closed)
    return aggregates


def _by_category(hazards, start, end, cohort, names) -> list[tuple[str, Figure]]:
    rows = (hazards.filter(discovered_on__gte=start, discovered_on__lte=end).exclude(status=Hazard.Status.VOIDED)
            .values("category_id").annotate(n=Count("id")).order_by())
    found = {**cohort, "set": "found"}
    out = [(names.get(row["category_id"], "?"), Figure(row["n"], {**found, "category": row["category_id"]}))
           for row in rows]
    return sorted(out, key=lambda item: (-item[1].value, item[0]))


def _percentile_days(hazards, start, end, n: int, fraction: float) -> int | None:
    """The nearest-rank percentile of days from discovery to closing of the period's closed
    hazards: the value at rank ⌈fraction × n⌉ in ascending order (one indexed query; the same on
    PostgreSQL and SQLite)."""
    if not n:
        return None
    rank = -(-int(fraction * 100) * n // 100)  # ceil without floats
    return (hazards.filter(discovered_on__gte=start, discovered_on__lte=end, status=Hazard.Status.CLOSED)
            .annotate(days=_closed_days()).order_by("days").values_list("days", flat=True)[rank - 1])


# --- the dashboard's charts ---------------------------------------------------------------------

def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def monthly_found_closed(*, user, unit, start, end) -> list[dict]:
    """Found (discovered, not voided) and closed (销号, local date of closing) per month of the
    period; two grouped queries."""
    hazards = scoped_hazards(user=user, unit=unit)
    found = dict(hazards.filter(discovered_on__gte=start, discovered_on__lte=end)
                 .exclude(status=Hazard.Status.VOIDED)
                 .annotate(month=TruncMonth("discovered_on")).values("month").annotate(n=Count("id"))
                 .values_list("month", "n"))
    closed = dict(hazards.filter(closed_at__gte=local_day_start(start),
                                 closed_at__lt=local_day_start(end + datetime.timedelta(days=1)))
                  .annotate(month=TruncMonth("closed_at")).values("month").annotate(n=Count("id"))
                  .values_list("month", "n"))
    closed = {(k.date() if isinstance(k, datetime.datetime) else k): v for k, v in closed.items()}
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


def open_now(*, user, unit, today, names: dict[int, str] | None = None) -> dict:
    """Open hazards now, whatever their discovery date: by severity and by category, and the
    overdue ones by the sub-units of `unit` (one level down). Three grouped queries over the open
    hazards (index on status)."""
    hazards = scoped_hazards(user=user, unit=unit).filter(open_q())
    unit_q = {"unit": unit.pk} if unit is not None else {}
    rows = hazards.values("severity").annotate(n=Count("id"), overdue=Count("id", filter=overdue_q(today)))
    by_severity = {row["severity"]: row for row in rows}
    severity = [(label, Figure(by_severity.get(value, {}).get("n", 0), {**unit_q, "status": "open", "severity": value}))
                for value, label in Hazard.Severity.choices]
    overdue = Figure(sum(row["overdue"] for row in by_severity.values()), {**unit_q, "overdue": "yes"})
    names = category_names() if names is None else names
    category = sorted(
        ((names.get(cid, "?"), Figure(n, {**unit_q, "status": "open", "category": cid}))
         for cid, n in hazards.values("category_id").annotate(n=Count("id")).values_list("category_id", "n")),
        key=lambda item: (-item[1].value, item[0]))
    return {"severity": severity, "category": category, "overdue": overdue,
            "overdue_by_unit": _overdue_by_unit(user=user, unit=unit, today=today)}


def _overdue_by_unit(*, user, unit, today) -> list[tuple[OrgUnit, Figure]]:
    """Overdue hazards per child of `unit`, each with its whole subtree (one grouped query).
    Hazards of sites owned by `unit` itself are in the total (kpis.views), not in a bar: the
    ledger's unit filter always takes a whole subtree, and each bar must equal its ledger."""
    root = unit or user_root_unit(user)
    if root is None:  # a superuser without membership: the top units
        children = list(OrgUnit.objects.filter(parent__isnull=True).order_by("path"))
        parent_path_len = 0
    else:
        children = list(root.children.order_by("path"))
        parent_path_len = len(root.path)
    hazards = scoped_hazards(user=user, unit=unit).filter(overdue_q(today))
    if not children:
        total = hazards.count()
        return [(root, Figure(total, {"unit": root.pk, "overdue": "yes"}))] if root else []
    step = len(children[0].path) - parent_path_len
    counts = dict(hazards.annotate(prefix=Substr("unit__path", 1, parent_path_len + step))
                  .values("prefix").annotate(n=Count("id")).values_list("prefix", "n"))
    rows = [(child, Figure(counts.get(child.path, 0), {"unit": child.pk, "overdue": "yes"})) for child in children]
    return rows


def risk_distribution(*, user, unit) -> list[dict]:
    """Active sites per risk level (one grouped query); each links to the risk list of that level."""
    sites = scope_queryset(Site.objects.filter(active=True), user)
    if unit is not None:
        sites = subtree_queryset(sites, unit)
    counts = dict(sites.values("risk_level").annotate(n=Count("id")).values_list("risk_level", "n").order_by())
    rows = []
    for value, label in [*RiskLevel.choices, ("", None)]:
        rows.append({"level": value or "none", "label": label, "count": counts.get(value, 0),
                     "colour": rules.WARNING_TIERS[value].colour if value else "grey"})
    return rows



def home_panel(*, user) -> dict:
    """The home page's risk panel: active sites per level, one grouped query."""
    return {"template": "kpis/_home_panel.html", "risk": risk_distribution(user=user, unit=None)}
