"""Issued documents of the hazard loop: the hazard notice (隐患告知书) and the supervision notice
(隐患督导单). Rendered once when issued, stored with the SHA-256 of their bytes, never regenerated
over: what the party received is exactly what the file holds."""

import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from org.documents import render_pdf

from .models import Notice

TEMPLATES = {
    Notice.Kind.HAZARD: "pdf/hazard_notice.html",
    Notice.Kind.SUPERVISION: "pdf/supervision_notice.html",
}


class DocumentAlreadyStored(Exception):
    """An issued document is stored once; re-storing would silently change what was sent."""


def notice_context(notice: Notice, hazards=None) -> dict:
    """`hazards`: the notice's hazards when it is not saved yet (it is rendered before it is
    stored, see hazards.services._issue); otherwise read from the notice."""
    if hazards is None:
        hazards = notice.hazards.select_related("site", "category")
    hazards = sorted(hazards, key=lambda hazard: hazard.number)
    issued_at = notice.issued_at or timezone.now()
    cites = notice.cites
    return {
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
