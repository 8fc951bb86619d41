
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audits.imports import inspection_import_results
from audits.models import Inspection
from core.dates import today_local
from core.lifecycle import SYSTEM, ActionRefused
from org.models import OrgUnit, Site
from org.validators import command_date
from scoring.models import Standard
from scoring.xlsx import SheetImportError


class Command(BaseCommand):
    help = ("Create an inspection (a draft, or submitted with --submit) from an Excel sheet of results; prints "
            "the new inspection's id on its last line. All errors of a bad file are listed; nothing is saved.")

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--standard", type=int, required=True, help="id of an active standard")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--site", help="code of the inspected site")
        target.add_argument("--unit", help="code of the unit (self-assessment)")
        parser.add_argument("--kind", default=Inspection.Kind.SELF_ASSESSMENT, choices=Inspection.Kind.values)
        parser.add_argument("--date", help="inspection date YYYY-MM-DD (default: today)")
        parser.add_argument("--submit", action="store_true", help="submit at once (refused if leaves are unscored)")
        parser.add_argument("--user", help="user name recorded as creator (default: the system)")

    def handle(self, *args, **options):
        try:
            standard = Standard.objects.get(pk=options["standard"])
        except Standard.DoesNotExist as exc:
            raise CommandError(f"No standard with id {options['standard']}.") from exc
        site = unit = None
        if options["site"]:
            site = Site.objects.filter(code=options["site"]).select_related("unit").first()
            if site is None:
                raise CommandError(f"No site with code {options['site']}.")
        else:
            unit = OrgUnit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit with code {options['unit']}.")
        date = today_local()
        if options["date"]:
            date = command_date(options["date"], "--date")
        user = SYSTEM  # without --user the command acts as the system
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        try:
            inspection = inspection_import_results(
                file=options["path"], standard=standard, kind=options["kind"], date=date, site=site, unit=unit,
                submit=options["submit"], by=user,
            )
        except SheetImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s) in {options['path']}; nothing was saved.") from exc
        except (ActionRefused, ValidationError) as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError("Import refused; nothing was saved.") from exc
        self.stdout.write(f"Inspection {inspection.number} ({inspection.get_status_display()}) created from "
                          f"{options['path']}.")
        self.stdout.write(str(inspection.pk))
