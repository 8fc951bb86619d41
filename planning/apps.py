from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Inspection planning")

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
