"""The printable hazard file (一患一档): one PDF per hazard with every field, the five in place and
the governance plan of a major hazard, its photos before and after rectification side by side,
every document issued or received for it with its number, date and SHA-256, and its whole
history. From the hazard page, and as a zip of the hazard files of the ledger's current filter
(one PDF per hazard named by its number, and a manifest).

Nothing here is stored: a hazard file is a print of the file as it stands now (the issued
notices inside it are stored, with their hashes, in hazards.documents). Rendered with
org.documents.render_pdf like every document: our fonts, our static files and the hazard's own
photos only. Many files are read with one set of prefetches per batch (`with_file_prefetch`),
never a query per photo, event or document of each hazard."""

from __future__ import annotations

import hashlib
import io
import tempfile
import zipfile
from dataclasses import dataclass
from itertools import zip_longest

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.dates import today_local
from org.documents import RenderError, render_error_message, render_pdf
from org.spreadsheets import print_setup, text_cell
from org.wording import join_list

from . import rules
from .models import (
    Acceptance,
    AuthorityReport,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Notice,
    ServiceVisit,
    WorkOrderReply,
)
from .selectors import deadline_chain, hazard_timeline

TEMPLATE = "hazards/pdf/hazard_file.html"
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)
# Hazards read with one set of prefetches at a time in the bulk export.
BATCH_SIZE = 50
ZIP_TYPE = "application/zip"


def zip_max() -> int:
    """At most this many hazard files in one zip (settings.HAZARD_FILE_ZIP_MAX): each file takes a
    fraction of a second to render, and the export runs while the user waits."""
    return int(settings.HAZARD_FILE_ZIP_MAX)


def with_file_prefetch(queryset: QuerySet[Hazard]) -> QuerySet[Hazard]:
    """`queryset` (already scoped to the user, see hazards.selectors) with everything a hazard file
    prints joined or prefetched: a fixed number of queries per batch of hazards."""
    return queryset.select_related(
        "site", "unit", "category", "discovered_by", "source_result__item", "source_result__inspection",
    ).prefetch_related(
        Prefetch("photos", queryset=HazardPhoto.objects.order_by("uploaded_at", "id")),
        Prefetch("events", queryset=HazardEvent.objects.select_related("actor").order_by("at", "id")),
        Prefetch("notices", queryset=Notice.objects.select_related("issued_by", "cites").order_by("issued_at", "id")),
        Prefetch("replies", queryset=WorkOrderReply.objects.select_related("recorded_by")
                 .prefetch_related("photos").order_by("submitted_at", "id")),
        Prefetch("extensions", queryset=ExtensionRequest.objects.select_related("decided_by")),
        Prefetch("service_visits", queryset=ServiceVisit.objects.select_related("by")),
        Prefetch("acceptances", queryset=Acceptance.objects.select_related("by")),
        Prefetch("reports", queryset=AuthorityReport.objects.select_related("by")),
    )


@dataclass
class Document:
    """One row of the file's document list."""

    number: str
    kind: str
    date: object  # a date or an aware datetime
    sha256: str  # "" when there is no file (a report recorded without its document)
    note: str = ""


