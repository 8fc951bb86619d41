from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import single_line

# Each level of the materialised path is this many characters, so a subtree is one
# `path LIKE 'prefix%'` query on an indexed column.
PATH_STEP = 4


class StatusEventLabels:
    """The status labels of a history row (from_status → to_status), in the current language, from
    the `status_choices` of the object whose history it is."""

    status_choices: type[models.TextChoices]

    def _status_label(self, value: str) -> str:
        return str(dict(self.status_choices.choices).get(value, value))

    @property
    def from_display(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_display(self) -> str:
        return self._status_label(self.to_status)


class HistoryRowImmutable(Exception):
    """A history row was about to be changed or deleted: history is only ever inserted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise HistoryRowImmutable(f"{self.model._meta.label} rows are history: update refused")

    def delete(self):
        raise HistoryRowImmutable(f"{self.model._meta.label} rows are history: delete refused")

    def bulk_update(self, objs, fields, batch_size=None):
        raise HistoryRowImmutable(f"{self.model._meta.label} rows are history: update refused")

    def update_or_create(self, *args, **kwargs):
        raise HistoryRowImmutable(f"{self.model._meta.label} rows are history: update refused")


class AppendOnlyModel(models.Model):
    """History rows (hazards.HazardEvent, audits.InspectionEvent): inserted once, never updated or
    deleted. Refused here for the ORM (save of a stored row, delete, queryset update/delete) and on
    PostgreSQL by a trigger (org.db.immutable_rows) for everything else."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise HistoryRowImmutable(f"{self._meta.label} rows are history: update refused")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryRowImmutable(f"{self._meta.label} rows are history: delete refused")


class OrgUnit(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        BRANCH = "branch", _("Branch / department")
        TEAM = "team", _("Team / supply station")
        GROUP = "group", _("Inspection group")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", _("Letters, digits, '-', '_' and '.' only."))],
    )
    name = models.CharField(_("name"), max_length=120, validators=[single_line])
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEAM)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path: the parent's path plus this unit's zero-padded sibling number.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), editable=False, default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return self.name

    def is_ancestor_of(self, other: "OrgUnit") -> bool:
        return other.path.startswith(self.path)


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("Inspector")
    MANAGER = "manager", _("Manager / safety specialist")
    LEADER = "leader", _("Leader")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    """A person's place in the organisation: their unit (the root of what they may see) and role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="membership"
    )
    unit = models.ForeignKey(OrgUnit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.INSPECTOR)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # The language the user chose in the switcher; applied on every request once logged in.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self):
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class RiskLevel(models.TextChoices):
    """Risk warning levels (风险预警等级): A is the highest. The empty value is "no level"."""

    A = "A", _("Level A (red)")
    B = "B", _("Level B (yellow)")
    C = "C", _("Level C (blue)")


class Site(models.Model):
    """An object of inspection (被检查对象): a customer, facility or department."""

    class SiteClass(models.TextChoices):
        HIGH_RISK = "high_risk", _("High-risk")
        IMPORTANT = "important", _("Important")
        GENERAL = "general", _("General")

    class Category(models.TextChoices):
        MINING = "mining", _("Mining")
        CHEMICAL = "chemical", _("Chemical")
        METALLURGY = "metallurgy", _("Metallurgy")
        MANUFACTURING = "manufacturing", _("Manufacturing")
        GAS = "gas", _("Gas supply")
        PUBLIC = "public", _("Public venue")
        COMMERCIAL = "commercial", _("Commercial")
        RESIDENTIAL = "residential", _("Residential")
        INTERNAL = "internal", _("Internal department")
        OTHER = "other", _("Other")

    class Voltage(models.TextChoices):
        NONE = "", _("Not applicable")
        V04 = "0.4kV", "0.4 kV"
        V10 = "10kV", "10 kV"
        V35 = "35kV", "35 kV"
        V110 = "110kV", "110 kV"
        V220 = "220kV", "220 kV"

    class Cycle(models.IntegerChoices):
        MONTHLY = 1, _("Monthly")
        QUARTERLY = 3, _("Quarterly")
        HALF_YEARLY = 6, _("Half-yearly")
        YEARLY = 12, _("Yearly")

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_.-]+$", _("Letters, digits, '-', '_' and '.' only."))],
    )
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    unit = models.ForeignKey(OrgUnit, verbose_name=_("owning unit"), on_delete=models.PROTECT, related_name="sites")
    site_class = models.CharField(_("class"), max_length=16, choices=SiteClass.choices, default=SiteClass.GENERAL)
    category = models.CharField(_("customer category"), max_length=16, choices=Category.choices,
                                default=Category.OTHER)
    voltage_level = models.CharField(_("voltage level"), max_length=8, choices=Voltage.choices, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True, validators=[single_line])
    contact_name = models.CharField(_("responsible contact"), max_length=64, blank=True, validators=[single_line])
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True, validators=[single_line])
    inspection_cycle_months = models.PositiveSmallIntegerField(
        _("inspection cycle"), choices=Cycle.choices, default=Cycle.YEARLY
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The computed risk rating (风险预警等级), written only by kpis.services (the rule is in kpis.rules):
    # stored so that every page showing a site shows its level without computing it.
    risk_level = models.CharField(_("risk level"), max_length=1, choices=RiskLevel.choices, blank=True,
                                  default="", editable=False)
    risk_score = models.DecimalField(_("risk score"), max_digits=10, decimal_places=2, default=0, editable=False)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["unit", "code"]),
            models.Index(fields=["site_class", "code"]),
            models.Index(fields=["category", "code"]),
            models.Index(fields=["voltage_level", "code"]),
            models.Index(fields=["name"]),
            # The site list sorted by risk (kpis: highest score first).
            models.Index(fields=["-risk_score", "code"], name="site_risk_order"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class NumberCounter(models.Model):
    """Per-series, per-year counters for gap-free document numbers (YH-2026-000123, JC-2026-00001,
    GZ-…, DD-…). org.services.next_number locks the row while a number is taken, so concurrent
    creations queue instead of colliding, and a rolled-back creation gives its number back."""

    key = models.CharField(_("series"), max_length=16)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number counter")
        verbose_name_plural = _("number counters")
        constraints = [models.UniqueConstraint(fields=["key", "year"], name="org_number_counter_key_year_unique")]

    def __str__(self):
        return f"{self.key}-{self.year}: {self.last}"


class SubmissionToken(models.Model):
    """The one-time token of a form that creates something (org/once.py), claimed when the form is
    sent: the same form sent again (a double click, a reload of the POST) finds it and is answered
    with the first sending's result instead of creating a second row. Kept a day."""

    token = models.CharField(max_length=64, unique=True)
    # Who sent the form: a signed-in user, or (no account) an owner key such as the party's link
    # ("portal:<link id>"); a token is only ever answered to the one who claimed it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True,
                             blank=True)
    owner = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Where the first sending led (its redirect); empty while it runs.
    result_url = models.CharField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return self.token
