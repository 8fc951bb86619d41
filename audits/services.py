"""Every write to inspections. Keyword-only, one transaction each; status changes lock the
inspection row and write their InspectionEvent in the same transaction (events are only ever
inserted). Refusals are shown to the user as they are: core.lifecycle.ActionRefused for who may
act and in which status (audits.lifecycle), ValidationError for the data.

Decisions where the issue was silent:
- Numbers are taken from the year of creation (JC-<year>-<5 digits>), like a register, not from
  the inspection date: an inspection recorded in January for a December visit is numbered in
  the new year's sequence.
- A result is either scored (earned 0..points), not applicable, or unscored (both empty).
  Earned points together with not applicable is refused, as are serious problems on a
  not-applicable item (a not-applicable item leaves every sum, so its count would vanish).
- `by` is who acts: a signed-in user, or core.lifecycle.SYSTEM for the system itself (management
  commands, demo data, benchmarks), which has no role or scope check. None is refused (TypeError).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.dates import today_local
from core.lifecycle import ActionRefused, actor_of, actor_user
from org.models import OrgUnit, Site
from org.selectors import unit_in_scope
from org.services import next_number
from org.uploads import PHOTO, CheckedFile, check_upload
from scoring.models import Standard, StandardItem

from . import hooks, lifecycle
from .lifecycle import Action
from .models import Inspection, InspectionEvent, InspectionResult, ResultPhoto

NUMBER_PREFIX = "JC"
MAX_PHOTOS_PER_RESULT = 12
UNSCORED_LISTED = 20

User = get_user_model()


# ---------------------------------------------------------------- helpers

def _in_scope(by, unit: OrgUnit) -> bool:
    # The system (a command, the demo) acts for every unit; the responsible party of a hazard for none.
    actor = actor_of(by)
    return actor.is_system or (actor.is_user and unit_in_scope(actor.user, unit))


def _is_user(by) -> bool:
    return actor_of(by).is_user


def _locked(inspection: Inspection) -> Inspection:
    """The inspection re-read with its row locked for the rest of the transaction."""
    return Inspection.objects.select_for_update().get(pk=inspection.pk)


def _check(inspection: Inspection, action: str, by) -> lifecycle.Transition:
    # Scope (defence in depth: views answer 404 outside it), status and role: audits.lifecycle.
    return lifecycle.check(inspection, action, by)


def _event(inspection: Inspection, action: str, *, from_status: str, to_status: str, by,
           comment: str = "") -> InspectionEvent:
    return InspectionEvent.objects.create(inspection=inspection, action=action, from_status=from_status,
                                          to_status=to_status, actor=actor_user(by), comment=comment)


def _next_number(year: int) -> str:
    return next_number("inspection", NUMBER_PREFIX, year, 5)


def to_decimal(value) -> Decimal | None:
    """A points value from a form or a sheet as Decimal, None for empty; ValidationError when not
    a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValidationError({"earned": _("“%(value)s” is not a number.") % {"value": value}}) from exc
    if not number.is_finite():
        raise ValidationError({"earned": _("“%(value)s” is not a number.") % {"value": value}})
    return number


def validate_result(*, item: StandardItem, earned: Decimal | None, not_applicable: bool,
                    serious_problems: int) -> None:
    """The rules of one result, shared by the recording page and the sheet import."""
    errors: dict[str, list] = {}
    if not item.is_leaf:
        errors.setdefault("earned", []).append(
            _("Item %(code)s is a section: results are recorded on its leaf items.") % {"code": item.code})
    if earned is not None:
        if not_applicable:
            errors.setdefault("earned", []).append(
                _("Item %(code)s: give earned points or mark it not applicable, not both.") % {"code": item.code})
        elif earned < 0:
            errors.setdefault("earned", []).append(
                _("Earned points cannot be negative (item %(code)s).") % {"code": item.code})
        elif earned > item.points:
            errors.setdefault("earned", []).append(
                _("Earned points %(earned)s exceed the standard points %(points)s of item %(code)s.")
                % {"earned": earned, "points": item.points, "code": item.code})
        elif earned != earned.quantize(Decimal("0.01")):
            errors.setdefault("earned", []).append(_("Earned points have at most 2 decimal places."))
    if serious_problems is None or serious_problems < 0 or int(serious_problems) != serious_problems:
        errors.setdefault("serious_problems", []).append(
            _("The number of serious problems must be a whole number, 0 or more."))
    elif serious_problems > 32767:
        errors.setdefault("serious_problems", []).append(_("The number of serious problems is too large."))
    elif serious_problems and not_applicable:
        errors.setdefault("serious_problems", []).append(
            _("A not-applicable item cannot have serious problems (item %(code)s).") % {"code": item.code})
    if errors:
        raise ValidationError(errors)


