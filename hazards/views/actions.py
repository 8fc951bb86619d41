"""The lifecycle action forms of a hazard (acknowledge, service, extension, supervise, report,
reply, accept, reject, close, void, photos): one table, ACTION_FORMS, and one view."""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from org.once import once_per_token
from org.wording import join_list

from .. import forms, lifecycle, selectors, services
from ..lifecycle import Action, ActionRefused, ChangedMeanwhile
from ..models import Hazard, Notice, WorkOrderReply
from ._common import CHANGED_MEANWHILE, FILES_AGAIN, _add_validation_errors, _refusal, overdue_days
from .detail import timeline_rows


@dataclass
class ActionForm:
    form_class: type
    call: Callable[..., Any]  # (hazard, data, user) -> the service's result
    done: Any  # success message, or a function of the service's result giving it
    form_kwargs: Callable[[Hazard], dict] = field(default=lambda hazard: {})
    initial: Callable[[Hazard], dict] = field(default=lambda hazard: {})
    template_hint: Any = ""


def _pending_extension(hazard):
    pending = [e for e in hazard.extensions.all() if e.status == "pending"]
    if not pending:
        raise ActionRefused(_("There is no pending extension request to decide."))
    return pending[0]


def _requested_deadline(hazard):
    pending = [e for e in hazard.extensions.all() if e.status == "pending"]
    return pending[0].requested_deadline if pending else None


def _last_reply(hazard) -> WorkOrderReply | None:
    replies = list(hazard.replies.all())
    return replies[-1] if replies else None


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _accept(hazard, data, user, version):
    months = data.get("whitelist_months")
    whitelist_until = add_months(lifecycle.local_today(), months) if months else None
    return _call(services.hazard_accept, version, hazard=hazard, by=user, comment=data["comment"],
                 self_evaluation=data.get("self_evaluation", ""), expert_evaluation=data.get("expert_evaluation", ""),
                 government_acceptance=data.get("government_acceptance", ""), whitelist_until=whitelist_until,
                 after_photos=data["photos"], checked_on=data["checked_on"])


def _add_photos(hazard, data, user, version):
    # Several photos are one user action: all of them are kept, or none. The first photo checks
    # the form's version; the following ones follow the version the first one wrote.
    with transaction.atomic():
        return [services.hazard_photo_add(hazard=hazard, kind=data["kind"], image=image, by=user,
                                          expected_version=version if i == 0 else None)
                for i, image in enumerate(data["photos"])]


def _accept_kwargs(hazard):
    reply = _last_reply(hazard)
    return {"major": hazard.severity == Hazard.Severity.MAJOR,
            "whitelist": bool(reply and reply.result == WorkOrderReply.Result.NO_ACTION
                              and hazard.source_result_id)}


ACTION_FORMS: dict[str, ActionForm] = {
    Action.ACKNOWLEDGE: ActionForm(
        forms.AcknowledgeForm,
        lambda h, d, u, v: _call(services.notice_acknowledge, v, through=h, by=u,
                                 acknowledged_by_name=d["acknowledged_by_name"], signed_scan=d["signed_scan"],
                                 acknowledged_on=d["acknowledged_on"]),
        lambda result: acknowledged_message(result),
        initial=lambda h: {"acknowledged_by_name": h.responsible_name},
        form_kwargs=lambda h: {"together": _notice_together(h)},
    ),
    Action.SERVICE: ActionForm(
        forms.ServiceForm,
        lambda h, d, u, v: _call(services.hazard_record_service, v, hazard=h, by=u, date=d["date"],
                                 description=d["description"]),
        _("Rectification service recorded."),
    ),
    Action.REQUEST_EXTENSION: ActionForm(
        forms.ExtensionRequestForm,
        lambda h, d, u, v: _call(services.hazard_request_extension, v, hazard=h, by=u,
                                 requested_deadline=d["requested_deadline"], reason=d["reason"],
                                 requested_by_name=d["requested_by_name"], requested_on=d["requested_on"]),
        _("Extension request recorded."),
        initial=lambda h: {"requested_by_name": h.responsible_name},
    ),
    Action.APPROVE_EXTENSION: ActionForm(
        forms.ExtensionApproveForm,
        lambda h, d, u, v: _call(services.hazard_decide_extension, v, extension=_pending_extension(h),
                                 approve=True, comment=d["comment"], by=u, granted_deadline=d["granted_deadline"]),
        _("Extension approved: the deadline was moved."),
        initial=lambda h: {"granted_deadline": _requested_deadline(h)},
    ),
    Action.DENY_EXTENSION: ActionForm(
        forms.ExtensionDecisionForm,
        lambda h, d, u, v: _call(services.hazard_decide_extension, v, extension=_pending_extension(h),
                                 approve=False, comment=d["comment"], by=u),
        _("Extension denied: the deadline stays."),
    ),
    Action.SUPERVISE: ActionForm(
        forms.SuperviseForm,
        lambda h, d, u, v: _call(services.hazard_supervise, v, hazard=h, by=u, new_deadline=d["new_deadline"],
                                 language=d["language"]),
        _("Supervision notice issued."),
        initial=lambda h: {"new_deadline": lifecycle.local_today() + datetime.timedelta(days=7)},
    ),
    Action.REPORT: ActionForm(
        forms.ReportForm,
        lambda h, d, u, v: _call(services.hazard_report, v, hazard=h, by=u, addressee=d["addressee"],
                                 report_date=d["report_date"], document=d["document"], comment=d["comment"]),
        _("Report to the authority recorded."),
    ),
    Action.SUBMIT_REPLY: ActionForm(
        forms.ReplyForm,
        lambda h, d, u, v: _call(services.hazard_submit_reply, v, hazard=h, by=u, cause=d["cause"],
                                 handling=d["handling"], result=d["result"], next_measures=d["next_measures"],
                                 submitted_by_name=d["submitted_by_name"], photos=d["photos"],
                                 replied_on=d["replied_on"]),
        _("Work-order reply recorded; the hazard awaits acceptance."),
        initial=lambda h: {"submitted_by_name": h.responsible_name},
    ),
    Action.ACCEPT: ActionForm(forms.AcceptForm, _accept, _("Rectification accepted."), form_kwargs=_accept_kwargs),
    Action.REJECT: ActionForm(
        forms.RejectForm,
        lambda h, d, u, v: _call(services.hazard_reject, v, hazard=h, by=u, reason=d["reason"],
                                 checked_on=d["checked_on"]),
        _("Acceptance rejected: the hazard is back in rectification."),
    ),
    Action.CLOSE: ActionForm(
        forms.CommentForm,
        lambda h, d, u, v: _call(services.hazard_close, v, hazard=h, by=u, comment=d["comment"]),
        _("Hazard closed (销号)."),
    ),
    Action.VOID: ActionForm(
        forms.ReasonForm,
        lambda h, d, u, v: _call(services.hazard_void, v, hazard=h, by=u, reason=d["reason"]),
        _("Hazard voided."),
    ),
    Action.ADD_PHOTO: ActionForm(forms.PhotoForm, _add_photos, _("Photos added.")),
}


