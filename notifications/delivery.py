"""Delivery of outbox rows: the one code path of the Celery task, the sweeper and `deliver_outbox`.

Exactly-once as far as a database can make it: the rows are locked (SELECT … FOR UPDATE SKIP
LOCKED) for the whole attempt, and only rows still queued or failed and due are sent, so two
workers (or a worker and the command) never send one message twice, and a task delivered twice
by the broker (acks late) finds the row sent and does nothing. The one gap left is a crash between
the mail server's acceptance and our commit: the message is then sent again on the next attempt,
with the same Message-ID, which mail clients use to show it once."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from .attachments import AttachmentChanged, AttachmentRef, read_verified
from .models import Channel, Message

logger = logging.getLogger(__name__)

# Faults that no retry can cure: the row goes dead at once.
PERMANENT = (AttachmentChanged,)


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0  # locked by another worker, already sent, or not due
    retry_ids: list[int] = field(default_factory=list)
    next_retry_at: datetime.datetime | None = None

    def add(self, other: DeliveryResult) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.dead += other.dead
        self.skipped += other.skipped
        self.retry_ids += other.retry_ids
        if other.next_retry_at and (self.next_retry_at is None or other.next_retry_at < self.next_retry_at):
            self.next_retry_at = other.next_retry_at


def backoff_seconds(attempts: int) -> int:
    """Wait before attempt `attempts + 1`: doubling from NOTIFY_RETRY_BASE_SECONDS, capped."""
    return min(settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), settings.NOTIFY_RETRY_MAX_SECONDS)


def dispatch(ids: list[int]) -> None:
    """Publish delivery tasks for `ids` (in batches). Never raises: with the broker down the rows
    stay queued and the sweeper dispatches them once it is back."""
    from .services import chunks
    from .tasks import deliver_messages

    for chunk in chunks(ids, settings.NOTIFY_BATCH_SIZE):
        try:
            # No publish retries: a business request must not hang on a dead broker.
            deliver_messages.apply_async(args=[chunk], retry=False)
        except Exception:  # the broker's errors vary by transport; the sweeper covers every one
            logger.warning("could not dispatch messages %s; the sweeper will re-dispatch them", chunk,
                           exc_info=True)


def message_deliver(*, ids: list[int], now: datetime.datetime | None = None) -> DeliveryResult:
    """Attempt every due message among `ids`, in one transaction holding their row locks."""
    now = now or timezone.now()
    result = DeliveryResult()
    with transaction.atomic():
        rows = list(Message.objects.select_for_update(skip_locked=True)
                    .filter(pk__in=ids, status__in=[Message.Status.QUEUED, Message.Status.FAILED],
                            next_attempt_at__lte=now).order_by("pk"))
        result.skipped = len(set(ids)) - len(rows)
        emails = [row for row in rows if row.channel == Channel.EMAIL]
        if emails:
            _send_emails(emails, now)
        for row in rows:
            if row.channel == Channel.SMS:
                _attempt(row, now, lambda row=row: _send_sms(row))
            elif row.channel == Channel.IN_APP:  # written = delivered; only an old row could be here
                _record(row, now, None)
        Message.objects.bulk_update(rows, ["status", "attempts", "last_error", "next_attempt_at", "sent_at"])
    for row in rows:
        if row.status == Message.Status.SENT:
            result.sent += 1
        elif row.status == Message.Status.DEAD:
            result.dead += 1
            logger.error("message %s is dead after %s attempts: %s", row.pk, row.attempts, row.last_error)
        else:
            result.failed += 1
            result.retry_ids.append(row.pk)
            if result.next_retry_at is None or row.next_attempt_at < result.next_retry_at:
                result.next_retry_at = row.next_attempt_at
    return result


def deliver_due(*, now: datetime.datetime | None = None) -> DeliveryResult:
    """Send everything due now, batch by batch (the `deliver_outbox` command)."""
    from .services import chunks, due_message_ids

    now = now or timezone.now()
    total = DeliveryResult()
    for chunk in chunks(due_message_ids(now=now), settings.NOTIFY_BATCH_SIZE):
        total.add(message_deliver(ids=chunk, now=now))
    return total


def _record(row: Message, now, error: BaseException | None) -> None:
    row.attempts += 1
    if error is None:
        row.status, row.sent_at, row.last_error, row.next_attempt_at = Message.Status.SENT, now, "", None
        return
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if isinstance(error, PERMANENT) or row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        row.status, row.next_attempt_at = Message.Status.DEAD, None
    else:
        row.status = Message.Status.FAILED
        row.next_attempt_at = now + datetime.timedelta(seconds=backoff_seconds(row.attempts))


def _attempt(row: Message, now, send) -> None:
    try:
        send()
    except Exception as exc:  # any fault of the transport counts as a failed attempt
        logger.warning("message %s: attempt %s failed: %s", row.pk, row.attempts + 1, exc)
        _record(row, now, exc)
    else:
        _record(row, now, None)


def build_email(row: Message, *, connection=None, from_email: str | None = None,
                reply_to: list[str] | None = None) -> EmailMultiAlternatives:
    """The e-mail of an outbox row: its rendered text, the sender identities, its attachments as
    the stored bytes (verified against their hash)."""
    from .selectors import sender_from_email, sender_reply_to

    from_email = from_email or sender_from_email()
    reply_to = sender_reply_to() if reply_to is None else reply_to
    domain = from_email.rsplit("@", 1)[-1].strip("> ") or "localhost"
    # Django encodes a non-ASCII display name when it builds the message.
    name = re.sub(r'[<>",;@\\]', "", row.recipient_name).strip()
    to = f"{name} <{row.recipient_address}>" if name else row.recipient_address
    email = EmailMultiAlternatives(
        subject=row.subject, body=row.body, from_email=from_email, to=[to], reply_to=reply_to,
        connection=connection,
        # The same Message-ID on every attempt: a repeated delivery shows as one message.
        headers={"Message-ID": f"<outbox-{row.pk}-{row.created_at:%Y%m%d%H%M%S}@{domain}>",
                 "X-Hazard-Outbox-Kind": row.kind},
    )
    if row.html_body:
        email.attach_alternative(row.html_body, "text/html")
    for data in row.attachments:
        ref = AttachmentRef.from_json(data)
        email.attach(ref.filename, read_verified(ref), ref.mimetype)
    return email


def _send_emails(rows: list[Message], now) -> None:
    from .selectors import notification_config, sender_from_email, sender_reply_to

    config = notification_config()
    from_email, reply_to = sender_from_email(config), sender_reply_to(config)
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception as exc:  # the server is down: every message of the batch failed this attempt
        logger.warning("e-mail connection failed: %s", exc)
        for row in rows:
            _record(row, now, exc)
        return
    try:
        for row in rows:
            def send(row=row):
                email = build_email(row, connection=connection, from_email=from_email, reply_to=reply_to)
                try:
                    connection.send_messages([email])
                except Exception:
                    # The connection may be broken now: the next message opens a new one.
                    connection.close()
                    raise
            _attempt(row, now, send)
    finally:
        connection.close()


def _send_sms(row: Message) -> None:
    from . import sms

    sms.send(row.recipient_address, row.body)
