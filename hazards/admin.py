"""Django admin for the hazards app: hazard files with their whole record read-only, the risk
dictionary, the whitelist and the issued notices. The admin never changes a hazard's status and
never deletes: detail edits go through services.hazard_update (history row, version, the same
rules as the pages); every other step of the lifecycle is taken on the hazard pages."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from org.admin import HistoryInline, IndexedSearchAdminMixin, ReadOnlyInline
from org.admin_scope import ScopedAdminMixin

from . import services
from .lifecycle import Action, ActionRefused, ChangedMeanwhile, check, fixed_fields, local_today
from .models import (
    Acceptance,
    AuthorityReport,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Notice,
    RiskCategory,
    ServiceVisit,
    WhitelistEntry,
    WorkOrderReply,
)
from .selectors import with_overdue


class HazardEventInline(HistoryInline):
    model = HazardEvent
    fields = ("at", "action_name", "from_name", "to_name", "actor", "actor_name", "comment", "data")

    @admin.display(description=_("action"))
    def action_name(self, obj):
        return obj.action_display


class HazardPhotoInline(ReadOnlyInline):
    model = HazardPhoto
    fields = ("kind", "image", "caption", "uploaded_by", "uploaded_at")


class NoticeInline(ReadOnlyInline):
    model = Notice.hazards.through
    verbose_name = _("notice")
    verbose_name_plural = _("notices")

    fields = readonly_fields = ("notice_link",)

    @admin.display(description=_("notice"))
    def notice_link(self, obj):
        return obj.notice


class ReplyInline(ReadOnlyInline):
    model = WorkOrderReply
    fields = ("submitted_at", "submitted_by_name", "result", "cause", "handling", "next_measures", "recorded_by")


class ExtensionInline(ReadOnlyInline):
    model = ExtensionRequest
    fk_name = "hazard"
    fields = ("requested_at", "requested_by_name", "old_deadline", "requested_deadline", "reason", "status",
              "decided_by", "decided_at", "decision_comment")


class ServiceVisitInline(ReadOnlyInline):
    model = ServiceVisit
    fields = ("date", "description", "by")


class ReportInline(ReadOnlyInline):
    model = AuthorityReport
    fields = ("report_date", "addressee", "document", "comment", "by")


class AcceptanceInline(ReadOnlyInline):
    model = Acceptance
    fields = ("at", "result", "comment", "self_evaluation", "expert_evaluation", "government_acceptance", "by")


class HazardAdminForm(forms.ModelForm):
    """Detail edits only, with the lifecycle's rules: refused (with the reason) when the hazard
    may not be edited now or a field is fixed since the notice was issued."""

    # The version the form was loaded at: a save over someone else's change is refused.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Hazard
        fields = sorted(services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        try:
            check(self.instance, Action.EDIT, self.request_user)
        except ActionRefused as exc:
            raise ValidationError(exc.message) from None
        expected = cleaned.get("expected_version")
        if expected is not None and expected != self.instance.version:
            raise ValidationError(ChangedMeanwhile().message)
        return cleaned


@admin.register(Hazard)
class HazardAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    form = HazardAdminForm
    list_display = ("number", "site", "unit", "category", "severity", "status", "deadline", "overdue",
                    "discovered_on")
    # Date filters instead of a date hierarchy: the hierarchy reads MIN/MAX of the date over the
    # filtered rows on every page, which PostgreSQL answers by walking the date's index (0.2 s for a
    # search at 200,000 hazards).
    list_filter = ("status", "severity", "category", "unit", "source", ("discovered_on", admin.DateFieldListFilter),
                   ("deadline", admin.DateFieldListFilter))
    search_fields = ("number", "description", "site__name", "site__code", "location")
    list_select_related = ("site", "unit", "category")
    list_per_page = 50
    show_full_result_count = False  # a count(*) over the whole table per page is what the ledger avoids too
    raw_id_fields = ("site", "discovered_by", "source_result")
    readonly_fields = ("number", "status", "site", "unit", "source", "source_result", "discovered_by", "version",
                       "supervision_count", "void_reason", "created_at", "updated_at", "notified_at",
                       "accepted_at", "closed_at")
    fieldsets = (
        (None, {"fields": ("expected_version", "number", "status", "site", "unit", "location", "description",
                           "category", "severity", "basis", "source", "source_result", "discovered_by",
                           "discovered_on")}),
        (_("Responsible party and rectification"), {"fields": (
            "responsible_name", "responsible_email", "responsible_phone", "required_measures", "deadline")}),
        (_("Five in place (五落实, major hazards)"), {"classes": ("collapse",), "fields": (
            "five_responsible_person", "five_measures", "five_funds", "five_deadline", "five_contingency_plan")}),
        (_("Governance plan (major hazards)"), {"classes": ("collapse",), "fields": (
            "plan_goal", "plan_methods", "plan_funds_materials", "plan_organisation", "plan_time_limit",
            "plan_safety_measures")}),
        (_("Record"), {"fields": ("version", "supervision_count", "void_reason", "created_at", "updated_at",
                                  "notified_at", "accepted_at", "closed_at")}),
    )
    inlines = [HazardEventInline, HazardPhotoInline, NoticeInline, ReplyInline, ExtensionInline, ServiceVisitInline,
               ReportInline, AcceptanceInline]

    def get_queryset(self, request):
        return with_overdue(super().get_queryset(request))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    @admin.display(description=_("overdue"), boolean=True, ordering="is_overdue")
    def overdue(self, obj):
        return obj.is_overdue

    def has_add_permission(self, request):
        # Registration takes a gap-free number and writes history: only through the pages.
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a hazard is voided, never deleted

    def get_readonly_fields(self, request, obj=None):
        # The same rule as the pages, asked of the lifecycle: editable while its table allows
        # this user EDIT (registered or notified, staff in scope), less the notice's commitments
        # once notified (lifecycle.fixed_fields); otherwise the whole file is read-only.
        if obj is None:
            return self.readonly_fields
        try:
            check(obj, Action.EDIT, request.user)
        except ActionRefused:
            return [f.name for f in Hazard._meta.fields]
        return (*self.readonly_fields, *sorted(fixed_fields(obj)))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        if not fields:
            return
        try:
            saved = services.hazard_update(hazard=obj, by=request.user,
                                           expected_version=form.cleaned_data.get("expected_version"), **fields)
        except (ActionRefused, ValidationError) as exc:
            # Lost a race after the form was validated: nothing was saved; say so.
            self.message_user(request, getattr(exc, "message", str(exc)), messages.ERROR)
            return
        obj.version = saved.version


@admin.register(RiskCategory)
class RiskCategoryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "score", "active")
    list_editable = ("score", "active")
    list_filter = ("active",)
    search_fields = ("code", "name", "description")
    ordering = ("code",)

    def has_delete_permission(self, request, obj=None):
        return False  # categories are deactivated: hazards point at them


@admin.register(WhitelistEntry)
class WhitelistEntryAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("site", "item", "frozen_until", "hazard", "created_by", "created_at", "revoked_at")
    list_filter = ("frozen_until", "revoked_at")
    search_fields = ("site__name", "site__code", "item__code", "item__title", "hazard__number")
    list_select_related = ("site", "item", "hazard", "created_by")
    raw_id_fields = ("site", "item", "hazard")
    readonly_fields = ("created_by", "created_at")

    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # Site, item and origin are what the entry is; a revoked entry is a record only.
        fixed = ("site", "item", "hazard", "revoked_at", *self.readonly_fields)
        return [f.name for f in WhitelistEntry._meta.fields] if obj.revoked_at else fixed

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            if change:
                services.whitelist_update(entry=obj, by=request.user, frozen_until=data["frozen_until"],
                                          reason=data.get("reason", ""))
            else:
                obj.pk = services.whitelist_add(site=data["site"], item=data["item"], hazard=data.get("hazard"),
                                                frozen_until=data["frozen_until"], reason=data.get("reason", ""),
                                                by=request.user).pk
        except ValidationError as exc:
            # Checked again under the row lock; the form showed the same rules (rare race).
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class WhitelistForm(form):
            def clean(self):
                data = super().clean()
                site, hazard, item = data.get("site"), data.get("hazard"), data.get("item")
                if hazard is not None and site is not None and hazard.site_id != site.pk:
                    self.add_error("hazard", _("The hazard belongs to another site."))
                if item is not None and not item.is_leaf:
                    self.add_error("item", _("Only a checklist item without sub-items can be whitelisted."))
                frozen_until = data.get("frozen_until")
                if self.instance.pk is None and frozen_until is not None and frozen_until <= local_today():
                    self.add_error("frozen_until", _("The freeze period must end in the future."))
                return data

        return WhitelistForm

    @admin.action(description=_("Revoke the selected entries"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        for entry in queryset:
            services.whitelist_revoke(entry=entry, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead (revoked at): the record of exemptions stays


@admin.register(Notice)
class NoticeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("number", "kind", "site", "addressee", "deadline", "issued_by", "issued_at", "document_link",
                    "acknowledged_at")
    list_filter = ("kind", "language")
    search_fields = ("number", "addressee", "site__name", "site__code", "hazards__number")
    date_hierarchy = "issued_at"
    list_select_related = ("site", "issued_by")
    show_full_result_count = False
    actions = ["send_email"]

    @admin.action(description=_("Send the notice e-mail (with its PDF) to the addressee"), permissions=["view"])
    def send_email(self, request, queryset):
        """Through the same service as the hazard page's button: role and unit scope checked, one
        new outbox message per notice."""
        sent, refused = [], []
        for notice in queryset.select_related("site__unit"):
            try:
                services.notice_email_send(notice=notice, by=request.user)
                sent.append(notice.number)
            except (ActionRefused, ValidationError) as exc:
                reason = exc.message if isinstance(exc, ActionRefused) else " ".join(exc.messages)
                refused.append(f"{notice.number}: {reason}")
        if sent:
            self.message_user(request, _("Queued for sending: %(numbers)s.") % {"numbers": ", ".join(sent)},
                              messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in Notice._meta.fields), "hazards", "document_link"]

    @admin.display(description=_("document"))
    def document_link(self, obj):
        if not obj.file:
            return "—"
        return format_html('<a href="{}">{}</a> <small>SHA-256 {}…</small>', obj.file.url, obj.number,
                           obj.sha256[:12])

    def has_add_permission(self, request):
        return False  # notices are issued by notify / supervise, rendered once

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
