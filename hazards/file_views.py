"""The printable hazard file (hazards.hazard_file): one hazard's PDF from its page, and the zip of
the hazard files of the ledger's current filter. Scoped like every hazard view: another unit's
hazard answers 404 exactly like a missing one, and the zip holds only the user's hazards."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from org.documents import RenderError, render_error_message
from org.selectors import get_for_user_or_404

from . import hazard_file, selectors
from .views.ledger import _ledger_filter


def _language(request) -> str:
    return hazard_file.file_language(request.GET.get("lang") or getattr(request, "LANGUAGE_CODE", None))


@login_required
def hazard_file_pdf(request, pk: int):
    # Scoped at the source: another unit's hazard is not found, like a missing id.
    hazard = get_for_user_or_404(hazard_file.with_file_prefetch(selectors.hazard_list(user=request.user)),
                                 request.user, pk=pk)
    try:
        pdf = hazard_file.render_hazard_file_pdf(hazard, language=_language(request))
    except RenderError as exc:
        return _refused(request, render_error_message(exc), reverse("hazards:hazard_detail", args=[hazard.pk]),
                        title=_("Hazard file"), back_label=_("Back to the hazard"), status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{hazard_file.hazard_file_filename(hazard)}"'
    return response


@login_required
def hazard_files_zip(request):
    """The ledger's "hazard files (zip)": the same filter as the ledger page and its Excel export.
    A refusal (invalid filter, too many hazards) is a page with the reason, so the download
    button's script opens it (static/js/app.js, a[data-download])."""
    ledger = _ledger_filter(request)
    back = f"{reverse('hazards:hazard_list')}?{request.GET.urlencode()}"
    if ledger.is_bound and not ledger.is_valid():
        return _refused(request, _("The filters are not valid; nothing was exported."), back)
    try:
        # In the ledger's order: the one chosen, or the filter's default (as hazards.views.hazard_list).
        queryset = ledger.qs if request.GET.get("ordering") else ledger.qs.order_by(*ledger.default_ordering())
        archive = hazard_file.hazard_files_zip_file(queryset, language=_language(request))
    except hazard_file.TooManyHazards as exc:
        return _refused(request, hazard_file.too_many_message(exc.count, exc.limit), back)
    except hazard_file.NothingToExport:
        return _refused(request, _("No hazard matches these filters: there is nothing to export."), back)
    return FileResponse(archive, as_attachment=True, filename=hazard_file.zip_filename(),
                        content_type=hazard_file.ZIP_TYPE)


def _refused(request, message: str, back: str, *, title=None, back_label=None, status=400):
    """The reason on a page of its own (a message stored for the next page would be shown to the
    download script's fetch, then lost)."""
    return render(request, "hazards/hazard_files_refused.html", {
        "message": message, "back": back, "title": title or _("Hazard files (zip)"),
        "back_label": back_label or _("Back to the ledger to narrow the filter")}, status=status)
