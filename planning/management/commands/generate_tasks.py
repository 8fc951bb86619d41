import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from org.validators import command_date
from planning import services


def _date(value: str) -> datetime.date:
    return command_date(value, "--date")


class Command(BaseCommand):
    help = ("Generate the inspection tasks due within the horizon (what the daily beat job runs): schedules "
            "for new sites, missed tasks marked, new tasks created. Prints the number of tasks created last.")

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_date, default=None, help="the day to plan from (default: today)")
        parser.add_argument("--horizon", type=int, default=None,
                            help="days ahead (default: PLANNING_HORIZON_DAYS, 30)")

    def handle(self, *args, **options):
        horizon = settings.PLANNING_HORIZON_DAYS if options["horizon"] is None else options["horizon"]
        if horizon < 0:
            raise CommandError("--horizon cannot be negative.")
        result = services.planning_run(today=options["date"], horizon=horizon)
        self.stdout.write(f"schedules created {result.schedules_created}, tasks missed {result.missed}, "
                          f"reviews created {result.reviews}, reminders queued {result.reminders}, "
                          f"tasks created {result.created}")
        self.stdout.write(str(result.created))
