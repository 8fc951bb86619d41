"""Every write of planning. Keyword-only, one transaction each; a task's status changes lock its row
and write its TaskEvent in the same transaction (events are only ever inserted). Refusals are
ValidationErrors whose messages are shown as they are. `by=None` is the system (beat, commands,
demo data): no role or scope check.

Decisions where the issue was silent:
- A generated task is never due before the day it is generated: a site already overdue (its last
  inspection + cycle lies in the past) gets a task due today, and a schedule has at most one open
  task at a time (a partial unique index), so an overdue schedule does not pile up tasks.
- A missed task moves its schedule on from the missed due date (+ cycle); a cancelled one likewise.
- A task's window is its due date ± the schedule's window days; a seasonal task's window is the
  season (spring 1 Mar–31 May, autumn 1 Sep–30 Nov) and it is due on the window's last day.
- When two rules give a site the same check (kind and season), the rule of the deeper unit, then
  the one with more conditions, wins; a schedule edited for its site is left alone by every rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import services as audit_services
from audits.models import Inspection
from org.models import OrgUnit, Site
from org.selectors import user_root_unit, user_sees_everything
from scoring.models import Standard

from . import cycles, lifecycle
from .lifecycle import Action, TransitionRefused
from .models import Schedule, ScheduleRule, Task, TaskEvent

DEFAULT_HORIZON_DAYS = 30
# Tasks created by hand for a filtered set of sites at most at once.
MAX_SITES_PER_CREATE = 500
INSERT_BATCH = 1000

E = TaskEvent.Action
_EVENT_FOR = {Action.ASSIGN: E.ASSIGNED, Action.START: E.STARTED, Action.COMPLETE: E.DONE, Action.MISS: E.MISSED,
              Action.CANCEL: E.CANCELLED, Action.REOPEN: E.REOPENED}
DONE_STATUSES = (Inspection.Status.SUBMITTED, Inspection.Status.LOCKED)


# ---------------------------------------------------------------- helpers

def _in_scope(by, unit: OrgUnit) -> bool:
    if by is None or user_sees_everything(by):
        return True
    root = user_root_unit(by)
    return root is not None and unit.path.startswith(root.path)


def _locked(task: Task) -> Task:
    return Task.objects.select_for_update(of=("self",)).select_related("site", "unit", "standard").get(pk=task.pk)


def _move(task: Task, action: str, *, by, comment: str = "", extra_fields: Iterable[str] = ()) -> Task:
    transition = lifecycle.check(task, action, by)
    from_status = task.status
    task.status = transition.target
    fields = ["status", *extra_fields]
    if transition.target in (Task.Status.DONE, Task.Status.MISSED, Task.Status.CANCELLED):
        task.closed_at = timezone.now()
        fields.append("closed_at")
    elif action == Action.REOPEN:
        task.closed_at = None
        fields.append("closed_at")
    task.save(update_fields=fields)
    TaskEvent.objects.create(task=task, action=_EVENT_FOR[action], from_status=from_status, to_status=task.status,
                             actor=by, comment=comment)
    return task


def _check_scope(by, task: Task) -> None:
    if not _in_scope(by, task.unit):
        # Defence in depth: the views already answer 404 outside the user's scope.
        raise TransitionRefused(_("This task is outside your unit."))


# ---------------------------------------------------------------- schedules

def schedule_next(schedule: Schedule, *, after: datetime.date | None) -> tuple[datetime.date, datetime.date | None]:
    """(next due, window start) of `schedule` counting from `after` (a completion or a missed due
    date; None for the first check, which is due on the start date)."""
    return cycles.next_due(unit=schedule.cycle_unit, length=schedule.cycle_length, start=schedule.start_date,
                           last=after, season=schedule.season)


def _rule_values(rule: ScheduleRule, site: dict) -> dict:
    if rule.use_site_cycle:
        unit, length = cycles.CycleUnit.MONTHS, site["inspection_cycle_months"] or 12
    else:
        unit, length = rule.cycle_unit, rule.cycle_length
    return {"kind": rule.kind, "standard_id": rule.standard_id, "group_id": rule.group_id, "cycle_unit": unit,
            "cycle_length": length, "season": rule.season, "window_days": rule.window_days}


def _match_sites(rule: ScheduleRule):
    sites = Site.objects.filter(active=True, unit__path__startswith=rule.unit.path)
    if rule.site_class:
        sites = sites.filter(site_class=rule.site_class)
    if rule.voltage_from:
        from .models import VOLTAGE_ORDER

        sites = sites.filter(voltage_level__in=VOLTAGE_ORDER[VOLTAGE_ORDER.index(rule.voltage_from):])
    return sites.values("id", "unit_id", "inspection_cycle_months", "created_at")


@dataclass
class SyncResult:
    created: int = 0
    updated: int = 0


@transaction.atomic
def schedules_sync(*, today: datetime.date | None = None) -> SyncResult:
    """Bring the per-site schedules in line with the active rules: a schedule for each matching site
    and check (kind, season) that has none, and the rule's values on the schedules it owns (not on
    those edited for their site). A new schedule counts from the site's last submitted inspection
    of its kind; without one, the first check is due on the day the site came under the rule."""
    today = today or timezone.localdate()
    rules = sorted(ScheduleRule.objects.filter(active=True).select_related("unit"), key=lambda r: (r.specificity, r.pk))
    wanted: dict[tuple, tuple[ScheduleRule, dict]] = {}
    for rule in rules:  # the most specific rule last, so it wins
        for site in _match_sites(rule):
            wanted[(site["id"], rule.kind, rule.season)] = (rule, site)
    if not wanted:
        return SyncResult()
    existing = {(s.site_id, s.kind, s.season): s for s in Schedule.objects.filter(
        site_id__in={key[0] for key in wanted})}
    last_done = {(row["site_id"], row["kind"]): row["last"] for row in Inspection.objects.filter(
        site_id__in={key[0] for key in wanted if key not in existing}, status__in=DONE_STATUSES,
    ).values("site_id", "kind").annotate(last=Max("date"))}
    result = SyncResult()
    new, changed = [], []
    for key, (rule, site) in wanted.items():
        values = _rule_values(rule, site)
        schedule = existing.get(key)
        if schedule is None:
            schedule = Schedule(site_id=site["id"], unit_id=site["unit_id"], rule=rule, start_date=today, **values)
            schedule.last_done = last_done.get((site["id"], rule.kind))
            schedule.next_due, schedule.next_window_start = schedule_next(schedule, after=schedule.last_done)
            new.append(schedule)
            continue
        if schedule.overridden:
            continue
        current = {name: getattr(schedule, name) for name in values}
        if current != values or schedule.rule_id != rule.pk or schedule.unit_id != site["unit_id"]:
            for name, value in values.items():
                setattr(schedule, name, value)
            schedule.rule_id, schedule.unit_id = rule.pk, site["unit_id"]
            anchor = schedule.last_done if schedule.last_done else None
            schedule.next_due, schedule.next_window_start = schedule_next(schedule, after=anchor)
            changed.append(schedule)
    Schedule.objects.bulk_create(new, batch_size=INSERT_BATCH)
    Schedule.objects.bulk_update(changed, ["kind", "standard", "group", "cycle_unit", "cycle_length", "season",
                                           "window_days", "rule", "unit", "next_due", "next_window_start"],
                                 batch_size=INSERT_BATCH)
    result.created, result.updated = len(new), len(changed)
    return result


@transaction.atomic
def schedule_update(*, schedule: Schedule, standard: Standard, group: OrgUnit | None, cycle_unit: str,
                    cycle_length: int, season: str, window_days: int, active: bool, by) -> Schedule:
    """Edit one site's schedule (an override: its rule leaves it alone from now on)."""
    schedule = Schedule.objects.select_for_update(of=("self",)).select_related("unit").get(pk=schedule.pk)
    if not _in_scope(by, schedule.unit):
        raise ValidationError(_("This schedule is outside your unit."))
    if group is not None and not _in_scope(by, group):
        raise ValidationError({"group": _("The inspection group %(group)s is outside your unit.") % {"group": group}})
    schedule.standard, schedule.group, schedule.cycle_unit = standard, group, cycle_unit
    schedule.cycle_length, schedule.season, schedule.window_days = cycle_length, season, window_days
    schedule.active, schedule.overridden = active, True
    schedule.next_due, schedule.next_window_start = schedule_next(schedule, after=schedule.last_done)
    schedule.full_clean()
    schedule.save()
    return schedule


