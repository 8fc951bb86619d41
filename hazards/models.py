"""One hazard, one file (一患一档): the hazard row, everything issued or received about it, and an
immutable history. Lifecycle changes go through hazards.services only (see hazards.lifecycle)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.models import AppendOnlyModel, StatusEventLabels
from org.uploads import ScopedFileField
from org.validators import (
    PERSON_NAME_MAX,
    long_text,
    single_line,
    validate_past_date,
    validate_plausible_date,
)


class RiskCategory(models.Model):
    """The risk dictionary: each hazard category with its risk score (admin-maintained)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True, **long_text())
    score = models.PositiveSmallIntegerField(_("risk score"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("risk category")
        verbose_name_plural = _("risk dictionary")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Hazard(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        NOTIFIED = "notified", _("Notified")
        RECTIFYING = "rectifying", _("Rectifying")
        PENDING_ACCEPTANCE = "pending_acceptance", _("Pending acceptance")
        ACCEPTED = "accepted", _("Accepted")
        CLOSED = "closed", _("Closed")
        VOIDED = "voided", _("Voided")

    class Severity(models.TextChoices):
        GENERAL = "general", _("General hazard")
        MAJOR = "major", _("Major hazard")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("Inspection finding")
        MANUAL = "manual", _("Manual registration")

    number = models.CharField(_("number"), max_length=32, unique=True, editable=False)
    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="hazards")
    # Copied from the site at registration, for unit scoping and per-unit statistics.
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="hazards")
    location = models.CharField(_("location"), max_length=200, blank=True, validators=[single_line])
    description = models.TextField(_("description"), **long_text())
    category = models.ForeignKey(RiskCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="hazards")
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.GENERAL)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    # One hazard per inspection finding: the unique link makes "never twice" a database rule.
    source_result = models.OneToOneField(
        "audits.InspectionResult", verbose_name=_("source finding"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="hazard",
    )
    basis = models.TextField(_("basis"), blank=True, **long_text(),
                             help_text=_("Regulation or standard clause the hazard breaches."))
    discovered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("discovered by"),
                                      on_delete=models.PROTECT, related_name="+")
    discovered_on = models.DateField(_("discovered on"), validators=[validate_past_date])
    responsible_name = models.CharField(_("responsible party"), max_length=64, blank=True, validators=[single_line])
    responsible_email = models.EmailField(_("responsible party email"), blank=True)
    responsible_phone = models.CharField(_("responsible party phone"), max_length=32, blank=True,
                                         validators=[single_line])
    required_measures = models.TextField(_("required measures"), blank=True, **long_text())
    deadline = models.DateField(_("rectification deadline"), null=True, blank=True,
                                validators=[validate_plausible_date])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED,
                              editable=False)

    # Five in place (五落实), required for major hazards before notification.
    five_responsible_person = models.CharField(_("responsible person (five in place, 五落实)"), max_length=64,
                                               blank=True, validators=[single_line])
    five_measures = models.TextField(_("measures (five in place, 五落实)"), blank=True, **long_text())
    five_funds = models.DecimalField(_("funds (five in place, 五落实)"), max_digits=12, decimal_places=2, null=True,
                                     blank=True, validators=[MinValueValidator(Decimal("0"))])
    five_deadline = models.DateField(_("time limit (five in place, 五落实)"), null=True, blank=True,
                                     validators=[validate_plausible_date])
    five_contingency_plan = models.TextField(_("contingency plan (five in place, 五落实)"), blank=True, **long_text())
    # Governance plan (治理方案) of a major hazard.
    plan_goal = models.TextField(_("goal and tasks"), blank=True, **long_text())
    plan_methods = models.TextField(_("methods and measures"), blank=True, **long_text())
    plan_funds_materials = models.TextField(_("funds and materials"), blank=True, **long_text())
    plan_organisation = models.TextField(_("organisation and people"), blank=True, **long_text())
    plan_time_limit = models.TextField(_("time limit and schedule"), blank=True, **long_text())
    plan_safety_measures = models.TextField(_("safety measures and contingency plan"), blank=True, **long_text())

    supervision_count = models.PositiveSmallIntegerField(_("supervisions"), default=0, editable=False)
    void_reason = models.TextField(_("void reason"), blank=True, editable=False, **long_text())
    # Bumped by every service write; forms carry it so a stale form gets "changed meanwhile".
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True, editable=False)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True, editable=False)
    # The day of the acceptance check on site (Acceptance.checked_on), which may be before it was
    # entered (accepted_at): "accepted by the deadline" counts this day.
    acceptance_date = models.DateField(_("acceptance date"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("hazard")
        verbose_name_plural = _("hazards")
        ordering = ["-created_at", "-id"]
        # Every filter and sort of the ledger has an index. The sorts end in the id, as the ledger
        # orders (hazards.filters.HazardFilter.filter_queryset), so a page is read from the index
        # in order; the text search has trigram indexes (migration 0004_ledger_sort_indexes, PostgreSQL only).
        indexes = [
            models.Index(fields=["-created_at", "-id"]),  # the ledger's default order
            models.Index(fields=["unit", "-created_at"]),
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["status", "id"]),
            models.Index(fields=["severity", "-created_at"]),
            models.Index(fields=["severity", "id"]),
            models.Index(fields=["category", "-created_at"]),
            models.Index(fields=["site", "-created_at"]),
            models.Index(fields=["deadline", "id"]),
            models.Index(fields=["discovered_on", "id"]),
            # The ledger's count and page for "category + status, by deadline" (see bench_hazards.py).
            models.Index(fields=["category", "status", "deadline"]),
            # Closed between two dates: the ledger's closed_from/closed_to and the KPI dashboard's
            # "closed per month" (kpis), which would otherwise scan the table.
            models.Index(fields=["closed_at"], name="hazard_closed_at"),
        ]

    def __str__(self):
        return self.number


class HazardPhoto(models.Model):
    class Kind(models.TextChoices):
        BEFORE = "before", _("Before rectification")
        AFTER = "after", _("After rectification")

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="photos")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # Stored under generated names with the detected type (org.uploads); served only by the views named.
    image = ScopedFileField(_("photo"), upload_to="hazards/%Y/%m/", accept="photo", url_name="hazards:photo_file")
    thumbnail = ScopedFileField(_("thumbnail"), upload_to="hazards/thumbs/%Y/%m/", blank=True,
                                url_name="hazards:photo_thumb")
    caption = models.CharField(_("caption"), max_length=200, blank=True, validators=[single_line])
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hazard photo")
        verbose_name_plural = _("hazard photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.hazard_id} · {self.get_kind_display()}"


class HazardEvent(StatusEventLabels, AppendOnlyModel):
    """The hazard's history: one row per action, never updated or deleted. Replaying the rows'
    to_status in order gives the hazard's current status."""

    status_choices = Hazard.Status

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    # Who acted when it was not a logged-in user: the responsible party, possibly recorded by staff.
    actor_name = models.CharField(_("acting person"), max_length=100, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("hazard event")
        verbose_name_plural = _("hazard history")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["hazard", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self):
        return f"{self.hazard} · {self.action_display}"

    @property
    def effective_on(self) -> datetime.date:
        """The day the action happened (on paper, on site), which may be before it was entered
        (`at`). Rows written before effective dates existed have none: their day is the entered one."""
        day = (self.data or {}).get("effective_on")
        if day:
            return datetime.date.fromisoformat(day)
        return timezone.localdate(self.at) if self.at else None

    @property
    def action_display(self) -> str:
        from .lifecycle import Action  # the action names live with the transition table

        return str(dict(Action.choices).get(self.action, self.action))


class Notice(models.Model):
    """An issued document: hazard notice (隐患告知书) or supervision notice (隐患督导单). Rendered
    once at issue, stored with its content hash, never regenerated over."""

    class Kind(models.TextChoices):
        HAZARD = "hazard", _("Hazard notice")
        SUPERVISION = "supervision", _("Supervision notice")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=32, unique=True)
    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="notices")
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("issuing unit"), on_delete=models.PROTECT,
                             related_name="notices")
    hazards = models.ManyToManyField(Hazard, verbose_name=_("hazards"), related_name="notices")
    addressee = models.CharField(_("addressee"), max_length=1000, validators=[single_line])
    addressee_email = models.EmailField(_("addressee email"), blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True, validators=[validate_plausible_date])
    # Supervision notices cite the original hazard notice and how late the rectification is.
    cites = models.ForeignKey("self", verbose_name=_("cites notice"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="citing_notices")
    days_overdue = models.PositiveIntegerField(_("days overdue"), null=True, blank=True)
    # The deadline those days count from: the one in force when the supervision was issued (the
    # hazard notice's, an earlier supervision's or an approved extension's), printed beside them.
    overdue_from = models.DateField(_("overdue since the deadline"), null=True, blank=True)
    escalation = models.TextField(_("escalation if ignored"), blank=True, **long_text())
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    file = ScopedFileField(_("document"), upload_to="notices/%Y/%m/", url_name="hazards:notice_file")
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Entered at (acknowledged_at) and the day signed on paper (acknowledged_on), which may be earlier.
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_on = models.DateField(_("acknowledgement date"), null=True, blank=True,
                                       validators=[validate_past_date])
    acknowledged_by_name = models.CharField(_("acknowledged by"), max_length=PERSON_NAME_MAX, blank=True,
                                            validators=[single_line])
    signed_scan = ScopedFileField(_("signed scan"), upload_to="notices/signed/%Y/%m/", blank=True, accept="document",
                                  url_name="hazards:notice_signed_scan")

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["site", "-issued_at"]), models.Index(fields=["kind", "-issued_at"])]

    def __str__(self):
        return self.number


