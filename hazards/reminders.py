"""The daily reminder scan (Celery beat: hazards.tasks.send_reminders; `manage.py send_reminders`).

It decides from each hazard's **current** state and deadline every time it runs, and plans
nothing ahead: an extension, a supervision notice (new deadline), a new party or a closed file
changes what the next run sends, and nothing planned can go stale. What it writes goes through
the outbox (notifications.services.message_enqueue_many): in batches, and at most once per dedupe
key, so any number of scans on any number of workers send each message once.

What is sent, as of `today` (the local date of TIME_ZONE), with the admin's notification settings:
- reminder_before: to the party (e-mail, SMS) when the deadline is N days ahead, N in the offsets
  (default 3 and 1); once per hazard, day and address.
- reminder_due_day: to the party on the deadline itself (if enabled); once per hazard, day, address.
- overdue_digest: one message a day to each responsible manager listing their overdue hazards.
- supervision_draft: when a hazard is M days or more overdue (default 3), its managers are asked to
  issue the supervision notice (prepared on the hazard's supervise form); once per deadline.
- escalation: at the second threshold (default 7 days overdue) to the responsible leaders; once
  per deadline (a supervision notice sets a new deadline, after which the cycle starts again).

Deadlines run only while the party owes the rectification; "N days before", the due day and
overdue are the rules of hazards.rules (due_in_q, days_left, overdue_q, days_overdue), written once
there. "Responsible" managers (leaders) of a hazard are those
of the nearest unit, from the hazard's own unit up the tree, that has any (so a team without a
manager falls to its branch's).
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.module_loading import import_string

from notifications.models import Channel, Kind, Message
from notifications.selectors import notification_config
from notifications.services import chunks, dedupe_key, message_enqueue_many
from org.models import PATH_STEP, Membership, OrgUnit, Role

from . import rules
from .lifecycle import local_today
from .models import Hazard, Notice
from .rules import overdue_q

SCAN_KINDS = (Kind.REMINDER_BEFORE, Kind.REMINDER_DUE_DAY, Kind.OVERDUE_DIGEST, Kind.SUPERVISION_DRAFT,
              Kind.ESCALATION)
# A digest lists this many hazards (most overdue first) and says how many more there are.
DIGEST_LIST_MAX = 50
# Any constant unique among the installation's advisory locks.
SCAN_LOCK_ID = 0x4859_5245_4D49  # "HYREMI"
HAZARD_FIELDS = ("id", "number", "status", "deadline", "unit_id", "responsible_name", "responsible_email",
                 "responsible_phone")


def reminder_scan(*, today: datetime.date | None = None) -> dict[str, int]:
    """Queue what is due on `today` (default: the local date now). Returns the number of messages
    newly written per kind (a repeated scan on the same day writes none)."""
    today = today or local_today()
    config = notification_config()
    # Read once here, not once per message (the renderer would read the settings row each time).
    common = {"signature": config.sms_signature}
    with transaction.atomic():
        _scan_lock()
        specs = _party_reminders(today, config, common) + _overdue_messages(today, config, common)
        written = message_enqueue_many(specs)
    counts = Counter(message.kind for message in written)
    return {kind.value: counts.get(kind, 0) for kind in SCAN_KINDS}


def _scan_lock() -> None:
    """Scans running at once take turns (a PostgreSQL advisory lock, held to the end of the
    transaction). Not needed for correctness — the outbox's unique key writes each message once
    however the scans interleave — but a scan that waits then finds everything already written:
    it renders nothing twice and its counts are exactly what it queued."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCAN_LOCK_ID])


def format_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())


# --- before and on the deadline: the party ---------------------------------------------------------

class _HazardRef:
    """A hazard read as values, standing in for the instance where the outbox needs one (its type,
    pk and unit): a scan reads thousands of rows and builds no model instance for them."""

    __slots__ = ("pk", "unit_id", "number")
    _meta = Hazard._meta

    def __init__(self, row: dict):
        self.pk, self.unit_id, self.number = row["id"], row["unit_id"], row["number"]

    def __str__(self):
        return self.number


