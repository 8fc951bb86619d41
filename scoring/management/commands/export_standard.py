from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from scoring import services
from scoring.models import Standard


class Command(BaseCommand):
    help = "Export a standard to an xlsx sheet that import_standard reads back to the same tree."

    def add_arguments(self, parser):
        parser.add_argument("standard_id", type=int)
        parser.add_argument("--output", required=True, help="where to write the .xlsx file")

    def handle(self, *args, standard_id, output, **options):
        standard = Standard.objects.filter(pk=standard_id).first()
        if standard is None:
            raise CommandError(f"No standard with id {standard_id}.")
        path = Path(output)
        if path.suffix.lower() != ".xlsx":
            raise CommandError("The output file must end in .xlsx.")
        try:
            path.write_bytes(services.standard_export_xlsx(standard))
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"{standard}: {standard.item_count} items written to {path}")
