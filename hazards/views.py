"""Hazard pages: the ledger (台账), the hazard file, the action forms and the scoped downloads.
Views stay thin: parse the form, call ONE service, show its refusal in words. Other units'
hazards, notices and files answer 404 exactly like missing ones."""

import calendar
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audits.models import Inspection
from core.dates import local_day
from org import display
from org import selectors as org_selectors
from org.forms import parse_id
from org.once import once_per_token
from org.uploads import file_response
from org.views import chosen_site, filtered_page
from org.wording import join_list

from . import conflicts, exports, forms, hazard_file, hooks, lifecycle, rules, selectors, services
from . import ledger as ledger_table
from .filters import HazardFilter
from .lifecycle import Action, ActionRefused, ChangedMeanwhile
from .models import AuthorityReport, Hazard, HazardPhoto, Notice, ReplyPhoto, RiskCategory, WorkOrderReply

CHANGED_MEANWHILE = _("This hazard was changed by someone else meanwhile; the page now shows the current state. "
                      "Please check and try again.")
EDIT_CHANGED_MEANWHILE = _("Someone else changed this hazard file while you were editing it. The form now shows "
                           "the current file with your own changes kept and marked: check them and save again.")
FILES_AGAIN = _("Files you chose were not kept: please choose them again.")


# ---------------------------------------------------------------- ledger


def _ledger_filter(request):
    user = request.user
    return HazardFilter(
        request.GET or None,
        queryset=selectors.hazard_list(user=user),
        units=org_selectors.unit_list(user=user).order_by("path"),
        sites=org_selectors.site_list(user=user).select_related(None).only("id", "code", "name"),
    )


overdue_days = rules.hazard_days_overdue  # the old name, kept for callers


@login_required
def hazard_list(request):
    ledger = _ledger_filter(request)
    default_order = ledger.default_ordering()
    page = filtered_page(request, ledger, default_order, values=ledger_table.ROW_FIELDS)
    chosen = chosen_site(request, ledger)
    site = chosen["filtered_site"]
    may_notify = _may(request.user, Action.NOTIFY)
    query = request.GET.copy()
    query.pop("page", None)
    without_figure = query.copy()
    for name in HazardFilter.FIGURE_FIELDS:
        without_figure.pop(name, None)
    return render(request, "hazards/hazard_list.html", {
        "figure_chip": ledger.figure_chip(), "without_figure": without_figure.urlencode(),
        **chosen, "filter": ledger, "page": page,
        "rows": ledger_table.render_rows(page.object_list, today=lifecycle.local_today(),
                                         selectable=bool(site and may_notify)),
        # The header shows the order in effect, the one chosen or the one a date range implies.
        "sort_headers": ledger_table.sort_headers(request.GET, request.GET.get("ordering") or default_order[0]),
        "may_register": _may(request.user, Action.REGISTER), "may_notify": may_notify,
        "export_query": query.urlencode(),
        # The zip of hazard files is refused above its cap: the ledger says so before the click.
        "zip_refusal": (hazard_file.too_many_message(page.paginator.count, hazard_file.zip_max())
                        if page.paginator.count > hazard_file.zip_max() else ""),
    })


@login_required
def hazard_export(request):
    ledger = _ledger_filter(request)
    if ledger.is_bound and not ledger.is_valid():
        messages.error(request, _("The filters are not valid; nothing was exported."))
        return redirect(f"{reverse('hazards:hazard_list')}?{request.GET.urlencode()}")
    return exports.hazard_export_response(ledger.qs, today=lifecycle.local_today())


def _may(user, action) -> bool:
    """Whether the user's role may take `action` at all (the buttons shown outside a hazard)."""
    if user.is_superuser:
        return True
    membership = org_selectors.user_membership(user)
    return membership is not None and membership.role in lifecycle.TRANSITIONS[action].roles


# ---------------------------------------------------------------- the hazard file


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
        "services": list(hazard.services.all()),
        "reports": list(hazard.reports.all()),
        "acceptances": list(hazard.acceptances.all()),
        "timeline": timeline_rows(history),
        "actions": [(t, _action_url(hazard, t.action)) for t in lifecycle.allowed_actions(hazard, request.user,
                                                                                          today=today)],
        # Buttons left out because their conditions refuse them now, with the reason.
        "unavailable": lifecycle.unavailable_actions(hazard, request.user, today=today),
        "notify_missing": (lifecycle.notify_missing(hazard, today)
                           if hazard.status == Hazard.Status.REGISTERED else []),
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


# ---------------------------------------------------------------- register and edit


