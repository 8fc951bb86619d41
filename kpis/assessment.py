"""Group assessment (检查小组考核) per inspection group and month: overdue work orders and the points
deducted for them (kpis.rules.group_deduction: 0.2 each, at most 2), hazards found, acceptance on
time, inspections done, and inspection tasks done against planned (the `planning` app's tasks of
the group due in the month, cancelled ones not counted). A hazard belongs to the group whose
inspection found it (a manually registered hazard to no group). Three grouped queries whatever the
number of groups, hazards or tasks."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q

from audits.models import Inspection
from core.dates import today_local
from hazards.models import Hazard
from org.models import OrgUnit
from org.selectors import scope_queryset, subtree_queryset
from planning.models import Task
from planning.selectors import planned_tasks

from . import rules
from .selectors import Figure, annotate_sets

GROUP = "source_result__inspection__group"


@dataclass
class GroupRow:
    group: OrgUnit
    found: Figure
    due: Figure
    on_time: Figure
    late: Figure
    inspections: int
    tasks_planned: Figure
    tasks_done: Figure

    @property
    def deduction(self):
        return rules.group_deduction(self.late.value)

    @property
    def on_time_rate(self):
        return rules.rate(self.on_time.value, self.due.value)

    @property
    def tasks_done_rate(self):
        """Tasks done against planned (%), None when nothing was planned."""
        return rules.rate(self.tasks_done.value, self.tasks_planned.value)


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    first = month.replace(day=1)
    last = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return first, last


def group_assessment(*, user, unit: OrgUnit | None, month: datetime.date,
                     today: datetime.date | None = None) -> list[GroupRow]:
    """One row per inspection group of the user's scope (narrowed to `unit`'s subtree). Its
    hazards, inspections and tasks are those of the user's scope too (a site moved to another
    branch takes its hazards and tasks out of the old group's figures for the old branch's
    users, as out of the ledger and the task list the figures link to)."""
    today = today or today_local()
    start, end = month_bounds(month)
    groups = scope_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.GROUP, active=True), user, unit_field="")
    if unit is not None:
        groups = subtree_queryset(groups, unit, unit_field="")
    groups = list(groups.select_related("parent").order_by("path"))
    ids = [g.pk for g in groups]
    hazards = annotate_sets(scope_queryset(Hazard.objects.filter(**{f"{GROUP}__in": ids}), user)).order_by()
    found_q = rules.SETS["found"].q(today) & rules.in_period_q(rules.Period.DISCOVERED, start, end)
    in_month = rules.in_period_q(rules.Period.DEADLINE, start, end)
    rows = {row[GROUP]: row for row in hazards.values(GROUP).annotate(
        found=Count("id", filter=found_q),
        due=Count("id", filter=in_month & rules.SETS["due"].q(today)),
        on_time=Count("id", filter=in_month & rules.SETS["on_time"].q(today)),
        late=Count("id", filter=in_month & rules.SETS["late"].q(today)),
    )}
    done = dict(scope_queryset(Inspection.objects.filter(group__in=ids, date__gte=start, date__lte=end), user)
                .exclude(status=Inspection.Status.DRAFT).values("group").annotate(n=Count("id"))
                .values_list("group", "n").order_by())
    tasks = {row["group"]: row for row in planned_tasks(scope_queryset(
        Task.objects.filter(group__in=ids, due_date__gte=start, due_date__lte=end), user)).values("group").order_by()
             .annotate(planned=Count("id"), done=Count("id", filter=Q(status=Task.Status.DONE)))}
    out = []
    for group in groups:
        row = rows.get(group.pk, {})
        found_query = {"group": group.pk, "discovered_from": start.isoformat(), "discovered_to": end.isoformat(),
                       "set": "found"}
        due_query = {"group": group.pk, "deadline_from": start.isoformat(), "deadline_to": end.isoformat()}
        task_query = {"group": group.pk, "due_from": start.isoformat(), "due_to": end.isoformat()}
        out.append(GroupRow(
            group=group,
            found=Figure(row.get("found", 0), found_query),
            due=Figure(row.get("due", 0), {**due_query, "set": "due"}),
            on_time=Figure(row.get("on_time", 0), {**due_query, "set": "on_time"}),
            late=Figure(row.get("late", 0), {**due_query, "set": "late"}),
            inspections=done.get(group.pk, 0),
            tasks_planned=Figure(tasks.get(group.pk, {}).get("planned", 0), {**task_query, "planned": "1"},
                                 view="planning:task_list"),
            tasks_done=Figure(tasks.get(group.pk, {}).get("done", 0), {**task_query, "status": Task.Status.DONE},
                              view="planning:task_list"),
        ))
    return out


# ---------------------------------------------------------------- documents

def _headers() -> list[str]:
    from django.utils.translation import gettext as _

    return [_("Inspection group"), _("Unit"), _("Hazards found"), _("Inspections done"), _("Tasks planned"),
            _("Tasks done"), _("Tasks done (%)"), _("Due in the month"), _("Accepted by the deadline"),
            _("Acceptance on time (%)"), _("Overdue work orders"), _("Points deducted")]


def render_groups_xlsx(rows: list[GroupRow], *, month: datetime.date, title: str, language: str | None = None) -> bytes:
    import io

    from django.conf import settings
    from django.utils import translation
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from org.spreadsheets import print_setup, text_cell

    with translation.override(language or settings.LANGUAGE_CODE):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = month.strftime("%Y-%m")
        text_cell(sheet.cell(1, 1), title)
        sheet.cell(1, 1).font = Font(bold=True, size=13)
        sheet.append([])
        sheet.append(_headers())
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in rows:
            rate, task_rate = row.on_time_rate, row.tasks_done_rate
            sheet.append([None, None, row.found.value, row.inspections, row.tasks_planned.value, row.tasks_done.value,
                          task_rate if task_rate is not None else "—", row.due.value, row.on_time.value,
                          rate if rate is not None else "—", row.late.value, row.deduction])
            line = sheet.max_row
            for column, text in ((1, row.group.name), (2, row.group.parent.name if row.group.parent else "")):
                text_cell(sheet.cell(line, column), text)
            for column, value in ((7, task_rate), (10, rate)):
                if value is not None:
                    sheet.cell(line, column).number_format = "0.00"
            sheet.cell(line, 12).number_format = "0.00"
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 24
        print_setup(sheet, landscape=True, title_rows="3:3", freeze="A4")
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def render_groups_pdf(rows: list[GroupRow], *, month: datetime.date, title: str, language: str | None = None) -> bytes:
    from org.documents import render_pdf

    return render_pdf("kpis/pdf/groups.html", {"rows": rows, "month": month, "title": title, "headers": _headers()},
                      language=language)