def file_sha256(field_file) -> str | None:
    """The SHA-256 of a stored upload, read now; None when the stored file cannot be read."""
    digest = hashlib.sha256()
    try:
        with field_file.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def _person(user) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def documents(hazard: Hazard) -> list[Document]:
    """Every document issued or received for the hazard, in order: the hazard and supervision
    notices (their hash as stored when issued), the signed scans of their receipt and the
    documents of the reports to the authority (hashed from the stored file now)."""
    missing = _("stored file missing")
    rows = []
    # The deadlines as this hazard's history gave them (a hazard notice over several hazards
    # states the earliest of all as its own; a supervision cites its whole chain: issue 11).
    history = hazard_timeline(hazard)
    notified = {step.number: step.deadline for step in deadline_chain(history) if step.action == "notify"}
    for notice in hazard.notices.all():
        notes = [_("issued by %(person)s") % {"person": _person(notice.issued_by)}]
        deadline = notified.get(notice.number) or notice.deadline
        if deadline:
            notes.append(_("deadline %(date)s") % {"date": deadline.isoformat()})
        if notice.kind == Notice.Kind.SUPERVISION:
            if notice.overdue_from:
                notes.append(_("%(days)s days overdue, counted from the deadline %(date)s") % {
                    "days": notice.days_overdue or 0, "date": notice.overdue_from.isoformat()})
            cited = [step.number for step in deadline_chain(history, before=notice) if step.number]
            if cited:
                notes.append(_("cites %(number)s") % {"number": join_list(cited)})
        elif notice.cites_id:
            notes.append(_("cites %(number)s") % {"number": notice.cites.number})
        if notice.acknowledged_at:
            notes.append(_("receipt acknowledged by %(name)s on %(date)s") % {
                "name": notice.acknowledged_by_name or "—",
                # The day signed (on paper, possibly entered later), else the day it was entered.
                "date": (notice.acknowledged_on or timezone.localdate(notice.acknowledged_at)).isoformat()})
        note = join_list(notes)
        rows.append(Document(notice.number, notice.get_kind_display(), notice.issued_at, notice.sha256, note))
        if notice.signed_scan:
            digest = file_sha256(notice.signed_scan)
            rows.append(Document(f"{notice.number}-signed", _("Signed scan of the notice"),
                                 notice.acknowledged_at or notice.issued_at, digest or "",
                                 notice.acknowledged_by_name if digest else missing))
    for report in hazard.reports.all():
        digest = file_sha256(report.document) if report.document else ""
        note = report.addressee if digest is not None else missing
        rows.append(Document(f"{hazard.number}-report-{report.pk}", _("Report to the authority"), report.report_date,
                             digest or "", note))
    return rows


def photo_pairs(hazard: Hazard) -> list[tuple]:
    """(before, after) photos side by side, row by row; the after side holds the photos added after
    rectification and those of the party's replies. Each photo gets its `label` (when, and what)."""
    photos = list(hazard.photos.all())
    for photo in photos:
        photo.label = " · ".join(part for part in (
            timezone.localtime(photo.uploaded_at).strftime("%Y-%m-%d %H:%M"), photo.caption) if part)
    before = [p for p in photos if p.kind == HazardPhoto.Kind.BEFORE]
    after = [p for p in photos if p.kind == HazardPhoto.Kind.AFTER]
    for reply in hazard.replies.all():
        for photo in reply.photos.all():
            photo.label = " · ".join((reply.replied_on.isoformat() if reply.replied_on
                                      else timezone.localtime(reply.submitted_at).strftime("%Y-%m-%d %H:%M"),
                                      _("Work-order reply"), reply.submitted_by_name))
            after.append(photo)
    return list(zip_longest(before, after))


def hazard_file_context(hazard: Hazard, *, today=None) -> dict:
    """What the hazard file prints; reads nothing the prefetch (with_file_prefetch) has not."""
    from .views import timeline_rows  # the history exactly as the hazard page words it

    today = today or today_local()
    pairs = photo_pairs(hazard)
    return {
        "hazard": hazard,
        "major": hazard.severity == Hazard.Severity.MAJOR,
        "overdue_days": rules.hazard_days_overdue(hazard, today),
        "photo_pairs": pairs,
        "photo_count": sum(1 for pair in pairs for photo in pair if photo is not None),
        "documents": documents(hazard),
        "replies": list(hazard.replies.all()),
        "extensions": list(hazard.extensions.all()),
        "service_visits": list(hazard.service_visits.all()),
        "acceptances": list(hazard.acceptances.all()),
        "timeline": timeline_rows(list(hazard.events.all())),
        "generated_at": timezone.now(),
    }


def file_language(language: str | None) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def render_hazard_file_pdf(hazard: Hazard, *, language: str | None = None, context: dict | None = None) -> bytes:
    """The hazard file as PDF bytes in `language` (from `context` when given, built in that
    language). Raises org.documents.RenderError."""
    language = file_language(language)
    if context is None:
        with translation.override(language):
            context = hazard_file_context(hazard)
    media = [photo.image.name for pair in context["photo_pairs"] for photo in pair if photo is not None]
    return render_pdf(TEMPLATE, context, language=language, media=media)