# ---------------------------------------------------------------- generation

def _window(schedule_values: dict, due: datetime.date) -> tuple[datetime.date, datetime.date]:
    if schedule_values["cycle_unit"] == cycles.CycleUnit.SEASONAL:
        return schedule_values["next_window_start"] or due, due
    days = datetime.timedelta(days=schedule_values["window_days"])
    return due - days, due + days


def _due_schedules(today: datetime.date, end: datetime.date):
    """Active schedules due by `end` without an open task: the generator's selection (one query,
    an anti-join on the open-task index)."""
    open_task = Task.objects.filter(schedule=OuterRef("pk"), status__in=Task.OPEN)
    return (Schedule.objects.filter(active=True, next_due__lte=end).filter(~Exists(open_task))
            .values("id", "site_id", "unit_id", "kind", "standard_id", "group_id", "next_due", "next_window_start",
                    "cycle_unit", "window_days"))


_TASK_COLUMNS = ("site_id", "unit_id", "source", "schedule_id", "kind", "standard_id", "title", "due_date",
                 "window_start", "window_end", "group_id", "status", "created_at")


def _insert_ignoring_conflicts(rows: list[tuple]) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, status: (id, status) of the rows that were new. A row
    whose (schedule, due date) exists, or whose schedule already has an open task, is skipped by
    the unique indexes, including one inserted meanwhile by a parallel run (which waits for the
    other transaction and then skips). PostgreSQL and SQLite (≥ 3.35) both speak this."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in _TASK_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_TASK_COLUMNS)) + ")"
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start:start + INSERT_BATCH]
            # Only the model's quoted table and column names are formatted in; every value is a parameter.
            sql = (f"INSERT INTO {quote(Task._meta.db_table)} ({columns}) VALUES "
                   f"{', '.join([one] * len(batch))} ON CONFLICT DO NOTHING RETURNING {quote('id')}, {quote('status')}")
            cursor.execute(sql, [value for row in batch for value in row])
            ids += [(row[0], row[1]) for row in cursor.fetchall()]
    return ids


