"""The end of the loop: the party's reply (回复), acceptance on site (验收) or its refusal,
closing (销号); and, at any time, voiding a file registered in error and adding photos."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.lifecycle import actor_user
from org.uploads import PHOTO

from .. import events, outbox
from ..lifecycle import Action, local_today
from ..models import Acceptance, Hazard, HazardPhoto, ReplyPhoto, WhitelistEntry, WorkOrderReply
from ._common import S, _checked, _effective, _lock, _photo_create, _required, _save


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
                           recorded_by=actor_user(by), replied_on=replied_on)
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
