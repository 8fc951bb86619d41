"""python manage.py rebuild_kpi_tallies [--check]

Recounts the KPI summary tables (kpis.tallies) from the hazards: needed only after writes that
send no Django signal (a bulk load with COPY, QuerySet.update, restoring a dump of the hazards
without the tallies). --check changes nothing: it lists the cells that differ from the hazards and
exits with status 1 if there are any. The last line is the count (rows written, or cells that
differ)."""

from django.core.management.base import BaseCommand, CommandError

from ... import tallies


class Command(BaseCommand):
    help = "Recount the KPI summary tables from the hazards (or, with --check, list the differences)."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="list differing cells, change nothing")

    def handle(self, *args, check=False, **options):
        if check:
            lines = tallies.differences()
            for line in lines:
                self.stdout.write(line)
            self.stdout.write(str(len(lines)))
            if lines:
                raise CommandError(f"{len(lines)} tally cells differ from the hazards; "
                                   "run manage.py rebuild_kpi_tallies")
            return
        self.stdout.write(str(tallies.rebuild()))
