"""python manage.py hazard_statistics --unit CODE --from YYYY-MM-DD --to YYYY-MM-DD
[--format json|xlsx|pdf] [--output PATH] [--lang zh-hans|en]

json (the default) prints one object with every KPI: counts and rates as numbers, rates in
percent to 2 places, null where there is no denominator. xlsx and pdf write the statistics report
(with the principal's signature line) to --output, or to standard output as bytes."""

import datetime
import json
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from org.models import OrgUnit
from org.validators import command_date

from ... import reports


def _date(value: str, option: str) -> datetime.date:
    return command_date(value, option)


class Command(BaseCommand):
    help = "Hazard statistics of a unit's subtree for a period, as JSON, xlsx or PDF."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="code of the org unit (its whole subtree counts)")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--format", choices=("json", "xlsx", "pdf"), default="json")
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument("--lang", choices=("zh-hans", "en"), default=None, help="language of xlsx and pdf")

    def handle(self, *args, unit, start, end, format, output, lang, **options):
        start, end = _date(start, "--from"), _date(end, "--to")
        if start > end:
            raise CommandError("--from must not be after --to")
        try:
            org_unit = OrgUnit.objects.get(code=unit)
        except OrgUnit.DoesNotExist:
            raise CommandError(f"no org unit with the code {unit!r}") from None
        data = reports.statistics_data(unit=org_unit, start=start, end=end)
        if format == "json":
            text = json.dumps(data, ensure_ascii=False, indent=2)
            if output:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(text + "\n")
            else:
                self.stdout.write(text)
            return
        with translation.override(lang or settings.LANGUAGE_CODE):
            title = reports.default_title(org_unit.name, start, end)
        if format == "xlsx":
            content = reports.render_statistics_xlsx(data, title=title, language=lang)
        else:
            content = reports.render_statistics_pdf(data, title=title, language=lang)
        if output:
            with open(output, "wb") as handle:
                handle.write(content)
            self.stderr.write(f"wrote {output} ({len(content)} bytes)")
        else:
            sys.stdout.buffer.write(content)
