"""Every write of planning. Keyword-only, one transaction each; a task's status changes lock its row
and write its TaskEvent in the same transaction (events are only ever inserted). Refusals are shown
as they are: core.lifecycle.ActionRefused for who may act and when (planning.lifecycle),
ValidationError for the data. `by` is who acts: a signed-in user, or core.lifecycle.SYSTEM (beat,
commands, the inspection hook, demo data), which has no role or scope check; None is refused.

Decisions where the issue was silent:
- A generated task is never due before the day it is generated: a site already overdue (its last
  inspection + cycle lies in the past) gets a task due today, and a schedule has at most one open
  task at a time (a partial unique index), so an overdue schedule does not pile up tasks.
- A missed task moves its schedule on from the missed due date (+ cycle); a cancelled one likewise.
- A task's window is its due date ± the schedule's window days; a seasonal task's window is the
  season (spring 1 Mar–31 May, autumn 1 Sep–30 Nov) and it is due on the window's last day (a
  season already over when its task is generated: due today, the window from the season's start).
- A site moved to another unit takes its schedules and tasks along; the planned and assigned ones
  go to the new owner's group, those under way keep theirs (planning_follows_site).
- When two rules give a site the same check (kind and season), the rule of the deeper unit, then
  the one with more conditions, wins; a schedule edited for its site is left alone by every rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DateField, Exists, Max, OuterRef, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from audits import services as audit_services
from audits.models import Inspection
from core.dates import today_local
from core.lifecycle import SYSTEM, ActionRefused, actor_of, actor_user
from org.models import OrgUnit, Site
from org.selectors import subtree_queryset, user_root_unit, user_sees_everything
from scoring.models import Standard

from . import cycles, lifecycle
from .lifecycle import Action
from .models import (
    ReviewCycle,
    RiskReview,
    RiskReviewEvent,
    Schedule,
    ScheduleRule,
    SpotCheckPick,
    SpotCheckPlan,
    Task,
    TaskEvent,
)

DEFAULT_HORIZON_DAYS = 30
# Tasks created by hand for a filtered set of sites at most at once.
MAX_SITES_PER_CREATE = 500
INSERT_BATCH = 1000

DONE_STATUSES = (Inspection.Status.SUBMITTED, Inspection.Status.LOCKED)


# ---------------------------------------------------------------- helpers

def _in_scope(by, unit: OrgUnit) -> bool:
    actor = actor_of(by)
    if actor.is_system:
        return True
    if not actor.is_user:
        return False
    if user_sees_everything(actor.user):
        return True
    root = user_root_unit(actor.user)
    return root is not None and root.is_ancestor_of(unit)


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
    # The transition's action is the history row's action (one enum, planning.models.TaskAction).
    TaskEvent.objects.create(task=task, action=transition.action, from_status=from_status, to_status=task.status,
                             actor=actor_user(by), comment=comment)
    return task


def _check_scope(by, task: Task) -> None:
    if not _in_scope(by, task.unit):
        # Defence in depth: the views already answer 404 outside the user's scope.
        raise ActionRefused(_("This task is outside your unit."))


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
    sites = subtree_queryset(Site.objects.filter(active=True), rule.unit)
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
    today = today or today_local()
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
def rule_save(*, rule: ScheduleRule, by) -> SyncResult:
    """Save a schedule rule (the admin's form) and bring the schedules in line with it at once."""
    if not _in_scope(by, rule.unit) or (rule.group is not None and not _in_scope(by, rule.group)):
        raise ValidationError(_("This rule is outside your unit."))
    rule.full_clean()
    rule.save()
    return schedules_sync()


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

def _due_schedules(today: datetime.date, end: datetime.date):
    """Active schedules due by `end` without an open task, each with `due` = its next due date but
    never before `today`: the generator's selection (one query, an anti-join on the open-task
    index), in id order so that parallel runs insert (and wait for each other) in the same order."""
    open_task = Task.objects.filter(schedule=OuterRef("pk"), status__in=Task.OPEN)
    return (Schedule.objects.filter(active=True, next_due__lte=end).filter(~Exists(open_task))
            .annotate(due=Greatest("next_due", Value(today, output_field=DateField())))
            .values("id", "site_id", "unit_id", "kind", "standard_id", "group_id", "due", "next_window_start",
                    "cycle_unit", "window_days")
            .order_by("id"))


# The task of each selected schedule, computed by PostgreSQL from the selection (`d`, the rows of
# _due_schedules), inserted ON CONFLICT DO NOTHING, and the "created" history row of each task that
# was new, in the same statement. The window: due ± window days; a seasonal schedule's is its season
# from the window start to the due date (the season's last day, or today when that has passed).
# Placeholders, in order: source, seasonal, seasonal, planned, assigned, now (the tasks), the
# selection's own, then created, now (the history rows).
_GENERATE_SQL = """
WITH new_task AS (
    INSERT INTO planning_task (site_id, unit_id, source, schedule_id, kind, standard_id, title, due_date,
                               window_start, window_end, group_id, status, created_at)
    SELECT d.site_id, d.unit_id, %s, d.id, d.kind, d.standard_id, '', d.due,
           CASE WHEN d.cycle_unit = %s THEN LEAST(COALESCE(d.next_window_start, d.due), d.due)
                ELSE d.due - d.window_days END,
           CASE WHEN d.cycle_unit = %s THEN d.due ELSE d.due + d.window_days END,
           d.group_id, CASE WHEN d.group_id IS NULL THEN %s ELSE %s END, %s
    FROM ({selection}) AS d
    ON CONFLICT DO NOTHING
    RETURNING id, status
)
INSERT INTO planning_taskevent (task_id, action, from_status, to_status, at, comment)
SELECT id, %s, '', status, %s, '' FROM new_task
"""


def _generate_in_sql(today: datetime.date, end: datetime.date, now) -> int:
    """PostgreSQL: select, compute and insert in one statement (nothing travels through Python);
    returns the number of tasks created (= history rows written)."""
    selection, params = _due_schedules(today, end).query.sql_with_params()
    S = Task.Status
    params = [Task.Source.SCHEDULE, cycles.CycleUnit.SEASONAL, cycles.CycleUnit.SEASONAL, S.PLANNED, S.ASSIGNED, now,
              *params, Action.CREATE, now]
    with connection.cursor() as cursor:
        # bandit B608: the selection is the ORM's own SQL (its values are parameters, as are all others).
        cursor.execute(_GENERATE_SQL.format(selection=selection), params)  # nosec B608
        return cursor.rowcount


_TASK_COLUMNS = ("site_id", "unit_id", "source", "schedule_id", "kind", "standard_id", "title", "due_date",
                 "window_start", "window_end", "group_id", "status", "created_at")


def _task_row(s: dict, now) -> tuple:
    """The task of one selected schedule as a row of _TASK_COLUMNS (the same values _GENERATE_SQL computes)."""
    due = s["due"]
    if s["cycle_unit"] == cycles.CycleUnit.SEASONAL:
        first, last = min(s["next_window_start"] or due, due), due
    else:
        days = datetime.timedelta(days=s["window_days"])
        first, last = due - days, due + days
    status = Task.Status.ASSIGNED if s["group_id"] else Task.Status.PLANNED
    return (s["site_id"], s["unit_id"], Task.Source.SCHEDULE, s["id"], s["kind"], s["standard_id"], "", due, first,
            last, s["group_id"], status, now)


def _generate_in_python(today: datetime.date, end: datetime.date, now) -> int:
    """Other databases (SQLite for `make run`): the rows built here, inserted INSERT … VALUES … ON
    CONFLICT DO NOTHING RETURNING (SQLite ≥ 3.35) in batches, then their history rows."""
    rows = [_task_row(s, now) for s in _due_schedules(today, end).iterator(chunk_size=5000)]
    quote = connection.ops.quote_name
    table, columns = quote(Task._meta.db_table), ", ".join(quote(c) for c in _TASK_COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_TASK_COLUMNS)) + ")"
    returning = f"ON CONFLICT DO NOTHING RETURNING {quote('id')}, {quote('status')}"
    created = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start:start + INSERT_BATCH]
            # bandit B608: names and placeholders only are formatted in; every value is a parameter.
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(batch))} {returning}"  # nosec B608
            cursor.execute(sql, [value for row in batch for value in row])
            created += cursor.fetchall()
    TaskEvent.objects.bulk_create([TaskEvent(task_id=pk, action=Action.CREATE, to_status=status, at=now)
                                   for pk, status in created], batch_size=INSERT_BATCH)
    return len(created)


