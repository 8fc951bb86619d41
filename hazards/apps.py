from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = _("Hazards")
    # The hazard file and its history are read in the admin; the lifecycle runs only through
    # hazards.services (the pages check hazards.lifecycle). Administrators keep the risk dictionary
    # and the whitelist.
    _view = ["hazards.view_hazard", "hazards.view_riskcategory", "hazards.view_notice", "hazards.view_whitelistentry"]
    role_permissions = {
        "inspector": _view, "manager": _view, "leader": _view,
        "admin": _view + [
            "hazards.change_hazard", "hazards.view_hazardevent", "hazards.view_hazardphoto",
            "hazards.view_workorderreply", "hazards.view_replyphoto", "hazards.view_extensionrequest",
            "hazards.view_servicevisit", "hazards.view_authorityreport", "hazards.view_acceptance",
            "hazards.add_riskcategory", "hazards.change_riskcategory",
            "hazards.add_whitelistentry", "hazards.change_whitelistentry",
        ],
    }

    def ready(self):
        from audits import hooks
        from org import scoping
        from org.services import site_move_follower

        from . import selectors, services
        from .services import hazards_follow_site

        scoping.register("hazards.Hazard", "unit")
        # The risk dictionary scores every unit's sites alike: company-wide.
        scoping.register("hazards.RiskCategory", scoping.SHARED)
        for label in ("HazardPhoto", "HazardEvent", "WorkOrderReply", "ExtensionRequest", "ServiceVisit",
                      "AuthorityReport", "Acceptance"):
            scoping.register(f"hazards.{label}", "hazard__unit")
        scoping.register("hazards.ReplyPhoto", "reply__hazard__unit")
        # A notice belongs to its site's unit (its `unit` is the issuing unit, printed on it).
        scoping.register("hazards.Notice", "site__unit")
        scoping.register("hazards.Notice_hazards", "notice__site__unit")
        scoping.register("hazards.WhitelistEntry", "site__unit")
        site_move_follower(hazards_follow_site)
        # What audits asks of hazards, answered here so that audits never imports hazards.
        hooks.exempt_items.register(services.whitelist_active_items)
        hooks.inspection_panels.register(selectors.findings_panel)
        from org import hooks as org_hooks

        org_hooks.site_panels.register(selectors.site_panel)
