"""What the hazard services share: the row lock and version check, the save that bumps the
version, required fields, the dates of a hazard file (deadlines after the discovery, effective
dates of actions recorded from paper) and the checked uploads. Private to hazards.services."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.selectors import user_membership
from org.uploads import CheckedFile, check_upload
from org.validators import validate_not_before

from ..lifecycle import ChangedMeanwhile, check, local_today
from ..models import Hazard, Notice

S = Hazard.Status


# --- checked uploads ------------------------------------------------------------------------

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
