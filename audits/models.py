from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import AppendOnlyModel, StatusEventLabels
from org.uploads import ScopedFileField
from org.validators import long_text, single_line, validate_past_date


class Inspection(models.Model):
    """An inspection (检查/查评) of a site or an org unit against one standard version."""

    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("Periodic inspection")
        SPECIAL = "special", _("Special inspection")
        SELF_ASSESSMENT = "self_assessment", _("Self-assessment")
        SPOT_CHECK = "spot_check", _("Spot check")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        LOCKED = "locked", _("Locked")

    number = models.CharField(_("number"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True, validators=[single_line])
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERIODIC)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    standard = models.ForeignKey("scoring.Standard", verbose_name=_("standard"), on_delete=models.PROTECT,
                                 related_name="inspections")
    site = models.ForeignKey("org.Site", verbose_name=_("site"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="inspections")
    # The unit the inspection belongs to, for scoping: the site's owning unit, or the unit
    # being self-assessed when there is no site.
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="inspections")
    group = models.ForeignKey("org.OrgUnit", verbose_name=_("inspection group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="group_inspections")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), blank=True,
                                        related_name="inspections")
    date = models.DateField(_("inspection date"), validators=[validate_past_date])
    summary = models.TextField(_("summary"), blank=True, **long_text())
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["-date", "-id"]),  # the list's default order and the date sort
            models.Index(fields=["unit", "-date"]),
            models.Index(fields=["site", "-date"]),
            models.Index(fields=["status", "-date"]),
            models.Index(fields=["kind", "-date"]),
        ]

    def __str__(self):
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class InspectionResult(models.Model):
    """The result for one leaf item: earned points (实得分) or not applicable (不适用)."""

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE,
                                   related_name="results")
    item = models.ForeignKey("scoring.StandardItem", verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="results")
    # Null until scored: a draft may be resumed where it was left.
    earned = models.DecimalField(_("earned points"), max_digits=9, decimal_places=2, null=True, blank=True,
                                 validators=[MinValueValidator(Decimal("0"))])
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    # Set when a whitelist entry exempted this item at the time the inspection was created.
    exempt = models.BooleanField(_("exempt (whitelisted)"), default=False)
    finding = models.TextField(_("finding"), blank=True, **long_text())
    problem = models.TextField(_("problem"), blank=True, **long_text())
    measure = models.TextField(_("rectification measure"), blank=True, **long_text())
    serious_problems = models.PositiveSmallIntegerField(_("serious problems"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("inspection result")
        verbose_name_plural = _("inspection results")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_item_unique"),
        ]

    def __str__(self):
        return f"{self.inspection} · {self.item.code}"


class ResultPhoto(models.Model):
    result = models.ForeignKey(InspectionResult, verbose_name=_("result"), on_delete=models.CASCADE,
                               related_name="photos")
    # Stored under generated names with the detected type (org.uploads); served only by the views named.
    image = ScopedFileField(_("photo"), upload_to="inspections/%Y/%m/", accept="photo", url_name="audits:photo_file")
    thumbnail = ScopedFileField(_("thumbnail"), upload_to="inspections/thumbs/%Y/%m/", blank=True,
                                url_name="audits:photo_thumb")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return f"{self.result_id} · {self.pk}"


class InspectionAction(models.TextChoices):
    """Everything that happens to an inspection: the lifecycle's actions (audits.lifecycle, which
    says from which status and by whom) and the history's rows (InspectionEvent.action) are one
    enum. The values are the words stored in the history since the first release, hence
    "submitted" for SUBMIT; RECORD (results recorded on a draft) writes no history row."""

    CREATE = "created", _("Created")
    IMPORT = "imported", _("Imported")
    RECORD = "record", _("Record results")
    EDIT = "edited", _("Details changed")
    SUBMIT = "submitted", _("Submitted")
    REOPEN = "reopened", _("Reopened")
    LOCK = "locked", _("Locked")
    CREATE_HAZARDS = "hazards_created", _("Hazards created from findings")
    MOVE = "moved", _("Moved with its site to another unit")


class InspectionEvent(StatusEventLabels, AppendOnlyModel):
    """Immutable history of an inspection: created, imported, submitted, reopened (with reason), locked."""

    status_choices = Inspection.Status

    Action = InspectionAction  # the one action enum of an inspection (defined above)

    inspection = models.ForeignKey(Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT,
                                   related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("inspection event")
        verbose_name_plural = _("inspection events")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.inspection_id} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"