@transaction.atomic
def tasks_generate(*, today: datetime.date | None = None, horizon: int = DEFAULT_HORIZON_DAYS) -> int:
    """Create the tasks of every active schedule due within `horizon` days of `today` that has no
    open task: due on its next due date, or today when that has passed; status assigned when the
    schedule names a group, else planned. Idempotent: a row whose (schedule, due date) exists, or
    whose schedule already has an open task, is skipped by the unique indexes (INSERT … ON CONFLICT
    DO NOTHING), including one inserted meanwhile by a parallel run (which waits for the other
    transaction and then skips), so a second run, or a parallel one, creates nothing twice. Each
    new task gets its "created" history row in the same transaction. Returns the number created.

    On PostgreSQL one statement selects, computes and inserts the tasks and their history
    (_GENERATE_SQL); elsewhere the rows are built in Python (_task_row) with the same rules."""
    today = today or today_local()
    if horizon < 0:
        raise ValidationError(_("The horizon cannot be negative."))
    end = today + datetime.timedelta(days=horizon)
    now = timezone.now()
    if connection.vendor == "postgresql":
        return _generate_in_sql(today, end, now)
    return _generate_in_python(today, end, now)


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
    today = today or today_local()
    ids = list(Task.objects.filter(status__in=[Task.Status.PLANNED, Task.Status.ASSIGNED], window_end__lt=today)
               .values_list("pk", flat=True))
    count = 0
    for task in Task.objects.select_for_update(skip_locked=True).filter(
            pk__in=ids, status__in=[Task.Status.PLANNED, Task.Status.ASSIGNED]).order_by("pk"):
        # Comments are stored once and read in any language: the date, not a sentence.
        _move(task, Action.MISS, by=SYSTEM, comment=task.window_end.isoformat())
        _advance(task.schedule_id, task.due_date, completed=False)
        count += 1
    return count


