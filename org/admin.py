from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _

from . import services
from .filters import TextSearchFilter
from .models import Membership, OrgUnit, Site
from .selectors import scope_queryset
from .views import AdminPaginator


class UnitScopedAdminMixin:
    """Admin querysets follow the same unit scoping as the pages (superusers see everything)."""

    unit_field = "unit"

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.unit_field)


class ReadOnlyInline(admin.TabularInline):
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
class OrgUnitAdmin(UnitScopedAdminMixin, admin.ModelAdmin):
    unit_field = ""
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
        return (*self.readonly_fields, "code") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = services.orgunit_update(unit=obj, name=data["name"], kind=data["kind"],
                                            parent=data.get("parent"), active=data["active"])
        else:
            saved = services.orgunit_create(code=data["code"], name=data["name"], kind=data["kind"],
                                            parent=data.get("parent"))
        obj.pk, obj.path, obj.depth = saved.pk, saved.path, saved.depth

    def has_delete_permission(self, request, obj=None):
        # Units are deactivated, never deleted: hazards and history point at them.
        return False


@admin.register(Site)
class SiteAdmin(IndexedSearchAdminMixin, UnitScopedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "unit", "site_class", "category", "voltage_level", "active")
    list_filter = ("site_class", "category", "voltage_level", "active", "inspection_cycle_months")
    search_fields = ("code", "name", "address", "contact_name")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ("unit",)
    extra = 0


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [MembershipInline]
    list_display = ("username", "first_name", "email", "membership_unit", "membership_role", "is_active")
    list_select_related = ("membership__unit",)
    list_filter = ("is_active", "is_staff", "membership__role")

    @admin.display(description=_("unit"), ordering="membership__unit__path")
    def membership_unit(self, obj):
        m = getattr(obj, "membership", None)
        return m.unit if m else "—"

    @admin.display(description=_("role"))
    def membership_role(self, obj):
        m = getattr(obj, "membership", None)
        return m.get_role_display() if m else "—"

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, "membership__unit")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        membership = Membership.objects.filter(user=form.instance).first()
        if membership:
            services.membership_set(user=form.instance, unit=membership.unit, role=membership.role,
                                    phone=membership.phone)


admin.site.site_header = _("Hazard investigation and rectification — administration")
admin.site.site_title = _("Hazard tracker admin")
admin.site.index_title = _("Administration")
