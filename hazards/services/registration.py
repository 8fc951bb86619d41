"""Registering a hazard (by hand or from an inspection's findings), editing its file, and its
file following its site to another unit."""

from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from org.uploads import PHOTO

from .. import events, rules
from ..lifecycle import Action, ActionRefused, check_register, fixed_fields, local_today
from ..models import Hazard, HazardPhoto, RiskCategory
from ..selectors import finding_defaults
from ._common import BEFORE_DISCOVERY, S, _check_dates, _checked, _lock, _photo_create, _save
from .numbers import hazard_number

MAJOR_FIELDS = frozenset(rules.MAJOR_FIELDS)
EDITABLE_FIELDS = frozenset({
    "location", "description", "category", "severity", "basis", "discovered_on", "responsible_name",
    "responsible_email", "responsible_phone", "required_measures", "deadline",
}) | MAJOR_FIELDS


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
    fixed = sorted(set(changes) & fixed_fields(hazard))
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
            inspection=inspection, action=InspectionEvent.Action.CREATE_HAZARDS, from_status=inspection.status,
            to_status=inspection.status, actor=by, comment=", ".join(h.number for h in created),
        )
    return created


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