def hazard_file_filename(hazard: Hazard) -> str:
    return f"{hazard.number}.pdf"


# ---------------------------------------------------------------- the bulk export


class TooManyHazards(Exception):
    def __init__(self, count: int, limit: int):
        super().__init__(f"{count} hazards, at most {limit}")
        self.count, self.limit = count, limit


class NothingToExport(Exception):
    """The filter matches no hazard: a zip with only its manifest would look like a result."""


def too_many_message(count: int, limit: int) -> str:
    return _("The filter matches %(count)d hazards; a zip of hazard files holds at most %(limit)d. Narrow the "
             "filter (for example by site, status or date) and export again.") % {"count": count, "limit": limit}


def zip_filename(today=None) -> str:
    return f"hazard-files-{(today or today_local()).isoformat()}.zip"


def manifest_headers() -> list[str]:
    return [_("File"), capfirst(_("number")), capfirst(_("status")), capfirst(_("severity")), _("Site"),
            capfirst(_("description")), capfirst(_("rectification deadline")), _("Photos"), _("Documents"),
            _("History entries"), _("SHA-256 of the file"), _("Remark")]


def write_hazard_files_zip(queryset: QuerySet[Hazard], out, *, language: str | None = None) -> int:
    """Write into the binary file `out` a zip of the hazard file of every hazard of `queryset` (the
    user's ledger, scoped and filtered) and a manifest (manifest.xlsx), in the queryset's order.
    Refuses (TooManyHazards) above zip_max() rather than export fewer, and (NothingToExport) when
    nothing matches. A file that cannot be
    produced is named in the manifest with the reason. Returns the number of hazards."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    limit = zip_max()
    count = queryset.count()
    if count > limit:
        raise TooManyHazards(count, limit)
    if count == 0:
        raise NothingToExport()
    language = file_language(language)
    with translation.override(language):
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = _("Hazard files")[:31]
        for column, header in enumerate(manifest_headers(), start=1):
            text_cell(sheet.cell(1, column), header)
            sheet.cell(1, column).font = Font(bold=True)
        severity_labels, status_labels = dict(Hazard.Severity.choices), dict(Hazard.Status.choices)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for line, hazard in enumerate(with_file_prefetch(queryset).iterator(chunk_size=BATCH_SIZE), start=2):
                name, remark, digest = hazard_file_filename(hazard), "", ""
                context = hazard_file_context(hazard)
                try:
                    pdf = render_hazard_file_pdf(hazard, language=language, context=context)
                except RenderError as exc:
                    name, remark = "", _("Not produced: %(reason)s") % {"reason": render_error_message(exc)}
                else:
                    digest = hashlib.sha256(pdf).hexdigest()
                    # PDFs are compressed already: stored as they are.
                    archive.writestr(name, pdf, compress_type=zipfile.ZIP_STORED)
                values = [name, hazard.number, str(status_labels.get(hazard.status, hazard.status)),
                          str(severity_labels.get(hazard.severity, hazard.severity)),
                          f"{hazard.site.name} ({hazard.site.code})", hazard.description,
                          hazard.deadline.isoformat() if hazard.deadline else "",
                          context["photo_count"], len(context["documents"]), len(context["timeline"]), digest,
                          remark]
                for column, value in enumerate(values, start=1):
                    if isinstance(value, int):
                        sheet.cell(line, column).value = value
                    else:
                        text_cell(sheet.cell(line, column), value)
            for letter, width in zip("ABCDEFGHIJKL", (20, 18, 12, 12, 28, 48, 14, 8, 8, 8, 66, 30), strict=True):
                sheet.column_dimensions[letter].width = width
            print_setup(sheet, landscape=True)
            manifest = io.BytesIO()
            workbook.save(manifest)
            archive.writestr("manifest.xlsx", manifest.getvalue())
    return count


def hazard_files_zip_file(queryset: QuerySet[Hazard], *, language: str | None = None):
    """The zip in a temporary file (on disk past a few MB), positioned at its start."""
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (handed to the response)
    try:
        write_hazard_files_zip(queryset, out, language=language)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
