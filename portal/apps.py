from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Responsible party's portal")

    def ready(self):
        from hazards import hooks
        from org import scoping

        from . import selectors

        hooks.hazard_panels.register(selectors.hazard_panel)

        # A link belongs to its notice's site's unit, like the notice; the party's records to the hazard's.
        scoping.register("portal.PartyLink", "notice__site__unit")
        scoping.register("portal.PartyAction", "hazard__unit")
        # Request counters are machinery.
        scoping.register("portal.Throttle", scoping.RESTRICTED)
