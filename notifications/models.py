"""The outbox: every message (e-mail, SMS, in-app) is first a row here, written in the transaction of
the business action that causes it; delivery happens after commit (notifications.delivery). The row
is the record of what was sent, to whom, about what, and how delivery went."""

from email.utils import parseaddr

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """Last run of a periodic probe: proves beat → broker → worker works end to end."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    last_run_at = models.DateTimeField(_("last run at"))
    runs = models.PositiveBigIntegerField(_("runs"), default=0)
    worker = models.CharField(_("worker"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    IN_APP = "in_app", _("In-app")


class Kind(models.TextChoices):
    """Why a message is sent. A new kind needs a value here and its templates under
    notifications/templates/notifications/<channel>/<kind>.*; the migration only changes choices."""

    NOTICE_ISSUED = "notice_issued", _("Hazard notice issued")
    SUPERVISION_ISSUED = "supervision_issued", _("Supervision notice issued")
    EXTENSION_DECIDED = "extension_decided", _("Extension decided")
    REPLY_REJECTED = "reply_rejected", _("Rectification rejected")
    REMINDER_BEFORE = "reminder_before", _("Reminder before the deadline")
    REMINDER_DUE_DAY = "reminder_due_day", _("Reminder on the deadline")
    OVERDUE_DIGEST = "overdue_digest", _("Overdue digest")
    SUPERVISION_DRAFT = "supervision_draft", _("Supervision notice to issue")
    ESCALATION = "escalation", _("Escalation to the leader")
    PARTY_ACTED = "party_acted", _("The responsible party acted through its link")
    RISK_WARNING = "risk_warning", _("Risk level warning")
    STATISTICS_DUE = "statistics_due", _("Statistics report due")


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        # The last attempt failed; another is due at next_attempt_at.
        FAILED = "failed", _("Failed, will retry")
        # Given up after NOTIFY_MAX_ATTEMPTS attempts, or a fault no retry can cure (a changed attachment).
        DEAD = "dead", _("Dead")

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    # Who receives it: a user (in-app needs one) and/or an address (e-mail address or phone number).
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient user"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="messages")
    recipient_address = models.CharField(_("recipient address"), max_length=254, blank=True)
    recipient_name = models.CharField(_("recipient name"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # The object the message is about (a hazard, a notice …), its label as shown then, and its unit
    # for scoping in the admin.
    about_type = models.ForeignKey(ContentType, verbose_name=_("about (type)"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    about_id = models.PositiveBigIntegerField(_("about (id)"), null=True, blank=True)
    about = GenericForeignKey("about_type", "about_id")
    about_label = models.CharField(_("about"), max_length=200, blank=True)
    unit = models.ForeignKey("org.OrgUnit", verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    # Rendered once, at enqueue, in the recipient's language: what was sent is what is stored.
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("body"))
    html_body = models.TextField(_("HTML body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # [{"name": storage name, "filename", "mimetype", "sha256"}]: stored documents, attached as
    # their stored bytes; delivery refuses bytes whose hash differs (see notifications.attachments).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # Once per key, however many scans, workers or clicks: see notifications.services.dedupe_key.
    dedupe_key = models.CharField(_("dedupe key"), max_length=255, unique=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # In-app messages: when the user read it.
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    resent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resent by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    resent_at = models.DateTimeField(_("resent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's and deliver_outbox's scan: what is due.
            models.Index(fields=["next_attempt_at"], name="notif_msg_due",
                         condition=models.Q(status__in=["queued", "failed"])),
            # The bell: a user's unread in-app messages (a count on every page load of the badge).
            models.Index(fields=["recipient_user", "-created_at"], name="notif_msg_inbox",
                         condition=models.Q(channel="in_app")),
            models.Index(fields=["about_type", "about_id"], name="notif_msg_about"),
            models.Index(fields=["status", "-created_at"], name="notif_msg_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(channel="in_app") | models.Q(recipient_user__isnull=False),
                name="notif_msg_in_app_has_user"),
            models.CheckConstraint(
                condition=models.Q(channel="in_app") | ~models.Q(recipient_address=""),
                name="notif_msg_address_for_email_sms"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient_address or self.recipient_user}"


class NotificationConfig(models.Model):
    """The deployment's notification settings that an administrator edits in the admin: one row
    (pk=1), read through notifications.selectors.notification_config()."""

    # Days before the deadline on which the party is reminded, e.g. "3,1".
    reminder_offsets = models.CharField(
        _("reminder days before the deadline"), max_length=64, default="3,1",
        help_text=_("Whole days before the deadline, separated by commas, e.g. 3,1."))
    remind_on_due_day = models.BooleanField(_("remind on the deadline"), default=True)
    supervision_after_days = models.PositiveSmallIntegerField(
        _("draft a supervision notice after (days overdue)"), default=3)
    leader_escalation_after_days = models.PositiveSmallIntegerField(
        _("escalate to the leader after (days overdue)"), default=7)
    # Sender identities; empty means the deployment's environment settings (NOTIFY_FROM_EMAIL …).
    from_email = models.CharField(_("sender (From)"), max_length=254, blank=True,
                                  help_text=_("Empty: the NOTIFY_FROM_EMAIL setting."))
    reply_to = models.CharField(_("Reply-To"), max_length=254, blank=True,
                                help_text=_("Empty: the NOTIFY_REPLY_TO setting."))
    sms_signature = models.CharField(_("SMS signature"), max_length=20, blank=True,
                                     help_text=_("Put at the start of each SMS, e.g. 【江州供电】."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(_("Notification settings"))

    def clean(self):
        try:
            offsets = self.offsets
        except ValueError:
            raise ValidationError({"reminder_offsets": _("Enter whole days separated by commas, e.g. 3,1.")}) from None
        if any(day <= 0 or day > 365 for day in offsets):
            raise ValidationError({"reminder_offsets": _("Each day must be between 1 and 365.")})
        for name in ("from_email", "reply_to"):
            value = getattr(self, name).strip()
            if value:
                try:
                    validate_email(parseaddr(value)[1])
                except ValidationError:
                    raise ValidationError({name: _(
                        "Enter an e-mail address, e.g. 江州供电 <hazards@example.com>.")}) from None
        if self.leader_escalation_after_days <= self.supervision_after_days:
            raise ValidationError({"leader_escalation_after_days": _(
                "The leader escalation must come after the supervision notice.")})

    @property
    def offsets(self) -> list[int]:
        """The reminder days before the deadline, largest first, without duplicates."""
        parts = [p.strip() for p in self.reminder_offsets.replace("，", ",").split(",") if p.strip()]
        return sorted({int(p) for p in parts}, reverse=True)
