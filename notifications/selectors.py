"""Reads of the notifications app: the configuration row, and a user's own in-app messages (the
notification centre shows a user only the messages addressed to them)."""

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404

from .models import Channel, Message, NotificationConfig


def notification_config() -> NotificationConfig:
    """The one configuration row; defaults until an administrator saves it in the admin."""
    config = NotificationConfig.objects.filter(pk=1).first()
    return config if config is not None else NotificationConfig(pk=1)


def sender_from_email(config: NotificationConfig | None = None) -> str:
    config = config or notification_config()
    return config.from_email or settings.NOTIFY_FROM_EMAIL


def sender_reply_to(config: NotificationConfig | None = None) -> list[str]:
    config = config or notification_config()
    reply_to = config.reply_to or settings.NOTIFY_REPLY_TO
    return [reply_to] if reply_to else []


def inbox_list(*, user) -> QuerySet[Message]:
    return Message.objects.filter(recipient_user=user, channel=Channel.IN_APP).order_by("-created_at", "-id")


def inbox_unread_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return inbox_list(user=user).filter(read_at__isnull=True).count()


def inbox_message_get(*, user, pk: int) -> Message:
    """A user's own in-app message; anyone else's looks missing."""
    try:
        return inbox_list(user=user).get(pk=pk)
    except Message.DoesNotExist as exc:
        raise Http404 from exc


def outbox_health(*, now) -> dict:
    """Counts for the status page: waiting (queued or failed), dead, and how long the oldest due
    message has waited (a growing wait means no worker is delivering)."""
    waiting = Q(status__in=[Message.Status.QUEUED, Message.Status.FAILED])
    row = Message.objects.aggregate(
        waiting=Count("id", filter=waiting), dead=Count("id", filter=Q(status=Message.Status.DEAD)),
        oldest_due=Min("next_attempt_at", filter=waiting & Q(next_attempt_at__lte=now)))
    row["late"] = bool(row["oldest_due"]) and (now - row["oldest_due"]).total_seconds() > (
        settings.NOTIFY_SWEEP_AFTER_SECONDS + settings.NOTIFY_SWEEP_SECONDS)
    return row
