"""Issuing a hazard notice for one or more hazards of one site, and sending a notice's e-mail again."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from org import selectors as org_selectors
from org.forms import parse_id
from org.once import once_per_token

from .. import forms, lifecycle, selectors, services
from ..lifecycle import Action, ActionRefused, ChangedMeanwhile
from ..models import Hazard, Notice
from ._common import CHANGED_MEANWHILE, _add_validation_errors


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
    if not lifecycle.role_may(request.user, Action.NOTIFY):  # told before choosing (a leader reads notices)
        refusal = lifecycle.role_refusal(Action.NOTIFY)
        return render(request, "hazards/notify.html", {"form": None, "site": site, "rows": [], "selected": ids,
                                                       "refusal": refusal},
                      status=409 if request.method == "POST" else 200)
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
