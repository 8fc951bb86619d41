"""The hazard's history: one function per event type, each writing exactly one immutable
HazardEvent row. Called by hazards.services inside the action's transaction, after the hazard's
new state is known, so from/to status are exact. Rows are never updated or deleted."""

from __future__ import annotations

import datetime

from core.lifecycle import Actor

from . import hooks
from .lifecycle import Action
from .models import HazardEvent


def _user(by):
    """The signed-in user behind `by` (a user, a core.lifecycle.Actor, or None where a lower app
    gives no user): what the row's `actor` stores; None for the party and the system."""
    return by.user if isinstance(by, Actor) else by


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _record(hazard, action, *, by, from_status, actor_name="", comment="", effective_on=None, **data) -> HazardEvent:
    # The day the action happened, for an action recorded from paper (lifecycle.RECORDED_FROM_PAPER;
    # their services always pass it); other actions happen when entered (HazardEvent.effective_on).
    data["effective_on"] = effective_on
    event = HazardEvent.objects.create(
        hazard=hazard, action=action, from_status=from_status or "", to_status=hazard.status, actor=_user(by),
        # The name is a snapshot: the party acting (itself or recorded by staff), else the signed-in user.
        actor_name=actor_name or _name(_user(by)), comment=comment or "",
        data={k: _iso(v) for k, v in data.items() if v is not None},
    )
    # Higher apps follow every recorded action in its own transaction (the site's risk level,
    # kpis.services.hazard_changed), through a hook: hazards imports none of them.
    hooks.hazard_changed.call(hazard=hazard, event=event)
    return event


def hazard_registered(hazard, *, by, photos: int = 0) -> HazardEvent:
    return _record(hazard, Action.REGISTER, by=by, from_status="", number=hazard.number, source=hazard.source,
                   source_result=hazard.source_result_id, photos=photos or None,
                   inspection=(hazard.source_result.inspection.number if hazard.source_result_id else None))


def hazard_edited(hazard, *, by, from_status, changes: dict[str, tuple]) -> HazardEvent:
    return _record(hazard, Action.EDIT, by=by, from_status=from_status,
                   changes={field: [_show(old), _show(new)] for field, (old, new) in changes.items()})


def hazard_moved(hazard, *, by, old_unit, new_unit) -> HazardEvent:
    """The hazard followed its site to another owning unit (org.services.site_move): an edit of the
    unit, so the history reads like any other change of a field."""
    return _record(hazard, Action.EDIT, by=by, from_status=hazard.status,
                   changes={"unit": [_show(old_unit), _show(new_unit)]}, moved_with_site=hazard.site.code)


def _show(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def hazard_notified(hazard, *, by, from_status, notice) -> HazardEvent:
    return _record(hazard, Action.NOTIFY, by=by, from_status=from_status, notice=notice.number,
                   notice_id=notice.pk, deadline=hazard.deadline, addressee=notice.addressee)


def hazard_acknowledged(hazard, *, by, from_status, acknowledged_by_name, notice, signed_scan: bool,
                        via: str | None = None, acknowledged_on=None) -> HazardEvent:
    """`via`: the hazard of the same notice the receipt was recorded through, when not this one;
    `acknowledged_on`: the day signed (its effective date)."""
    return _record(hazard, Action.ACKNOWLEDGE, by=by, from_status=from_status, actor_name=acknowledged_by_name,
                   effective_on=acknowledged_on,
                   notice=notice.number if notice else None, signed_scan=signed_scan or None,
                   recorded_by=_name(_user(by)) or None, via=via)


def service_visit_recorded(hazard, *, by, from_status, visit) -> HazardEvent:
    # The data keeps its first key, `service_id`: the history already written reads so.
    return _record(hazard, Action.SERVICE_VISIT, by=by, from_status=from_status, comment=visit.description,
                   effective_on=visit.date,
                   service_id=visit.pk, date=visit.date)


def extension_requested(hazard, *, by, from_status, extension) -> HazardEvent:
    return _record(hazard, Action.REQUEST_EXTENSION, by=by, from_status=from_status,
                   actor_name=extension.requested_by_name, comment=extension.reason, extension_id=extension.pk,
                   effective_on=extension.requested_on,
                   old_deadline=extension.old_deadline, requested_deadline=extension.requested_deadline,
                   recorded_by=_name(_user(by)) or None)


def extension_approved(hazard, *, by, from_status, extension, old_deadline) -> HazardEvent:
    return _record(hazard, Action.APPROVE_EXTENSION, by=by, from_status=from_status,
                   comment=extension.decision_comment, extension_id=extension.pk, old_deadline=old_deadline,
                   new_deadline=hazard.deadline, requested_deadline=extension.requested_deadline)


def extension_denied(hazard, *, by, from_status, extension) -> HazardEvent:
    return _record(hazard, Action.DENY_EXTENSION, by=by, from_status=from_status,
                   comment=extension.decision_comment, extension_id=extension.pk,
                   deadline=hazard.deadline, requested_deadline=extension.requested_deadline)


def hazard_supervised(hazard, *, by, from_status, notice, old_deadline, days_overdue: int) -> HazardEvent:
    return _record(hazard, Action.SUPERVISE, by=by, from_status=from_status, notice=notice.number,
                   notice_id=notice.pk, old_deadline=old_deadline, new_deadline=hazard.deadline,
                   days_overdue=days_overdue, supervision_count=hazard.supervision_count)


def hazard_reported(hazard, *, by, from_status, report) -> HazardEvent:
    return _record(hazard, Action.REPORT, by=by, from_status=from_status, comment=report.comment,
                   report_id=report.pk, addressee=report.addressee, report_date=report.report_date,
                   effective_on=report.report_date)


def reply_submitted(hazard, *, by, from_status, reply, photos: int) -> HazardEvent:
    return _record(hazard, Action.SUBMIT_REPLY, by=by, from_status=from_status, actor_name=reply.submitted_by_name,
                   reply_id=reply.pk, result=reply.result, effective_on=reply.replied_on, photos=photos or None,
                   recorded_by=_name(_user(by)) or None)


def hazard_accepted(hazard, *, by, from_status, acceptance, whitelist_entry=None, photos: int = 0) -> HazardEvent:
    return _record(hazard, Action.ACCEPT, by=by, from_status=from_status, comment=acceptance.comment,
                   effective_on=acceptance.checked_on,
                   acceptance_id=acceptance.pk, photos=photos or None,
                   whitelist_id=whitelist_entry.pk if whitelist_entry else None,
                   frozen_until=whitelist_entry.frozen_until if whitelist_entry else None)


def hazard_rejected(hazard, *, by, from_status, acceptance) -> HazardEvent:
    return _record(hazard, Action.REJECT, by=by, from_status=from_status, comment=acceptance.comment,
                   effective_on=acceptance.checked_on,
                   acceptance_id=acceptance.pk)


def hazard_closed(hazard, *, by, from_status, comment="") -> HazardEvent:
    return _record(hazard, Action.CLOSE, by=by, from_status=from_status, comment=comment)


def hazard_voided(hazard, *, by, from_status, reason) -> HazardEvent:
    return _record(hazard, Action.VOID, by=by, from_status=from_status, comment=reason)


def photo_added(hazard, *, by, from_status, photo) -> HazardEvent:
    return _record(hazard, Action.ADD_PHOTO, by=by, from_status=from_status, photo_id=photo.pk, kind=photo.kind)
