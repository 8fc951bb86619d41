from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("Standards and scoring")

    def ready(self):
        from org import scoping

        # Standards are the company's: every unit scores against them, company-wide accounts keep them.
        scoping.register("scoring.Standard", scoping.SHARED)
        scoping.register("scoring.StandardItem", scoping.SHARED)
