from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = _("Risk and KPIs")
    # The history of risk levels and the statistics reports are read in the admin; administrators
    # keep the risk warning contacts (the weights and thresholds: superusers only).
    _view = ["kpis.view_siteriskchange", "kpis.view_riskwarning", "kpis.view_statisticsreport"]
    role_permissions = {
        "manager": _view, "leader": _view,
        "admin": _view + ["kpis.view_riskcontact", "kpis.add_riskcontact", "kpis.change_riskcontact"],
    }

    def ready(self):
        # The ledger offers the KPI sets as its `?set=` filter, so every figure links to its hazards.
        from functools import partial

        from hazards.filters import register_ledger_set
        from hazards.hooks import hazard_changed
        from org import scoping

        from . import rules, selectors, services

        # The weights and thresholds apply to every unit: superusers only.
        scoping.register("kpis.RiskSettings", scoping.RESTRICTED)
        scoping.register("kpis.RiskContact", "unit")
        scoping.register("kpis.SiteRiskChange", "site__unit")
        scoping.register("kpis.RiskWarning", "change__site__unit")
        scoping.register("kpis.StatisticsReport", "unit")
        # Every recorded hazard action recomputes its site's risk level, in the action's transaction.
        hazard_changed.register(services.hazard_changed)
        # The summary tables follow every saved hazard, service visit and authority report, in the
        # writer's transaction (kpis.tallies).
        from django.db.models.signals import post_delete, post_save, pre_save

        from hazards.models import AuthorityReport, Hazard, ServiceVisit

        from . import tallies

        scoping.register("kpis.HazardTally", "unit")
        scoping.register("kpis.CategoryTally", "unit")
        scoping.register("kpis.OpenTally", "unit")
        scoping.register("kpis.CloseTally", "unit")
        pre_save.connect(tallies.hazard_pre_save, sender=Hazard, dispatch_uid="kpis_tally_pre")
        post_save.connect(tallies.hazard_post_save, sender=Hazard, dispatch_uid="kpis_tally_post")
        post_delete.connect(tallies.hazard_post_delete, sender=Hazard, dispatch_uid="kpis_tally_delete")
        for model in (ServiceVisit, AuthorityReport):
            post_save.connect(tallies.related_changed, sender=model, dispatch_uid=f"kpis_tally_{model.__name__}")
            post_delete.connect(tallies.related_changed, sender=model,
                                dispatch_uid=f"kpis_tally_{model.__name__}_delete")

        for key, hazard_set in rules.SETS.items():
            register_ledger_set(key, hazard_set.label, partial(_apply, key=key, apply=selectors.apply_set))


def _apply(queryset, today, *, key, apply):
    return apply(queryset, key, today)
