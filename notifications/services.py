"""Writes of the notifications app. The one the business actions call is `message_enqueue`: it
writes the outbox row in the caller's transaction and asks for delivery after commit.

Dedupe keys (`dedupe_key(...)`) say what may be sent only once. Conventions:
    <kind>:<channel>:<app_label>.<model>:<pk>:<recipient>[:<discriminator>]
e.g. a reminder once per hazard, kind, recipient and local day:
    reminder_before:email:hazards.hazard:123:party@example.com:2026-12-07
a notice's e-mail once per notice and address (a deliberate re-send adds a discriminator):
    notice_issued:email:hazards.notice:45:party@example.com
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from core.transaction import after_commit

from . import delivery
from .attachments import AttachmentRef
from .models import Channel, Heartbeat, Kind, Message, NotificationConfig
from .rendering import ShapeRenderer, render_message

logger = logging.getLogger(__name__)

DEDUPE_KEY_MAX = 255
CHANNELS = frozenset(Channel.values)  # (the enum's .values is rebuilt at each access)


@transaction.atomic
def heartbeat_record(*, name: str = "beat", worker: str = "") -> Heartbeat:
    now = timezone.now()
    beat, created = Heartbeat.objects.get_or_create(
        name=name, defaults={"last_run_at": now, "runs": 1, "worker": worker}
    )
    if not created:
        Heartbeat.objects.filter(pk=beat.pk).update(last_run_at=now, runs=F("runs") + 1, worker=worker)
        beat.refresh_from_db()
    return beat


# --- the outbox --------------------------------------------------------------------------------

def dedupe_key(kind: str, channel: str, about=None, recipient: str = "", *discriminators) -> str:
    """The conventional dedupe key (see the module docstring). `about` is a model instance or None;
    `recipient` an address or a user id; discriminators (a day, a deadline, a nonce) are appended.
    Keys longer than the column keep their start and end in a hash of the whole."""
    parts = [str(kind), str(channel)]
    if about is not None:
        parts.append(f"{about._meta.label_lower}:{about.pk}")
    parts.append(str(recipient).strip().lower())
    parts.extend(str(d) for d in discriminators)
    key = ":".join(parts)
    if len(key) > DEDUPE_KEY_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = f"{key[:DEDUPE_KEY_MAX - 65]}#{digest}"
    return key


def _recipient_address(channel: str, user, address: str) -> str:
    address = (address or "").strip()
    if address or user is None or channel == Channel.IN_APP:
        return address
    if channel == Channel.EMAIL:
        return user.email or ""
    membership = getattr(user, "membership", None)
    return getattr(membership, "phone", "") or ""


def _recipient_language(user, language: str | None) -> str:
    if language:
        return language
    membership = getattr(user, "membership", None) if user is not None else None
    return getattr(membership, "language", "") or settings.LANGUAGE_CODE


def _absolute(url: str) -> str:
    return settings.SITE_URL.rstrip("/") + url if url.startswith("/") else url


def message_enqueue(*, channel: str, kind: str, dedupe_key: str, recipient_user=None, recipient_address: str = "",
                    recipient_name: str = "", about=None, about_label: str = "", unit=None,
                    language: str | None = None, context: dict | None = None, subject: str | None = None,
                    body: str | None = None, html_body: str = "", url: str = "",
                    attachments: Sequence[AttachmentRef] = ()) -> Message:
    """Write one outbox row in the caller's transaction and dispatch its delivery after commit.

    A row with the same dedupe key already there (sent or not) makes this a no-op that returns that
    row: `message.was_created` tells which. The text is rendered now, in the recipient's language
    (`language`, else the user's, else LANGUAGE_CODE), from the templates of `channel`/`kind` with
    `context`, unless `body` (and `subject`) are given. In-app messages are delivered by being
    written: they are stored as sent and never dispatched. Raises ValidationError for a message
    that cannot be delivered (no address, an in-app message without a user, a bad attachment)."""
    existing = Message.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
    if existing is not None:
        existing.was_created = False
        return existing
    row = _message_build(channel=channel, kind=kind, dedupe_key=dedupe_key, recipient_user=recipient_user,
                         recipient_address=recipient_address, recipient_name=recipient_name, about=about,
                         about_label=about_label, unit=unit, language=language, context=context, subject=subject,
                         body=body, html_body=html_body, url=url, attachments=attachments)
    fields = {f.attname: getattr(row, f.attname) for f in Message._meta.concrete_fields
              if not f.primary_key and f.name != "dedupe_key"}
    # get_or_create inserts in a savepoint: a concurrent insert of the same key waits on the unique
    # index, fails, and then reads the committed row, so the caller's transaction goes on.
    message, created = Message.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
    message.was_created = created
    if created and message.channel != Channel.IN_APP:
        after_commit(delivery.dispatch, [message.pk])
    return message


class Written(NamedTuple):
    """A row message_enqueue_many wrote (its texts are not read back)."""

    pk: int
    channel: str
    kind: str
    status: str
    dedupe_key: str


def message_enqueue_many(specs: Iterable[dict]) -> list[Written]:
    """Many messages in the caller's transaction (a scan writing thousands), each `spec` the keyword
    arguments of `message_enqueue`, with the same rules: keys already in the outbox (or repeated in
    `specs`) are skipped and not even rendered. Written in batches — on PostgreSQL one COPY into a
    temporary table and one INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, elsewhere
    bulk_create — so a concurrent scan's rows are skipped too, and what is returned is exactly what
    this call wrote. One dispatch after commit for all of them."""
    specs = list(specs)
    keys = [spec.get("dedupe_key") or "" for spec in specs]
    taken = set()
    for chunk in chunks(keys, 900):
        taken.update(Message.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True))
    rows = []
    # Thousands of messages of a few shapes: each template is rendered once per shape.
    renderer = ShapeRenderer()
    for spec in specs:
        key = spec.get("dedupe_key") or ""
        if key and key in taken:
            continue
        rows.append(_message_values(**spec, renderer=renderer.render))
        taken.add(key)
    with transaction.atomic():
        written = _insert_copy(rows) if connection.vendor == "postgresql" else _insert_bulk(rows)
    ids = [m.pk for m in written if m.channel != Channel.IN_APP and m.status == Message.Status.QUEUED]
    if ids:
        after_commit(delivery.dispatch, ids)
    return written


def _columns() -> list[str]:
    return [f.column for f in Message._meta.concrete_fields if not f.primary_key]


def _insert_copy(rows: list[dict]) -> list[Written]:
    if not rows:
        return []
    columns = _columns()
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        # The same column types, no constraints; dropped below (and at the end of the transaction).
        # bandit: the table and column names come from the model, quoted; no value is in the SQL.
        cursor.execute(f"CREATE TEMPORARY TABLE outbox_batch ON COMMIT DROP AS SELECT {names} FROM {table} "  # nosec B608
                       "WITH NO DATA")
        with cursor.cursor.copy(f"COPY outbox_batch ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM outbox_batch ORDER BY dedupe_key "  # nosec B608
                       "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, channel, kind, status, dedupe_key")
        written = [Written(*r) for r in cursor.fetchall()]
        cursor.execute("DROP TABLE outbox_batch")
    return written


def _insert_bulk(rows: list[dict]) -> list[Written]:
    Message.objects.bulk_create([Message(**_by_attname(row)) for row in rows], batch_size=500, ignore_conflicts=True)
    # Which rows are ours: the new keys, read back without the texts.
    written = []
    for chunk in chunks([row["dedupe_key"] for row in rows], 900):
        written += [Written(*r) for r in Message.objects.filter(dedupe_key__in=chunk).values_list(
            "pk", "channel", "kind", "status", "dedupe_key")]
    return written


def _by_attname(row: dict) -> dict:
    fields = {f.column: f for f in Message._meta.concrete_fields}
    return {fields[c].attname: (json.loads(v) if c == "attachments" else v) for c, v in row.items()}


def _message_build(**spec) -> Message:
    """The unsaved outbox row, checked and rendered (see message_enqueue)."""
    return Message(**_by_attname(_message_values(**spec)))


def _message_values(*, channel: str, kind: str, dedupe_key: str, recipient_user=None, recipient_address: str = "",
                    recipient_name: str = "", about=None, about_label: str = "", unit=None,
                    language: str | None = None, context: dict | None = None, subject: str | None = None,
                    body: str | None = None, html_body: str = "", url: str = "",
                    attachments: Sequence[AttachmentRef] = (), renderer=render_message) -> dict:
    """The outbox row's column values, checked and rendered (see message_enqueue). `about` is a model
    instance, or anything with its `_meta`, `pk` and `unit_id` (a scan's rows read as values)."""
    address = _recipient_address(channel, recipient_user, recipient_address)
    language = _recipient_language(recipient_user, language)
    if channel not in CHANNELS:
        raise ValidationError({"channel": f"unknown channel {channel!r}"})
    if channel == Channel.IN_APP and recipient_user is None:
        raise ValidationError({"recipient_user": "an in-app message needs a recipient user"})
    if channel != Channel.IN_APP and not address:
        raise ValidationError({"recipient_address": f"no {channel} address for {recipient_name or recipient_user}"})
    if attachments and channel != Channel.EMAIL:
        raise ValidationError({"attachments": "only e-mails carry attachments"})
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_MAX:
        raise ValidationError({"dedupe_key": "a dedupe key of 1 to 255 characters is required"})
    about_label = about_label or (str(about) if about is not None else "")
    # The unit by id: a scan passes rows loaded without their unit (no query per message).
    unit_id = unit.pk if unit is not None else getattr(about, "unit_id", None)
    if body is None:
        rendered = renderer(channel=channel, kind=kind, language=language, context={
            "recipient_name": recipient_name, "about_label": about_label, "url": _absolute(url), **(context or {}),
        })
        subject = rendered.subject if subject is None else subject
        body = rendered.body
    now = timezone.now()
    in_app = channel == Channel.IN_APP
    return {
        "channel": channel, "kind": kind, "recipient_user_id": recipient_user.pk if recipient_user else None,
        "recipient_address": address, "recipient_name": recipient_name[:100], "language": language,
        "about_type_id": ContentType.objects.get_for_model(about).pk if about is not None else None,
        "about_id": about.pk if about is not None else None, "about_label": about_label[:200], "unit_id": unit_id,
        "subject": (subject or "")[:255], "body": body, "html_body": html_body, "url": url,
        "attachments": json.dumps([a.as_json() for a in attachments]), "dedupe_key": dedupe_key,
        "status": Message.Status.SENT if in_app else Message.Status.QUEUED, "attempts": 0, "last_error": "",
        "next_attempt_at": None if in_app else now, "created_at": now, "sent_at": now if in_app else None,
        "read_at": None, "resent_by_id": None, "resent_at": None,
    }


@transaction.atomic
def message_resend(*, message: Message, by) -> Message:
    """Queue a message again (the admin's resend): the same row, a fresh round of attempts; nothing
    new is written, so nothing can be sent twice by a double click (the second finds it queued)."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.channel == Channel.IN_APP:
        raise ValidationError("an in-app message is delivered when it is written; there is nothing to resend")
    if message.status == Message.Status.QUEUED:
        return message
    now = timezone.now()
    message.status, message.attempts, message.next_attempt_at = Message.Status.QUEUED, 0, now
    message.resent_by, message.resent_at = by, now
    message.save(update_fields=["status", "attempts", "next_attempt_at", "resent_by", "resent_at"])
    after_commit(delivery.dispatch, [message.pk])
    return message


@transaction.atomic
def message_mark_read(*, message: Message, user) -> Message:
    if message.recipient_user_id != user.pk:
        raise ValidationError("only the recipient can mark a message read")
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


@transaction.atomic
def messages_mark_all_read(*, user) -> int:
    return Message.objects.filter(recipient_user=user, channel=Channel.IN_APP, read_at__isnull=True).update(
        read_at=timezone.now())


@transaction.atomic
def notification_config_save(*, config: NotificationConfig, by) -> NotificationConfig:
    """Save the one configuration row (pk=1) after validation."""
    config.pk = 1
    config.full_clean()
    config.save()
    logger.info("notification settings changed by %s", by)
    return config


def due_message_ids(*, now=None, older_than_seconds: int = 0, limit: int | None = None) -> list[int]:
    """Ids of messages waiting for an attempt (queued or failed) that is due since at least
    `older_than_seconds`, oldest first."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=older_than_seconds)
    qs = (Message.objects.filter(status__in=[Message.Status.QUEUED, Message.Status.FAILED],
                                 next_attempt_at__lte=cutoff)
          .order_by("next_attempt_at", "id").values_list("pk", flat=True))
    return list(qs[:limit] if limit else qs)


def outbox_sweep(*, now=None) -> int:
    """Re-dispatch what is due and has waited longer than NOTIFY_SWEEP_AFTER_SECONDS: a dispatch
    lost while the broker was down, a retry whose task was lost. Returns how many were dispatched."""
    ids = due_message_ids(now=now, older_than_seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS)
    delivery.dispatch(ids)
    return len(ids)


def chunks(ids: Iterable[int], size: int) -> list[list[int]]:
    ids = list(ids)
    return [ids[i:i + size] for i in range(0, len(ids), size)]


# --- documents -----------------------------------------------------------------------------------

@transaction.atomic
def notice_email_enqueue(*, notice, to: str = "", resend: bool = False, by=None) -> Message:
    """The e-mail of an issued hazard or supervision notice, with its stored PDF attached, to the
    party (the notice's addressee e-mail) or to `to`. Once per notice and address, unless `resend`
    (a deliberate re-send: a new message each time; `by`, the user who asked, is recorded on it).
    In the notice's language."""
    from django.core.validators import validate_email

    from .attachments import notice_attachment

    address = (to or notice.addressee_email or "").strip()
    if not address:
        raise ValidationError({"to": f"notice {notice.number} has no addressee e-mail; give an address"})
    validate_email(address)
    # The notice's own class says which kind it is: notifications does not import hazards (layering).
    kind = Kind.NOTICE_ISSUED if notice.kind == notice.Kind.HAZARD else Kind.SUPERVISION_ISSUED
    first = notice.hazards.order_by("number").first()
    # A notice over hazards with different deadlines names the earliest as such, never as the
    # deadline of all (issue 11, fault 5).
    differ = notice.hazards.exclude(deadline=None).values("deadline").distinct().count() > 1
    discriminators = [f"resend-{timezone.now():%Y%m%dT%H%M%S.%f}"] if resend else []
    key = dedupe_key(kind, Channel.EMAIL, notice, address, *discriminators)
    existing = Message.objects.filter(dedupe_key=key).first()
    if existing is not None:  # sent already: no second link for the same e-mail
        existing.was_created = False
        return existing
    # The party's link (settings.NOTIFY_NOTICE_LINK, e.g. the portal's): made now, in this
    # transaction, so the e-mail and the link row commit or roll back together.
    link = import_string(settings.NOTIFY_NOTICE_LINK)(notice=notice, address=address, resend=resend) \
        if settings.NOTIFY_NOTICE_LINK else {}
    message = message_enqueue(
        channel=Channel.EMAIL, kind=kind, about=notice, about_label=notice.number, unit=notice.unit,
        dedupe_key=key,
        recipient_address=address, recipient_name="" if to else notice.addressee, language=notice.language,
        context={"notice_number": notice.number, "site_name": notice.site.name, "deadline": notice.deadline,
                 "new_deadline": notice.deadline, "hazard_number": first.number if first else "",
                 "deadlines_differ": differ, **link},
        attachments=[notice_attachment(notice)],
    )
    if by is not None and message.was_created:
        message.resent_by, message.resent_at = by, timezone.now()
        message.save(update_fields=["resent_by", "resent_at"])
    return message
