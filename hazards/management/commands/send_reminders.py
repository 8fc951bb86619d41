from django.core.management.base import BaseCommand

from hazards import reminders
from org.validators import command_date


class Command(BaseCommand):
    help = ("The daily reminder scan as of --date (default: today, the local date of TIME_ZONE): queues the "
            "reminders before and on the deadline, the overdue digests, the supervision notices to issue and the "
            "escalations that are due, each once. The last line gives the messages queued per kind.")

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="scan as of this day, YYYY-MM-DD (default: today)")

    def handle(self, *args, date, **options):
        today = command_date(date, "--date") if date else None
        counts = reminders.reminder_scan(today=today)
        self.stdout.write(reminders.format_counts(counts))