def _add_validation_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@once_per_token
def hazard_create(request):
    # Refused up front: a role that may not register is told before filling in the form.
    refusal = lifecycle.register_refusal(request.user)
    if refusal:
        return render(request, "hazards/hazard_form.html", {"form": None, "hazard": None, "refusal": refusal})
    sites = org_selectors.site_list(user=request.user)
    if request.method == "POST":
        form = forms.HazardRegisterForm(request.POST, request.FILES, sites=sites)
        if form.is_valid():
            data = dict(form.cleaned_data)
            photos = data.pop("photos")
            try:
                hazard = services.hazard_register(**data, photos=photos, by=request.user)
            except ActionRefused as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                _add_validation_errors(form, exc)
            else:
                messages.success(request, _("Hazard %(number)s registered.") % {"number": hazard.number})
                return redirect("hazards:hazard_detail", hazard.pk)
        if request.FILES:
            messages.warning(request, FILES_AGAIN)
    else:
        initial = {}
        site_id = parse_id(request.GET.get("site"))
        if site_id:
            site = sites.filter(pk=site_id).first()
            if site:
                initial = {"site": site, "responsible_name": site.contact_name,
                           "responsible_email": site.contact_email, "responsible_phone": site.contact_phone}
        form = forms.HazardRegisterForm(sites=sites, initial=initial)
    return render(request, "hazards/hazard_form.html", {"form": form, "hazard": None})


@login_required
def hazard_edit(request, pk: int):
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    fixed = lifecycle.FIXED_AFTER_NOTIFY if hazard.status != Hazard.Status.REGISTERED else ()
    refusal = _refusal(hazard, Action.EDIT, request.user)
    form = forms.HazardEditForm(instance=hazard, fixed=fixed, initial={"expected_version": hazard.version})
    status = 200
    if request.method == "POST" and not refusal:
        form = forms.HazardEditForm(request.POST, instance=hazard, fixed=fixed)
        if form.is_valid():
            try:
                services.hazard_update(hazard=hazard, by=request.user,
                                       expected_version=form.cleaned_data["expected_version"],
                                       **form.changed_values())
            except ChangedMeanwhile:
                # The current file, with only this user's own changes carried over (marked).
                hazard = selectors.hazard_get(user=request.user, pk=pk)
                fixed = lifecycle.FIXED_AFTER_NOTIFY if hazard.status != Hazard.Status.REGISTERED else ()
                fresh = forms.HazardEditForm(instance=hazard, fixed=fixed)
                carried = conflicts.carry_over(form, fresh, hazard)
                form = forms.HazardEditForm(carried.data, instance=hazard, fixed=fixed)
                form.is_valid()
                conflicts.mark(form, carried)
                refusal, status = EDIT_CHANGED_MEANWHILE, 409
            except ActionRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                _add_validation_errors(form, exc)
            else:
                messages.success(request, _("The hazard file was updated."))
                return redirect("hazards:hazard_detail", hazard.pk)
    elif refusal:
        status = 409 if request.method == "POST" else 200
    return render(request, "hazards/hazard_form.html", {"form": form, "hazard": hazard, "refusal": refusal},
                  status=status)


@login_required
def site_contact(request, pk: int):
    """The site's responsible contact, to prefill the register form (scoped like the site)."""
    site = org_selectors.site_get(user=request.user, pk=pk)
    return JsonResponse({"name": site.contact_name, "email": site.contact_email, "phone": site.contact_phone})


# ---------------------------------------------------------------- actions


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


def _refusal(hazard, action, user):
    try:
        lifecycle.check(hazard, action, user)
    except ActionRefused as exc:
        return exc.message
    return None


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


# ---------------------------------------------------------------- notify (one notice, several hazards of one site)


@login_required
@once_per_token
def notify(request):
    source = request.POST if request.method == "POST" else request.GET
    scoped = selectors.hazard_list(user=request.user)
    ids = [i for i in map(parse_id, source.getlist("hazards")) if i]
    site_id = parse_id(source.get("site"))
    first = scoped.filter(pk__in=ids).first() if ids else None
    if first is not None:
        site_id = first.site_id
    if not site_id:
        messages.info(request, _("Choose the site first: filter the ledger by site, then select its hazards."))
        return redirect("hazards:hazard_list")
    site = org_selectors.site_get(user=request.user, pk=site_id)
    candidates = scoped.filter(site=site, status=Hazard.Status.REGISTERED).order_by("number")
    refusal, status = None, 200
    if request.method == "POST":
        form = forms.NotifyForm(request.POST, candidates=candidates)
        if form.is_valid():
            hazards = form.cleaned_data["hazards"]
            versions = {h.pk: parse_id(request.POST.get(f"version_{h.pk}"), default=0) for h in hazards}
            try:
                notice = services.hazard_notify(hazards=hazards, by=request.user,
                                                language=form.cleaned_data["language"], expected_versions=versions)
            except ChangedMeanwhile:
                refusal, status = CHANGED_MEANWHILE, 409
                candidates = candidates.all()  # re-read: the page shows the current state
                form = forms.NotifyForm(request.POST, candidates=candidates)
                form.is_valid()
            except ActionRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                _add_validation_errors(form, exc)
            else:
                messages.success(request, _("Hazard notice %(number)s issued for %(count)s hazard(s).")
                                 % {"number": notice.number, "count": len(hazards)})
                if len(hazards) == 1:
                    return redirect("hazards:hazard_detail", hazards[0].pk)
                return redirect(f"{reverse('hazards:hazard_list')}?{urlencode({'site': site.pk})}")
    else:
        form = forms.NotifyForm(candidates=candidates, initial={"hazards": ids, "language": request.LANGUAGE_CODE})
    rows = []
    today = lifecycle.local_today()
    for hazard in candidates:
        # Not ready: the very words the notify refusal would use (missing pieces, a past deadline).
        rows.append((hazard, lifecycle.guard_refusal(hazard, Action.NOTIFY, today)))
    return render(request, "hazards/notify.html", {"form": form, "site": site, "rows": rows, "selected": ids,
                                                   "refusal": refusal}, status=status)


