from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Responsible party's portal")
    # The party's links and what the party did through them, read (and revoked) in the admin.
    _links = ["portal.view_partylink", "portal.change_partylink", "portal.view_partyaction"]
    role_permissions = {"manager": _links, "admin": _links}

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
