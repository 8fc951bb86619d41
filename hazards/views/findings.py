"""Findings → hazards: the inspection page's button registering hazards from its findings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from audits.models import Inspection
from org import selectors as org_selectors
from org.forms import parse_id
from org.once import once_per_token

from .. import services
from ..lifecycle import ActionRefused
from ..models import Hazard, RiskCategory


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
