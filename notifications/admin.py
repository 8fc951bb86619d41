from django.contrib import admin

from .models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_run_at", "runs", "worker")
    readonly_fields = ("name", "last_run_at", "runs", "worker")

    def has_add_permission(self, request):
        return False