def select_party_reminders(today, config) -> list[dict]:
    """The hazards whose party is reminded today: the deadline at one of the offsets, or today, while
    the party owes the rectification. With the language of the party's latest hazard notice."""
    days_left = list(config.offsets) + ([0] if config.remind_on_due_day else [])
    if not days_left:
        return []
    latest = Notice.objects.filter(hazards=OuterRef("pk"), kind=Notice.Kind.HAZARD).order_by("-issued_at", "-id")
    return list(Hazard.objects.filter(rules.due_in_q(days_left, today))
                .annotate(party_language=Subquery(latest.values("language")[:1]),
                          party_notice=Subquery(latest.values("pk")[:1]))
                .order_by("deadline", "id")
                .values(*HAZARD_FIELDS, "site__name", "party_language", "party_notice"))


def _party_reminders(today, config, common, rows=None) -> list[dict]:
    rows = select_party_reminders(today, config) if rows is None else rows
    specs = []
    for row in rows:
        days = rules.days_left(row["status"], row["deadline"], today)
        kind = Kind.REMINDER_DUE_DAY if days == 0 else Kind.REMINDER_BEFORE
        hazard = _HazardRef(row)
        # A hazard past "notified" has its receipt: the portal link's words say what is left to do.
        context = {**common, "hazard_number": row["number"], "site_name": row["site__name"],
                   "deadline": row["deadline"], "days": days, "acknowledged": row["status"] != Hazard.Status.NOTIFIED}
        for channel, address in ((Channel.EMAIL, row["responsible_email"]), (Channel.SMS, row["responsible_phone"])):
            address = (address or "").strip()
            if not address:
                continue
            specs.append({
                "channel": channel, "kind": kind, "about": hazard, "about_label": row["number"],
                "dedupe_key": dedupe_key(kind, channel, hazard, address, today.isoformat()),
                "recipient_address": address, "recipient_name": row["responsible_name"],
                "language": row["party_language"] or settings.LANGUAGE_CODE,
                "context": dict(context) if channel == Channel.EMAIL else context,
                "notice_id": row["party_notice"] if channel == Channel.EMAIL else None,
            })
    _add_portal_links(specs)
    for spec in specs:
        spec.pop("notice_id")
    return specs


def _add_portal_links(specs: list[dict]) -> None:
    """Each reminder e-mail about a notified hazard carries a new link to the party's portal for
    the hazard's latest notice (settings.NOTIFY_REMINDER_LINKS), made only for the e-mails this scan
    will write (not those already in the outbox from an earlier scan of the day)."""
    if not settings.NOTIFY_REMINDER_LINKS:
        return
    wanted = [spec for spec in specs if spec["notice_id"]]
    if not wanted:
        return
    taken = set()
    for chunk in chunks([spec["dedupe_key"] for spec in wanted], 900):
        taken.update(Message.objects.filter(dedupe_key__in=chunk).values_list("dedupe_key", flat=True))
    wanted = [spec for spec in wanted if spec["dedupe_key"] not in taken]
    contexts = import_string(settings.NOTIFY_REMINDER_LINKS)([(spec["notice_id"], spec["recipient_address"])
                                                              for spec in wanted])
    for spec, link in zip(wanted, contexts, strict=True):
        spec["context"].update(link)


# --- overdue: managers and leaders ---------------------------------------------------------------

class _Responsible:
    """The people of one role responsible for each unit: those of the nearest unit up the tree that
    has any. Loaded once per scan (people are few, hazards many)."""

    def __init__(self, role: str):
        self.by_path = defaultdict(list)
        members = (Membership.objects.filter(role=role, user__is_active=True)
                   .select_related("user", "unit").order_by("user_id"))
        for membership in members:
            self.by_path[membership.unit.path].append(membership)
        self._cache = {}

    def for_path(self, path: str) -> list[Membership]:
        if path not in self._cache:
            found = []
            for end in range(len(path), 0, -PATH_STEP):
                found = self.by_path.get(path[:end], [])
                if found:
                    break
            self._cache[path] = found
        return self._cache[path]


