"""Issued documents of the hazard loop: the hazard notice (隐患告知书) and the supervision notice
(隐患督导单). Rendered once when issued, stored with the SHA-256 of their bytes, never regenerated
over: what the party received is exactly what the file holds."""

import datetime
import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from org.documents import render_pdf

from .models import HazardEvent, Notice
from .selectors import deadline_chain

TEMPLATES = {
    Notice.Kind.HAZARD: "pdf/hazard_notice.html",
    Notice.Kind.SUPERVISION: "pdf/supervision_notice.html",
}


class DocumentAlreadyStored(Exception):
    """An issued document is stored once; re-storing would silently change what was sent."""


def notice_context(notice: Notice, hazards=None) -> dict:
    """`hazards`: the notice's hazards when it is not saved yet (it is rendered before it is
    stored, see hazards.services.notices._issue); otherwise read from the notice."""
    if hazards is None:
        hazards = notice.hazards.select_related("site", "category")
    hazards = sorted(hazards, key=lambda hazard: hazard.number)
    issued_at = notice.issued_at or timezone.now()
    cites = notice.cites
    return {
        **notice_deadlines(notice, hazards),
        **supervision_chain_context(notice, hazards),
        "notice": notice,
        "hazards": hazards,
        "site": notice.site,
        "unit": notice.unit,
        "issuer": notice.issued_by,
        "issued_on": timezone.localdate(issued_at),
        "cites": cites,
        "cites_issued_on": timezone.localdate(cites.issued_at) if cites and cites.issued_at else None,
    }


def render_notice_pdf(notice: Notice, hazards=None) -> bytes:
    """The notice as PDF bytes in the notice's language (hazard or supervision notice by kind):
    of a saved notice with its hazards attached, or of one about to be stored with `hazards`."""
    return render_pdf(TEMPLATES[notice.kind], notice_context(notice, hazards), language=notice.language or None)


def document_filename(notice: Notice) -> str:
    return f"{notice.number}.pdf"


def store_document(notice: Notice, pdf_bytes: bytes) -> None:
    """Save the issued PDF as the notice's file (name containing the number) with its SHA-256.
    Refuses when the notice already has a file: an issued document is never regenerated over."""
    if notice.file:
        raise DocumentAlreadyStored(f"notice {notice.number} already has its document {notice.file.name}")
    notice.sha256 = hashlib.sha256(pdf_bytes).hexdigest()
    # The storage never overwrites an existing path either: a name clash gets a new suffix.
    notice.file.save(document_filename(notice), ContentFile(pdf_bytes), save=False)
    if notice.pk:
        notice.save(update_fields=["file", "sha256"])


def notice_deadlines(notice: Notice, hazards) -> dict:
    """The deadlines a notice prints, so that they never contradict each other (issue 11, fault 5).

    Each hazard's row prints that hazard's own deadline as notified (`hazard.notice_deadline`:
    read from its notify history row for a stored notice, so a later extension does not rewrite a
    re-rendered copy). Under the table the notice states only what is true of every row:
    "deadline: D" when all rows share D (a single hazard included), otherwise "each hazard by
    the deadline in its row; the earliest is D". `notice.deadline` (the earliest) stays the notice's
    date for reminders and the portal link."""
    notified = {}
    if notice.pk and notice.kind == Notice.Kind.HAZARD:
        rows = HazardEvent.objects.filter(action="notify", data__notice_id=notice.pk).values_list("hazard_id", "data")
        notified = {hazard_id: data.get("deadline") for hazard_id, data in rows}
    for hazard in hazards:
        stored = notified.get(hazard.pk)
        hazard.notice_deadline = datetime.date.fromisoformat(stored) if stored else hazard.deadline
    if notice.kind == Notice.Kind.SUPERVISION:
        # One hazard, whose deadline is the notice's new deadline (printed under the table).
        for hazard in hazards:
            hazard.notice_deadline = notice.deadline
    deadlines = sorted({h.notice_deadline for h in hazards if h.notice_deadline})
    return {"deadlines_differ": len(deadlines) > 1,
            "earliest_deadline": deadlines[0] if deadlines else notice.deadline}


def supervision_chain_context(notice: Notice, hazards) -> dict:
    """What a supervision notice cites (issue 11, fault 6): the deadline its days overdue count
    from, and every earlier step that set the hazard's deadline (hazard notice, supervision
    notices, approved extensions), each with its number, date and deadline. Read from the hazard's
    history; for a notice being issued, everything before it."""
    if notice.kind != Notice.Kind.SUPERVISION or not hazards:
        return {}
    hazard = hazards[0]
    events = list(HazardEvent.objects.filter(hazard=hazard).order_by("at", "id"))
    return {"chain": deadline_chain(events, before=notice if notice.pk else None)}
