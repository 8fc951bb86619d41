"""The lifecycle action forms of a hazard (acknowledge, service, extension, supervise, report,
reply, accept, reject, close, void, photos): one table, ACTION_FORMS, and one view."""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass
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


def _no_extra(hazard) -> dict:
    """Nothing beyond the defaults: the form's extra arguments or initial values of most actions."""
    return {}


@dataclass
class ActionForm:
    """One row of ACTION_FORMS: the form of an action, the service call it makes and what it says."""

    form_class: type
    call: Callable[..., Any]  # (hazard, cleaned data, user, the form's version) -> the service's result
    done: Any  # success message, or a function of the service's result giving it
    form_kwargs: Callable[[Hazard], dict] = _no_extra
    initial: Callable[[Hazard], dict] = _no_extra


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


# --- the service call of each action: (hazard, cleaned data, user, the form's version) -> result

def _acknowledge(hazard, data, user, version):
    """Receipt of the hazard's notice (签收), recorded through this hazard: every hazard of the notice moves."""
    return _call(services.notice_acknowledge, version, through=hazard, by=user,
                 acknowledged_by_name=data["acknowledged_by_name"], signed_scan=data["signed_scan"],
                 acknowledged_on=data["acknowledged_on"])


def _record_service_visit(hazard, data, user, version):
    """A rectification service (整改服务) given to the party on its day."""
    return _call(services.record_service_visit, version, hazard=hazard, by=user, date=data["date"],
                 description=data["description"])


def _request_extension(hazard, data, user, version):
    """The party's request for a later deadline, recorded from its letter or call."""
    return _call(services.hazard_request_extension, version, hazard=hazard, by=user,
                 requested_deadline=data["requested_deadline"], reason=data["reason"],
                 requested_by_name=data["requested_by_name"], requested_on=data["requested_on"])


def _approve_extension(hazard, data, user, version):
    """The pending extension request approved: the deadline becomes the granted one."""
    return _call(services.hazard_decide_extension, version, extension=_pending_extension(hazard), approve=True,
                 comment=data["comment"], by=user, granted_deadline=data["granted_deadline"])


def _deny_extension(hazard, data, user, version):
    """The pending extension request denied, with the reason: the deadline stays."""
    return _call(services.hazard_decide_extension, version, extension=_pending_extension(hazard), approve=False,
                 comment=data["comment"], by=user)


def _supervise(hazard, data, user, version):
    """A supervision notice (督导单) for the overdue hazard, with its new deadline."""
    return _call(services.hazard_supervise, version, hazard=hazard, by=user, new_deadline=data["new_deadline"],
                 language=data["language"])


def _report(hazard, data, user, version):
    """A report to the authority (报告), with its document if any."""
    return _call(services.hazard_report, version, hazard=hazard, by=user, addressee=data["addressee"],
                 report_date=data["report_date"], document=data["document"], comment=data["comment"])


def _submit_reply(hazard, data, user, version):
    """The party's work-order reply (回复), recorded from paper, with its photos."""
    return _call(services.hazard_submit_reply, version, hazard=hazard, by=user, cause=data["cause"],
                 handling=data["handling"], result=data["result"], next_measures=data["next_measures"],
                 submitted_by_name=data["submitted_by_name"], photos=data["photos"], replied_on=data["replied_on"])


def _accept(hazard, data, user, version):
    """Acceptance on site (验收), with after-photos; a whitelist period in months becomes its end date."""
    months = data.get("whitelist_months")
    whitelist_until = add_months(lifecycle.local_today(), months) if months else None
    return _call(services.hazard_accept, version, hazard=hazard, by=user, comment=data["comment"],
                 self_evaluation=data.get("self_evaluation", ""), expert_evaluation=data.get("expert_evaluation", ""),
                 government_acceptance=data.get("government_acceptance", ""), whitelist_until=whitelist_until,
                 after_photos=data["photos"], checked_on=data["checked_on"])


def _reject(hazard, data, user, version):
    """Acceptance refused on site, with the reason: back to rectification."""
    return _call(services.hazard_reject, version, hazard=hazard, by=user, reason=data["reason"],
                 checked_on=data["checked_on"])


