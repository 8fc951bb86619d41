"""Django admin of planning, unit-scoped like the pages through org.admin_scope.ScopedAdminMixin
(each model's scope is registered in planning.apps): every changelist shows the user's unit subtree
only, and every drop-down of units, sites, people and risks offers only what lies in it.
Writes go through planning.services where there is a rule to keep (a rule saved re-syncs the
schedules; a schedule edited is an override with its next due date recomputed); tasks, draws and
reviews are read here and changed on the pages, where the lifecycle and history live."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.lifecycle import ActionRefused
from org.admin import HistoryInline, IndexedSearchAdminMixin, ReadOnlyInline
from org.admin_scope import ScopedAdminMixin

from . import services
from .models import (
    MajorRisk,
    ReviewCycle,
    RiskReview,
    RiskReviewEvent,
    Schedule,
    ScheduleRule,
    SpotCheckPick,
    SpotCheckPlan,
    Task,
    TaskEvent,
)


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "unit", "kind", "site_class", "voltage_from", "cycle_unit", "cycle_length", "season",
                    "use_site_cycle", "group", "active")
    list_filter = ("kind", "cycle_unit", "season", "active")
    search_fields = ("name",)
    list_select_related = ("unit", "group")

    def save_model(self, request, obj, form, change):
        result = services.rule_save(rule=obj, by=request.user)
        self.message_user(request, _("Schedules: %(created)s created, %(updated)s updated.")
                          % {"created": result.created, "updated": result.updated})

    def has_delete_permission(self, request, obj=None):
        return False  # deactivated, never deleted: schedules point at it


@admin.register(Schedule)
class ScheduleAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("site", "kind", "cycle_unit", "cycle_length", "season", "group", "last_done", "next_due",
                    "overridden", "active")
    list_filter = ("kind", "cycle_unit", "season", "overridden", "active")
    search_fields = ("site__name", "site__code")
    list_select_related = ("site", "group")
    readonly_fields = ("site", "unit", "rule", "kind", "start_date", "last_done", "next_due", "next_window_start",
                       "overridden")
    fields = ("site", "unit", "rule", "kind", "standard", "group", "cycle_unit", "cycle_length", "season",
              "window_days", "start_date", "last_done", "next_due", "next_window_start", "overridden", "active")

    def has_add_permission(self, request):
        return False  # made by the rules (schedules_sync)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            saved = services.schedule_update(schedule=obj, standard=data["standard"], group=data.get("group"),
                                             cycle_unit=data["cycle_unit"], cycle_length=data["cycle_length"],
                                             season=data.get("season") or "", window_days=data["window_days"],
                                             active=data["active"], by=request.user)
        except (ActionRefused, ValidationError) as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            return
        obj.next_due = saved.next_due


class TaskEventInline(HistoryInline):
    model = TaskEvent
    fields = ("at", "action", "from_name", "to_name", "actor", "comment")


@admin.register(Task)
class TaskAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("due_date", "site", "kind", "source", "group", "status", "inspection")
    list_filter = ("status", "kind", "source", ("due_date", admin.DateFieldListFilter))
    search_fields = ("title", "site__name", "site__code")
    list_select_related = ("site", "group", "inspection")
    inlines = [TaskEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Task._meta.fields] + ["inspectors"]

    def has_add_permission(self, request):
        return False  # the pages create tasks (one-time tokens, history)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PickInline(ReadOnlyInline):
    model = SpotCheckPick
    fields = ("rank", "site", "stratum")
    ordering = ("rank",)


@admin.register(SpotCheckPlan)
class SpotCheckPlanAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("month", "unit", "percentage", "minimum", "seed", "status", "population", "drawn_at")
    list_filter = ("status",)
    list_select_related = ("unit",)
    inlines = [PickInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in SpotCheckPlan._meta.fields]

    def has_add_permission(self, request):
        return False  # drawn on the spot-check page or with draw_spot_checks (seed recorded)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MajorRisk)
class MajorRiskAdmin(ScopedAdminMixin, IndexedSearchAdminMixin, admin.ModelAdmin):
    list_display = ("code", "category", "unit", "responsible", "active")
    list_filter = ("category", "active")
    search_fields = ("code", "description")
    list_select_related = ("unit", "responsible")

    def has_delete_permission(self, request, obj=None):
        return False  # reviews cite it; deactivate instead


@admin.register(ReviewCycle)
class ReviewCycleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("reviewer", "cadence", "unit", "start_date", "active")
    list_filter = ("cadence", "active")
    list_select_related = ("reviewer", "unit")
    filter_horizontal = ("risks",)

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewEventInline(HistoryInline):
    model = RiskReviewEvent
    fields = ("at", "action", "actor", "comment")


@admin.register(RiskReview)
class RiskReviewAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("due_date", "reviewer", "period_start", "period_end", "status", "done_at")
    list_filter = ("status",)
    list_select_related = ("reviewer",)
    inlines = [ReviewEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in RiskReview._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