# ---------------------------------------------------------------- findings → hazards (the inspection page's button)


@login_required
@once_per_token
@require_POST
def create_from_inspection(request, pk: int):
    inspection = org_selectors.get_for_user_or_404(Inspection.objects.select_related("site", "unit"), request.user,
                                                   pk=pk)
    category = None
    category_id = parse_id(request.POST.get("category"))
    if category_id:
        category = RiskCategory.objects.filter(pk=category_id, active=True).first()
    # Per finding: the ticked ones, each with its category and severity (the panel's rows).
    choices = None
    chosen = [i for i in map(parse_id, request.POST.getlist("result")) if i]
    if chosen or "category_" in "".join(request.POST):
        categories = RiskCategory.objects.filter(active=True).in_bulk(
            [i for i in (parse_id(request.POST.get(f"category_{r}")) for r in chosen) if i])
        severities = dict(Hazard.Severity.choices)
        choices = {}
        for result_id in chosen:
            severity = request.POST.get(f"severity_{result_id}")
            choices[result_id] = (categories.get(parse_id(request.POST.get(f"category_{result_id}"))),
                                  severity if severity in severities else None)
    if choices == {}:
        messages.warning(request, _("Tick the findings to register as hazards."))
        return redirect("audits:inspection_detail", inspection.pk)
    try:
        hazards = services.hazards_create_from_inspection(inspection=inspection, by=request.user, category=category,
                                                          choices=choices)
    except ActionRefused as exc:
        messages.error(request, exc.message)
    else:
        if hazards:
            messages.success(request, _("%(count)s hazard(s) registered from the findings of %(number)s.")
                             % {"count": len(hazards), "number": inspection.number})
        else:
            messages.info(request, _("No new hazards: every finding of %(number)s already has its hazard.")
                          % {"number": inspection.number})
    return redirect(f"{reverse('hazards:hazard_list')}?{urlencode({'inspection': inspection.pk})}")


@login_required
@once_per_token
@require_POST
def notice_email(request, pk: int):
    """The notice's "send e-mail" button: its PDF to the addressee (or the address typed), queued in
    the outbox. Back to the hazard page the button was on."""
    notice = org_selectors.get_for_user_or_404(Notice.objects.select_related("site__unit", "unit"), request.user,
                                               unit_field="site__unit", pk=pk)
    hazards = notice.hazards.order_by("number")
    back = hazards.filter(pk=parse_id(request.POST.get("hazard"))).first() or hazards.first()
    target = reverse("hazards:hazard_detail", args=[back.pk]) + "#documents-card"
    try:
        message = services.notice_email_send(notice=notice, by=request.user, to=request.POST.get("to", ""))
    except ActionRefused as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The e-mail of notice %(number)s to %(address)s is queued for sending.")
                         % {"number": notice.number, "address": message.recipient_address})
    return redirect(target)


# ---------------------------------------------------------------- scoped downloads (never a public media URL)


@login_required
def notice_file(request, pk: int, which: str = "document"):
    notice = org_selectors.get_for_user_or_404(Notice.objects.all(), request.user, unit_field="site__unit", pk=pk)
    if which == "signed":
        return file_response(notice.signed_scan, download_name=f"{notice.number}-signed")
    return file_response(notice.file, download_name=notice.number)


@login_required
def report_file(request, pk: int):
    report = org_selectors.get_for_user_or_404(AuthorityReport.objects.select_related("hazard"), request.user,
                                               unit_field="hazard__unit", pk=pk)
    return file_response(report.document, download_name=f"{report.hazard.number}-report-{report.pk}")


@login_required
def photo_file(request, pk: int, size: str = "full"):
    photo = org_selectors.get_for_user_or_404(HazardPhoto.objects.select_related("hazard"), request.user,
                                              unit_field="hazard__unit", pk=pk)
    return _photo_response(photo, f"{photo.hazard.number}-photo-{photo.pk}", size)


@login_required
def reply_photo_file(request, pk: int, size: str = "full"):
    photo = org_selectors.get_for_user_or_404(ReplyPhoto.objects.select_related("reply__hazard"), request.user,
                                              unit_field="reply__hazard__unit", pk=pk)
    return _photo_response(photo, f"{photo.reply.hazard.number}-reply-photo-{photo.pk}", size)


def _photo_response(photo, name: str, size: str):
    if size == "thumb" and photo.thumbnail:
        return file_response(photo.thumbnail, download_name=f"{name}-thumb")
    return file_response(photo.image, download_name=name)