class WorkOrderReply(models.Model):
    """The responsible party's reply (工单回复)."""

    class Result(models.TextChoices):
        HANDLED = "handled", _("Handled")
        NO_ACTION = "no_action", _("No action needed")

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="replies")
    cause = models.TextField(_("cause"), **long_text())
    handling = models.TextField(_("handling description"), **long_text(),
                                help_text=_("Investigation, measures taken and any personnel accountability."))
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    next_measures = models.TextField(_("next rectification measures"), blank=True, **long_text())
    submitted_by_name = models.CharField(_("submitted by"), max_length=PERSON_NAME_MAX, validators=[single_line])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    # The date of the reply (on paper when staff record it later); submitted_at is when it was entered.
    replied_on = models.DateField(_("reply date"), null=True, blank=True, validators=[validate_past_date])

    class Meta:
        verbose_name = _("work-order reply")
        verbose_name_plural = _("work-order replies")
        ordering = ["submitted_at", "id"]

    def __str__(self):
        return f"{self.hazard} · {self.get_result_display()}"


class ReplyPhoto(models.Model):
    reply = models.ForeignKey(WorkOrderReply, verbose_name=_("reply"), on_delete=models.PROTECT, related_name="photos")
    image = ScopedFileField(_("photo"), upload_to="replies/%Y/%m/", accept="photo", url_name="hazards:reply_photo_file")
    thumbnail = ScopedFileField(_("thumbnail"), upload_to="replies/thumbs/%Y/%m/", blank=True,
                                url_name="hazards:reply_photo_thumb")

    class Meta:
        verbose_name = _("reply photo")
        verbose_name_plural = _("reply photos")

    def __str__(self):
        return f"{self.reply_id} · {self.pk}"


class ExtensionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="extensions")
    old_deadline = models.DateField(_("deadline before"))
    requested_deadline = models.DateField(_("requested deadline"), validators=[validate_plausible_date])
    reason = models.TextField(_("reason"), **long_text())
    requested_by_name = models.CharField(_("requested by"), max_length=PERSON_NAME_MAX, validators=[single_line])
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    # The date of the request (a letter or a call recorded later); requested_at is when it was entered.
    requested_on = models.DateField(_("request date"), null=True, blank=True, validators=[validate_past_date])
    # What the approver granted: the requested deadline unless they chose another one.
    granted_deadline = models.DateField(_("granted deadline"), null=True, blank=True,
                                        validators=[validate_plausible_date])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True, **long_text())

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            # At most one open request per hazard.
            models.UniqueConstraint(fields=["hazard"], condition=models.Q(status="pending"),
                                    name="extension_one_pending_per_hazard"),
        ]

    def __str__(self):
        return f"{self.hazard} → {self.requested_deadline} ({self.get_status_display()})"


class ServiceVisit(models.Model):
    """Rectification service (整改服务): a visit of the inspectors helping the responsible party
    rectify, on its day. Named "visit" in code so it does not read as the services layer; its table
    keeps its first name."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT,
                               related_name="service_visits")
    date = models.DateField(_("date"), validators=[validate_past_date])
    description = models.TextField(_("service given"), **long_text())
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        db_table = "hazards_servicerecord"
        verbose_name = _("rectification service")
        verbose_name_plural = _("rectification services")
        ordering = ["date", "id"]

    def __str__(self):
        return f"{self.hazard} · {self.date}"


class AuthorityReport(models.Model):
    """Report to the authority (报告) of a major or refused hazard that endangers the grid or public."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="reports")
    addressee = models.CharField(_("authority"), max_length=200, validators=[single_line])
    report_date = models.DateField(_("report date"), validators=[validate_past_date])
    document = ScopedFileField(_("document"), upload_to="reports/%Y/%m/", blank=True, accept="document",
                               url_name="hazards:report_file")
    comment = models.TextField(_("comment"), blank=True, **long_text())
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("authority report")
        verbose_name_plural = _("authority reports")
        ordering = ["report_date", "id"]

    def __str__(self):
        return f"{self.hazard} → {self.addressee}"


