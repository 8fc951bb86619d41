"""Every write to a hazard file. Each lifecycle function: keyword-only, one transaction, the hazard
row locked (select_for_update), lifecycle.check, the version compared ("changed meanwhile"),
version bumped, full_clean() before save(update_fields=...), exactly one HazardEvent.

Errors: lifecycle refusals raise lifecycle.ActionRefused (ChangedMeanwhile for a stale form or a
lost race); bad input raises django ValidationError (field-keyed where a form field exists).

Party actions (acknowledge, extension request, reply) take `by` = the staff user recording them
and the party's name; the portal will call the same functions with by=None."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.documents import RenderError, render_error_message
from org.selectors import unit_in_scope, user_membership
from org.services import check_unit_in_scope, next_number, number_peek
from org.uploads import DOCUMENT, PHOTO, CheckedFile, check_upload
from org.validators import validate_not_before

from . import events, outbox, rules
from .lifecycle import (
    FIXED_AFTER_NOTIFY,
    TRANSITIONS,
    Action,
    ActionRefused,
    ChangedMeanwhile,
    check,
    check_register,
    local_today,
)
from .models import (
    Acceptance,
    AuthorityReport,
    ExtensionRequest,
    Hazard,
    HazardPhoto,
    Notice,
    ReplyPhoto,
    RiskCategory,
    ServiceRecord,
    WhitelistEntry,
    WorkOrderReply,
)
from .selectors import finding_defaults

S = Hazard.Status

MAJOR_FIELDS = frozenset(rules.MAJOR_FIELDS)
EDITABLE_FIELDS = frozenset({
    "location", "description", "category", "severity", "basis", "discovered_on", "responsible_name",
    "responsible_email", "responsible_phone", "required_measures", "deadline",
}) | MAJOR_FIELDS


# --- numbers ---------------------------------------------------------------------------------

def hazard_number(year: int) -> str:
    return next_number("hazard", "YH", year, 6)


NOTICE_SERIES = {
    Notice.Kind.HAZARD: ("notice", "GZ", 5),
    Notice.Kind.SUPERVISION: ("supervision", "DD", 5),
}


def notice_number(kind: str, year: int) -> str:
    key, prefix, width = NOTICE_SERIES[kind]
    return next_number(key, prefix, year, width)


# --- photos ----------------------------------------------------------------------------------

def _checked(uploads, accept, field: str) -> list[CheckedFile]:
    """Check files by content before any row is locked or number taken; every refused file is
    named, on the form field it came from."""
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload, accept))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return checked


def _photo_create(model, *, image: CheckedFile, **fields):
    photo = model(**fields)
    photo.image.save(image.name, image, save=False)
    thumbnail = image.thumbnail_file()
    photo.thumbnail.save(thumbnail.name, thumbnail, save=False)
    photo.full_clean()
    photo.save()
    return photo


# --- helpers ---------------------------------------------------------------------------------

def _lock(hazard: Hazard, action: str, by, *, expected_version: int | None = None,
          today: datetime.date | None = None) -> Hazard:
    """Lock the hazard row, then refuse if it changed since the caller read it, or if the action
    is not allowed now. Without an expected version, a status change while waiting for the lock
    (a lost race) is "changed meanwhile" too: never act on a state the user did not see."""
    locked = (Hazard.objects.select_for_update(of=("self",))
              .select_related("unit", "site", "category").get(pk=hazard.pk))
    if expected_version is not None and expected_version != locked.version:
        raise ChangedMeanwhile()
    if expected_version is None and hazard.status != locked.status:
        raise ChangedMeanwhile()
    check(locked, action, by, today=today)
    return locked


def _save(hazard: Hazard, fields: Iterable[str]) -> None:
    hazard.version += 1
    hazard.full_clean()
    hazard.save(update_fields=[*fields, "version", "updated_at"])


def _required(**values) -> None:
    errors = {name: _("This field is required.") for name, value in values.items()
              if value is None or (isinstance(value, str) and not value.strip())}
    if errors:
        raise ValidationError(errors)


BEFORE_DISCOVERY = {
    "deadline": gettext_lazy("The deadline cannot be before the hazard was discovered (%(date)s)."),
    "five_deadline": gettext_lazy("The time limit cannot be before the hazard was discovered (%(date)s)."),
}


def _check_dates(hazard: Hazard) -> None:
    """Dates of a hazard file in order: deadlines not before the discovery. Checked when the
    file's dates are entered or changed (the bounds of each date are the model's validators)."""
    errors = {}
    for name, message in BEFORE_DISCOVERY.items():
        try:
            validate_not_before(getattr(hazard, name), hazard.discovered_on, message)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


def _check_after_discovery(hazard: Hazard, field: str, value) -> None:
    try:
        validate_not_before(value, hazard.discovered_on,
                            gettext_lazy("The date cannot be before the hazard was discovered (%(date)s)."))
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


# Effective dates. Actions RECORDED FROM PAPER or the site, entered after the fact, take the day
# they happened (default today): acknowledgement (签收, the signed notice), service, extension
# request (the party's letter or call), report to the authority, reply (回复), acceptance and its
# rejection (验收). LIVE actions are the signed-in user's own act in the system and happen when
# entered: register (its day is the discovery), edit, notify and supervise (the documents are
# issued and dated now), the extension decision, close (销号), void, photos. The portal's party
# acts live too (today), stored the same way.

def _previous_step(hazard):
    """The history row of the step that brought the hazard to its current status."""
    return (hazard.events.exclude(from_status=F("to_status")).order_by("-at", "-id")
            .only("action", "at", "data").first())


def _effective(hazard, field: str, day: datetime.date | None) -> datetime.date:
    """The effective date of an action recorded on `hazard` (locked): today unless given; never in
    the future, never before the hazard's previous step, never before its discovery. Refusals are
    keyed by the form field `field`."""
    today = local_today()
    if day is None:
        return today
    if day > today:
        raise ValidationError({field: _("The date %(date)s is in the future: enter the day it happened.")
                               % {"date": day.isoformat()}})
    step = _previous_step(hazard)
    if step is not None and day < step.effective_on:
        raise ValidationError({field: _("The date cannot be before the hazard's previous step, “%(step)s” on "
                                        "%(date)s.") % {"step": step.action_display,
                                                        "date": step.effective_on.isoformat()}})
    _check_after_discovery(hazard, field, day)
    return day


def _issuing_unit(by, site):
    membership = user_membership(by) if by is not None else None
    return membership.unit if membership else site.unit


def _latest_hazard_notice(hazard) -> Notice | None:
    return hazard.notices.filter(kind=Notice.Kind.HAZARD).order_by("-issued_at", "-id").first()


# --- registration and editing ----------------------------------------------------------------

@transaction.atomic
def hazard_register(*, site, description, category, severity=Hazard.Severity.GENERAL, discovered_on, by,
                    location="", basis="", responsible_name="", responsible_email="", responsible_phone="",
                    required_measures="", deadline=None, photos=(), source_result=None,
                    **major_fields) -> Hazard:
    check_register(site, by)
    photos = _checked(photos, PHOTO, "photos")
    unknown = set(major_fields) - MAJOR_FIELDS
    if unknown:
        raise TypeError(f"hazard_register got unexpected fields: {sorted(unknown)}")
    # A general hazard keeps none of them (the form posts them even while they are hidden).
    major_fields = rules.major_values(severity, major_fields)
    if not category.active:
        raise ValidationError({"category": _("The risk category “%(name)s” is no longer in use.")
                               % {"name": category.name}})
    if source_result is not None and Hazard.objects.filter(source_result=source_result).exists():
        raise ActionRefused(_("A hazard was already registered for this finding."))
    hazard = Hazard(
        site=site, unit=site.unit, description=description, category=category, severity=severity,
        discovered_on=discovered_on, discovered_by=by, location=location, basis=basis,
        responsible_name=responsible_name, responsible_email=responsible_email,
        responsible_phone=responsible_phone, required_measures=required_measures, deadline=deadline,
        source=Hazard.Source.INSPECTION if source_result is not None else Hazard.Source.MANUAL,
        source_result=source_result, status=S.REGISTERED, **major_fields,
    )
    # Validate before taking a number, so a bad form does not hold the counter lock needlessly.
    hazard.full_clean(exclude=["number"])
    _check_dates(hazard)
    hazard.number = hazard_number(local_today().year)
    hazard.save()
    for image in photos:
        _photo_create(HazardPhoto, image=image, hazard=hazard, kind=HazardPhoto.Kind.BEFORE, uploaded_by=by)
    events.hazard_registered(hazard, by=by, photos=len(photos))
    return hazard


@transaction.atomic
def hazard_update(*, hazard, by, expected_version=None, **fields) -> Hazard:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"hazard_update cannot change: {sorted(unknown)}")
    hazard = _lock(hazard, Action.EDIT, by, expected_version=expected_version)
    changes = {name: (getattr(hazard, name), value) for name, value in fields.items()
               if getattr(hazard, name) != value}
    if not changes:
        return hazard
    if hazard.status != S.REGISTERED:
        fixed = sorted(set(changes) & FIXED_AFTER_NOTIFY)
        if fixed:
            labels = ", ".join(str(Hazard._meta.get_field(f).verbose_name) for f in fixed)
            raise ActionRefused(_("Once the hazard notice is issued these cannot be changed here: %(fields)s. "
                                  "The deadline moves only by an approved extension or a supervision notice.")
                                % {"fields": labels})
    if "category" in changes and not fields["category"].active:
        raise ValidationError({"category": _("The risk category “%(name)s” is no longer in use.")
                               % {"name": fields["category"].name}})
    for name, (_old, new) in changes.items():
        setattr(hazard, name, new)
    if changes.keys() & {"discovered_on", *BEFORE_DISCOVERY}:
        _check_dates(hazard)
    _save(hazard, changes)
    events.hazard_edited(hazard, by=by, from_status=hazard.status, changes=changes)
    return hazard


def _default_category() -> RiskCategory:
    category = RiskCategory.objects.filter(code="OTHER", active=True).first()
    if category is None:
        raise ActionRefused(_("Choose a risk category for the new hazards."))
    return category


def _inspection_problems(inspection):
    try:
        from audits.selectors import inspection_problems
    except ImportError:
        from audits.models import InspectionResult

        return (InspectionResult.objects.filter(inspection=inspection).exclude(problem="")
                .select_related("item").order_by("item__sort_key"))
    return inspection_problems(inspection)


def _finding_photos(result) -> list[ContentFile]:
    """The photos taken on the finding, as files: a hazard made from it starts with them as its
    before-photos (整改前), so the evidence follows the hazard."""
    files = []
    for photo in result.photos.all():
        with photo.image.open("rb") as stored:
            files.append(ContentFile(stored.read(), name=os.path.basename(photo.image.name)))
    return files


@transaction.atomic
def hazards_create_from_inspection(*, inspection, by, category=None,
                                   choices: dict[int, tuple] | None = None) -> list[Hazard]:
    """One hazard per finding with a problem, linked back by source_result; findings that already
    have a hazard are skipped, so running it again creates nothing twice.

    `choices`: {result id: (category, severity)} as chosen per finding on the inspection page;
    only those findings are registered. Without it every finding is, with `category` (or the
    item's default category, else "other") and the item's default severity."""
    from audits.models import Inspection, InspectionEvent

    # Lock the inspection: two clicks at once queue, and the second sees the first's hazards.
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("site__unit").get(
        pk=inspection.pk)
    if inspection.site is None:
        raise ActionRefused(_("This inspection has no site; register its hazards by hand on the site concerned."))
    if inspection.status == Inspection.Status.DRAFT:
        raise ActionRefused(_("Submit the inspection before creating hazards from its findings."))
    check_register(inspection.site, by)
    site = inspection.site
    linked = set(Hazard.objects.filter(source_result__inspection=inspection).values_list("source_result_id",
                                                                                          flat=True))
    created = []
    results = [r for r in _inspection_problems(inspection) if r.pk not in linked and r.problem.strip()]
    if choices is not None:
        results = [r for r in results if r.pk in choices]
    prefetch_related_objects(results, "photos")
    defaults = finding_defaults(results)
    for result in results:
        result.inspection = inspection
        chosen_category, severity = (choices or {}).get(result.pk) or (None, None)
        default_category, default_severity = defaults[result.pk]
        created.append(hazard_register(
            site=site, description=result.problem.strip(), discovered_on=inspection.date,
            category=chosen_category or category or default_category or _default_category(),
            severity=severity or default_severity,
            by=by, basis=f"{result.item.code} {result.item.title}", required_measures=result.measure.strip(),
            responsible_name=site.contact_name, responsible_email=site.contact_email,
            responsible_phone=site.contact_phone, source_result=result, photos=_finding_photos(result),
        ))
    if created:
        InspectionEvent.objects.create(
            inspection=inspection, action=InspectionEvent.Action.HAZARDS_CREATED, from_status=inspection.status,
            to_status=inspection.status, actor=by, comment=", ".join(h.number for h in created),
        )
    return created


# --- notices ---------------------------------------------------------------------------------

# A notice is a document a party reads and signs: beyond this many hazards, issue several.
MAX_HAZARDS_PER_NOTICE = 50
# Renders of one notice before its issuing gives up because other notices keep taking the number.
ISSUE_ATTEMPTS = 5


def _issue(notice: Notice, hazards: Sequence[Hazard]) -> Notice:
    """Number, render and store the notice (inside the caller's transaction, which holds the
    notice's own hazard rows locked).

    Why the notice is rendered here, before its number is taken: the PDF prints the number, and
    numbers are gap-free per company and year, so taking one locks the series' counter row until
    the transaction ends. Rendering while holding it made every unit's issuing wait on one unit's
    render (a 181-page notice held it 25 s; another branch's notice waited 44 s). So the notice is
    rendered with the number the counter would give next, read without a lock; then the number is
    taken only if it is still that one, the notice is stored and the transaction ends at once: the
    counter is held for milliseconds. If another notice took the number during the render, the
    notice is rendered again with the new next number (nothing was taken or stored). A render holds
    no lock that another unit needs: only the rows of this notice's own hazards.

    Why it is rendered inside the transaction at all, and not after commit (core.transaction):
    the PDF is the notice, i.e. the record of what was issued, numbered and hashed; a hazard is
    "notified" only together with it. Rendered after commit, a failed render would leave a notified
    hazard without its notice. Sending it (e-mail to the party) is a side effect: an outbox row
    written here, delivered after commit."""
    from .documents import render_notice_pdf, store_document

    key, prefix, width = NOTICE_SERIES[notice.kind]
    year = local_today().year
    notice.full_clean(exclude=["number", "file", "sha256"])
    for _attempt in range(ISSUE_ATTEMPTS):
        notice.number = number_peek(key, prefix, year, width)
        try:
            pdf = render_notice_pdf(notice, hazards)
        except RenderError as exc:
            raise ActionRefused(_("The notice could not be issued: %(reason)s") % {
                "reason": render_error_message(exc)}) from exc
        if next_number(key, prefix, year, width, expected=notice.number) is not None:
            break
    else:
        raise ActionRefused(_("Many notices are being issued at this moment; please try again."))
    notice.full_clean(exclude=["file", "sha256"])
    notice.save()
    notice.hazards.set(hazards)
    store_document(notice, pdf)
    return notice


@transaction.atomic
def hazard_notify(*, hazards: Sequence[Hazard], by, language="zh-hans",
                  expected_versions: dict[int, int] | None = None) -> Notice:
    """One hazard notice (告知书) covering one or more hazards of ONE site."""
    if not hazards:
        raise ActionRefused(_("Choose at least one hazard to notify."))
    if len(hazards) > MAX_HAZARDS_PER_NOTICE:
        raise ActionRefused(_("One notice covers at most %(max)d hazards; notify them in smaller groups.")
                            % {"max": MAX_HAZARDS_PER_NOTICE})
    if len({h.site_id for h in hazards}) > 1:
        raise ActionRefused(_("One notice covers hazards of one site only; notify each site separately."))
    expected_versions = expected_versions or {}
    locked = []
    refusals = []
    # Lock in primary-key order so two notices over overlapping hazards cannot deadlock.
    for hazard in sorted(hazards, key=lambda h: h.pk):
        try:
            locked.append(_lock(hazard, Action.NOTIFY, by, expected_version=expected_versions.get(hazard.pk)))
        except ChangedMeanwhile:
            raise
        except ActionRefused as exc:
            # Collect every hazard's reason: the user fixes them all at once.
            refusals.append(f"{hazard.number}: {exc.message}")
    if refusals:
        if len(hazards) == 1:
            raise ActionRefused(refusals[0].split(": ", 1)[1])
        raise ActionRefused(" ".join(refusals))
    site = locked[0].site
    names = list(dict.fromkeys(h.responsible_name.strip() for h in locked))
    addressee = "、".join(names)
    if len(addressee) > Notice._meta.get_field("addressee").max_length:
        raise ActionRefused(_("These hazards have too many different responsible parties for one notice; "
                              "notify them in smaller groups."))
    email = next((h.responsible_email for h in locked if h.responsible_email), "")
    notice = Notice(
        kind=Notice.Kind.HAZARD, site=site,
        unit=_issuing_unit(by, site), addressee=addressee, addressee_email=email,
        deadline=min(h.deadline for h in locked), language=language, issued_by=by,
    )
    now = timezone.now()
    for hazard in locked:
        from_status = hazard.status
        hazard.status, hazard.notified_at = S.NOTIFIED, now
        _save(hazard, ["status", "notified_at"])
        hazard._from_status = from_status
    _issue(notice, locked)
    for hazard in locked:
        events.hazard_notified(hazard, by=by, from_status=hazard._from_status, notice=notice)
    outbox.notice_issued(notice, locked)
    return notice


@dataclass(frozen=True)
class Acknowledgement:
    """What one receipt (签收) of a notice did: the hazards of the notice that moved to
    rectification together, and those already moved on by someone else, left alone as they were."""

    notice: Notice | None
    hazard: Hazard | None  # the hazard it was recorded through (staff form), else None (portal)
    moved: list[Hazard]
    left: list[Hazard]


@transaction.atomic
def hazard_acknowledge(*, hazard, acknowledged_by_name, by, signed_scan=None, expected_version=None,
                       acknowledged_on: datetime.date | None = None) -> Hazard:
    """Receipt of the notice (签收), recorded through one of its hazards (staff form, with a scan
    of the signed notice). The receipt is of the notice: see notice_acknowledge."""
    return notice_acknowledge(through=hazard, acknowledged_by_name=acknowledged_by_name, by=by,
                              signed_scan=signed_scan, expected_version=expected_version,
                              acknowledged_on=acknowledged_on).hazard


@transaction.atomic
def notice_acknowledge(*, acknowledged_by_name, by, notice=None, through=None, signed_scan=None,
                       expected_version=None, acknowledged_on: datetime.date | None = None) -> Acknowledgement:
    """Receipt of a hazard notice (签收): one signature covers the whole notice, so every hazard of
    it still awaiting acknowledgement moves to rectification together, each with its row locked,
    its version raised and its own history row, in this one transaction. The staff form passes
    `through` (the hazard page it was opened on, checked against `expected_version`; the notice is
    that hazard's hazard notice); the party's portal passes `notice` (by=None). A hazard of the
    notice that someone else already moved on (acknowledged, replied, voided…) is left alone and
    listed in the result's `left`. The notice keeps its first receipt. `acknowledged_on`: the day
    signed (recorded from paper; default today, the portal's party acting live), checked against
    every moved hazard's previous step."""
    _required(acknowledged_by_name=acknowledged_by_name)
    name = acknowledged_by_name.strip()
    if signed_scan is not None:
        signed_scan = _checked([signed_scan], DOCUMENT, "signed_scan")[0]
    if notice is None and through is not None:
        notice = _latest_hazard_notice(through)
    if notice is not None and notice.kind != Notice.Kind.HAZARD:
        raise ActionRefused(_("Receipt is acknowledged on the hazard notice, not on a supervision notice."))
    ids = set(notice.hazards.values_list("pk", flat=True)) if notice is not None else set()
    if through is not None:
        ids.add(through.pk)
    moved, left, through_locked = [], [], None
    # Locked in primary-key order, as hazard_notify locks them: two receipts of one notice queue
    # here (whichever hazard each was opened on), and the second finds nothing left to move.
    for pk in sorted(ids):
        if through is not None and pk == through.pk:
            hazard = through_locked = _lock(through, Action.ACKNOWLEDGE, by, expected_version=expected_version)
        else:
            hazard = (Hazard.objects.select_for_update(of=("self",))
                      .select_related("unit", "site", "category").get(pk=pk))
            try:
                check(hazard, Action.ACKNOWLEDGE, by)
            except ActionRefused:
                left.append(hazard)
                continue
        moved.append(hazard)
    if not moved:
        raise ActionRefused(_("This notice has already been acknowledged."))
    day = None
    for hazard in moved:
        day = _effective(hazard, "acknowledged_on", acknowledged_on)
    if notice is not None:
        # Read again under the hazards' locks: an earlier receipt of this notice stays the first.
        notice.refresh_from_db(fields=["acknowledged_at", "acknowledged_by_name", "signed_scan", "acknowledged_on"])
    if notice is not None and notice.acknowledged_at is None:
        notice.acknowledged_at, notice.acknowledged_by_name = timezone.now(), name
        notice.acknowledged_on = day
        fields = ["acknowledged_at", "acknowledged_by_name", "acknowledged_on"]
        if signed_scan is not None:
            notice.signed_scan.save(signed_scan.name, signed_scan, save=False)
            fields.append("signed_scan")
        notice.save(update_fields=fields)
    for hazard in moved:
        from_status = hazard.status
        hazard.status = S.RECTIFYING
        _save(hazard, ["status"])
        events.hazard_acknowledged(hazard, by=by, from_status=from_status, notice=notice, acknowledged_by_name=name,
                                   signed_scan=signed_scan is not None, acknowledged_on=day,
                                   via=through.number if through is not None and hazard.pk != through.pk else None)
    return Acknowledgement(notice=notice, hazard=through_locked, moved=moved, left=left)


@transaction.atomic
def hazard_record_service(*, hazard, date, description, by, expected_version=None) -> ServiceRecord:
    _required(date=date, description=description)
    hazard = _lock(hazard, Action.SERVICE, by, expected_version=expected_version)
    if date > local_today():
        raise ValidationError({"date": _("A service cannot be recorded for a future date.")})
    _effective(hazard, "date", date)
    record = ServiceRecord(hazard=hazard, date=date, description=description.strip(), by=by)
    record.full_clean()
    record.save()
    _save(hazard, [])
    events.service_recorded(hazard, by=by, from_status=hazard.status, record=record)
    return record


# --- deadlines -------------------------------------------------------------------------------

@transaction.atomic
def hazard_request_extension(*, hazard, requested_deadline, reason, requested_by_name, by,
                             expected_version=None, requested_on: datetime.date | None = None) -> ExtensionRequest:
    """The party's request for a later deadline; `requested_on`: the day they asked (recorded from
    their letter or call; default today)."""
    _required(requested_deadline=requested_deadline, reason=reason, requested_by_name=requested_by_name)
    hazard = _lock(hazard, Action.REQUEST_EXTENSION, by, expected_version=expected_version)
    requested_on = _effective(hazard, "requested_on", requested_on)
    if requested_deadline <= hazard.deadline:
        raise ValidationError({"requested_deadline": _("The requested deadline must be later than the current "
                                                       "deadline %(deadline)s.")
                               % {"deadline": hazard.deadline.isoformat()}})
    if requested_deadline <= local_today():
        raise ValidationError({"requested_deadline": _("The requested deadline must be in the future.")})
    extension = ExtensionRequest(hazard=hazard, old_deadline=hazard.deadline, requested_deadline=requested_deadline,
                                 reason=reason.strip(), requested_by_name=requested_by_name.strip(),
                                 requested_on=requested_on)
    extension.full_clean()
    extension.save()
    _save(hazard, [])
    events.extension_requested(hazard, by=by, from_status=hazard.status, extension=extension)
    return extension


@transaction.atomic
def hazard_decide_extension(*, extension, approve: bool, comment, by, expected_version=None,
                            granted_deadline: datetime.date | None = None) -> ExtensionRequest:
    """Approve (the hazard's deadline becomes `granted_deadline`, by default the requested one) or
    deny. The old, requested and granted deadlines stay on the request and in the event."""
    action = Action.APPROVE_EXTENSION if approve else Action.DENY_EXTENSION
    if not approve:
        _required(comment=comment)
    hazard = _lock(extension.hazard, action, by, expected_version=expected_version)
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionRequest.Status.PENDING:
        raise ChangedMeanwhile(_("This extension request was already decided meanwhile."))
    if approve:
        granted_deadline = granted_deadline or extension.requested_deadline
        # Validated like any deadline typed: a real date, in the future, later than the current one.
        if granted_deadline <= local_today():
            raise ValidationError({"granted_deadline": _("The granted deadline must be in the future.")})
        if granted_deadline <= hazard.deadline:
            raise ValidationError({"granted_deadline": _("The granted deadline must be later than the current "
                                                         "deadline %(deadline)s.")
                                   % {"deadline": hazard.deadline.isoformat()}})
        extension.granted_deadline = granted_deadline
    extension.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.DENIED
    extension.decided_by, extension.decided_at = by, timezone.now()
    extension.decision_comment = (comment or "").strip()
    extension.full_clean()
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "granted_deadline"])
    old_deadline = hazard.deadline
    if approve:
        hazard.deadline = extension.granted_deadline
        _save(hazard, ["deadline"])
        events.extension_approved(hazard, by=by, from_status=hazard.status, extension=extension,
                                  old_deadline=old_deadline)
    else:
        _save(hazard, [])
        events.extension_denied(hazard, by=by, from_status=hazard.status, extension=extension)
    outbox.extension_decided(extension, hazard)
    return extension


@transaction.atomic
def notice_email_send(*, notice: Notice, by, to: str = ""):
    """Send an issued notice's e-mail (its stored PDF attached) again, to the addressee or to `to`:
    the button on the hazard page and the admin action. For the roles that issue notices, within
    their unit subtree; a new outbox message each time, recording who asked."""
    from notifications.services import notice_email_enqueue

    if not getattr(by, "is_authenticated", False) or not by.is_active:
        raise ActionRefused(_("Please sign in first."))
    if not unit_in_scope(by, notice.site.unit):
        raise ActionRefused(_("Notice not found."))
    transition = TRANSITIONS[Action.NOTIFY]
    if not by.is_superuser and getattr(user_membership(by), "role", None) not in transition.roles:
        raise ActionRefused(_("Your role may not send notices."))
    to = (to or "").strip()
    if not to and not notice.addressee_email:
        raise ValidationError({"to": _("The notice has no addressee e-mail: enter the address to send it to.")})
    try:
        return notice_email_enqueue(notice=notice, to=to, resend=True, by=by)
    except ValidationError:
        raise ValidationError({"to": _("Enter a valid e-mail address.")}) from None


def default_escalation() -> str:
    return _("If the hazard is still not rectified by the new deadline, it will be reported to the superior "
             "unit and the competent authority, and the supply of electricity may be restricted according to "
             "the law.")


@transaction.atomic
def hazard_supervise(*, hazard, new_deadline, by, language="zh-hans", expected_version=None,
                     escalation=None) -> Notice:
    """Supervision notice (督导单) for an overdue hazard: cites the original notice, days overdue,
    sets the new deadline; counted in supervision_count."""
    _required(new_deadline=new_deadline)
    today = local_today()
    hazard = _lock(hazard, Action.SUPERVISE, by, expected_version=expected_version, today=today)
    if new_deadline <= today:
        raise ValidationError({"new_deadline": _("The new deadline must be in the future.")})
    old_deadline = hazard.deadline
    days_overdue = rules.days_overdue(hazard.status, old_deadline, today)
    with translation.override(language):
        escalation = escalation or default_escalation()
    notice = Notice(
        kind=Notice.Kind.SUPERVISION, site=hazard.site,
        unit=_issuing_unit(by, hazard.site), addressee=hazard.responsible_name,
        addressee_email=hazard.responsible_email, deadline=new_deadline, cites=_latest_hazard_notice(hazard),
        days_overdue=days_overdue, overdue_from=old_deadline, escalation=escalation, language=language,
        issued_by=by,
    )
    hazard.deadline = new_deadline
    hazard.supervision_count += 1
    _save(hazard, ["deadline", "supervision_count"])
    _issue(notice, [hazard])
    events.hazard_supervised(hazard, by=by, from_status=hazard.status, notice=notice, old_deadline=old_deadline,
                             days_overdue=days_overdue)
    outbox.notice_issued(notice, [hazard])
    return notice


@transaction.atomic
def hazard_report(*, hazard, addressee, report_date, by, document=None, comment="",
                  expected_version=None) -> AuthorityReport:
    """Report to the authority (报告) of a major or refused hazard endangering the grid or the public."""
    _required(addressee=addressee, report_date=report_date)
    if document is not None:
        document = _checked([document], DOCUMENT, "document")[0]
    hazard = _lock(hazard, Action.REPORT, by, expected_version=expected_version)
    if report_date > local_today():
        raise ValidationError({"report_date": _("The report date cannot be in the future.")})
    _effective(hazard, "report_date", report_date)
    report = AuthorityReport(hazard=hazard, addressee=addressee.strip(), report_date=report_date,
                             comment=(comment or "").strip(), by=by)
    if document is not None:
        report.document.save(document.name, document, save=False)
    report.full_clean()
    report.save()
    _save(hazard, [])
    events.hazard_reported(hazard, by=by, from_status=hazard.status, report=report)
    return report


# --- reply, acceptance, closing ----------------------------------------------------------------

@transaction.atomic
def hazard_submit_reply(*, hazard, cause, handling, result, submitted_by_name, by, next_measures="", photos=(),
                        expected_version=None, replied_on: datetime.date | None = None) -> WorkOrderReply:
    """The party's work-order reply (回复); `replied_on`: the date of the reply (recorded from paper;
    default today)."""
    _required(cause=cause, handling=handling, result=result, submitted_by_name=submitted_by_name)
    photos = _checked(photos, PHOTO, "photos")
    hazard = _lock(hazard, Action.SUBMIT_REPLY, by, expected_version=expected_version)
    replied_on = _effective(hazard, "replied_on", replied_on)
    reply = WorkOrderReply(hazard=hazard, cause=cause.strip(), handling=handling.strip(), result=result,
                           next_measures=(next_measures or "").strip(), submitted_by_name=submitted_by_name.strip(),
                           recorded_by=by, replied_on=replied_on)
    reply.full_clean()
    reply.save()
    for image in photos:
        _photo_create(ReplyPhoto, image=image, reply=reply)
    from_status = hazard.status
    hazard.status = S.PENDING_ACCEPTANCE
    _save(hazard, ["status"])
    events.reply_submitted(hazard, by=by, from_status=from_status, reply=reply, photos=len(photos))
    return reply


@transaction.atomic
def hazard_accept(*, hazard, by, comment="", self_evaluation="", expert_evaluation="", government_acceptance="",
                  whitelist_until=None, after_photos=(), expected_version=None,
                  checked_on: datetime.date | None = None) -> Acceptance:
    """On-site acceptance (验收). A reply of "no action needed" verified here may put the source
    item on the site's whitelist until `whitelist_until` (freeze period). `checked_on`: the day of
    the check on site (recorded from paper; default today)."""
    after_photos = _checked(after_photos, PHOTO, "photos")
    hazard = _lock(hazard, Action.ACCEPT, by, expected_version=expected_version)
    checked_on = _effective(hazard, "checked_on", checked_on)
    if hazard.severity == Hazard.Severity.MAJOR:
        missing = {k: _("A major hazard's acceptance records this evaluation.")
                   for k, v in {"self_evaluation": self_evaluation, "expert_evaluation": expert_evaluation}.items()
                   if not (v or "").strip()}
        if missing:
            raise ValidationError(missing)
    entry = None
    if whitelist_until is not None:
        entry = _whitelist_from(hazard, whitelist_until, by)
    acceptance = Acceptance(hazard=hazard, result=Acceptance.Result.ACCEPTED, comment=(comment or "").strip(),
                            self_evaluation=(self_evaluation or "").strip(),
                            expert_evaluation=(expert_evaluation or "").strip(),
                            government_acceptance=(government_acceptance or "").strip(), by=by,
                            checked_on=checked_on)
    acceptance.full_clean()
    acceptance.save()
    for image in after_photos:
        _photo_create(HazardPhoto, image=image, hazard=hazard, kind=HazardPhoto.Kind.AFTER, uploaded_by=by)
    from_status = hazard.status
    hazard.status, hazard.accepted_at, hazard.acceptance_date = S.ACCEPTED, timezone.now(), checked_on
    _save(hazard, ["status", "accepted_at", "acceptance_date"])
    events.hazard_accepted(hazard, by=by, from_status=from_status, acceptance=acceptance, whitelist_entry=entry,
                           photos=len(after_photos))
    return acceptance


def _whitelist_from(hazard, frozen_until, by) -> WhitelistEntry:
    reply = hazard.replies.order_by("-submitted_at", "-id").first()
    if reply is None or reply.result != WorkOrderReply.Result.NO_ACTION:
        raise ValidationError({"whitelist_until": _("Only a reply of “no action needed”, verified on site, can put "
                                                    "the item on the whitelist.")})
    if hazard.source_result_id is None:
        raise ValidationError({"whitelist_until": _("This hazard was registered by hand, not from a checklist "
                                                    "item, so there is no item to whitelist.")})
    if frozen_until <= local_today():
        raise ValidationError({"whitelist_until": _("The freeze period must end in the future.")})
    entry = WhitelistEntry(site=hazard.site, item_id=hazard.source_result.item_id, frozen_until=frozen_until,
                           reason=reply.handling, hazard=hazard, created_by=by)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def hazard_reject(*, hazard, reason, by, expected_version=None, checked_on: datetime.date | None = None) -> Acceptance:
    """Acceptance refused on site: back to rectification. `checked_on` as for hazard_accept."""
    _required(reason=reason)
    hazard = _lock(hazard, Action.REJECT, by, expected_version=expected_version)
    checked_on = _effective(hazard, "checked_on", checked_on)
    acceptance = Acceptance(hazard=hazard, result=Acceptance.Result.REJECTED, comment=reason.strip(), by=by,
                            checked_on=checked_on)
    acceptance.full_clean()
    acceptance.save()
    from_status = hazard.status
    hazard.status = S.RECTIFYING
    _save(hazard, ["status"])
    events.hazard_rejected(hazard, by=by, from_status=from_status, acceptance=acceptance)
    outbox.reply_rejected(acceptance, hazard)
    return acceptance


@transaction.atomic
def hazard_close(*, hazard, by, comment="", expected_version=None) -> Hazard:
    """Close the file (销号) after acceptance."""
    hazard = _lock(hazard, Action.CLOSE, by, expected_version=expected_version)
    from_status = hazard.status
    hazard.status, hazard.closed_at = S.CLOSED, timezone.now()
    _save(hazard, ["status", "closed_at"])
    events.hazard_closed(hazard, by=by, from_status=from_status, comment=(comment or "").strip())
    return hazard


@transaction.atomic
def hazard_void(*, hazard, reason, by, expected_version=None) -> Hazard:
    """Void a hazard registered in error (a hazard is never deleted); the reason is kept."""
    _required(reason=reason)
    hazard = _lock(hazard, Action.VOID, by, expected_version=expected_version)
    from_status = hazard.status
    hazard.status, hazard.void_reason = S.VOIDED, reason.strip()
    _save(hazard, ["status", "void_reason"])
    events.hazard_voided(hazard, by=by, from_status=from_status, reason=reason.strip())
    return hazard


@transaction.atomic
def hazard_photo_add(*, hazard, kind, image, by, caption="", expected_version=None) -> HazardPhoto:
    image = _checked([image], PHOTO, "photos")[0]
    hazard = _lock(hazard, Action.ADD_PHOTO, by, expected_version=expected_version)
    if kind not in HazardPhoto.Kind.values:
        raise ValidationError({"kind": _("Choose before or after rectification.")})
    photo = _photo_create(HazardPhoto, image=image, hazard=hazard, kind=kind, caption=caption, uploaded_by=by)
    _save(hazard, [])
    events.photo_added(hazard, by=by, from_status=hazard.status, photo=photo)
    return photo


# --- whitelist -------------------------------------------------------------------------------

def whitelist_active_items(*, site, on_date) -> set[int]:
    """Standard item ids exempt for `site` on `on_date` (frozen until that date or later)."""
    return set(WhitelistEntry.objects.filter(site=site, frozen_until__gte=on_date,
                                             revoked_at__isnull=True).values_list("item_id", flat=True))


@transaction.atomic
def whitelist_add(*, site, item, frozen_until, by, reason: str = "", hazard=None) -> WhitelistEntry:
    """Put a checklist item of a site on the whitelist by hand (the admin): the site in the user's
    unit, a leaf item, the hazard (if any) one of that site's, the freeze period in the future."""
    check_unit_in_scope(by, site.unit)
    errors = {}
    if not item.is_leaf:
        errors["item"] = [_("Only a checklist item without sub-items can be whitelisted.")]
    if hazard is not None and hazard.site_id != site.pk:
        errors["hazard"] = [_("The hazard belongs to another site.")]
    if frozen_until is not None and frozen_until <= local_today():
        errors["frozen_until"] = [_("The freeze period must end in the future.")]
    if errors:
        raise ValidationError(errors)
    entry = WhitelistEntry(site=site, item=item, frozen_until=frozen_until, reason=(reason or "").strip(),
                           hazard=hazard, created_by=by)
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def whitelist_update(*, entry, by, frozen_until, reason: str = "") -> WhitelistEntry:
    """Change the freeze period or the reason of an entry not revoked (site and item stay)."""
    entry = WhitelistEntry.objects.select_for_update().select_related("site__unit").get(pk=entry.pk)
    check_unit_in_scope(by, entry.site.unit)
    if entry.revoked_at is not None:
        raise ValidationError(_("A revoked entry cannot be changed."))
    entry.frozen_until, entry.reason = frozen_until, (reason or "").strip()
    entry.full_clean()
    entry.save(update_fields=["frozen_until", "reason"])
    return entry


@transaction.atomic
def whitelist_revoke(*, entry, by) -> WhitelistEntry:
    entry = WhitelistEntry.objects.select_for_update().select_related("site__unit").get(pk=entry.pk)
    check_unit_in_scope(by, entry.site.unit)
    if entry.revoked_at is None:
        entry.revoked_at = timezone.now()
        entry.save(update_fields=["revoked_at"])
    return entry


def hazards_follow_site(*, site, old_unit, new_unit, by) -> None:
    """org.services.site_move's follower: the site's hazards (whatever their status: a closed file
    is still the unit's record) belong to its new unit, each locked, its version raised (an open
    form is then "changed meanwhile") and one history row written, in the move's transaction. The
    site's notices belong to the site's unit already (their `unit` stays the issuing unit printed on
    them)."""
    hazards = list(Hazard.objects.select_for_update(of=("self",)).select_related("site")
                   .filter(site=site).order_by("pk"))
    for hazard in hazards:
        hazard.unit = new_unit
        hazard.version += 1
        hazard.save(update_fields=["unit", "version", "updated_at"])
        events.hazard_moved(hazard, by=by, old_unit=old_unit, new_unit=new_unit)
