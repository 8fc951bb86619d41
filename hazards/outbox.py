"""The messages that hazard actions send, as outbox rows (notifications.services).

Each function is called by a service of hazards.services inside its transaction, after the
action's own writes: the rows commit or roll back with the action, and are delivered after
commit. The responsible party has no account: it gets e-mail (to the hazard's or notice's
address) and SMS (to the hazard's phone), whichever it has; nothing is queued for a channel
without an address. Texts are in the language of the hazard's latest notice.

Dedupe keys: once per notice (issue), per extension decision and per rejection, per address.
"""

from __future__ import annotations

from django.conf import settings

from notifications.models import Channel, Kind
from notifications.services import dedupe_key, message_enqueue, notice_email_enqueue

from .models import Hazard, Notice


def party_language(hazard: Hazard) -> str:
    """The language the party was written to last (its latest hazard notice), else the default."""
    language = (hazard.notices.filter(kind=Notice.Kind.HAZARD).order_by("-issued_at", "-id")
                .values_list("language", flat=True).first())
    return language or settings.LANGUAGE_CODE


def _hazard_context(hazard: Hazard, **extra) -> dict:
    return {"hazard_number": hazard.number, "site_name": hazard.site.name, "deadline": hazard.deadline, **extra}


def _to_party(*, kind: str, hazard: Hazard, about, context: dict, language: str, email: bool = True) -> list:
    """E-mail (unless `email` is False: the notice's own e-mail carries the PDF) and SMS to the party."""
    written = []
    channels = []
    if email and hazard.responsible_email:
        channels.append((Channel.EMAIL, hazard.responsible_email))
    if hazard.responsible_phone:
        channels.append((Channel.SMS, hazard.responsible_phone))
    for channel, address in channels:
        written.append(message_enqueue(
            channel=channel, kind=kind, about=about, about_label=hazard.number, unit=hazard.unit,
            dedupe_key=dedupe_key(kind, channel, about, address), recipient_address=address,
            recipient_name=hazard.responsible_name, language=language, context=context))
    return written


def notice_issued(notice: Notice, hazards) -> list:
    """A hazard or supervision notice was issued: its PDF by e-mail to the addressee, and an SMS to
    each party phone among its hazards (one per phone)."""
    written = []
    if notice.addressee_email:
        written.append(notice_email_enqueue(notice=notice))
    kind = Kind.NOTICE_ISSUED if notice.kind == Notice.Kind.HAZARD else Kind.SUPERVISION_ISSUED
    first = min(hazards, key=lambda h: h.number)
    seen = set()
    for hazard in sorted(hazards, key=lambda h: h.number):
        phone = hazard.responsible_phone.strip()
        if not phone or phone in seen:
            continue
        seen.add(phone)
        written.append(message_enqueue(
            channel=Channel.SMS, kind=kind, about=notice, about_label=notice.number, unit=notice.unit,
            dedupe_key=dedupe_key(kind, Channel.SMS, notice, phone), recipient_address=phone,
            recipient_name=hazard.responsible_name, language=notice.language,
            context={"notice_number": notice.number, "hazard_number": first.number, "deadline": notice.deadline,
                     "new_deadline": notice.deadline, "site_name": notice.site.name,
                     "deadlines_differ": len({h.deadline for h in hazards if h.deadline}) > 1}))
    return written


def extension_decided(extension, hazard: Hazard) -> list:
    """The party learns the decision on its extension request (and the deadline that now holds)."""
    return _to_party(kind=Kind.EXTENSION_DECIDED, hazard=hazard, about=extension, language=party_language(hazard),
                     context=_hazard_context(hazard, approved=extension.status == extension.Status.APPROVED,
                                             comment=extension.decision_comment))


def reply_rejected(acceptance, hazard: Hazard) -> list:
    """The on-site acceptance rejected the rectification: the party continues, with the reason."""
    return _to_party(kind=Kind.REPLY_REJECTED, hazard=hazard, about=acceptance, language=party_language(hazard),
                     context=_hazard_context(hazard, comment=acceptance.comment))