def _staff_specs(membership, *, kind, about, about_label, key_parts, context, url, sms: bool = False) -> list[dict]:
    """In-app, e-mail (if the user has an address) and SMS (if asked and a phone is known)."""
    user = membership.user
    language = membership.language or settings.LANGUAGE_CODE
    channels = [(Channel.IN_APP, "")]
    if user.email:
        channels.append((Channel.EMAIL, user.email))
    if sms and membership.phone:
        channels.append((Channel.SMS, membership.phone))
    name = user.get_full_name() or user.username
    return [{
        "channel": channel, "kind": kind, "about": about, "about_label": about_label, "unit": membership.unit,
        "dedupe_key": dedupe_key(kind, channel, about, f"user{user.pk}", *key_parts),
        "recipient_user": user, "recipient_address": address, "recipient_name": name, "language": language,
        "context": context, "url": url,
    } for channel, address in channels]


def select_overdue(today) -> tuple[list[dict], dict[int, str]]:
    """The overdue hazards (most overdue first) and their units' paths."""
    rows = list(Hazard.objects.filter(overdue_q(today)).order_by("deadline", "id").values(*HAZARD_FIELDS,
                                                                                           "site__name"))
    paths = dict(OrgUnit.objects.filter(pk__in={r["unit_id"] for r in rows}).values_list("pk", "path")) if rows else {}
    return rows, paths


def _overdue_messages(today, config, common, selected=None) -> list[dict]:
    rows, paths = select_overdue(today) if selected is None else selected
    if not rows:
        return []
    managers, leaders = _Responsible(Role.MANAGER), _Responsible(Role.LEADER)
    # Links to the hazard's pages, made once (reverse() per row costs more than the row).
    supervise = reverse("hazards:hazard_action", args=[0, "supervise"]).replace("/0/", "/{}/")
    detail = reverse("hazards:hazard_detail", args=[0]).replace("/0/", "/{}/")
    specs = []
    digests = defaultdict(list)  # manager membership id -> [(row, days overdue)]
    by_id = {}
    for row in rows:
        days = rules.days_overdue(row["status"], row["deadline"], today)
        path = paths[row["unit_id"]]
        hazard = _HazardRef(row)
        # A hazard past "notified" has its receipt: the portal link's words say what is left to do.
        context = {**common, "hazard_number": row["number"], "site_name": row["site__name"],
                   "deadline": row["deadline"], "days": days, "acknowledged": row["status"] != Hazard.Status.NOTIFIED}
        deadline_key = f"deadline-{row['deadline'].isoformat()}"
        for membership in managers.for_path(path):
            digests[membership.pk].append((row, days))
            by_id[membership.pk] = membership
            if days >= config.supervision_after_days:
                specs += _staff_specs(
                    membership, kind=Kind.SUPERVISION_DRAFT, about=hazard, about_label=row["number"],
                    key_parts=[deadline_key], context=context, url=supervise.format(row["id"]))
        if days >= config.leader_escalation_after_days:
            for membership in leaders.for_path(path):
                specs += _staff_specs(
                    membership, kind=Kind.ESCALATION, about=hazard, about_label=row["number"],
                    key_parts=[deadline_key], context=context, url=detail.format(row["id"]), sms=True)
    ledger = reverse("hazards:hazard_list") + "?overdue=yes"
    for membership_id, listed_rows in digests.items():
        membership = by_id[membership_id]
        listed = [{"number": r["number"], "site_name": r["site__name"], "deadline": r["deadline"],
                   "days_overdue": days} for r, days in listed_rows[:DIGEST_LIST_MAX]]
        specs += _staff_specs(
            membership, kind=Kind.OVERDUE_DIGEST, about=None, about_label="", key_parts=[today.isoformat()],
            context={**common, "hazards": listed, "total": len(listed_rows), "more": len(listed_rows) - len(listed)},
            url=ledger)
    return specs
