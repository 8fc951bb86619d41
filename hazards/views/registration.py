"""Registering a hazard and editing its file (with the carry-over of one's own changes when someone
else saved meanwhile)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from org import selectors as org_selectors
from org.forms import parse_id
from org.once import once_per_token

from .. import conflicts, forms, lifecycle, selectors, services
from ..lifecycle import Action, ActionRefused, ChangedMeanwhile
from ._common import EDIT_CHANGED_MEANWHILE, FILES_AGAIN, _add_validation_errors, _refusal


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
    fixed = lifecycle.fixed_fields(hazard)
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
                fixed = lifecycle.fixed_fields(hazard)
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
    elif refusal:  # the hazard may not be edited now, or not by this role: say so, offer no form
        status = 409 if request.method == "POST" else 200
        form = None
    return render(request, "hazards/hazard_form.html", {"form": form, "hazard": hazard, "refusal": refusal},
                  status=status)


@login_required
def site_contact(request, pk: int):
    """The site's responsible contact, to prefill the register form (scoped like the site)."""
    site = org_selectors.site_get(user=request.user, pk=pk)
    return JsonResponse({"name": site.contact_name, "email": site.contact_email, "phone": site.contact_phone})
