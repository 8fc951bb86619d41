"""Writes of the party's portal. Links: issue, verify, revoke. Party actions: each one calls the
hazard service staff use (hazards.services) with the party as the actor (by=PARTY, the explicit
actor of core.lifecycle for the responsible party, and the typed name), inside one transaction
that also locks the link row (a revocation and an action cannot interleave), writes the portal's
record of the action beside the history row, and enqueues the staff's notifications (outbox,
delivered after commit).

Where the issue was silent (see also SECURITY.md, "The party's portal"):
- Links are rows with a random selector and the SHA-256 of a random verifier, not
  django.core.signing tokens: a signed token cannot be revoked one by one without a row anyway,
  and a row with only a hash opens nothing when the database leaks.
- A link expires PORTAL_LINK_DAYS_AFTER_DEADLINE days after the latest deadline of its notice's
  hazards, read when it is used, so an approved extension moves it. It stops working when every
  hazard of the notice is closed or voided, and when it is revoked or superseded (the notice sent
  again to the same address issues a new link and revokes the earlier ones).
- Only a hazard notice is acknowledged through a link; the party may ask for an extension and
  reply through a supervision notice's link too.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import hmac
import io
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.dates import today_local
from hazards import services as hazard_services
from hazards.lifecycle import PARTY, Action, ActionRefused
from hazards.models import Hazard, HazardEvent, Notice
from hazards.rules import is_final
from org.uploads import PHOTO, PNG, CheckedFile, check_upload

from .models import PartyAction, PartyLink

logger = logging.getLogger(__name__)

S = Hazard.Status
# Compared against when no link has the selector, so a miss costs the same hash and comparison.
_NO_HASH = "0" * 64
# The signature as the canvas sends it: a PNG data URL, at most this long.
SIGNATURE_MAX_CHARS = 2 * 1024 * 1024


class LinkUnusable(Exception):
    """The link exists and was verified but may not be used: `state` says why (expired, revoked, closed)."""

    def __init__(self, state: str):
        super().__init__(state)
        self.state = state


class NotInLink(Exception):
    """A hazard that is not one of the link's notice's hazards: answered like a missing page."""


@dataclass(frozen=True)
class Client:
    """Who is at the other end of the request, as recorded with each action."""

    ip: str | None
    user_agent: str = ""


# --- links -------------------------------------------------------------------------------------

def _hash(verifier: str) -> str:
    return hashlib.sha256(verifier.encode()).hexdigest()


def link_path(selector: str, verifier: str) -> str:
    return reverse("portal:enter", args=[selector, verifier])


@transaction.atomic
def link_issue(*, notice: Notice, address: str = "", by=None, supersede: bool = False) -> tuple[PartyLink, str]:
    """A new link to `notice` for `address`; returns the row and the path carrying the secret (the
    only time it exists: put it in the e-mail, never in a log). `supersede` revokes the earlier
    links of the same notice and address (a deliberate re-send)."""
    address = (address or "").strip().lower()
    if supersede:
        _revoke(PartyLink.objects.filter(notice=notice, address=address, revoked_at__isnull=True), by=by,
                reason="superseded")
    selector, verifier = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
    link = PartyLink(notice=notice, address=address, selector=selector, verifier_hash=_hash(verifier),
                     created_by=by)
    link.full_clean()
    link.save()
    return link, link_path(selector, verifier)


def link_context_for_notice_email(*, notice: Notice, address: str, resend: bool = False) -> dict:
    """What a notice's e-mail says about its link (settings.NOTIFY_NOTICE_LINK names this): the
    absolute URL of a new link for `address`, and the last day it is valid."""
    link, path = link_issue(notice=notice, address=address, supersede=resend)
    expires = link_expires_at(link) - datetime.timedelta(seconds=1)
    return {"portal_url": settings.SITE_URL.rstrip("/") + path, "portal_expires": timezone.localdate(expires)}


def link_contexts_for_reminders(requests: list[tuple[int, str]]) -> list[dict]:
    """What each reminder e-mail says about its link (settings.NOTIFY_REMINDER_LINKS names this):
    for each (notice id, address) of `requests`, a new link (earlier links stay valid: the party may
    open any e-mail) as {"portal_url", "portal_expires"}, in the order given. A scan's thousands are
    made with two queries (the notices' last deadlines, one bulk insert), in the caller's
    transaction; the secrets exist only in the returned contexts."""
    if not requests:
        return []
    ids = {notice_id for notice_id, _address in requests}
    last_days = {pk: last or deadline for pk, deadline, last in Notice.objects.filter(pk__in=ids).order_by()
                 .annotate(last=Max("hazards__deadline")).values_list("pk", "deadline", "last")}
    # The path is reversed once with markers, then filled in (a scan makes thousands).
    marks = ("_SELECTOR_MARK__", "_VERIFIER_MARK_")  # 16 characters, and one the URL pattern accepts
    pattern = settings.SITE_URL.rstrip("/") + link_path(*marks)
    after = datetime.timedelta(days=settings.PORTAL_LINK_DAYS_AFTER_DEADLINE)
    today = today_local()
    links, contexts = [], []
    for notice_id, address in requests:
        selector, verifier = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
        links.append(PartyLink(notice_id=notice_id, address=(address or "").strip().lower(), selector=selector,
                               verifier_hash=_hash(verifier)))
        contexts.append({"portal_url": pattern.replace(marks[0], selector).replace(marks[1], verifier),
                         "portal_expires": (last_days[notice_id] or today) + after})
    _links_insert(links)
    return contexts


def _links_insert(links: list[PartyLink]) -> None:
    """Insert new links: one COPY on PostgreSQL (a scan's thousands), bulk_create elsewhere."""
    if connection.vendor != "postgresql":
        PartyLink.objects.bulk_create(links, batch_size=500)
        return
    now = timezone.now()
    for link in links:
        link.created_at = now
    fields = [f for f in PartyLink._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(PartyLink._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for link in links:
            copy.write_row([getattr(link, f.attname) for f in fields])


def link_find(selector: str, verifier: str) -> PartyLink | None:
    """The link the two halves name, or None (unknown selector or wrong verifier alike). The
    verifier is compared by hash in constant time, and a miss does the same work."""
    link = None
    if 8 <= len(selector) <= 24 and len(verifier) <= 64:
        link = PartyLink.objects.select_related("notice").filter(selector=selector).first()
    ok = hmac.compare_digest(link.verifier_hash if link else _NO_HASH, _hash(verifier))
    return link if link is not None and ok else None


def link_expires_at(link: PartyLink, hazards=None) -> datetime.datetime:
    """End of the local day PORTAL_LINK_DAYS_AFTER_DEADLINE days after the notice's latest deadline."""
    hazards = list(hazards if hazards is not None else link.notice.hazards.all())
    deadlines = [h.deadline for h in hazards if h.deadline] or [link.notice.deadline or
                                                                 timezone.localdate(link.created_at)]
    last_day = max(deadlines) + datetime.timedelta(days=settings.PORTAL_LINK_DAYS_AFTER_DEADLINE)
    start_next = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start_next)


def link_state(link: PartyLink, hazards=None, now=None) -> str:
    """"valid", or why not: "revoked", "expired", "closed" (every hazard of the notice closed or voided)."""
    now = now or timezone.now()
    hazards = list(hazards if hazards is not None else link.notice.hazards.all())
    if link.revoked_at is not None:
        return "revoked"
    if now >= link_expires_at(link, hazards):
        return "expired"
    if hazards and all(is_final(h.status) for h in hazards):
        return "closed"
    return "valid"


def link_opened(link: PartyLink) -> None:
    """Count an opening of the link (its audit: when it was last used)."""
    from django.db.models import F

    PartyLink.objects.filter(pk=link.pk).update(opened=F("opened") + 1, last_used_at=timezone.now())


def _revoke(queryset, *, by, reason: str) -> int:
    return queryset.update(revoked_at=timezone.now(), revoked_by=by, revoke_reason=reason[:200])


@transaction.atomic
def link_revoke(*, link: PartyLink, by, reason: str = "") -> PartyLink:
    """Revoke one link (a manager's decision; the row stays, for the audit). Idempotent."""
    link = PartyLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is None:
        _revoke(PartyLink.objects.filter(pk=link.pk), by=by, reason=(reason or "revoked").strip())
        link.refresh_from_db()
    return link


@transaction.atomic
def link_reissue(*, link: PartyLink, by):
    """Revoke the link and send the notice again to the same address (hazards.services.notice_email_send:
    its role and scope checks), which issues a new link."""
    link = link_revoke(link=link, by=by, reason="re-sent")
    notice = link.notice
    same = link.address == (notice.addressee_email or "").strip().lower()
    return hazard_services.notice_email_send(notice=notice, by=by, to="" if same else link.address)


# --- party actions -----------------------------------------------------------------------------

def _lock_link(link: PartyLink) -> PartyLink:
    """Lock the link row and refuse a link that may not be used (revoked meanwhile, expired, closed)."""
    link = PartyLink.objects.select_for_update().select_related("notice").get(pk=link.pk)
    state = link_state(link)
    if state != "valid":
        raise LinkUnusable(state)
    return link


def link_hazard(link: PartyLink, hazard_id) -> Hazard:
    """One hazard of the link's notice; any other id is NotInLink (another notice's hazard looks missing)."""
    try:
        hazard_id = int(hazard_id)
    except (TypeError, ValueError):
        raise NotInLink() from None
    hazard = link.notice.hazards.select_related("site", "unit").filter(pk=hazard_id).first()
    if hazard is None:
        raise NotInLink()
    return hazard


def _record(*, link, hazard, action: str, name: str, client: Client, signature: CheckedFile | None = None):
    """The portal's record beside the history row the service just wrote (same transaction)."""
    event = HazardEvent.objects.filter(hazard=hazard, action=action).order_by("-id").first()
    row = PartyAction(link=link, hazard=hazard, event=event, action=action, party_name=name.strip(),
                      client_ip=client.ip, user_agent=(client.user_agent or "")[:200])
    if signature is not None:
        row.signature.save(signature.name, signature, save=False)
    row.full_clean()
    row.save()
    _notify_staff(link=link, hazard=hazard, row=row)
    return row


def _notify_staff(*, link, hazard, row: PartyAction) -> None:
    """In-app messages to the notice's issuer and the hazard's discoverer (and an e-mail to the
    issuer), written in the action's transaction and delivered after commit."""
    from notifications.models import Channel, Kind
    from notifications.services import dedupe_key, message_enqueue

    issuer = link.notice.issued_by
    users = {u.pk: u for u in (issuer, hazard.discovered_by) if u is not None and u.is_active}
    context = {"hazard_number": hazard.number, "site_name": hazard.site.name, "party_name": row.party_name,
               "action": row.action, "notice_number": link.notice.number}
    url = reverse("hazards:hazard_detail", args=[hazard.pk])
    for user in users.values():
        message_enqueue(channel=Channel.IN_APP, kind=Kind.PARTY_ACTED, recipient_user=user, about=hazard,
                        dedupe_key=dedupe_key(Kind.PARTY_ACTED, Channel.IN_APP, hazard, user.pk, row.event_id),
                        context=context, url=url)
    if issuer is not None and issuer.is_active and issuer.email:
        message_enqueue(channel=Channel.EMAIL, kind=Kind.PARTY_ACTED, recipient_user=issuer, about=hazard,
                        recipient_name=issuer.get_full_name() or issuer.get_username(),
                        dedupe_key=dedupe_key(Kind.PARTY_ACTED, Channel.EMAIL, hazard, issuer.email, row.event_id),
                        context=context, url=url)


def signature_from_data_url(value: str) -> CheckedFile:
    """The drawn signature: a PNG data URL from the canvas, checked like every uploaded photo
    (org.uploads), and refused when nothing was drawn."""
    prefix = "data:image/png;base64,"
    value = (value or "").strip()
    if not value:
        raise ValidationError({"signature": _("Please sign in the box with your finger or the mouse.")})
    if not value.startswith(prefix) or len(value) > SIGNATURE_MAX_CHARS:
        raise ValidationError({"signature": _("The signature could not be read; please sign again.")})
    try:
        data = base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("The signature could not be read; please sign again.")}) from None
    try:
        checked = check_upload(ContentFile(data, name="signature.png"), PHOTO)
    except ValidationError:
        raise ValidationError({"signature": _("The signature could not be read; please sign again.")}) from None
    if checked.file_type is not PNG:  # the canvas makes PNGs only: anything else was not drawn here
        raise ValidationError({"signature": _("The signature could not be read; please sign again.")})
    if _blank(checked):
        raise ValidationError({"signature": _("Please sign in the box with your finger or the mouse.")})
    return checked


def _blank(image: CheckedFile) -> bool:
    from PIL import Image

    image.seek(0)
    with Image.open(io.BytesIO(image.read())) as img:
        img = img.convert("RGBA")
        white = Image.new("RGBA", img.size, (255, 255, 255, 255))
        grey = Image.alpha_composite(white, img).convert("L")
    image.seek(0)
    # Ink: pixels clearly darker than the paper. A dot or a slip of the finger is not a signature.
    ink = sum(grey.point(lambda p: 255 if p < 160 else 0).histogram()[255:])
    return ink < 30


@transaction.atomic
def party_acknowledge(*, link: PartyLink, name: str, signature: CheckedFile, client: Client) -> list[Hazard]:
    """Receipt of the notice (签收) by the party, through the same rule as the staff form
    (hazards.services.notice_acknowledge): every hazard of the notice still waiting for it moves
    together, with the acknowledged copy of the notice (the original PDF with the drawn signature,
    a new document) as the signed scan. Returns the hazards that moved."""
    hazard_services._required(acknowledged_by_name=name)
    link = _lock_link(link)
    notice = link.notice
    if notice.kind != Notice.Kind.HAZARD:
        raise ActionRefused(_("Receipt is acknowledged on the hazard notice, not on a supervision notice."))
    if not notice.hazards.filter(status=S.NOTIFIED).exists():
        raise ActionRefused(_("This notice has already been acknowledged."))
    scan = None
    if notice.acknowledged_at is None:
        from .documents import render_acknowledged_copy

        pdf = render_acknowledged_copy(notice, name=name.strip(), at=timezone.now(), signature=signature)
        scan = ContentFile(pdf, name=f"{notice.number}-acknowledged.pdf")
    result = hazard_services.notice_acknowledge(notice=notice, acknowledged_by_name=name, by=PARTY, signed_scan=scan)
    for hazard in result.moved:
        _record(link=link, hazard=hazard, action=Action.ACKNOWLEDGE, name=name, client=client, signature=signature)
    return result.moved


@transaction.atomic
def party_request_extension(*, link: PartyLink, hazard_id, requested_deadline, reason, name, client: Client,
                            expected_version=None):
    link = _lock_link(link)
    hazard = link_hazard(link, hazard_id)
    extension = hazard_services.hazard_request_extension(
        hazard=hazard, requested_deadline=requested_deadline, reason=reason, requested_by_name=name, by=PARTY,
        expected_version=expected_version)
    _record(link=link, hazard=extension.hazard, action=Action.REQUEST_EXTENSION, name=name, client=client)
    return extension


@transaction.atomic
def party_submit_reply(*, link: PartyLink, hazard_id, cause, handling, result, name, client: Client,
                       next_measures="", photos=(), expected_version=None):
    link = _lock_link(link)
    hazard = link_hazard(link, hazard_id)
    reply = hazard_services.hazard_submit_reply(
        hazard=hazard, cause=cause, handling=handling, result=result, next_measures=next_measures,
        submitted_by_name=name, photos=photos, by=PARTY, expected_version=expected_version)
    _record(link=link, hazard=reply.hazard, action=Action.SUBMIT_REPLY, name=name, client=client)
    return reply
