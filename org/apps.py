from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Organisation")
    # The admin permissions each role's group gets (org.roles.role_permissions collects every app's,
    # whatever the app order; applied after every migrate). Roles by their values (org.models.Role).
    role_permissions = {
        "inspector": ["org.view_orgunit", "org.view_site"],
        "manager": ["org.view_orgunit", "org.view_site", "org.change_site", "org.add_site"],
        "leader": ["org.view_orgunit", "org.view_site"],
        "admin": ["org.view_orgunit", "org.add_orgunit", "org.change_orgunit",
                  "org.view_site", "org.add_site", "org.change_site",
                  "org.view_membership", "org.add_membership", "org.change_membership", "org.delete_membership",
                  "auth.view_user", "auth.add_user", "auth.change_user"],
    }

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_role_groups, dispatch_uid="org.sync_role_groups")
        _register_scopes()


# The project's own apps; every other app's models and admins are for superusers only.
OWN_APPS = ("org", "scoring", "audits", "hazards", "notifications", "portal", "planning", "kpis")


def _register_scopes():
    from django.conf import settings
    from django.contrib import admin

    from . import scoping
    from .admin_scope import restrict_foreign_admins

    scoping.register("org.OrgUnit", "")
    scoping.register("org.Site", "unit")
    scoping.register("org.Membership", "unit")
    scoping.register(settings.AUTH_USER_MODEL, "membership__unit")
    # Gap-free counters and one-time tokens are machinery, never edited by hand.
    scoping.register("org.NumberCounter", scoping.RESTRICTED)
    scoping.register("org.SubmissionToken", scoping.RESTRICTED)
    for app in apps.get_app_configs():
        if app.label not in OWN_APPS:
            scoping.register_app(app.label, scoping.RESTRICTED)
    restrict_foreign_admins(admin.site, OWN_APPS)


def _sync_role_groups(sender, **kwargs):
    # Runs after every app's migrations (the last installed app's signal) so that every app's
    # permissions exist.
    from django.apps import apps

    if sender.name != list(apps.get_app_configs())[-1].name:
        return
    from .services import sync_role_groups

    sync_role_groups()
