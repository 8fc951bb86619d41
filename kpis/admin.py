"""The KPI app in the admin, scoped to the user's unit subtree like the pages: the risk settings
(superusers: they apply to the whole installation), the warning contacts, the read-only history of
risk levels with their warning steps, and the statistics reports. Writes go through kpis.services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from org.admin import ReadOnlyInline
from org.admin_scope import ScopedAdminMixin

from . import services
from .models import RiskContact, RiskSettings, RiskWarning, SiteRiskChange, StatisticsReport


@admin.register(RiskSettings)
class RiskSettingsAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """RESTRICTED (kpis.apps): the weights and thresholds apply to every unit; superusers only."""

    list_display = ("__str__", "general_weight", "major_weight", "overdue_weight", "threshold_a", "threshold_b",
                    "threshold_c", "updated_at")
    fieldsets = (
        (_("Weights"), {"fields": ("general_weight", "major_weight", "overdue_weight")}),
        (_("Thresholds"), {"fields": ("threshold_a", "threshold_b", "threshold_c")}),
        (_("Level A reports"), {"fields": ("government_name", "government_email")}),
    )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_change_permission = has_view_permission

    def has_add_permission(self, request):
        return self.has_view_permission(request) and not RiskSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.risk_settings_save(config=obj, by=request.user)


@admin.register(RiskContact)
class RiskContactAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The unit and the leads offered are those of the user's subtree (ScopedAdminMixin)."""

    list_display = ("unit", "inspection_lead", "supervision_lead")
    list_select_related = ("unit", "inspection_lead", "supervision_lead")

    def save_model(self, request, obj, form, change):
        services.risk_contact_save(contact=obj, by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class RiskWarningInline(ReadOnlyInline):
    model = RiskWarning
    fields = ("step", "addressee", "message", "at")


@admin.register(SiteRiskChange)
class SiteRiskChangeAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """The history of risk levels, read only."""

    list_display = ("site", "from_level", "to_level", "score", "cause", "at")
    list_filter = ("to_level", "at")
    list_select_related = ("site",)
    inlines = [RiskWarningInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StatisticsReport)
class StatisticsReportAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Drafted by beat, signed on the report's page: read only here."""

    list_display = ("unit", "kind", "period_start", "period_end", "due_on", "status", "signed_by_name")
    list_filter = ("kind", "status")
    list_select_related = ("unit",)
    exclude = ("data",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