@transaction.atomic
def tasks_generate(*, today: datetime.date | None = None, horizon: int = DEFAULT_HORIZON_DAYS) -> int:
    """Create the tasks of every active schedule due within `horizon` days of `today` that has no
    open task. Idempotent: a second run, or a parallel one, creates nothing twice. Each new task
    gets its "created" history row. Returns the number created."""
    today = today or timezone.localdate()
    if horizon < 0:
        raise ValidationError(_("The horizon cannot be negative."))
    end = today + datetime.timedelta(days=horizon)
    now = timezone.now()
    rows = []
    for s in _due_schedules(today, end).iterator(chunk_size=5000):
        due = max(s["next_due"], today)
        first, last = _window(s, due)
        if s["cycle_unit"] == cycles.CycleUnit.SEASONAL and due > last:
            continue  # a seasonal window already over: served by the next one (the miss scan moves it)
        status = Task.Status.ASSIGNED if s["group_id"] else Task.Status.PLANNED
        rows.append((s["site_id"], s["unit_id"], Task.Source.SCHEDULE, s["id"], s["kind"], s["standard_id"], "", due,
                     min(first, due), max(last, due), s["group_id"], status, now))
    created = _insert_ignoring_conflicts(rows)
    TaskEvent.objects.bulk_create([TaskEvent(task_id=pk, action=E.CREATED, to_status=status, at=now)
                                   for pk, status in created], batch_size=INSERT_BATCH)
    return len(created)


def _advance(schedule_id: int | None, after: datetime.date, *, completed: bool) -> None:
    """Move a schedule on from `after` (an inspection date, or a missed or cancelled due date)."""
    if schedule_id is None:
        return
    schedule = Schedule.objects.select_for_update().get(pk=schedule_id)
    fields = ["next_due", "next_window_start", "updated_at"]
    if completed:
        if schedule.last_done and schedule.last_done > after:
            return  # a later inspection already counted
        schedule.last_done = after
        fields.append("last_done")
    schedule.next_due, schedule.next_window_start = schedule_next(schedule, after=after)
    schedule.save(update_fields=fields)