# ---------------------------------------------------------------- creation

def _whitelisted_items(site: Site | None, on_date: datetime.date) -> set[int]:
    """Items verified normal at this site and frozen on the whitelist: exempt (not applicable).
    The whitelist is hazards' (hazards builds on audits): it answers through audits.hooks."""
    if site is None:
        return set()
    return set().union(*hooks.exempt_items.call(site=site, on_date=on_date))


def _create(*, standard: Standard, kind: str, date: datetime.date, site: Site | None, unit: OrgUnit | None,
            group: OrgUnit | None, inspectors: Iterable, title: str, by, event_action: str,
            event_comment: str = "") -> Inspection:
    if not lifecycle.role_allows(by, lifecycle.CREATE_ROLES):
        raise ActionRefused(_("Your role may not create inspections."))
    errors: dict[str, list] = {}
    if standard.status != Standard.Status.ACTIVE:
        errors["standard"] = [_("Standard “%(standard)s” is %(status)s: only an active standard can be used.")
                              % {"standard": standard, "status": standard.get_status_display()}]
    if kind not in Inspection.Kind.values:
        errors["kind"] = [_("Unknown inspection kind “%(kind)s”.") % {"kind": kind}]
    if site is not None:
        if unit is not None and unit.pk != site.unit_id:
            errors["unit"] = [_("The site belongs to %(unit)s; leave the unit empty or choose that unit.")
                              % {"unit": site.unit}]
        unit = site.unit
    if unit is None:
        errors["site"] = [_("Choose the site or the unit to inspect.")]
    elif not _in_scope(by, unit):
        errors["site" if site else "unit"] = [_("%(target)s is outside your unit.") % {"target": site or unit}]
    if group is not None and not _in_scope(by, group):
        errors["group"] = [_("The inspection group %(group)s is outside your unit.") % {"group": group}]
    inspectors = list(inspectors)
    for person in inspectors:
        membership = getattr(person, "membership", None)
        if _is_user(by) and (membership is None or not _in_scope(by, membership.unit)):
            errors.setdefault("inspectors", []).append(
                _("%(person)s is not in your unit.") % {"person": person.get_full_name() or person.username})
    if not isinstance(date, datetime.date):
        errors["date"] = [_("Enter the inspection date.")]
    if errors:
        raise ValidationError(errors)

    inspection = Inspection(
        number=_next_number(today_local().year), title=title.strip(), kind=kind, standard=standard,
        site=site, unit=unit, group=group, date=date, created_by=actor_user(by),
    )
    inspection.full_clean(exclude=["created_by"])  # None when the system creates it
    inspection.save()
    if inspectors:
        inspection.inspectors.set(inspectors)
    leaf_ids = StandardItem.objects.filter(standard=standard, is_leaf=True).order_by("sort_key").values_list(
        "id", flat=True)
    exempt_ids = _whitelisted_items(site, date)
    InspectionResult.objects.bulk_create(
        [InspectionResult(inspection=inspection, item_id=item_id, exempt=item_id in exempt_ids,
                          not_applicable=item_id in exempt_ids,
                          finding=_("Exempt: on the whitelist of this site.") if item_id in exempt_ids else "")
         for item_id in leaf_ids], batch_size=500)
    _event(inspection, event_action, from_status="", to_status=inspection.status, by=by, comment=event_comment)
    return inspection


@transaction.atomic
def inspection_create(*, standard: Standard, kind: str, date: datetime.date, site: Site | None = None,
                      unit: OrgUnit | None = None, group: OrgUnit | None = None, inspectors: Iterable = (),
                      title: str = "", by) -> Inspection:
    """A new draft inspection of a site (its unit follows the site) or of a unit, against an active
    standard, with one empty result per leaf item."""
    return _create(standard=standard, kind=kind, date=date, site=site, unit=unit, group=group,
                   inspectors=inspectors, title=title, by=by, event_action=Action.CREATE)


