from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Standards and scoring")
    # Standards and their items are kept in the admin by administrators (the pages check MANAGING_ROLES).
    role_permissions = {
        "admin": ["scoring.view_standard", "scoring.add_standard", "scoring.change_standard",
                  "scoring.delete_standard", "scoring.view_standarditem", "scoring.add_standarditem",
                  "scoring.change_standarditem", "scoring.delete_standarditem"],
    }

    def ready(self):
        from org import scoping

        # Standards are the company's: every unit scores against them, company-wide accounts keep them.
        scoping.register("scoring.Standard", scoping.SHARED)
        scoping.register("scoring.StandardItem", scoping.SHARED)