def _close(hazard, data, user, version):
    """The file closed (销号) after acceptance."""
    return _call(services.hazard_close, version, hazard=hazard, by=user, comment=data["comment"])


def _void(hazard, data, user, version):
    """The hazard voided as registered in error, with the reason."""
    return _call(services.hazard_void, version, hazard=hazard, by=user, reason=data["reason"])


def _add_photos(hazard, data, user, version):
    """Before- or after-photos added, all of them or none."""
    # Several photos are one user action: all of them are kept, or none. The first photo checks
    # the form's version; the following ones follow the version the first one wrote.
    with transaction.atomic():
        return [services.hazard_photo_add(hazard=hazard, kind=data["kind"], image=image, by=user,
                                          expected_version=version if i == 0 else None)
                for i, image in enumerate(data["photos"])]


# --- initial values and form arguments: hazard -> dict

def _acknowledge_initial(hazard) -> dict:
    """Signed by the responsible person, by default."""
    return {"acknowledged_by_name": hazard.responsible_name}


def _acknowledge_kwargs(hazard) -> dict:
    """The other hazards of the notice, named on the form: their receipt is recorded too."""
    return {"together": _notice_together(hazard)}


def _request_extension_initial(hazard) -> dict:
    """Asked for by the responsible person, by default."""
    return {"requested_by_name": hazard.responsible_name}


def _approve_extension_initial(hazard) -> dict:
    """The deadline granted is the one requested, by default."""
    return {"granted_deadline": _requested_deadline(hazard)}


def _supervise_initial(hazard) -> dict:
    """A new deadline a week from today, by default."""
    return {"new_deadline": lifecycle.local_today() + datetime.timedelta(days=7)}


def _submit_reply_initial(hazard) -> dict:
    """Submitted by the responsible person, by default."""
    return {"submitted_by_name": hazard.responsible_name}


def _accept_kwargs(hazard) -> dict:
    """The evaluations of a major hazard; the whitelist period after a "no action needed" reply to a finding."""
    reply = _last_reply(hazard)
    return {"major": hazard.severity == Hazard.Severity.MAJOR,
            "whitelist": bool(reply and reply.result == WorkOrderReply.Result.NO_ACTION
                              and hazard.source_result_id)}


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


ACTION_FORMS: dict[str, ActionForm] = {
    Action.ACKNOWLEDGE: ActionForm(forms.AcknowledgeForm, _acknowledge, acknowledged_message,
                                   initial=_acknowledge_initial, form_kwargs=_acknowledge_kwargs),
    Action.SERVICE_VISIT: ActionForm(forms.ServiceVisitForm, _record_service_visit,
                                     _("Rectification service recorded.")),
    Action.REQUEST_EXTENSION: ActionForm(forms.ExtensionRequestForm, _request_extension,
                                         _("Extension request recorded."), initial=_request_extension_initial),
    Action.APPROVE_EXTENSION: ActionForm(forms.ExtensionApproveForm, _approve_extension,
                                         _("Extension approved: the deadline was moved."),
                                         initial=_approve_extension_initial),
    Action.DENY_EXTENSION: ActionForm(forms.ExtensionDecisionForm, _deny_extension,
                                      _("Extension denied: the deadline stays.")),
    Action.SUPERVISE: ActionForm(forms.SuperviseForm, _supervise, _("Supervision notice issued."),
                                 initial=_supervise_initial),
    Action.REPORT: ActionForm(forms.ReportForm, _report, _("Report to the authority recorded.")),
    Action.SUBMIT_REPLY: ActionForm(forms.ReplyForm, _submit_reply,
                                    _("Work-order reply recorded; the hazard awaits acceptance."),
                                    initial=_submit_reply_initial),
    Action.ACCEPT: ActionForm(forms.AcceptForm, _accept, _("Rectification accepted."), form_kwargs=_accept_kwargs),
    Action.REJECT: ActionForm(forms.RejectForm, _reject,
                              _("Acceptance rejected: the hazard is back in rectification.")),
    Action.CLOSE: ActionForm(forms.CommentForm, _close, _("Hazard closed (销号).")),
    Action.VOID: ActionForm(forms.ReasonForm, _void, _("Hazard voided.")),
    Action.ADD_PHOTO: ActionForm(forms.PhotoForm, _add_photos, _("Photos added.")),
}


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