# ---------------------------------------------------------------- recording

@transaction.atomic
def result_save(*, inspection: Inspection, item: StandardItem, earned: Decimal | None, not_applicable: bool,
                finding: str = "", problem: str = "", measure: str = "", serious_problems: int = 0,
                by) -> InspectionResult:
    """Record one leaf's result on a draft. earned=None and not_applicable=False clears the score."""
    inspection = _locked(inspection)
    _check(inspection, Action.RECORD, by)
    try:
        result = InspectionResult.objects.select_related("item").get(inspection=inspection, item=item)
    except InspectionResult.DoesNotExist as exc:
        raise ValidationError(_("Item %(code)s is not part of this inspection.") % {"code": item.code}) from exc
    if earned is not None and not isinstance(earned, Decimal):
        earned = to_decimal(earned)
    validate_result(item=result.item, earned=earned, not_applicable=bool(not_applicable),
                    serious_problems=serious_problems)
    result.earned = None if not_applicable else earned
    result.not_applicable = bool(not_applicable)
    result.finding, result.problem, result.measure = finding.strip(), problem.strip(), measure.strip()
    result.serious_problems = serious_problems
    result.updated_by = actor_user(by)
    result.full_clean(exclude=["inspection", "item", "updated_by"])
    result.save(update_fields=["earned", "not_applicable", "finding", "problem", "measure", "serious_problems",
                               "updated_by", "updated_at"])
    return result


def validate_photo(upload) -> CheckedFile:
    """The photo checked by its content (org.uploads), or a ValidationError on the image field."""
    try:
        return check_upload(upload, PHOTO)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None


@transaction.atomic
def photo_add(*, inspection: Inspection, result: InspectionResult, image, by) -> ResultPhoto:
    """Attach a photo (from the tablet's camera or a file) to a result of a draft inspection."""
    image = validate_photo(image)  # before the lock: decoding a photo takes a moment
    inspection = _locked(inspection)
    _check(inspection, Action.RECORD, by)
    if result.inspection_id != inspection.pk:
        raise ValidationError(_("This result belongs to another inspection."))
    if ResultPhoto.objects.filter(result=result).count() >= MAX_PHOTOS_PER_RESULT:
        raise ValidationError({"image": _("An item can have at most %(n)s photos.") % {"n": MAX_PHOTOS_PER_RESULT}})
    photo = ResultPhoto(result=result, uploaded_by=actor_user(by))
    photo.image.save(image.name, image, save=False)
    thumbnail = image.thumbnail_file()
    photo.thumbnail.save(thumbnail.name, thumbnail, save=False)
    photo.save()
    return photo


# ---------------------------------------------------------------- lifecycle

def unscored_codes(inspection: Inspection) -> list[str]:
    rows = (InspectionResult.objects.filter(inspection=inspection, earned__isnull=True, not_applicable=False)
            .order_by("item__sort_key").values_list("item__code", flat=True))
    return list(rows)


@transaction.atomic
def inspection_submit(*, inspection: Inspection, by) -> Inspection:
    """draft → submitted. Refused while any leaf is unscored (listing them); results are then
    read-only until a manager reopens it."""
    inspection = _locked(inspection)
    transition = _check(inspection, Action.SUBMIT, by)
    missing = unscored_codes(inspection)
    if missing:
        listed = "、".join(missing[:UNSCORED_LISTED])
        if len(missing) > UNSCORED_LISTED:
            listed += " " + _("and %(n)s more") % {"n": len(missing) - UNSCORED_LISTED}
        raise ValidationError(
            _("%(count)s item(s) are not scored yet: %(codes)s. Give each earned points or mark it not applicable.")
            % {"count": len(missing), "codes": listed}, code="unscored")
    return _move(inspection, transition, by=by, timestamp_field="submitted_at")


@transaction.atomic
def inspection_reopen(*, inspection: Inspection, reason: str, by) -> Inspection:
    """submitted → draft, by a manager, with the reason recorded in the history."""
    inspection = _locked(inspection)
    transition = _check(inspection, Action.REOPEN, by)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for reopening the inspection.")})
    return _move(inspection, transition, by=by, comment=reason)


