from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from hazards.models import Notice
from notifications import services
from notifications.delivery import message_deliver
from notifications.models import Message


class Command(BaseCommand):
    help = ("(Re)send the e-mail of an issued hazard or supervision notice with its stored PDF to the party, or to "
            "--to. Queues the message and delivers it now; the last line says what happened.")

    def add_arguments(self, parser):
        parser.add_argument("number", help="notice number, e.g. GZ-2026-00001 or DD-2026-00001")
        parser.add_argument("--to", default="", help="send to this address instead of the notice's addressee")

    def handle(self, *args, number, to, **options):
        notice = Notice.objects.select_related("site", "unit").filter(number=number.strip()).first()
        if notice is None:
            raise CommandError(f"no notice numbered {number!r}")
        try:
            with transaction.atomic():
                message = services.notice_email_enqueue(notice=notice, to=to, resend=True)
                # Delivered here, under the row's lock; the task dispatched at commit then finds it sent.
                result = message_deliver(ids=[message.pk])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        message.refresh_from_db()
        if message.status != Message.Status.SENT:
            raise CommandError(f"notice {notice.number} to {message.recipient_address}: {message.get_status_display()} "
                               f"({message.last_error}); the outbox retries it (message {message.pk})")
        self.stdout.write(f"sent {result.sent}: notice {notice.number} to {message.recipient_address} "
                          f"(message {message.pk})")
