from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.lifecycle import ActionRefused
from org.once import once_per_token
from org.views import filtered_page

from . import documents, lifecycle, selectors, services
from .filters import StandardFilter
from .forms import StandardImportForm
from .xlsx import SheetImportError

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_manager(request):
    if not selectors.user_can_manage_standards(request.user):
        raise PermissionDenied(_("Standards are company-wide: only a manager or an administrator of the company (its "
                                 "top unit) may change them."))


@login_required
def standard_list(request):
    standard_filter = StandardFilter(request.GET or None, queryset=selectors.standard_list(user=request.user))
    page = filtered_page(request, standard_filter, ["name", "-created_at"])
    return render(request, "scoring/standard_list.html", {
        "filter": standard_filter, "page": page, "can_manage": selectors.user_can_manage_standards(request.user),
    })


@login_required
def standard_detail(request, pk: int):
    standard = selectors.standard_get(pk=pk, user=request.user)
    return render(request, "scoring/standard_detail.html", {
        "standard": standard,
        "items": list(selectors.standard_items(standard=standard)),
        "versions": list(selectors.standard_versions(standard=standard)),
        "can_manage": selectors.user_can_manage_standards(request.user),
        "actions": lifecycle.allowed_actions(standard, request.user),
    })


@login_required
@once_per_token
def standard_import(request):
    _require_manager(request)
    errors = []
    if request.method == "POST":
        form = StandardImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                standard = services.standard_import_xlsx(
                    file=data["file"], name=data["name"], version=data["version"] or None, by=request.user,
                    filename=data["file"].name,
                )
            except SheetImportError as exc:
                errors = exc.errors
            else:
                messages.success(request, _("Imported “%(standard)s”: %(count)s items, %(points)s points. It is a "
                                            "draft until you activate it.")
                                 % {"standard": standard, "count": standard.item_count,
                                    "points": standard.total_points})
                return redirect("scoring:standard_detail", pk=standard.pk)
    else:
        form = StandardImportForm(initial={"name": request.GET.get("name", "")})
    return render(request, "scoring/standard_import.html", {"form": form, "errors": errors},
                  status=400 if errors else 200)


@login_required
def standard_export(request, pk: int):
    standard = selectors.standard_get(pk=pk, user=request.user)
    response = HttpResponse(services.standard_export_xlsx(standard), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{standard.name}-v{standard.version}.xlsx")
    return response


@login_required
def standard_template(request):
    """The import template (Chinese or English): example items that import unchanged."""
    language = documents.template_language(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None))
    response = HttpResponse(documents.standard_template_xlsx(language=language), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"standard-template-{language}.xlsx")
    return response


def _transition(request, pk: int, action, done_message: str):
    _require_manager(request)
    standard = selectors.standard_get(pk=pk, user=request.user)
    try:
        result = action(standard=standard, by=request.user)
    except (ActionRefused, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("scoring:standard_detail", pk=standard.pk)
    messages.success(request, done_message % {"standard": result})
    return redirect("scoring:standard_detail", pk=result.pk)


@login_required
@require_POST
def standard_activate(request, pk: int):
    return _transition(request, pk, services.standard_activate,
                       _("“%(standard)s” is now active; the version active before it is retired."))


@login_required
@require_POST
def standard_retire(request, pk: int):
    return _transition(request, pk, services.standard_retire, _("“%(standard)s” is retired."))


@login_required
@once_per_token
@require_POST
def standard_new_version(request, pk: int):
    return _transition(request, pk, services.standard_new_version,
                       _("Draft “%(standard)s” created: edit its items, then activate it."))
