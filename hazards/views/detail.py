"""The hazard file page: its documents, photos, history (timeline) and the actions allowed now."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.dates import local_day
from org import display

from .. import hooks, lifecycle, selectors
from ..lifecycle import Action
from ..models import Hazard, HazardPhoto, Notice, WorkOrderReply
from ._common import _may, overdue_days


@login_required
def hazard_detail(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    return render(request, "hazards/hazard_detail.html", _detail_context(request, hazard))


def _detail_context(request, hazard) -> dict:
    today = lifecycle.local_today()
    photos = list(hazard.photos.all())
    replies = list(hazard.replies.all())
    history = selectors.hazard_timeline(hazard)
    return {
        "hazard": hazard,
        "overdue_days": overdue_days(hazard, today),
        "before_photos": [p for p in photos if p.kind == HazardPhoto.Kind.BEFORE],
        "after_photos": [p for p in photos if p.kind == HazardPhoto.Kind.AFTER],
        "reply_photos": [p for r in replies for p in r.photos.all()],
        "notices": _with_chains(list(hazard.notices.all()), history),
        "replies": replies,
        "extensions": list(hazard.extensions.all()),
        "service_visits": list(hazard.service_visits.all()),
        "reports": list(hazard.reports.all()),
        "acceptances": list(hazard.acceptances.all()),
        "timeline": timeline_rows(history),
        "actions": [(t, _action_url(hazard, t.action)) for t in lifecycle.allowed_actions(hazard, request.user,
                                                                                          today=today)],
        # Buttons left out because their conditions refuse them now, with the reason.
        "unavailable": lifecycle.unavailable_actions(hazard, request.user, today=today),
        # What notifying still lacks, while the table allows notifying from this status.
        "notify_missing": (lifecycle.notify_missing(hazard, today)
                           if hazard.status in lifecycle.TRANSITIONS[Action.NOTIFY].sources else []),
        "may_send_notice": _may(request.user, Action.NOTIFY),
        # Sections of the apps built on hazards (hazards.hooks.hazard_panels), e.g. the party's links.
        "panels": [panel for panel in hooks.hazard_panels.call(hazard=hazard, user=request.user) if panel],
        "status_labels": dict(Hazard.Status.choices),
        "action_labels": dict(Action.choices),
    }


# Event data shown in the timeline, with their labels (ids and file paths are left out).
EVENT_DETAILS = [
    ("notice", _("Notice")), ("inspection", _("Inspection")), ("deadline", _("Deadline")),
    ("old_deadline", _("Old deadline")), ("new_deadline", _("New deadline")),
    ("requested_deadline", _("Requested deadline")), ("days_overdue", _("Days overdue")),
    ("supervision_count", _("Supervisions")), ("addressee", _("Addressee")), ("report_date", _("Report date")),
    ("result", _("Result")), ("photos", _("Photos")), ("frozen_until", _("Whitelisted until")),
    ("kind", _("Kind")), ("date", _("Date")), ("via", _("Recorded through hazard")),
]
RESULT_LABELS = {**dict(WorkOrderReply.Result.choices), **dict(HazardPhoto.Kind.choices)}


def timeline_rows(events) -> list[tuple]:
    """(event, [(label, value)]) for the history, with translated action and status labels."""
    status_labels, action_labels = dict(Hazard.Status.choices), dict(Action.choices)
    rows = []
    for event in events:
        event.action_label = action_labels.get(event.action, event.action)
        # "entered … · effective …": for an action recorded from paper, or any whose day differs.
        event.show_effective = (event.action in lifecycle.RECORDED_FROM_PAPER
                                or event.effective_on != local_day(event.at))
        event.from_label = status_labels.get(event.from_status, "")
        event.to_label = status_labels.get(event.to_status, "")
        data = event.data or {}
        details = [(label, RESULT_LABELS.get(data[key], data[key])) for key, label in EVENT_DETAILS
                   if data.get(key) not in (None, "")]
        for field_name, change in (data.get("changes") or {}).items():
            old, new = (list(change) + [None, None])[:2]
            details.append((display.field_label(Hazard, field_name),
                            f"{display.stored_value(Hazard, field_name, old)} → "
                            f"{display.stored_value(Hazard, field_name, new)}"))
        rows.append((event, details))
    return rows


def _with_chains(notices, history) -> list:
    """Each supervision notice with the earlier notices and deadlines it cites (from the history
    already read: no query per notice)."""
    for notice in notices:
        if notice.kind == Notice.Kind.SUPERVISION:
            notice.chain = selectors.deadline_chain(history, before=notice)
    return notices


def _action_url(hazard, action) -> str:
    if action == Action.NOTIFY:
        return f"{reverse('hazards:notify')}?{urlencode({'hazards': hazard.pk})}"
    if action == Action.EDIT:
        return reverse("hazards:hazard_edit", args=[hazard.pk])
    return reverse("hazards:hazard_action", args=[hazard.pk, action])