class Acceptance(models.Model):
    """An on-site acceptance (验收): accepted, or rejected back to rectification."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    hazard = models.ForeignKey(Hazard, verbose_name=_("hazard"), on_delete=models.PROTECT, related_name="acceptances")
    result = models.CharField(_("result"), max_length=16, choices=Result.choices)
    comment = models.TextField(_("comment"), blank=True, **long_text())
    # Major hazards: the three-step acceptance.
    self_evaluation = models.TextField(_("self-evaluation"), blank=True, **long_text())
    expert_evaluation = models.TextField(_("expert evaluation"), blank=True, **long_text())
    government_acceptance = models.TextField(_("government acceptance"), blank=True, **long_text())
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # The day of the on-site acceptance check (accepted or rejected); `at` is when it was entered.
    checked_on = models.DateField(_("acceptance date"), null=True, blank=True, validators=[validate_past_date])

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.hazard} · {self.get_result_display()}"


class WhitelistEntry(models.Model):
    """A check verified on site as normal and likely to stay so: exempt for the freeze period in
    new inspections of the site (白名单, 冻结周期)."""

    site = models.ForeignKey("org.Site", verbose_name=_("site"), on_delete=models.PROTECT, related_name="whitelist")
    item = models.ForeignKey("scoring.StandardItem", verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="whitelist")
    frozen_until = models.DateField(_("frozen until"), validators=[validate_plausible_date])
    reason = models.TextField(_("reason"), blank=True, **long_text())
    hazard = models.ForeignKey(Hazard, verbose_name=_("from hazard"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="whitelist_entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("whitelist entry")
        verbose_name_plural = _("whitelist")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["site", "item", "frozen_until"])]

    def __str__(self):
        return f"{self.site} · {self.item} → {self.frozen_until}"