@dataclass
class RunResult:
    schedules_created: int = 0
    missed: int = 0
    created: int = 0
    reviews: int = 0
    reminders: int = 0


def planning_run(*, today: datetime.date | None = None, horizon: int = DEFAULT_HORIZON_DAYS) -> RunResult:
    """The daily job (beat and `generate_tasks`): schedules for new sites and changed rules, missed
    tasks marked, the tasks of the horizon created, the major-risk reviews of the coming periods, then
    the day's reminders and escalations written to the outbox (planning.reminders)."""
    today = today or today_local()
    result = RunResult()
    result.schedules_created = schedules_sync(today=today).created
    result.missed = tasks_mark_missed(today=today)
    result.created = tasks_generate(today=today, horizon=horizon)
    result.reviews = reviews_generate(today=today)
    from . import reminders  # the outbox side effects come last, after the plan they describe

    result.reminders = reminders.task_reminders(today=today) + reminders.review_reminders(today=today)
    return result


# ---------------------------------------------------------------- tasks by hand

def _check_people(by, group: OrgUnit | None, inspectors: Iterable) -> dict[str, list]:
    errors: dict[str, list] = {}
    if group is not None and (group.kind != OrgUnit.Kind.GROUP or not _in_scope(by, group)):
        errors["group"] = [_("Choose an inspection group of your unit.")]
    for person in inspectors:
        membership = getattr(person, "membership", None)
        if actor_of(by).is_user and (membership is None or not _in_scope(by, membership.unit)):
            errors.setdefault("inspectors", []).append(
                _("%(person)s is not in your unit.") % {"person": person.get_full_name() or person.username})
    return errors


