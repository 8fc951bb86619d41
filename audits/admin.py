from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.lifecycle import ActionRefused
from org.admin import HistoryInline, IndexedSearchAdminMixin
from org.admin_scope import ScopedAdminMixin

from . import lifecycle, services
from .models import Inspection, InspectionEvent, InspectionResult


def may_record(inspection: Inspection, user) -> bool:
    """Whether `user` may change the inspection's results and details now (its lifecycle's RECORD)."""
    return lifecycle.Action.RECORD in lifecycle.allowed_actions(inspection, user)


class InspectionEventInline(HistoryInline):
    model = InspectionEvent
    fields = ("at", "action", "from_name", "to_name", "actor", "comment")


class InspectionResultInline(ScopedAdminMixin, admin.TabularInline):
    """Editable while the inspection is a draft (saved through audits.services, so the same rules
    apply as on the recording page); read-only once submitted."""

    model = InspectionResult
    extra = 0
    can_delete = False
    fields = ("item", "earned", "not_applicable", "serious_problems", "problem", "measure")
    readonly_fields = ("item",)
    ordering = ("item__sort_key",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The lifecycle decides (audits.lifecycle: results change while a draft, by staff).
        if obj is None or not may_record(obj, request.user):
            return self.fields
        return self.readonly_fields


@admin.register(Inspection)
class InspectionAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("number", "date", "site", "unit", "kind", "status", "standard")
    list_filter = ("status", "kind", "date", "standard")
    search_fields = ("number", "title", "site__name", "site__code", "unit__name", "unit__code")
    list_select_related = ("site", "unit", "standard")
    date_hierarchy = "date"
    inlines = [InspectionResultInline, InspectionEventInline]
    readonly_fields = ("number", "status", "standard", "site", "unit", "created_by", "created_at", "submitted_at",
                       "locked_at")
    fields = ("number", "status", "title", "kind", "standard", "site", "unit", "group", "inspectors", "date",
              "summary", "created_by", "created_at", "submitted_at", "locked_at")
    filter_horizontal = ("inspectors",)

    def has_add_permission(self, request):
        # Created through the pages or the import (numbering, one result per leaf, history).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Details change with the results (audits.services.inspection_update checks RECORD).
        if obj is not None and not may_record(obj, request.user):
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Details through the service (draft only, group and inspectors in scope, history row).
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in services.EDITABLE_FIELDS}
        if fields:
            services.inspection_update(inspection=obj, by=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        # No form.save_m2m(): the inspectors were set by inspection_update.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not InspectionResult:
            return super().save_formset(request, form, formset, change)
        # The admin's change message reads these lists, which formset.save() would have filled.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for result_form in formset.forms:
            if not result_form.has_changed():
                continue
            data = result_form.cleaned_data
            result = result_form.instance
            try:
                saved = services.result_save(
                    inspection=form.instance, item=result.item, earned=data.get("earned"),
                    not_applicable=data.get("not_applicable", False),
                    serious_problems=data.get("serious_problems") or 0,
                    problem=data.get("problem", ""), measure=data.get("measure", ""), finding=result.finding,
                    by=request.user,
                )
            except (ActionRefused, ValidationError) as exc:
                self.message_user(request, _("%(code)s not saved: %(errors)s")
                                  % {"code": result.item.code, "errors": " ".join(exc.messages)}, level="error")
            else:
                formset.changed_objects.append((saved, result_form.changed_data))
