from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "hazards"
    verbose_name = _("Hazards")

    def ready(self):
        from audits import hooks
        from org import scoping
        from org.services import site_move_follower

        from . import selectors, services
        from .services import hazards_follow_site

        scoping.register("hazards.Hazard", "unit")
        # The risk dictionary scores every unit's sites alike: company-wide.
        scoping.register("hazards.RiskCategory", scoping.SHARED)
        for label in ("HazardPhoto", "HazardEvent", "WorkOrderReply", "ExtensionRequest", "ServiceRecord",
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
