from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audits import documents
from audits.models import Inspection


class Command(BaseCommand):
    help = "Write an inspection's report (roll-up table, problems and measures) as PDF or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("id", type=int)
        parser.add_argument("--format", dest="fmt", choices=documents.FORMATS, required=True)
        parser.add_argument("--output", required=True)
        parser.add_argument("--lang", choices=documents.LANGUAGES, default=None)

    def handle(self, *args, **options):
        try:
            inspection = Inspection.objects.get(pk=options["id"])
        except Inspection.DoesNotExist as exc:
            raise CommandError(f"No inspection with id {options['id']}.") from exc
        content = documents.render_report(inspection, fmt=options["fmt"], language=options["lang"])
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(content)
        self.stdout.write(f"{output} ({len(content):,} bytes)")