def _notice_together(hazard) -> list[str]:
    """The other hazards of the hazard's notice, whose receipt is recorded with this one."""
    notices = [n for n in hazard.notices.all() if n.kind == Notice.Kind.HAZARD]
    if not notices:
        return []
    return list(notices[-1].hazards.exclude(pk=hazard.pk).order_by("number").values_list("number", flat=True))


def acknowledged_message(result: services.Acknowledgement) -> str:
    """What one receipt did: the hazards of the notice that moved, and those left as they were."""
    message = _("Acknowledgement of receipt recorded.")
    if result.notice is not None and len(result.moved) > 1:
        message = _("Acknowledgement of receipt of notice %(notice)s recorded for its hazards %(hazards)s.") % {
            "notice": result.notice.number, "hazards": join_list([h.number for h in result.moved])}
    if result.left:
        message = "{} {}".format(message, _("Already moved on and left as they are: %(hazards)s.") % {
            "hazards": join_list([f"{h.number} ({h.get_status_display()})" for h in result.left])})
    return message


def _call(service, version, **kwargs):
    """Call the service with the version the form was loaded with (the service compares it under
    the row lock and raises ChangedMeanwhile)."""
    return service(**kwargs, expected_version=version)


def _with_version(data, hazard):
    data = data.copy()
    data["expected_version"] = str(hazard.version)
    return data


@login_required
@once_per_token
def hazard_action(request, pk: int, action: str):
    spec = ACTION_FORMS.get(action)
    if spec is None:
        raise Http404
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    transition = lifecycle.TRANSITIONS[action]
    refusal, status = _refusal(hazard, action, request.user), 200
    form = spec.form_class(initial={"expected_version": hazard.version, **spec.initial(hazard)},
                           **spec.form_kwargs(hazard))
    if request.method == "POST" and refusal:
        # Refused before the form is even read (the service would refuse the same under its lock).
        form, status = None, 409
    elif request.method == "POST":
        form = spec.form_class(request.POST, request.FILES, **spec.form_kwargs(hazard))
        if form.is_valid():
            try:
                result = spec.call(hazard, form.cleaned_data, request.user, form.cleaned_data["expected_version"])
            except ChangedMeanwhile:
                # Show the current state, and keep what the user typed, now against the current version.
                hazard = selectors.hazard_get(user=request.user, pk=pk)
                form = spec.form_class(_with_version(request.POST, hazard), **spec.form_kwargs(hazard))
                form.is_valid()
                refusal, status = CHANGED_MEANWHILE, 409
            except ActionRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                _add_validation_errors(form, exc)
            else:
                messages.success(request, spec.done(result) if callable(spec.done) else spec.done)
                return redirect("hazards:hazard_detail", hazard.pk)
        if request.FILES:
            messages.warning(request, FILES_AGAIN)
    elif refusal:
        form = None
    template = "hazards/_action_form.html" if request.htmx and request.method == "GET" else "hazards/action.html"
    return render(request, template, {
        "hazard": hazard, "form": form, "transition": transition, "refusal": refusal,
        "action_url": reverse("hazards:hazard_action", args=[hazard.pk, action]),
        "timeline": timeline_rows(selectors.hazard_timeline(hazard))[-5:],
        "overdue_days": overdue_days(hazard, lifecycle.local_today()),
    }, status=status)
