import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.lifecycle import SYSTEM, ActionRefused
from org.models import OrgUnit
from planning import services
from scoring.models import Standard


def _month(value: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError as exc:
        raise CommandError(f"--month: “{value}” is not a month (YYYY-MM).") from exc


class Command(BaseCommand):
    help = ("Draw the month's spot check of a unit's active sites with a recorded seed and create its tasks. "
            "Prints the chosen site codes, one per line, then their count; the same seed gives the same list.")

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="code of the unit whose sites are the population")
        parser.add_argument("--month", required=True, type=_month, help="YYYY-MM")
        parser.add_argument("--seed", required=True, type=int, help="random seed (recorded with the plan)")
        parser.add_argument("--dry-run", action="store_true", help="print the sample, save nothing")
        parser.add_argument("--percent", default=None, help="share of the population (default: the plan's, or 2)")
        parser.add_argument("--minimum", type=int, default=None, help="at least this many sites (default 3)")
        parser.add_argument("--proportions", default=None,
                            help='category weights, e.g. "mining:30,chemical:30,metallurgy:15,gas:15,*:10"')
        parser.add_argument("--standard", type=int, default=None, help="standard id (default: the unit's)")

    def handle(self, *args, **options):
        unit = OrgUnit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"--unit: no unit with code “{options['unit']}”.")
        standard = None
        if options["standard"] is not None:
            standard = Standard.objects.filter(pk=options["standard"]).first()
            if standard is None:
                raise CommandError(f"--standard: no standard with id {options['standard']}.")
        percentage = None
        if options["percent"] is not None:
            try:
                percentage = Decimal(options["percent"])
            except InvalidOperation as exc:
                raise CommandError(f"--percent: “{options['percent']}” is not a number.") from exc
        try:
            proportions = (services.parse_proportions(options["proportions"])
                           if options["proportions"] is not None else None)
            _plan, sample = services.spot_check_draw(
                unit=unit, month=options["month"], seed=options["seed"], percentage=percentage,
                minimum=options["minimum"], proportions=proportions, standard=standard,
                dry_run=options["dry_run"], by=SYSTEM)
        except (ActionRefused, ValidationError) as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for _site_id, code, _stratum in sample.picks:
            self.stdout.write(code)
        self.stdout.write(str(sample.size))
