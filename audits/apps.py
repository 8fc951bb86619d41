from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = _("Inspections")
    # Inspections in the admin (the pages and services check audits.lifecycle).
    _view = ["audits.view_inspection", "audits.view_inspectionresult", "audits.view_inspectionevent"]
    _change = ["audits.change_inspection", "audits.change_inspectionresult"]
    role_permissions = {"inspector": _view, "leader": _view, "manager": _view + _change, "admin": _view + _change}

    def ready(self):
        from org import scoping
        from org.services import site_move_follower

        from .services import inspections_follow_site

        scoping.register("audits.Inspection", "unit")
        scoping.register("audits.InspectionResult", "inspection__unit")
        scoping.register("audits.ResultPhoto", "result__inspection__unit")
        scoping.register("audits.InspectionEvent", "inspection__unit")
        site_move_follower(inspections_follow_site)
        # The site page lists the site's inspections (org asks through its hook).
        from org import hooks as org_hooks

        from . import selectors

        org_hooks.site_panels.register(selectors.site_panel)
