from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Inspection planning")
    # Administrators keep the rules, schedules (per-site overrides), the risk register and review
    # cycles; tasks, draws and reviews are read there (the pages check planning.lifecycle).
    _view = ["planning.view_task", "planning.view_schedule", "planning.view_schedulerule",
             "planning.view_spotcheckplan", "planning.view_majorrisk", "planning.view_riskreview",
             "planning.view_reviewcycle", "planning.view_taskevent", "planning.view_riskreviewevent",
             "planning.view_spotcheckpick"]
    role_permissions = {
        "manager": _view, "leader": _view,
        "admin": _view + ["planning.add_schedulerule", "planning.change_schedulerule", "planning.change_schedule",
                          "planning.add_majorrisk", "planning.change_majorrisk", "planning.add_reviewcycle",
                          "planning.change_reviewcycle"],
    }

    def ready(self):
        from org import scoping
        from org.services import site_move_follower

        from .services import planning_follows_site

        for label in ("ScheduleRule", "Schedule", "Task", "SpotCheckPlan", "MajorRisk", "ReviewCycle", "RiskReview"):
            scoping.register(f"planning.{label}", "unit")
        scoping.register("planning.TaskEvent", "task__unit")
        scoping.register("planning.Task_inspectors", "task__unit")
        scoping.register("planning.SpotCheckPick", "plan__unit")
        scoping.register("planning.RiskReviewEvent", "review__unit")
        scoping.register("planning.ReviewCycle_risks", "reviewcycle__unit")
        site_move_follower(planning_follows_site)
