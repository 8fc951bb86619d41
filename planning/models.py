"""Inspection planning: schedule rules and per-site schedules, the tasks they generate (and the ones
managers create by hand), monthly spot-check plans with their recorded draw, and the major-risk
register with its review cycles. Planning sits above audits: it creates inspections through
audits.services; audits never imports planning (it calls the hooks in settings.INSPECTION_HOOKS)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from audits.models import Inspection
from org.models import Site, StatusEventLabels
from org.validators import long_text, single_line, validate_plausible_date

from .cycles import CycleUnit, Season

# Voltage levels in ascending order, for the rules' "at or above" condition (10 kV and above).
VOLTAGE_ORDER = ["0.4kV", "10kV", "35kV", "110kV", "220kV"]


class ScheduleRule(models.Model):
    """Which sites get which checks how often: sites of a unit's subtree, optionally only of a
    class and from a voltage level up. A rule creates or updates the per-site schedules it matches
    (services.schedules_sync); a schedule edited for one site is no longer touched by its rule."""

    name = models.CharField(_("name"), max_length=120, validators=[single_line])
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="schedule_rules")
    site_class = models.CharField(_("site class"), max_length=16, choices=Site.SiteClass.choices, blank=True,
                                  help_text=_("Empty: every class."))
    voltage_from = models.CharField(_("voltage level from"), max_length=8, blank=True,
                                    choices=[(v, v.replace("kV", " kV")) for v in VOLTAGE_ORDER],
                                    help_text=_("Empty: every voltage level."))
    kind = models.CharField(_("inspection kind"), max_length=20, choices=Inspection.Kind.choices,
                            default=Inspection.Kind.PERIODIC)
    standard = models.ForeignKey("scoring.Standard", verbose_name=_("standard"), on_delete=models.PROTECT,
                                 related_name="schedule_rules")
    group = models.ForeignKey("org.OrgUnit", verbose_name=_("inspection group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="group_schedule_rules",
                              help_text=_("Generated tasks are assigned to this group at once."))
    # The site's own cycle (Site.inspection_cycle_months), so that a site's card and its plan agree.
    use_site_cycle = models.BooleanField(_("use the site's cycle"), default=False)
    cycle_unit = models.CharField(_("cycle unit"), max_length=12, choices=CycleUnit.choices,
                                  default=CycleUnit.MONTHS)
    cycle_length = models.PositiveSmallIntegerField(_("cycle length"), default=1,
                                                    validators=[MinValueValidator(1), MaxValueValidator(366)])
    season = models.CharField(_("season"), max_length=8, choices=Season.choices, blank=True)
    window_days = models.PositiveSmallIntegerField(
        _("window (days)"), default=7, validators=[MaxValueValidator(90)],
        help_text=_("A task may be done this many days before or after its due date; after that it is missed."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("schedule rule")
        verbose_name_plural = _("schedule rules")
        ordering = ["unit__path", "name"]
        constraints = [
            models.CheckConstraint(name="planning_rule_season_iff_seasonal",
                                   condition=(Q(cycle_unit=CycleUnit.SEASONAL) & ~Q(season=""))
                                   | (~Q(cycle_unit=CycleUnit.SEASONAL) & Q(season=""))),
        ]

    def __str__(self):
        return self.name

    def matches(self, site: Site) -> bool:
        if not self.unit.is_ancestor_of(site.unit):
            return False
        if self.site_class and site.site_class != self.site_class:
            return False
        if self.voltage_from:
            if site.voltage_level not in VOLTAGE_ORDER:
                return False
            if VOLTAGE_ORDER.index(site.voltage_level) < VOLTAGE_ORDER.index(self.voltage_from):
                return False
        return True

    @property
    def specificity(self) -> tuple[int, int]:
        """A deeper unit and more conditions win when two rules give a site the same check."""
        return (self.unit.depth, bool(self.site_class) + bool(self.voltage_from))


class Schedule(models.Model):
    """One recurring check of one site: its cycle, standard and group, the last completed
    inspection of its kind and the next due date computed from it (cycles.next_due)."""

    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="schedules")
    # The site's unit, for scoping and the lists' indexes (kept with the site by schedules_sync).
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="schedules")
    rule = models.ForeignKey(ScheduleRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="schedules")
    # Edited for this site: its rule no longer overwrites it.
    overridden = models.BooleanField(_("overridden for this site"), default=False)
    kind = models.CharField(_("inspection kind"), max_length=20, choices=Inspection.Kind.choices,
                            default=Inspection.Kind.PERIODIC)
    standard = models.ForeignKey("scoring.Standard", verbose_name=_("standard"), on_delete=models.PROTECT,
                                 related_name="schedules")
    group = models.ForeignKey("org.OrgUnit", verbose_name=_("inspection group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="group_schedules")
    cycle_unit = models.CharField(_("cycle unit"), max_length=12, choices=CycleUnit.choices,
                                  default=CycleUnit.MONTHS)
    cycle_length = models.PositiveSmallIntegerField(_("cycle length"), default=1,
                                                    validators=[MinValueValidator(1), MaxValueValidator(366)])
    season = models.CharField(_("season"), max_length=8, choices=Season.choices, blank=True)
    window_days = models.PositiveSmallIntegerField(_("window (days)"), default=7, validators=[MaxValueValidator(90)])
    start_date = models.DateField(_("start date"), validators=[validate_plausible_date])
    # Date of the last completed (submitted) inspection of this kind at this site. The next due date
    # counts from it, or from the last missed or cancelled due date when that is later.
    last_done = models.DateField(_("last completed"), null=True, blank=True)
    next_due = models.DateField(_("next due"))
    next_window_start = models.DateField(_("next window from"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        ordering = ["next_due", "id"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "season"], name="planning_schedule_site_kind_season"),
            models.CheckConstraint(name="planning_schedule_season_iff_seasonal",
                                   condition=(Q(cycle_unit=CycleUnit.SEASONAL) & ~Q(season=""))
                                   | (~Q(cycle_unit=CycleUnit.SEASONAL) & Q(season=""))),
        ]
        indexes = [
            # The generator's selection: active schedules due within the horizon.
            models.Index(fields=["next_due"], condition=Q(active=True), name="planning_schedule_due_active"),
            models.Index(fields=["unit", "next_due"]),
        ]

    def __str__(self):
        return f"{self.site} · {self.get_kind_display()}"


class Task(models.Model):
    """An inspection to be done: generated from a schedule, drawn by a spot-check plan, or created
    by hand. planned → assigned → in progress → done / missed / cancelled (planning.lifecycle)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Created by hand")
        SPOT_CHECK = "spot_check", _("Spot-check plan")

    OPEN = (Status.PLANNED, Status.ASSIGNED, Status.IN_PROGRESS)

    # No single-column index on the foreign keys (db_index=False): every one of them is the leading
    # column of an index in Meta that serves the lists (site, unit, group), the generator (schedule)
    # or the draw (plan), or is only read when its row is deleted (standard: a rare admin action that
    # may scan; created_by: a partial index, generated tasks have none). Each index costs every
    # generated task a write (benchmarks/bench_planning.py).
    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="tasks",
                             db_index=False)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="tasks",
                             db_index=False)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    schedule = models.ForeignKey(Schedule, verbose_name=_("schedule"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="tasks", db_index=False)
    plan = models.ForeignKey("SpotCheckPlan", verbose_name=_("spot-check plan"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="tasks", db_index=False)
    kind = models.CharField(_("inspection kind"), max_length=20, choices=Inspection.Kind.choices)
    standard = models.ForeignKey("scoring.Standard", verbose_name=_("standard"), on_delete=models.PROTECT,
                                 related_name="tasks", db_index=False)
    title = models.CharField(_("title"), max_length=200, blank=True, validators=[single_line])
    due_date = models.DateField(_("due date"), validators=[validate_plausible_date])
    window_start = models.DateField(_("window from"))
    window_end = models.DateField(_("window to"))
    group = models.ForeignKey("org.OrgUnit", verbose_name=_("inspection group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="group_tasks", db_index=False)
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), blank=True,
                                        related_name="planning_tasks")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    inspection = models.OneToOneField("audits.Inspection", verbose_name=_("inspection"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="task")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "id"]
        constraints = [
            # Idempotent generation: reruns and parallel runs of the generator insert each
            # (schedule, due date) once (INSERT … ON CONFLICT DO NOTHING against this index).
            models.UniqueConstraint(fields=["schedule", "due_date"], condition=Q(schedule__isnull=False),
                                    name="planning_task_schedule_due_unique"),
            # At most one open task per schedule: an overdue schedule does not pile up tasks day after day.
            models.UniqueConstraint(fields=["schedule"], name="planning_task_one_open_per_schedule",
                                    condition=Q(schedule__isnull=False,
                                                status__in=["planned", "assigned", "in_progress"])),
            models.UniqueConstraint(fields=["plan", "site"], condition=Q(plan__isnull=False),
                                    name="planning_task_plan_site_unique"),
            models.CheckConstraint(name="planning_task_window_order",
                                   condition=Q(window_start__lte=models.F("due_date"))
                                   & Q(due_date__lte=models.F("window_end"))),
        ]
        # One index per filter of the task list and the calendar (planning.filters), each ending in
        # the due date that both sort by; the schedule's and the plan's lookups use the unique
        # indexes above. The title's trigram index is partial (migration 0003: titles that are not
        # empty, which generated tasks never have; the search says `title <> ''` to use it).
        indexes = [
            # The default order, the calendar's range and the due sort both ways (a B-tree reads backwards).
            models.Index(fields=["due_date", "id"]),
            models.Index(fields=["unit", "due_date"]),
            models.Index(fields=["site", "due_date"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["kind", "due_date"]),
            models.Index(fields=["group", "due_date"]),
            models.Index(fields=["source", "due_date"]),
            # The missed-task scan: open tasks whose window has passed.
            models.Index(fields=["window_end"], condition=Q(status__in=["planned", "assigned", "in_progress"]),
                         name="planning_task_open_window"),
            # Deleting a user looks up the tasks they created (on_delete=PROTECT); only tasks made by hand have one.
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False), name="planning_task_created_by"),
        ]

    def __str__(self):
        return f"{self.site} · {self.get_kind_display()} · {self.due_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class TaskAction(models.TextChoices):
    """Everything that happens to a task: the lifecycle's actions (planning.lifecycle) and the
    history's rows (TaskEvent.action) are one enum. The values are the words stored in the history
    since the first release, hence "done" for COMPLETE."""

    CREATE = "created", _("Created")
    ASSIGN = "assigned", _("Assigned")
    START = "started", _("Started")
    COMPLETE = "done", _("Done")
    MISS = "missed", _("Missed")
    CANCEL = "cancelled", _("Cancelled")
    REOPEN = "reopened", _("Reopened")
    MOVE = "moved", _("Moved with its site")


class TaskEvent(StatusEventLabels, models.Model):
    """Immutable history of a task: created, assigned, started, done, missed, cancelled."""

    status_choices = Task.Status

    Action = TaskAction  # the one action enum of a task (defined above)

    # The task's history is read through the (task, at) index below; actors through a partial index
    # (the system's events, such as every generated task's "created", have none).
    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.PROTECT, related_name="events",
                             db_index=False)
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                              related_name="+", db_index=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("task event")
        verbose_name_plural = _("task events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["task", "at"]),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="planning_taskevent_actor"),
        ]

    def __str__(self):
        return f"{self.task_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class SpotCheckPlan(models.Model):
    """A month's spot check (抽查) of a unit: a share of its active sites, at least `minimum`,
    split by customer category in `proportions`, drawn with a recorded seed so that anyone can
    draw the same sample again (services.spot_check_sample) and check it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        DRAWN = "drawn", _("Drawn")

    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="spot_check_plans")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    percentage = models.DecimalField(_("sample (%)"), max_digits=5, decimal_places=2, default=2,
                                     validators=[MinValueValidator(0), MaxValueValidator(100)])
    minimum = models.PositiveSmallIntegerField(_("minimum sites"), default=3)
    # [[category, weight], …] in Site.Category values; "*" takes every category not listed.
    proportions = models.JSONField(_("category proportions"), default=list, blank=True)
    seed = models.BigIntegerField(_("random seed"))
    standard = models.ForeignKey("scoring.Standard", verbose_name=_("standard"), on_delete=models.PROTECT,
                                 related_name="spot_check_plans")
    group = models.ForeignKey("org.OrgUnit", verbose_name=_("inspection group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="group_spot_check_plans")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    population = models.PositiveIntegerField(_("population"), default=0)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drawn by"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("spot-check plan")
        verbose_name_plural = _("spot-check plans")
        ordering = ["-month", "unit__path"]
        constraints = [models.UniqueConstraint(fields=["unit", "month"], name="planning_spot_plan_unit_month")]

    def __str__(self):
        return f"{self.unit} · {self.month:%Y-%m}"


class SpotCheckPick(models.Model):
    """One site of a drawn sample, with its stratum and its place in the draw."""

    plan = models.ForeignKey(SpotCheckPlan, verbose_name=_("spot-check plan"), on_delete=models.PROTECT,
                             related_name="picks")
    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(_("stratum"), max_length=16)
    rank = models.PositiveIntegerField(_("order drawn"))

    class Meta:
        verbose_name = _("drawn site")
        verbose_name_plural = _("drawn sites")
        ordering = ["plan", "rank"]
        constraints = [models.UniqueConstraint(fields=["plan", "site"], name="planning_pick_plan_site")]

    def __str__(self):
        return f"{self.plan} · {self.site}"


class MajorRisk(models.Model):
    """An entry of the major-risk register (重大风险): what it is, how it is controlled, and the
    leader responsible for it."""

    class Category(models.TextChoices):
        GAS = "gas", _("Gas")
        COAL_DUST = "coal_dust", _("Coal dust")
        FLOODING = "flooding", _("Flooding")
        FIRE = "fire", _("Fire")
        ROOF = "roof", _("Roof")
        HOISTING = "hoisting", _("Hoisting and transport")
        EXPLOSIVES = "explosives", _("Explosives")
        ELECTRICAL = "electrical", _("Electrical")
        OTHER = "other", _("Other")

    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="major_risks")
    code = models.CharField(_("code"), max_length=32, unique=True, validators=[single_line])
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    description = models.TextField(_("description"), **long_text())
    controls = models.TextField(_("controls"), blank=True, **long_text())
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible leader"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="major_risks")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("major risk")
        verbose_name_plural = _("major risks")
        ordering = ["unit__path", "code"]

    def __str__(self):
        return f"{self.code} {self.get_category_display()}"


class ReviewCycle(models.Model):
    """Who reviews which major risks how often: the head all of them monthly, each deputy theirs
    every ten days (旬). Generates one review per period (services.reviews_generate)."""

    class Cadence(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        DEKAD = "dekad", _("Every ten days (旬)")

    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="review_cycles")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT,
                                 related_name="review_cycles")
    cadence = models.CharField(_("cadence"), max_length=8, choices=Cadence.choices)
    risks = models.ManyToManyField(MajorRisk, verbose_name=_("risks"), related_name="review_cycles")
    start_date = models.DateField(_("start date"), validators=[validate_plausible_date])
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["unit__path", "cadence", "id"]

    def __str__(self):
        return f"{self.reviewer} · {self.get_cadence_display()}"


class RiskReview(models.Model):
    """One period's review of major risks: measures in place, effect analysis, improvements."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    cycle = models.ForeignKey(ReviewCycle, verbose_name=_("review cycle"), on_delete=models.PROTECT,
                              related_name="reviews")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="risk_reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT,
                                 related_name="risk_reviews")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    measures = models.TextField(_("measures in place"), blank=True, **long_text())
    effect = models.TextField(_("effect analysis"), blank=True, **long_text())
    improvements = models.TextField(_("improvements"), blank=True, **long_text())
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("risk review")
        verbose_name_plural = _("risk reviews")
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["cycle", "period_start"], name="planning_review_period")]
        indexes = [
            models.Index(fields=["unit", "due_date"]),
            models.Index(fields=["reviewer", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self):
        return f"{self.reviewer} · {self.period_start:%Y-%m-%d}–{self.period_end:%m-%d}"


class RiskReviewEvent(models.Model):
    """Immutable history of a review: generated, done, escalated (overdue)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        DONE = "done", _("Done")
        ESCALATED = "escalated", _("Escalated (overdue)")

    review = models.ForeignKey(RiskReview, verbose_name=_("risk review"), on_delete=models.PROTECT,
                               related_name="events")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("risk review event")
        verbose_name_plural = _("risk review events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.review_id} {self.get_action_display()}"
