from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from org.admin_scope import ScopedAdminMixin

from . import services
from .models import Channel, Heartbeat, Kind, Message, NotificationConfig
from .rendering import SAMPLE_CONTEXT, render_message


@admin.register(Heartbeat)
class HeartbeatAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "last_run_at", "runs", "worker")
    readonly_fields = ("name", "last_run_at", "runs", "worker")

    def has_add_permission(self, request):
        return False


class PreviewForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Kind.choices)
    channel = forms.ChoiceField(label=_("channel"), choices=Channel.choices)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)


@admin.register(Message)
class MessageAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The outbox: read-only rows (written by the business actions), filters, search, and a resend
    action that queues the same row again. Unit administrators see their units' messages;
    messages about no unit only superusers see."""

    list_display = ("created_at", "kind", "channel", "recipient", "about_label", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "kind", ("created_at", admin.DateFieldListFilter),
                   ("sent_at", admin.DateFieldListFilter))
    search_fields = ("recipient_address", "recipient_name", "about_label", "subject", "dedupe_key")
    list_select_related = ("recipient_user",)
    date_hierarchy = None
    actions = ["resend"]
    readonly_fields = ("channel", "kind", "recipient_user", "recipient_address", "recipient_name", "language",
                       "about_type", "about_id", "about_label", "unit", "subject", "body", "html_body", "url",
                       "attachment_list", "dedupe_key", "status", "attempts", "last_error", "next_attempt_at",
                       "created_at", "sent_at", "read_at", "resent_by", "resent_at")
    exclude = ("attachments",)
    change_list_template = "admin/notifications/message/change_list.html"

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.recipient_address or obj.recipient_user

    @admin.display(description=_("attachments"))
    def attachment_list(self, obj):
        if not obj.attachments:
            return "—"
        return format_html("<br>".join(["{} · SHA-256 {}"] * len(obj.attachments)),
                           *[v for a in obj.attachments for v in (a["filename"], a["sha256"])])

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected messages again"), permissions=["change"])
    def resend(self, request, queryset):
        done = skipped = 0
        for message in queryset.exclude(channel=Channel.IN_APP):
            try:
                services.message_resend(message=message, by=request.user)
                done += 1
            except ValidationError:
                skipped += 1
        skipped += queryset.filter(channel=Channel.IN_APP).count()
        self.message_user(request, ngettext("%(count)d message queued again.", "%(count)d messages queued again.",
                                            done) % {"count": done}, messages.SUCCESS)
        if skipped:
            self.message_user(request, _("In-app messages are delivered when written; they were left as they are."),
                              messages.WARNING)

    def get_urls(self):
        return [path("preview/", self.admin_site.admin_view(self.preview_view), name="notifications_message_preview"),
                *super().get_urls()]

    def preview_view(self, request):
        """Render any kind's template with sample values, in either language."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PreviewForm(request.GET or {"kind": Kind.REMINDER_BEFORE, "channel": Channel.EMAIL,
                                           "language": settings.LANGUAGE_CODE})
        rendered = None
        if form.is_valid():
            rendered = render_message(channel=form.cleaned_data["channel"], kind=form.cleaned_data["kind"],
                                      language=form.cleaned_data["language"],
                                      context={**SAMPLE_CONTEXT, "url": settings.SITE_URL + SAMPLE_CONTEXT["url"]})
        return TemplateResponse(request, "admin/notifications/message/preview.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "rendered": rendered,
            "title": _("Template preview"),
        })

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "preview_url": reverse("admin:notifications_message_preview")}
        return super().changelist_view(request, extra_context)


@admin.register(NotificationConfig)
class NotificationConfigAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """One row of settings, for superusers only (it applies to the whole installation)."""

    list_display = ("__str__", "reminder_offsets", "supervision_after_days", "leader_escalation_after_days",
                    "updated_at")
    fieldsets = (
        (_("Reminders"), {"fields": ("reminder_offsets", "remind_on_due_day")}),
        (_("Escalation"), {"fields": ("supervision_after_days", "leader_escalation_after_days")}),
        (_("Sender identities"), {"fields": ("from_email", "reply_to", "sms_signature")}),
    )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_view_permission

    def has_add_permission(self, request):
        return self.has_view_permission(request) and not NotificationConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.notification_config_save(config=obj, by=request.user)