@transaction.atomic
def tasks_mark_missed(*, today: datetime.date | None = None) -> int:
    """Planned and assigned tasks whose window ended before `today` become missed (history row
    each); their schedules move on. Returns how many."""
    today = today or timezone.localdate()
    ids = list(Task.objects.filter(status__in=[Task.Status.PLANNED, Task.Status.ASSIGNED], window_end__lt=today)
               .values_list("pk", flat=True))
    count = 0
    for task in Task.objects.select_for_update(skip_locked=True).filter(
            pk__in=ids, status__in=[Task.Status.PLANNED, Task.Status.ASSIGNED]).order_by("pk"):
        _move(task, Action.MISS, by=None, comment=_("The window ended on %(date)s.") % {"date": task.window_end})
        _advance(task.schedule_id, task.due_date, completed=False)
        count += 1
    return count


@dataclass
class RunResult:
    schedules_created: int = 0
    missed: int = 0
    created: int = 0


def planning_run(*, today: datetime.date | None = None, horizon: int = DEFAULT_HORIZON_DAYS) -> RunResult:
    """The daily job (beat and `generate_tasks`): schedules for new sites and changed rules, missed
    tasks marked, then the tasks of the horizon created."""
    today = today or timezone.localdate()
    result = RunResult()
    result.schedules_created = schedules_sync(today=today).created
    result.missed = tasks_mark_missed(today=today)
    result.created = tasks_generate(today=today, horizon=horizon)
    return result


# ---------------------------------------------------------------- tasks by hand

def _check_people(by, group: OrgUnit | None, inspectors: Iterable) -> dict[str, list]:
    errors: dict[str, list] = {}
    if group is not None and (group.kind != OrgUnit.Kind.GROUP or not _in_scope(by, group)):
        errors["group"] = [_("Choose an inspection group of your unit.")]
    for person in inspectors:
        membership = getattr(person, "membership", None)
        if by is not None and (membership is None or not _in_scope(by, membership.unit)):
            errors.setdefault("inspectors", []).append(
                _("%(person)s is not in your unit.") % {"person": person.get_full_name() or person.username})
    return errors


@transaction.atomic
def tasks_create(*, sites: Iterable[Site], kind: str, standard: Standard, due_date: datetime.date,
                 window_days: int = 7, group: OrgUnit | None = None, inspectors: Iterable = (), title: str = "",
                 by) -> list[Task]:
    """Tasks created by hand (a special check, say), one per site: for one site or a filtered set."""
    if not lifecycle.role_allows(by, lifecycle.CREATE_ROLES):
        raise TransitionRefused(_("Your role may not create tasks."))
    sites = list(sites)
    inspectors = list(inspectors)
    errors = _check_people(by, group, inspectors)
    if not sites:
        errors["sites"] = [_("Choose at least one site.")]
    outside = [s for s in sites if not _in_scope(by, s.unit)]
    if outside:
        errors["sites"] = [_("%(site)s is outside your unit.") % {"site": outside[0]}]
    if standard.status != Standard.Status.ACTIVE:
        errors["standard"] = [_("Only an active standard can be used.")]
    if kind not in Inspection.Kind.values:
        errors["kind"] = [_("Unknown inspection kind “%(kind)s”.") % {"kind": kind}]
    if not 0 <= window_days <= 90:
        errors["window_days"] = [_("The window is 0 to 90 days.")]
    if errors:
        raise ValidationError(errors)
    days = datetime.timedelta(days=window_days)
    status = Task.Status.ASSIGNED if group or inspectors else Task.Status.PLANNED
    created = []
    for site in sites:
        task = Task(site=site, unit=site.unit, source=Task.Source.MANUAL, kind=kind, standard=standard,
                    title=title.strip(), due_date=due_date, window_start=due_date - days, window_end=due_date + days,
                    group=group, status=status, created_by=by)
        task.full_clean(exclude=["created_by", "site", "unit", "standard", "group"])
        created.append(task)
    Task.objects.bulk_create(created)
    if inspectors:
        through = Task.inspectors.through
        through.objects.bulk_create([through(task_id=t.pk, user_id=u.pk) for t in created for u in inspectors])
    TaskEvent.objects.bulk_create([TaskEvent(task=t, action=E.CREATED, to_status=t.status, actor=by)
                                   for t in created])
    return created


