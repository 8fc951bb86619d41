from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from org import scoping

        # Messages about no unit (e.g. to a whole-company role) are for company-wide accounts only.
        scoping.register("notifications.Message", "unit")
        scoping.register("notifications.Heartbeat", scoping.RESTRICTED)
        scoping.register("notifications.NotificationConfig", scoping.RESTRICTED)
