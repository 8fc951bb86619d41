"""Every read of planning, scoped to the user at the source; not found and not allowed look the
same (404)."""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from core.dates import today_local
from org.models import OrgUnit
from org.selectors import get_for_user_or_404, scope_queryset, subtree_queryset, unit_list, user_membership

from .models import MajorRisk, RiskReview, Schedule, SpotCheckPlan, Task

NOT_PLANNED = Task.Status.CANCELLED  # the one state of a task that does not count as planned


def planned_tasks(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """The inspection tasks that count as planned (检查任务计划数): every task but the cancelled
    ones (NOT_PLANNED). Done against planned = status done among them (the task list's "planned"
    filter, the group assessment, the dashboard)."""
    return queryset.exclude(status=NOT_PLANNED)


def overdue_q(today: datetime.date) -> Q:
    """An open task past its due date (the database side of `is_overdue`)."""
    return Q(status__in=Task.OPEN, due_date__lt=today)


def is_overdue(task: Task, today: datetime.date) -> bool:
    """The Python twin of `overdue_q` (tests hold the two to the same answer)."""
    return task.status in Task.OPEN and task.due_date < today


def task_list(*, user) -> QuerySet[Task]:
    queryset = Task.objects.select_related("site", "unit", "group", "standard", "inspection")
    return scope_queryset(queryset, user)


def task_get(*, user, pk: int) -> Task:
    queryset = Task.objects.select_related("site", "unit", "group", "standard", "inspection", "schedule", "plan",
                                           "created_by")
    return get_for_user_or_404(queryset, user, pk=pk)


def task_events(task: Task):
    return list(task.events.select_related("actor").order_by("at", "id"))


def schedule_list(*, user) -> QuerySet[Schedule]:
    return scope_queryset(Schedule.objects.select_related("site", "unit", "group", "standard", "rule"), user)


def schedule_get(*, user, pk: int) -> Schedule:
    return get_for_user_or_404(Schedule.objects.select_related("site", "unit", "group", "standard", "rule"), user,
                               pk=pk)


def plan_list(*, user) -> QuerySet[SpotCheckPlan]:
    return scope_queryset(SpotCheckPlan.objects.select_related("unit", "standard", "group", "drawn_by")
                          .annotate(picked=Count("picks")), user)


def plan_get(*, user, pk: int) -> SpotCheckPlan:
    return get_for_user_or_404(SpotCheckPlan.objects.select_related("unit", "standard", "group", "drawn_by"), user,
                               pk=pk)


def risk_list(*, user) -> QuerySet[MajorRisk]:
    return scope_queryset(MajorRisk.objects.select_related("unit", "responsible"), user)


def review_list(*, user) -> QuerySet[RiskReview]:
    return scope_queryset(RiskReview.objects.select_related("unit", "reviewer", "cycle"), user)


def review_get(*, user, pk: int) -> RiskReview:
    return get_for_user_or_404(RiskReview.objects.select_related("unit", "reviewer", "cycle", "done_by"), user,
                               pk=pk)


# ---------------------------------------------------------------- choices

def group_choices(*, user) -> QuerySet[OrgUnit]:
    return unit_list(user=user).filter(active=True, kind=OrgUnit.Kind.GROUP).order_by("path")


def unit_choices(*, user) -> QuerySet[OrgUnit]:
    return unit_list(user=user).filter(active=True).order_by("path")


def inspector_choices(*, user):
    users = get_user_model().objects.filter(is_active=True, membership__isnull=False).select_related(
        "membership__unit")
    return scope_queryset(users, user, "membership__unit").order_by("membership__unit__path", "username")


# ---------------------------------------------------------------- "my tasks"

def my_tasks(*, user, limit: int | None = 8) -> list[Task]:
    """The user's open tasks, soonest first: those they are named on, or whose group lies in their
    own unit (a group's members are the inspectors of its unit subtree), in one query."""
    membership = user_membership(user)
    if membership is None:
        return []
    mine = Task.inspectors.through.objects.filter(user_id=user.pk).values("task_id")
    groups = subtree_queryset(OrgUnit.objects.all(), membership.unit, unit_field="")
    queryset = (task_list(user=user).filter(status__in=Task.OPEN)
                .filter(Q(pk__in=mine) | Q(group__in=groups))
                .order_by("due_date", "id"))
    return list(queryset[:limit] if limit else queryset)


def home_panel(*, user) -> dict:
    today = today_local()
    tasks = my_tasks(user=user)
    for task in tasks:
        task.overdue = is_overdue(task, today)
    return {"template": "planning/_home_panel.html", "my_tasks": tasks, "today": today, "first": True}


# ---------------------------------------------------------------- calendar

@dataclass
class Day:
    date: datetime.date
    in_month: bool
    tasks: list = field(default_factory=list)


def month_grid(year: int, month: int) -> list[list[datetime.date]]:
    """Weeks (Monday first) covering the month."""
    return calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)


def calendar_days(queryset: QuerySet[Task], days: list[datetime.date], *, month: int | None = None,
                  per_day: int = 6) -> tuple[list[Day], dict[datetime.date, int]]:
    """The tasks of `days` (one query over the range, at most `per_day` shown a day; the count of
    the rest per day in a second query)."""
    first, last = days[0], days[-1]
    by_day: dict[datetime.date, list] = defaultdict(list)
    rows = (queryset.filter(due_date__range=(first, last)).select_related("site", "group")
            .order_by("due_date", "status", "id"))
    counts: dict[datetime.date, int] = defaultdict(int)
    for row in rows[:2000]:
        counts[row.due_date] += 1
        if len(by_day[row.due_date]) < per_day:
            by_day[row.due_date].append(row)
    more = {d: counts[d] - len(by_day[d]) for d in counts if counts[d] > len(by_day[d])}
    return [Day(date=d, in_month=month is None or d.month == month, tasks=by_day.get(d, [])) for d in days], more


# ---------------------------------------------------------------- workload

def workload(*, user, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per inspection group: tasks due in [start, end] by status, in one grouped query."""
    rows = (task_list(user=user).filter(due_date__range=(start, end)).order_by()
            .values("group_id", "group__name", "group__path", "status").annotate(n=Count("id")))
    groups: dict = {}
    for row in rows:
        key = row["group_id"]
        entry = groups.setdefault(key, {"group_id": key, "name": row["group__name"], "path": row["group__path"] or "",
                                        "counts": defaultdict(int), "total": 0})
        entry["counts"][row["status"]] += row["n"]
        entry["total"] += row["n"]
    result = sorted(groups.values(), key=lambda g: (g["group_id"] is None, g["path"]))
    for entry in result:
        entry["open"] = sum(entry["counts"][s] for s in Task.OPEN)
        entry["cells"] = [entry["counts"][s] for s in Task.Status.values]
    return result
