"""Reads of the portal for the staff side."""

from django.db.models import Prefetch

from hazards.models import Hazard
from org.roles import MANAGING_ROLES
from org.selectors import user_membership

from . import services
from .models import PartyLink


def hazard_panel(*, hazard, user) -> dict | None:
    """The party's links to the hazard's notices, on the hazard page (hazards.hooks.hazard_panels):
    to whom each went, whether it was opened, whether it still works; managers may revoke it, or
    revoke it and send the notice again with a new link. Two queries, whatever the number of links."""
    notices = list(hazard.notices.all())  # prefetched by hazards.selectors.hazard_get
    if not notices:
        return None
    links = list(PartyLink.objects.filter(notice__in=notices).select_related("notice", "revoked_by")
                 .prefetch_related(Prefetch("notice__hazards", queryset=Hazard.objects.only("id", "status",
                                                                                            "deadline")))
                 .order_by("-created_at", "-id"))
    if not links:
        return None
    membership = user_membership(user)
    rows = [{"link": link, "state": services.link_state(link, link.notice.hazards.all()),
             "expires": services.link_expires_at(link, link.notice.hazards.all())} for link in links]
    return {"template": "portal/_hazard_panel.html", "party_links": rows,
            "may_revoke": user.is_superuser or (membership is not None and membership.role in MANAGING_ROLES)}