@transaction.atomic
def tasks_create(*, sites: Iterable[Site], kind: str, standard: Standard, due_date: datetime.date,
                 window_days: int = 7, group: OrgUnit | None = None, inspectors: Iterable = (), title: str = "",
                 by) -> list[Task]:
    """Tasks created by hand (a special check, say), one per site: for one site or a filtered set."""
    if not lifecycle.role_allows(by, lifecycle.CREATE_ROLES):
        raise ActionRefused(_("Your role may not create tasks."))
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
                    group=group, status=status, created_by=actor_user(by))
        task.full_clean(exclude=["created_by", "site", "unit", "standard", "group"])
        created.append(task)
    Task.objects.bulk_create(created)
    if inspectors:
        through = Task.inspectors.through
        through.objects.bulk_create([through(task_id=t.pk, user_id=u.pk) for t in created for u in inspectors])
    TaskEvent.objects.bulk_create([TaskEvent(task=t, action=Action.CREATE, to_status=t.status, actor=actor_user(by))
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
    user = actor_user(by)
    if user is not None and user not in inspectors and lifecycle.user_role(user) == "inspector":
        inspectors.append(user)
    inspection = audit_services.inspection_create(
        standard=task.standard, kind=task.kind, date=today_local(), site=task.site, group=task.group,
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


# ---------------------------------------------------------------- a site moved to another unit

def _serves(unit: OrgUnit, site_unit: OrgUnit) -> bool:
    """Whether `unit` (an inspection group, or an inspector's unit) may take tasks of sites owned by
    `site_unit`: it lies within `site_unit`, or it is `site_unit` or a unit above it (a group: its
    parent, so that a group of a branch serves every team of the branch)."""
    home = unit.parent if unit.kind == OrgUnit.Kind.GROUP and unit.parent is not None else unit
    return site_unit.is_ancestor_of(unit) or home.is_ancestor_of(site_unit)


def _group_after_move(group: OrgUnit | None, new_unit: OrgUnit) -> OrgUnit | None:
    """The inspection group of a site's planned work once the site belongs to `new_unit`: that unit
    when it is itself an inspection group; else the group it had if that still serves the new unit;
    else none (a manager of the new unit assigns it)."""
    if new_unit.kind == OrgUnit.Kind.GROUP:
        return new_unit
    return group if group is not None and _serves(group, new_unit) else None


def planning_follows_site(*, site: Site, old_unit: OrgUnit, new_unit: OrgUnit, by) -> None:
    """org.services.site_move's follower, in the move's transaction (its rows locked): the site's
    schedules and every one of its tasks belong to the new unit (scoping). The open tasks not yet
    under way (planned, assigned) go to the new owner: their group becomes _group_after_move's,
    inspectors who do not serve the new unit are taken off, and a task left with neither group nor
    inspectors is planned again (assigned when it has either). Tasks in progress, done, missed or
    cancelled keep their group and inspectors (the inspection, which follows the site itself, is
    or was theirs). The schedules get the same group, so that the next generated task goes to the
    new owner too. Each task gets a history row: the units, and the groups when they changed."""
    schedules = list(Schedule.objects.select_for_update(of=("self",)).select_related("group__parent")
                     .filter(site=site).order_by("pk"))
    for schedule in schedules:
        schedule.unit, schedule.group = new_unit, _group_after_move(schedule.group, new_unit)
    Schedule.objects.bulk_update(schedules, ["unit", "group"])
    tasks = list(Task.objects.select_for_update(of=("self",)).select_related("group__parent")
                 .filter(site=site).order_by("pk"))
    rehomed = {t.pk: t for t in tasks if t.status in (Task.Status.PLANNED, Task.Status.ASSIGNED)}
    through = Task.inspectors.through
    kept, dropped = set(), []
    for row in through.objects.filter(task_id__in=rehomed).select_related("user__membership__unit__parent"):
        membership = getattr(row.user, "membership", None)
        if membership is not None and _serves(membership.unit, new_unit):
            kept.add(row.task_id)
        else:
            dropped.append(row.pk)
    through.objects.filter(pk__in=dropped).delete()
    events = []
    for task in tasks:
        from_status, comment = task.status, f"{old_unit.name} → {new_unit.name}"
        task.unit = new_unit
        if task.pk in rehomed:
            group = _group_after_move(task.group, new_unit)
            if group != task.group:
                comment += f"; {task.group.name if task.group else '—'} → {group.name if group else '—'}"
            task.group = group
            task.status = Task.Status.ASSIGNED if group is not None or task.pk in kept else Task.Status.PLANNED
        events.append(TaskEvent(task=task, action=Action.MOVE, from_status=from_status, to_status=task.status, actor=by,
                                comment=comment))
    Task.objects.bulk_update(tasks, ["unit", "group", "status"])
    TaskEvent.objects.bulk_create(events)


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
            _move(task, Action.COMPLETE, by=SYSTEM, comment=inspection.number, extra_fields=fields)
        for schedule_id in Schedule.objects.filter(site_id=inspection.site_id, kind=inspection.kind).values_list(
                "pk", flat=True):
            _advance(schedule_id, inspection.date, completed=True)
    elif action == "reopened":
        task = Task.objects.select_for_update().filter(inspection=inspection, status=Task.Status.DONE).first()
        # A schedule whose next task is already out keeps this one done (one open task per schedule).
        if task is not None and not (task.schedule_id and Task.objects.filter(
                schedule_id=task.schedule_id, status__in=Task.OPEN).exists()):
            _move(task, Action.REOPEN, by=SYSTEM, comment=inspection.number)


# ---------------------------------------------------------------- spot checks

def parse_proportions(text: str) -> list[list]:
    """"mining:30,chemical:30,*:10" → [["mining", 30], …]; ValidationError naming the bad part."""
    result, seen = [], set()
    for part in filter(None, (p.strip() for p in (text or "").replace("，", ",").split(","))):
        name, _sep, weight = part.partition(":")
        name = name.strip()
        if name != "*" and name not in Site.Category.values:
            raise ValidationError({"proportions": _("“%(part)s”: unknown category “%(name)s”.")
                                   % {"part": part, "name": name}})
        try:
            value = int(weight.strip())
        except ValueError:
            value = -1
        if value < 0 or value > 1000:
            raise ValidationError({"proportions": _("“%(part)s”: the weight must be a whole number, 0 to 1000.")
                                   % {"part": part}})
        if name in seen:
            raise ValidationError({"proportions": _("“%(name)s” is listed twice.") % {"name": name}})
        seen.add(name)
        result.append([name, value])
    if result and not sum(w for _n, w in result):
        raise ValidationError({"proportions": _("The weights add up to 0.")})
    return result


def _allocate(n: int, strata: list[tuple[str, int, int]]) -> dict[str, int]:
    """Split `n` over strata (name, weight, size) by weight, largest remainders first; a stratum
    never gets more than it has, and what it cannot take goes to the others by their weights."""
    quota = {name: 0 for name, _w, _s in strata}
    left = n
    open_strata = [(name, weight, size) for name, weight, size in strata if weight > 0 and size > 0]
    while left > 0 and open_strata:
        total = sum(w for _n, w, _s in open_strata)
        shares = [(name, left * weight / total, size) for name, weight, size in open_strata]
        given = {name: min(int(share), size - quota[name]) for name, share, size in shares}
        remainder = left - sum(given.values())
        for name, _share, size in sorted(shares, key=lambda s: (-(s[1] - int(s[1])), s[0])):
            if remainder <= 0:
                break
            if quota[name] + given[name] < size:
                given[name] += 1
                remainder -= 1
        for name, count in given.items():
            quota[name] += count
        taken = sum(given.values())
        if taken == 0:
            break
        left -= taken
        open_strata = [(name, weight, size) for name, weight, size in open_strata if quota[name] < size]
    return quota


@dataclass
class Sample:
    population: int
    size: int
    picks: list[tuple[int, str, str]]  # (site id, code, stratum) in the order drawn
    quotas: dict[str, int]


def spot_check_sample(*, sites: list[tuple[int, str, str]], percentage, minimum: int, proportions: list[list],
                      seed: int) -> Sample:
    """The sample of `sites` ((id, code, category) rows), reproducible from `seed`: n = the share
    rounded up, at least `minimum`, at most all of them; split by the category proportions (a
    category not listed falls under "*", or outside the population when there is no "*"); each
    stratum drawn with random.Random(seed) from its sites sorted by code, strata in the order listed."""
    import math
    import random
    from decimal import Decimal

    weights = {name: weight for name, weight in proportions} if proportions else {"*": 1}
    strata: dict[str, list[tuple[int, str]]] = {name: [] for name in weights}
    for site_id, code, category in sorted(sites, key=lambda s: s[1]):
        name = category if category in weights else ("*" if "*" in weights else None)
        if name is not None:
            strata[name].append((site_id, code))
    population = sum(len(members) for members in strata.values())
    size = min(population, max(minimum, math.ceil(Decimal(population) * Decimal(percentage) / 100)))
    quotas = _allocate(size, [(name, weights[name], len(strata[name])) for name in weights])
    # bandit B311: an audit sample that must be reproducible from its recorded seed, not a secret.
    rng = random.Random(seed)  # nosec B311
    picks = []
    for name in weights:
        for site_id, code in rng.sample(strata[name], quotas[name]):
            picks.append((site_id, code, name))
    return Sample(population=population, size=len(picks), picks=picks, quotas=quotas)


def _month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date]:
    return cycles.month_period(month)


@transaction.atomic
def spot_check_draw(*, unit: OrgUnit, month: datetime.date, seed: int | None = None, percentage=None,
                    minimum: int | None = None, proportions: list[list] | None = None,
                    standard: Standard | None = None, group: OrgUnit | None = None, dry_run: bool = False,
                    by) -> tuple[SpotCheckPlan | None, Sample]:
    """Draw the month's spot check of `unit`'s active sites and turn the sample into tasks (kind
    spot check, due on the month's last day, the month as window), recording the seed, the
    population and the picks. The plan of that unit and month, if there is one, gives the settings
    not passed. A plan already drawn is answered with its own sample when the seed is the same, and
    refused with another seed (a draw is never redone). `dry_run` saves nothing."""
    import secrets
    from decimal import Decimal

    if not lifecycle.role_allows(by, lifecycle.CREATE_ROLES):
        raise ActionRefused(_("Your role may not draw spot checks."))
    if not _in_scope(by, unit):
        raise ValidationError({"unit": _("%(unit)s is outside your unit.") % {"unit": unit}})
    if group is not None and (group.kind != OrgUnit.Kind.GROUP or not _in_scope(by, group)):
        raise ValidationError({"group": _("Choose an inspection group of your unit.")})
    first, last = _month_bounds(month)
    plan = SpotCheckPlan.objects.select_for_update().filter(unit=unit, month=first).first()
    if plan is not None and plan.status == SpotCheckPlan.Status.DRAWN:
        if seed is not None and seed != plan.seed:
            raise ValidationError({"seed": _("The spot check of %(unit)s for %(month)s was drawn with seed %(seed)s; "
                                             "a draw is not redone.")
                                   % {"unit": unit, "month": f"{first:%Y-%m}", "seed": plan.seed}})
        picks = [(p.site_id, p.site.code, p.stratum) for p in plan.picks.select_related("site").order_by("rank")]
        return plan, Sample(population=plan.population, size=len(picks), picks=picks, quotas={})
    if seed is None:
        seed = plan.seed if plan is not None else secrets.randbelow(2**53)
    if percentage is None:
        percentage = plan.percentage if plan is not None else Decimal("2")
    if minimum is None:
        minimum = plan.minimum if plan is not None else 3
    if proportions is None:
        proportions = plan.proportions if plan is not None else []
    standard = standard or (plan.standard if plan is not None else None) or _default_standard(unit)
    group = group or (plan.group if plan is not None else None)
    errors = {}
    if not 0 <= Decimal(percentage) <= 100:
        errors["percentage"] = [_("The sample must be between 0 and 100 percent.")]
    if minimum < 0:
        errors["minimum"] = [_("The minimum cannot be negative.")]
    if not 0 <= seed < 2**63:
        errors["seed"] = [_("The seed is a whole number from 0 to 2⁶³−1.")]
    if standard is None or standard.status != Standard.Status.ACTIVE:
        errors["standard"] = [_("Only an active standard can be used.")]
    if errors:
        raise ValidationError(errors)
    rows = list(subtree_queryset(Site.objects.filter(active=True), unit).values_list("id", "code",
                                                                                                 "category"))
    sample = spot_check_sample(sites=rows, percentage=percentage, minimum=minimum, proportions=proportions, seed=seed)
    if dry_run:
        return None, sample
    if plan is None:
        plan = SpotCheckPlan(unit=unit, month=first)
    plan.percentage, plan.minimum, plan.proportions, plan.seed = percentage, minimum, proportions, seed
    plan.standard, plan.group, plan.status = standard, group, SpotCheckPlan.Status.DRAWN
    plan.population, plan.drawn_at, plan.drawn_by = sample.population, timezone.now(), actor_user(by)
    plan.full_clean(exclude=["drawn_by"])
    plan.save()
    SpotCheckPick.objects.bulk_create([SpotCheckPick(plan=plan, site_id=site_id, stratum=stratum, rank=rank)
                                       for rank, (site_id, _code, stratum) in enumerate(sample.picks, start=1)])
    units = dict(Site.objects.filter(pk__in=[p[0] for p in sample.picks]).values_list("pk", "unit_id"))
    status = Task.Status.ASSIGNED if group else Task.Status.PLANNED
    tasks = Task.objects.bulk_create([
        Task(site_id=site_id, unit_id=units[site_id], source=Task.Source.SPOT_CHECK, plan=plan,
             kind=Inspection.Kind.SPOT_CHECK, standard=standard, due_date=last, window_start=first, window_end=last,
             group=group,
             status=status, created_by=actor_user(by))
        for site_id, _code, _stratum in sample.picks])
    TaskEvent.objects.bulk_create([TaskEvent(task=t, action=Action.CREATE, to_status=t.status, actor=actor_user(by),
                                             comment=str(seed)) for t in tasks])
    return plan, sample


def _default_standard(unit: OrgUnit) -> Standard | None:
    """The standard of the unit's periodic schedules, else the newest active one."""
    used = (subtree_queryset(Schedule.objects.all(), unit).filter(kind=Inspection.Kind.PERIODIC,
                                    standard__status=Standard.Status.ACTIVE)
            .values_list("standard", flat=True).first())
    if used:
        return Standard.objects.get(pk=used)
    return Standard.objects.filter(status=Standard.Status.ACTIVE).order_by("-activated_at", "-pk").first()


# ---------------------------------------------------------------- major-risk reviews

_PERIOD = {ReviewCycle.Cadence.MONTHLY: cycles.month_period, ReviewCycle.Cadence.DEKAD: cycles.dekad_period}


@transaction.atomic
def reviews_generate(*, today: datetime.date | None = None, horizon: int = 10) -> int:
    """One review per active cycle and period (month, or 旬) from the current one through `horizon`
    days ahead, due on the period's last day. Idempotent (unique cycle + period; ON CONFLICT DO
    NOTHING); each new review gets its "created" history row. Returns the number created."""
    today = today or today_local()
    end = today + datetime.timedelta(days=horizon)
    rows = []
    for cycle in ReviewCycle.objects.filter(active=True, start_date__lte=end):
        start = max(cycle.start_date, today)
        for first, last in cycles.periods(_PERIOD[cycle.cadence], start, end):
            rows.append(RiskReview(cycle=cycle, unit_id=cycle.unit_id, reviewer_id=cycle.reviewer_id,
                                   period_start=first, period_end=last, due_date=last))
    RiskReview.objects.bulk_create(rows, ignore_conflicts=True, batch_size=INSERT_BATCH)
    new = list(RiskReview.objects.filter(period_end__gte=today).exclude(events__action=RiskReviewEvent.Action.CREATED)
               .values_list("pk", flat=True))
    RiskReviewEvent.objects.bulk_create([RiskReviewEvent(review_id=pk, action=RiskReviewEvent.Action.CREATED)
                                         for pk in new])
    return len(new)


def review_overdue_q(today: datetime.date) -> Q:
    """A pending review past its due date (the database side of `review_is_overdue`)."""
    return Q(status=RiskReview.Status.PENDING, due_date__lt=today)


def review_is_overdue(review: RiskReview, today: datetime.date) -> bool:
    return review.status == RiskReview.Status.PENDING and review.due_date < today


def review_may_record(review: RiskReview, user) -> bool:
    """The reviewer records their review; a manager or administrator of the unit may record it for them."""
    actor = actor_of(user)
    if actor.is_system:
        return True
    if not actor.is_user:
        return False
    user = actor.user
    if review.reviewer_id == user.pk:
        return True
    return lifecycle.role_allows(user, lifecycle.MANAGING) and _in_scope(user, review.unit)


@transaction.atomic
def review_complete(*, review: RiskReview, measures: str, effect: str, improvements: str = "", by) -> RiskReview:
    """pending → done with the measures in place, the effect analysis and the improvements."""
    review = RiskReview.objects.select_for_update(of=("self",)).select_related("unit").get(pk=review.pk)
    if not _in_scope(by, review.unit) or not review_may_record(review, by):
        raise ActionRefused(_("Only the reviewer, or a manager of the unit, records this review."))
    if review.status != RiskReview.Status.PENDING:
        raise ActionRefused(_("This review is already done."))
    errors = {}
    if not (measures or "").strip():
        errors["measures"] = [_("Describe the measures in place.")]
    if not (effect or "").strip():
        errors["effect"] = [_("Write the effect analysis.")]
    if errors:
        raise ValidationError(errors)
    review.measures, review.effect, review.improvements = measures.strip(), effect.strip(), improvements.strip()
    review.status, review.done_at, review.done_by = RiskReview.Status.DONE, timezone.now(), actor_user(by)
    review.full_clean(exclude=["done_by", "cycle", "unit", "reviewer"])
    review.save(update_fields=["measures", "effect", "improvements", "status", "done_at", "done_by"])
    RiskReviewEvent.objects.create(review=review, action=RiskReviewEvent.Action.DONE, actor=actor_user(by))
    return review
