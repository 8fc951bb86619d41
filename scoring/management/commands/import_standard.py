from django.core.management.base import BaseCommand, CommandError

from scoring import services
from scoring.xlsx import SheetImportError


class Command(BaseCommand):
    help = ("Import a standard (评价标准) from an xlsx sheet as a new draft version. Prints the new standard's id on "
            "its last line; on errors prints every error with its row and column and exits non-zero.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version V` is this command's own option: let it replace Django's --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx file")
        parser.add_argument("--name", required=True, help="the standard's name")
        parser.add_argument("--version", dest="standard_version", default=None,
                            help="version label (default: the next number for this name)")
        parser.add_argument("--description", default="")
        parser.add_argument("--activate", action="store_true", help="activate the new version at once")

    def handle(self, *args, path, name, standard_version, description, activate, **options):
        try:
            standard = services.standard_import_xlsx(file=path, name=name, version=standard_version,
                                                     description=description)
        except SheetImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s); nothing was imported.") from exc
        if activate:
            standard = services.standard_activate(standard=standard)
        self.stdout.write(f"{standard} [{standard.get_status_display()}]: {standard.item_count} items, "
                          f"{standard.total_points} points")
        self.stdout.write(str(standard.pk))
