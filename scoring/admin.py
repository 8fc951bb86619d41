from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.lifecycle import ActionRefused
from org.admin_scope import ScopedAdminMixin

from . import lifecycle, services
from .lifecycle import Action
from .models import Standard, StandardItem


@admin.register(Standard)
class StandardAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "version", "status", "item_count", "total_points", "activated_at", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "version", "description")
    ordering = ("name", "-created_at")
    readonly_fields = ("status", "total_points", "item_count", "source_filename", "previous", "created_by",
                       "created_at", "activated_at")
    fields = ("name", "version", "description", *readonly_fields)
    actions = ["activate_selected", "new_version_selected"]

    def get_readonly_fields(self, request, obj=None):
        # The lifecycle decides (scoring.lifecycle: only a draft changes, by a manager).
        if obj is not None and Action.EDIT not in lifecycle.allowed_actions(obj, request.user):
            return ("name", "version", "description", *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        # Active and retired versions are kept: inspections point at them.
        return super().has_delete_permission(request, obj) and (
            obj is None or Action.DELETE in lifecycle.allowed_actions(obj, request.user))

    def delete_model(self, request, obj):
        services.standard_delete_draft(standard=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for standard in queryset:
            services.standard_delete_draft(standard=standard, by=request.user)

    def _run(self, request, queryset, action, done):
        count = 0
        for standard in queryset:
            try:
                action(standard=standard, by=request.user)
                count += 1
            except (ActionRefused, ValidationError) as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
        if count:
            self.message_user(request, done(count), messages.SUCCESS)

    @admin.action(description=_("Activate the selected drafts"), permissions=["change"])
    def activate_selected(self, request, queryset):
        self._run(request, queryset, services.standard_activate,
                  lambda n: ngettext("%(n)d standard activated.", "%(n)d standards activated.", n) % {"n": n})

    @admin.action(description=_("Create a new draft version of the selected standards"), permissions=["add"])
    def new_version_selected(self, request, queryset):
        self._run(request, queryset, services.standard_new_version,
                  lambda n: ngettext("%(n)d draft created.", "%(n)d drafts created.", n) % {"n": n})


class StandardItemForm(forms.ModelForm):
    """Reports in the form what the services would refuse, instead of an error page."""

    class Meta:
        model = StandardItem
        fields = ["standard", "code", "title", "points", "criteria", "serious", "hazard_category_code", "hazard_major"]

    # Set by StandardItemAdmin.get_form: the lifecycle's EDIT is checked for this user.
    request_user = None

    def clean(self):
        data = super().clean()
        standard = data.get("standard") or getattr(self.instance, "standard", None)
        code = data.get("code")
        if standard is not None:
            try:
                lifecycle.check(standard, Action.EDIT, self.request_user or lifecycle.SYSTEM)
            except ActionRefused as exc:
                raise forms.ValidationError(str(exc)) from None
        if standard is not None and code and "." in code:
            parent_code = code.rpartition(".")[0]
            if not StandardItem.objects.filter(standard=standard, code=parent_code).exists():
                self.add_error("code", _("The parent item %(parent)s does not exist in this standard.")
                               % {"parent": parent_code})
        if self.instance.pk and code and code != self.instance.code and self.instance.children.exists():
            self.add_error("code", _("An item with sub-items cannot change its code."))
        return data


@admin.register(StandardItem)
class StandardItemAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Items of drafts are edited here through the services, which keep parents' points in step;
    items of active and retired versions are read-only."""

    form = StandardItemForm
    list_display = ("code", "title", "points", "serious", "is_leaf", "standard")
    list_display_links = ("code", "title")
    list_filter = ("standard__status", "serious", "is_leaf", "standard")
    search_fields = ("code", "title", "criteria", "standard__name")
    list_select_related = ("standard",)
    ordering = ("standard", "sort_key")
    fields = ("standard", "code", "title", "points", "criteria", "serious", "hazard_category_code", "hazard_major",
              "parent", "depth", "is_leaf")
    readonly_fields = ("parent", "depth", "is_leaf")
    list_per_page = 200

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and Action.EDIT not in lifecycle.allowed_actions(obj.standard, request.user):
            return self.fields
        if obj is not None:
            # The standard never changes; a parent's points are the sum of its sub-items.
            extra = ("standard", "points") if not obj.is_leaf else ("standard",)
            return (*self.readonly_fields, *extra)
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "standard":
            kwargs["queryset"] = Standard.objects.filter(status=Standard.Status.DRAFT)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or Action.EDIT in lifecycle.allowed_actions(obj.standard, request.user))

    def save_model(self, request, obj, form, change):
        services.standard_item_save(item=obj, by=request.user)

    def delete_model(self, request, obj):
        services.standard_item_delete(item=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for item in queryset.select_related("standard").order_by("-depth"):
            if StandardItem.objects.filter(pk=item.pk).exists():  # gone with a deleted parent
                services.standard_item_delete(item=item, by=request.user)
