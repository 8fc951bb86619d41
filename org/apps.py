from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_role_groups, dispatch_uid="org.sync_role_groups")


def _sync_role_groups(sender, **kwargs):
    # Runs after every app's migrations so that later apps' permissions exist.
    if sender.name != "notifications":
        return
    from .services import sync_role_groups

    sync_role_groups()
