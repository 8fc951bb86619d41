"""Risk rating settings and history, the contacts who receive risk warnings, and the drafted
statistics reports. The rules themselves (risk score, levels, KPIs) live in kpis.rules."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import RiskLevel
from org.validators import long_text, single_line


class RiskSettings(models.Model):
    """The weights and thresholds of the risk rating (one row, pk=1, edited in the admin). The
    formula that uses them is kpis.rules.risk_score / risk_level."""

    general_weight = models.DecimalField(_("weight of a general hazard"), max_digits=6, decimal_places=2,
                                         default=Decimal("1.00"), validators=[MinValueValidator(Decimal("0"))])
    major_weight = models.DecimalField(_("weight of a major hazard"), max_digits=6, decimal_places=2,
                                       default=Decimal("3.00"), validators=[MinValueValidator(Decimal("0"))])
    overdue_weight = models.DecimalField(_("factor while overdue"), max_digits=6, decimal_places=2,
                                         default=Decimal("2.00"), validators=[MinValueValidator(Decimal("1"))],
                                         help_text=_("An overdue hazard's score is multiplied by this."))
    threshold_a = models.DecimalField(_("level A from score"), max_digits=10, decimal_places=2,
                                      default=Decimal("40"), validators=[MinValueValidator(Decimal("0.01"))])
    threshold_b = models.DecimalField(_("level B from score"), max_digits=10, decimal_places=2,
                                      default=Decimal("20"), validators=[MinValueValidator(Decimal("0.01"))])
    threshold_c = models.DecimalField(_("level C from score"), max_digits=10, decimal_places=2,
                                      default=Decimal("10"), validators=[MinValueValidator(Decimal("0.01"))])
    government_name = models.CharField(_("local government (addressee of level A reports)"), max_length=200,
                                       blank=True, validators=[single_line])
    government_email = models.EmailField(_("local government e-mail"), blank=True,
                                         help_text=_("Empty: the report is recorded but not e-mailed."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("risk rating settings")
        verbose_name_plural = _("risk rating settings")

    def __str__(self):
        return str(_("Risk rating settings"))

    def clean(self):
        if None not in (self.threshold_a, self.threshold_b, self.threshold_c) and not (
                self.threshold_a > self.threshold_b > self.threshold_c):
            raise ValidationError(_("The thresholds must fall from A to C: A > B > C."))


class RiskContact(models.Model):
    """Who receives the SMS of a risk warning for the sites of a unit's subtree: the inspection
    lead (用电检查负责人) and the supervision lead (督导负责人). The nearest unit upwards with a row
    applies; without one, the managers of the nearest unit that has managers."""

    unit = models.OneToOneField("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                                related_name="risk_contact")
    inspection_lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("inspection lead"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    supervision_lead = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("supervision lead"), null=True,
                                         blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("risk warning contacts")
        verbose_name_plural = _("risk warning contacts")

    def __str__(self):
        return str(self.unit)


class SiteRiskChange(models.Model):
    """A change of a site's risk level: one row per change, never updated or deleted. Replaying
    the rows of a site gives its current level."""

    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="risk_changes")
    from_level = models.CharField(_("from"), max_length=1, choices=RiskLevel.choices, blank=True)
    to_level = models.CharField(_("to"), max_length=1, choices=RiskLevel.choices, blank=True)
    score = models.DecimalField(_("risk score"), max_digits=10, decimal_places=2)
    # What caused the recomputation: a hazard's action (its number) or the nightly run.
    cause = models.CharField(_("cause"), max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("risk level change")
        verbose_name_plural = _("risk level changes")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["site", "at"])]

    def __str__(self):
        return f"{self.site} {self.from_level or '—'} → {self.to_level or '—'}"


class RiskWarning(models.Model):
    """One warning step taken for a level change (the report to the superior unit and to the local
    government, the leader's notice, the leads' SMS): the record of what was done, with the outbox
    message when one was sent."""

    class Step(models.TextChoices):
        REPORT_SUPERIOR = "report_superior", _("Report to the superior unit")
        REPORT_GOVERNMENT = "report_government", _("Report to the local government")
        NOTIFY_LEADER = "notify_leader", _("Notify the company leader")
        SMS_INSPECTION_LEAD = "sms_inspection_lead", _("SMS to the inspection lead")
        SMS_SUPERVISION_LEAD = "sms_supervision_lead", _("SMS to the supervision lead")

    change = models.ForeignKey(SiteRiskChange, verbose_name=_("level change"), on_delete=models.PROTECT,
                               related_name="warnings")
    step = models.CharField(_("step"), max_length=24, choices=Step.choices)
    addressee = models.CharField(_("addressee"), max_length=200, blank=True)
    # The step stays recorded if the outbox row is ever purged.
    message = models.ForeignKey("notifications.Message", verbose_name=_("message"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("risk warning")
        verbose_name_plural = _("risk warnings")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.change} · {self.get_step_display()}"


class StatisticsReport(models.Model):
    """Quarterly or annual hazard statistics of a unit (安全生产事故隐患排查治理暂行规定 §14): drafted
    by beat after the period with its figures frozen in `data`, then marked signed by the principal."""

    class Kind(models.TextChoices):
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Annual")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SIGNED = "signed", _("Signed")

    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="statistics_reports")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    # The date by which it is due to the authority: the 15th of the following month, or 31 January.
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT,
                              editable=False)
    data = models.JSONField(_("figures"), default=dict, editable=False)
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    signed_by_name = models.CharField(_("signed by (principal)"), max_length=100, blank=True,
                                      validators=[single_line])
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True, editable=False)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), blank=True, **long_text())

    class Meta:
        verbose_name = _("statistics report")
        verbose_name_plural = _("statistics reports")
        ordering = ["-period_end", "unit__path", "kind"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "period_start"],
                                               name="kpis_report_one_per_period")]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self):
        return f"{self.unit} {self.period_start}–{self.period_end}"


# --- summary tables ------------------------------------------------------------------------------
# Derived data, rebuilt from the hazards at any time (kpis.tallies.rebuild, `manage.py
# rebuild_kpi_tallies`) and kept exact in every hazard write's own transaction (kpis.tallies). The
# dashboard and the statistics read them instead of scanning hundreds of thousands of hazard rows.

class HazardTally(models.Model):
    """Counts of one unit's hazards on one day, by the day's meaning (`kind`): the cohort discovered
    that day (the KPI sets that do not depend on today, by state and by severity, and the days to
    close), the hazards whose deadline is that day (due, on time), or those closed that local day.
    Month rows (`span` m) hold the sums of the month's day rows, so that a year is read as eleven
    month rows and a few day rows at its ends (kpis.tallies.period_ranges)."""

    class Kind(models.TextChoices):
        DISCOVERED = "d", _("discovered")
        DEADLINE = "l", _("deadline")
        CLOSED = "c", _("closed")

    class Span(models.TextChoices):
        DAY = "d", _("day")
        MONTH = "m", _("month")  # the sums of the month's day rows; `day` is the month's first day

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=1, choices=Kind.choices)
    span = models.CharField(max_length=1, choices=Span.choices, default=Span.DAY)
    day = models.DateField()
    # kind d: the sets of kpis.tallies.COHORT_SETS, then per state and per severity (not voided).
    found = models.PositiveIntegerField(default=0)
    filed = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    monitored = models.PositiveIntegerField(default=0)
    notified = models.PositiveIntegerField(default=0)
    serviced = models.PositiveIntegerField(default=0)
    supervised = models.PositiveIntegerField(default=0)
    report_due = models.PositiveIntegerField(default=0)
    reported = models.PositiveIntegerField(default=0)
    st_registered = models.PositiveIntegerField(default=0)
    st_notified = models.PositiveIntegerField(default=0)
    st_rectifying = models.PositiveIntegerField(default=0)
    st_pending_acceptance = models.PositiveIntegerField(default=0)
    st_accepted = models.PositiveIntegerField(default=0)
    st_closed = models.PositiveIntegerField(default=0)
    st_voided = models.PositiveIntegerField(default=0)
    sev_general = models.PositiveIntegerField(default=0)
    sev_major = models.PositiveIntegerField(default=0)
    close_days = models.BigIntegerField(default=0)  # sum of days from discovery to closing, closed ones
    # kind l: kpis.tallies.DEADLINE_SETS.
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    # kind c: hazards closed (销号) on the day.
    n = models.PositiveIntegerField(default=0)

    class Meta:
        # Led by span and day: the dashboard reads the ranges of kpis.tallies.period_ranges (for every
        # unit of the scope) through this index.
        constraints = [models.UniqueConstraint(fields=["span", "day", "unit", "kind"], name="kpis_tally_cell")]

    def __str__(self):
        return f"{self.unit_id} {self.kind} {self.day}"


class CategoryTally(models.Model):
    """Hazards found (not voided) per unit, day of discovery and risk category (day rows, and
    month rows summing them, as HazardTally)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    span = models.CharField(max_length=1, choices=HazardTally.Span.choices, default=HazardTally.Span.DAY)
    day = models.DateField()
    category = models.ForeignKey("hazards.RiskCategory", on_delete=models.CASCADE, related_name="+")
    found = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["span", "day", "unit", "category"],
                                               name="kpis_category_tally_cell")]


    def __str__(self):
        return f"{self.unit_id} {self.day} {self.category_id}"


class OpenTally(models.Model):
    """Open hazards now (hazards.rules.open_q) per unit, state, severity and risk category."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    status = models.CharField(max_length=20)
    severity = models.CharField(max_length=16)
    category = models.ForeignKey("hazards.RiskCategory", on_delete=models.CASCADE, related_name="+")
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "status", "severity", "category"],
                                               name="kpis_open_tally_cell")]

    def __str__(self):
        return f"{self.unit_id} {self.status} {self.severity} {self.category_id}"


class CloseTally(models.Model):
    """Closed hazards per unit, day of discovery and whole days from discovery to closing (local
    date): the histogram the 90th percentile of days to close is read from (day rows, and month
    rows summing them, as HazardTally)."""

    unit = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    span = models.CharField(max_length=1, choices=HazardTally.Span.choices, default=HazardTally.Span.DAY)
    day = models.DateField()
    days = models.IntegerField()
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["span", "day", "unit", "days"], name="kpis_close_tally_cell")]

    def __str__(self):
        return f"{self.unit_id} {self.day} {self.days}"
