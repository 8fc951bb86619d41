"""The responsible party's portal (整改责任人): no account, reached through a link sent with the
notice. A link row is what makes the link revocable and auditable; the secret half of the link
is never stored (only its SHA-256), so neither the database nor a backup opens the portal."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import AppendOnlyModel
from org.uploads import ScopedFileField
from org.validators import PERSON_NAME_MAX


class PartyLink(models.Model):
    """One link to one notice for one address. The URL is /p/<selector>/<verifier>/: the selector
    finds the row, the verifier (32 random bytes) is compared by hash in constant time."""

    notice = models.ForeignKey("hazards.Notice", verbose_name=_("notice"), on_delete=models.PROTECT,
                               related_name="party_links")
    address = models.EmailField(_("sent to"), blank=True)
    selector = models.CharField(_("link id"), max_length=24, unique=True)
    # SHA-256 of the verifier; the verifier itself exists only in the e-mail that carried the link.
    verifier_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("revoked by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    revoke_reason = models.CharField(_("revoke reason"), max_length=200, blank=True)
    last_used_at = models.DateTimeField(_("last opened at"), null=True, blank=True)
    opened = models.PositiveIntegerField(_("times opened"), default=0)

    class Meta:
        verbose_name = _("party link")
        verbose_name_plural = _("party links")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["notice", "revoked_at"])]

    def __str__(self):
        return f"{self.notice} · {self.selector}"

    # The reasons the services write (portal.services), in words; a reason a manager typed is shown as typed.
    REVOKE_REASONS = {"superseded": _("superseded by a new link"), "revoked": _("revoked by staff"),
                      "re-sent": _("replaced when the notice was sent again")}

    @property
    def revoke_reason_display(self) -> str:
        return str(self.REVOKE_REASONS.get(self.revoke_reason, self.revoke_reason))


class PartyAction(AppendOnlyModel):
    """What the party did through its link, beside the hazard's history row of the same action
    (written in the same transaction): the typed name, the link, the client's address, and for an
    acknowledgement the drawn signature (a checked PNG)."""

    link = models.ForeignKey(PartyLink, verbose_name=_("link"), on_delete=models.PROTECT, related_name="actions")
    hazard = models.ForeignKey("hazards.Hazard", verbose_name=_("hazard"), on_delete=models.PROTECT,
                               related_name="party_actions")
    event = models.OneToOneField("hazards.HazardEvent", verbose_name=_("history row"), on_delete=models.PROTECT,
                                 related_name="party_action")
    action = models.CharField(_("action"), max_length=32)
    party_name = models.CharField(_("name typed"), max_length=PERSON_NAME_MAX)
    client_ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    signature = ScopedFileField(_("signature"), upload_to="portal/signatures/%Y/%m/", blank=True, accept="photo",
                                url_name="portal:signature_file")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("party action")
        verbose_name_plural = _("party actions")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.hazard} · {self.action} · {self.party_name}"


class Throttle(models.Model):
    """A fixed-window request counter (per link, per client address), in the database so that
    every web process counts the same requests."""

    key = models.CharField(max_length=120, unique=True)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.key