@transaction.atomic
def inspection_lock(*, inspection: Inspection, by) -> Inspection:
    """submitted → locked: final, nothing changes any more."""
    inspection = _locked(inspection)
    transition = _check(inspection, Action.LOCK, by)
    return _move(inspection, transition, by=by, timestamp_field="locked_at")


def _move(inspection: Inspection, transition: lifecycle.Transition, *, by, comment: str = "",
          timestamp_field: str | None = None) -> Inspection:
    from_status = inspection.status
    inspection.status = transition.target
    fields = ["status"]
    if timestamp_field:
        setattr(inspection, timestamp_field, timezone.now())
        fields.append(timestamp_field)
    inspection.save(update_fields=fields)
    # The transition's action is the history row's action (one enum, audits.models.InspectionAction).
    event = _event(inspection, transition.action, from_status=from_status, to_status=inspection.status,
                   by=by, comment=comment)
    _run_hooks(inspection, event.action, actor_of(by))
    return inspection


def _run_hooks(inspection: Inspection, action: str, by) -> None:
    """The higher apps' reactions to a status change (planning completes the inspection's task and
    moves the site's schedule on), in this transaction: settings.INSPECTION_HOOKS names them, so
    that audits imports none of them. `by` is passed on as a core.lifecycle.Actor."""
    for path in settings.INSPECTION_HOOKS:
        import_string(path)(inspection=inspection, action=action, by=by)


# ---------------------------------------------------------------- details and ownership

# Details of a draft the Django admin may change (the pages create inspections with them).
EDITABLE_FIELDS = ("title", "kind", "group", "inspectors", "date", "summary")


@transaction.atomic
def inspection_update(*, inspection: Inspection, by, **fields) -> Inspection:
    """Change the details of a draft inspection: the same rules as recording (draft only, staff of
    its unit), the group and the inspectors in the user's unit, one history row naming the fields."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"inspection_update cannot change {sorted(unknown)}")
    inspection = _locked(inspection)
    _check(inspection, Action.RECORD, by)
    errors: dict[str, list] = {}
    group = fields.get("group")
    if group is not None and not _in_scope(by, group):
        errors["group"] = [_("The inspection group %(group)s is outside your unit.") % {"group": group}]
    for person in fields.get("inspectors", ()):
        membership = getattr(person, "membership", None)
        if _is_user(by) and (membership is None or not _in_scope(by, membership.unit)):
            errors.setdefault("inspectors", []).append(
                _("%(person)s is not in your unit.") % {"person": person.get_full_name() or person.username})
    if errors:
        raise ValidationError(errors)
    changed = []
    for name, value in fields.items():
        if name == "inspectors":
            if {p.pk for p in value} != set(inspection.inspectors.values_list("pk", flat=True)):
                inspection.inspectors.set(value)
                changed.append(name)
        elif getattr(inspection, name) != value:
            setattr(inspection, name, value)
            changed.append(name)
    if not changed:
        return inspection
    inspection.full_clean(exclude=["created_by"])
    columns = [name for name in changed if name != "inspectors"]
    if columns:
        inspection.save(update_fields=columns)
    _event(inspection, Action.EDIT, from_status=inspection.status, to_status=inspection.status,
           by=by, comment=", ".join(str(Inspection._meta.get_field(n).verbose_name) for n in changed))
    return inspection


def inspections_follow_site(*, site: Site, old_unit: OrgUnit, new_unit: OrgUnit, by) -> None:
    """org.services.site_move's follower: the site's inspections belong to its new unit, each with a
    history row, in the move's transaction (rows locked)."""
    inspections = list(Inspection.objects.select_for_update().filter(site=site).order_by("pk"))
    for inspection in inspections:
        inspection.unit = new_unit
    Inspection.objects.bulk_update(inspections, ["unit"])
    InspectionEvent.objects.bulk_create([
        InspectionEvent(inspection=inspection, action=Action.MOVE, from_status=inspection.status,
                        to_status=inspection.status, actor=by,
                        comment=_("With its site from %(old)s to %(new)s.") % {"old": old_unit, "new": new_unit})
        for inspection in inspections])
