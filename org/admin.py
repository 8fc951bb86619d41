from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from . import scoping, services
from .admin_scope import ScopedAdminMixin
from .filters import TextSearchFilter
from .models import Membership, OrgUnit, Role, Site
from .views import AdminPaginator


class ReadOnlyInline(ScopedAdminMixin, admin.TabularInline):
    """Records shown on their parent's page, never added, changed or deleted from the admin (a
    hazard's documents and replies, any history)."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + [f for f in (self.fields or ()) if hasattr(self, f)]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryInline(ReadOnlyInline):
    """An object's immutable history, oldest first, with its status labels (rows of a model with
    org.models.StatusEventLabels)."""

    ordering = ("at", "id")

    @admin.display(description=_("from"))
    def from_name(self, obj):
        return obj.from_display

    @admin.display(description=_("to"))
    def to_name(self, obj):
        return obj.to_display


class IndexedSearchAdminMixin:
    """The admin's search box answered like the lists' (org.filters.TextSearchFilter): each word
    must appear in one of `search_fields` (plain field paths, no ^ = @ prefixes); fields across a
    relation are looked up by ids first, so that the trigram indexes answer instead of a scan of
    the table joined to the related one. Its pages sort few matches after the filter, as the lists
    do (org.views.AdminPaginator)."""

    paginator = AdminPaginator

    def get_search_results(self, request, queryset, search_term):
        search = TextSearchFilter(fields=tuple(self.get_search_fields(request)))
        for word in smart_split(search_term):
            if word[:1] in ('"', "'") and word[-1:] == word[:1]:
                word = unescape_string_literal(word)
            queryset = search.filter(queryset, word)
        return queryset, False  # only forward relations are searched: no duplicate rows


@admin.register(OrgUnit)
class OrgUnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("indented_name", "code", "kind", "parent", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "code")
    readonly_fields = ("path", "depth")
    fields = ("code", "name", "kind", "parent", "active", "path", "depth")
    autocomplete_fields = ("parent",)
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj):
        return "\u3000" * obj.depth + obj.name

    def get_readonly_fields(self, request, obj=None):
        fields = (*self.readonly_fields, "code") if obj else self.readonly_fields
        if obj is not None and not scoping.unit_in_scope(request.user, obj.parent):
            # An account's own root unit: its place in the tree is above the account's reach.
            fields = (*fields, "parent")
        return fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.orgunit_update(unit=obj, name=data["name"], kind=data["kind"],
                                            parent=data.get("parent", obj.parent), active=data["active"],
                                            by=request.user)
        else:
            saved = services.orgunit_create(code=data["code"], name=data["name"], kind=data["kind"],
                                            parent=data.get("parent"), by=request.user)
        obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth

    def has_delete_permission(self, request, obj=None):
        # Units are deactivated, never deleted: hazards and history point at them.
        return False


@admin.register(Site)
class SiteAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "unit", "site_class", "category", "voltage_level", "active")
    list_filter = ("site_class", "category", "voltage_level", "active", "inspection_cycle_months")
    search_fields = ("code", "name", "address", "contact_name")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj else ()

    def save_model(self, request, obj, form, change):
        # Through the services: a new owning unit moves the site's inspections, hazards and notices
        # with it (org.services.site_move), in one transaction with their history.
        data = form.cleaned_data
        if not change:
            fields = {name: data[name] for name in form.fields if name in data}
            saved = services.site_create(by=request.user, **fields)
            obj.pk = saved.pk
            return
        fields = {name: data[name] for name in form.changed_data if name in services.SITE_FIELDS}
        if fields:
            services.site_update(site=obj, by=request.user, **fields)
        if "unit" in form.changed_data:
            services.site_move(site=obj, unit=data["unit"], by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("unit", "role", "phone")

    def clean_role(self):
        role = self.cleaned_data["role"]
        if role not in self.grantable_roles:
            raise ValidationError(_("Select a valid choice. %(value)s is not one of the available choices."),
                                  params={"value": role}, code="invalid_choice")
        return role


class MembershipInline(ScopedAdminMixin, admin.StackedInline):
    """The user's unit and role. Saved through org.services.membership_set (never by the formset),
    which keeps the role's group and the staff flag in step and checks the scope again."""

    model = Membership
    form = MembershipForm
    can_delete = False
    autocomplete_fields = ("unit",)
    fields = ("unit", "role", "phone")
    extra = 0
    max_num = 1

    def get_min_num(self, request, obj=None, **kwargs):
        # Every account a unit administrator makes belongs to a unit of theirs: without one it
        # could not be reached again. Superusers may keep accounts without a unit (company IT).
        return 0 if request.user.is_superuser else 1

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        grantable = services.roles_grantable_by(request.user)
        formset.form.grantable_roles = grantable
        role = formset.form.base_fields["role"]
        role.choices = [(v, label) for v, label in role.choices if v in grantable]
        return formset


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    """Superusers get Django's whole user admin. Every other administrator manages the accounts of
    their unit subtree: names, e-mail, password, active, and the unit and role (from org.models.Role,
    never administrator) on the membership; never superuser or staff flags, groups or permissions
    (the staff flag and the group follow the role, org.services.membership_set). Administrators and
    superusers are shown to them read-only."""

    inlines = [MembershipInline]
    list_display = ("username", "first_name", "email", "membership_unit", "membership_role", "is_active")
    list_select_related = ("membership__unit",)
    list_filter = ("is_active", "is_staff", "membership__role")
    unit_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active",)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description=_("unit"), ordering="membership__unit__path")
    def membership_unit(self, obj):
        m = getattr(obj, "membership", None)
        return m.unit if m else "—"

    @admin.display(description=_("role"))
    def membership_role(self, obj):
        m = getattr(obj, "membership", None)
        return m.get_role_display() if m else "—"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not request.user.is_superuser:
            queryset = queryset.filter(is_superuser=False)
        return queryset

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return super().get_fieldsets(request, obj)
        return self.unit_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        return ("last_login", "date_joined")

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return filters if request.user.is_superuser else [f for f in filters if f != "is_staff"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and not request.user.is_superuser and (
                obj.is_superuser or getattr(getattr(obj, "membership", None), "role", None) == Role.ADMIN):
            return False  # only superusers change administrators
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            obj.is_staff = obj.is_superuser = False
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for membership_form in formset.forms:
            data = membership_form.cleaned_data
            if not data or not (membership_form.has_changed() or not change):
                continue
            existed = membership_form.instance.pk is not None
            membership = services.membership_set(user=form.instance, unit=data["unit"], role=data["role"],
                                                 phone=data.get("phone", ""), by=request.user)
            if existed:
                formset.changed_objects.append((membership, membership_form.changed_data))
            else:
                formset.new_objects.append(membership)


admin.site.site_header = _("Hazard investigation and rectification — administration")
admin.site.site_title = _("Hazard tracker admin")
admin.site.index_title = _("Administration")