@transaction.atomic
def tasks_assign(*, tasks: Iterable[Task], group: OrgUnit | None, inspectors: Iterable = (), by) -> int:
    """Assign or reassign tasks to a group (and inspectors) in bulk; every one is checked, and one
    refusal refuses them all. Returns how many were assigned."""
    inspectors = list(inspectors)
    errors = _check_people(by, group, inspectors)
    if group is None and not inspectors:
        errors["group"] = [_("Choose the inspection group or the inspectors.")]
    if errors:
        raise ValidationError(errors)
    ids = sorted(t.pk for t in tasks)
    locked = list(Task.objects.select_for_update(of=("self",)).select_related("unit", "site")
                  .filter(pk__in=ids).order_by("pk"))
    if not locked:
        raise ValidationError(_("Choose at least one task."))
    comment = ", ".join(filter(None, [str(group or ""), *[u.get_full_name() or u.username for u in inspectors]]))
    for task in locked:
        _check_scope(by, task)
        task.group = group
        _move(task, Action.ASSIGN, by=by, comment=comment, extra_fields=["group"])
        task.inspectors.set(inspectors)
    return len(locked)


@transaction.atomic
def task_start(*, task: Task, by) -> Inspection:
    """Start the task: a draft inspection of its site, kind, standard, group and inspectors, dated
    today, linked to the task (audits.services.inspection_create, with its own checks)."""
    task = _locked(task)
    _check_scope(by, task)
    lifecycle.check(task, Action.START, by)
    inspectors = list(task.inspectors.all())
    if by is not None and by not in inspectors and lifecycle.user_role(by) == "inspector":
        inspectors.append(by)
    inspection = audit_services.inspection_create(
        standard=task.standard, kind=task.kind, date=timezone.localdate(), site=task.site, group=task.group,
        inspectors=inspectors, title=task.title, by=by)
    task.inspection = inspection
    _move(task, Action.START, by=by, comment=inspection.number, extra_fields=["inspection"])
    return inspection


@transaction.atomic
def task_cancel(*, task: Task, reason: str, by) -> Task:
    task = _locked(task)
    _check_scope(by, task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for cancelling the task.")})
    _move(task, Action.CANCEL, by=by, comment=reason)
    _advance(task.schedule_id, task.due_date, completed=False)
    return task


# ---------------------------------------------------------------- the inspection hook

def inspection_changed(*, inspection: Inspection, action: str, by) -> None:
    """Called by audits.services (settings.INSPECTION_HOOKS) inside the inspection's transaction.
    submitted: its task, and any open task of the same site and kind, is done, and the site's
    schedules of that kind move on from the inspection date. reopened: its task is in progress
    again."""
    if inspection.site_id is None:
        return
    if action == "submitted":
        tasks = Task.objects.select_for_update().filter(
            site_id=inspection.site_id, kind=inspection.kind, status__in=Task.OPEN).order_by("pk")
        linked = Task.objects.select_for_update().filter(inspection=inspection, status__in=Task.OPEN)
        for task in {t.pk: t for t in [*linked, *tasks]}.values():
            fields = []
            if task.inspection_id is None and not Task.objects.filter(inspection=inspection).exists():
                task.inspection = inspection
                fields.append("inspection")
            _move(task, Action.COMPLETE, by=None, comment=inspection.number, extra_fields=fields)
        for schedule_id in Schedule.objects.filter(site_id=inspection.site_id, kind=inspection.kind).values_list(
                "pk", flat=True):
            _advance(schedule_id, inspection.date, completed=True)
    elif action == "reopened":
        task = Task.objects.select_for_update().filter(inspection=inspection, status=Task.Status.DONE).first()
        # A schedule whose next task is already out keeps this one done (one open task per schedule).
        if task is not None and not (task.schedule_id and Task.objects.filter(
                schedule_id=task.schedule_id, status__in=Task.OPEN).exists()):
            _move(task, Action.REOPEN, by=None, comment=inspection.number)
