from django.core.management.base import BaseCommand

from notifications.delivery import deliver_due


class Command(BaseCommand):
    help = ("Send every outbox message that is due now (queued, or failed with its retry due), through the "
            "same code as the Celery task; the last line gives the counts.")

    def handle(self, *args, **options):
        result = deliver_due()
        if result.skipped:
            self.stdout.write(f"skipped {result.skipped} (being sent by a worker meanwhile)")
        self.stdout.write(f"sent {result.sent}, failed {result.failed}, dead {result.dead}")
