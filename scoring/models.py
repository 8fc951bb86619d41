from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.validators import long_text, single_line

ITEM_CODE_RE = r"^\d+(\.\d+)*$"


class Standard(models.Model):
    """A versioned checklist (评价标准/检查表). Only drafts change; an active version is frozen and
    editing it means deriving a new draft version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    version = models.CharField(_("version"), max_length=32, default="1")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    description = models.TextField(_("description"), blank=True, **long_text())
    # Sum of the top-level items' points, kept in step by the services that write items.
    total_points = models.DecimalField(_("total points"), max_digits=10, decimal_places=2, default=Decimal("0"))
    item_count = models.PositiveIntegerField(_("items"), default=0)
    source_filename = models.CharField(_("imported from"), max_length=255, blank=True)
    previous = models.ForeignKey(
        "self", verbose_name=_("derived from"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="next_versions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["name", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="standard_name_version_unique"),
            # Activating a version retires the one before it: one active version per name.
            models.UniqueConstraint(fields=["name"], condition=models.Q(status="active"),
                                    name="standard_one_active_per_name"),
        ]
        indexes = [models.Index(fields=["status", "name"])]

    def __str__(self):
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class StandardItem(models.Model):
    """One node of a standard's tree, coded `1`, `1.1`, `1.1.2`. Leaves carry the standard points
    (应得分); a parent's points are the sum of its children's (stored for fast reads)."""

    standard = models.ForeignKey(Standard, verbose_name=_("standard"), on_delete=models.CASCADE, related_name="items")
    parent = models.ForeignKey(
        "self", verbose_name=_("parent item"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=64, validators=[RegexValidator(ITEM_CODE_RE)])
    # Each code segment zero-padded to 4 digits, so sorting by this string is tree (pre-)order.
    sort_key = models.CharField(_("sort key"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    title = models.CharField(_("item"), max_length=500)
    points = models.DecimalField(
        _("standard points"), max_digits=9, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    criteria = models.TextField(_("scoring criteria"), blank=True, **long_text())
    serious = models.BooleanField(_("serious item"), default=False)
    is_leaf = models.BooleanField(_("leaf"), default=True)
    # What a hazard registered from a finding on this item starts with (the inspector may change
    # it per finding): the risk category's code in the hazards' dictionary (a code, not a key:
    # scoring sits below hazards), and whether such a finding is a major hazard (重大隐患).
    hazard_category_code = models.CharField(_("default hazard category (code)"), max_length=32, blank=True)
    hazard_major = models.BooleanField(_("findings are major hazards by default"), default=False)

    class Meta:
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")
        ordering = ["standard", "sort_key"]
        constraints = [models.UniqueConstraint(fields=["standard", "code"], name="standard_item_code_unique")]
        indexes = [models.Index(fields=["standard", "sort_key"])]

    def __str__(self):
        return f"{self.code} {self.title}"

    @staticmethod
    def sort_key_for(code: str) -> str:
        return ".".join(part.zfill(4) for part in code.split("."))
