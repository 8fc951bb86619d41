"""The ledger (台账): the filtered, sorted list of hazards and its spreadsheet export."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from org import selectors as org_selectors
from org.views import chosen_site, filtered_page

from .. import exports, hazard_file, lifecycle, selectors
from .. import ledger as ledger_table
from ..filters import HazardFilter
from ..lifecycle import Action
from ._common import _may


def _ledger_filter(request):
    user = request.user
    return HazardFilter(
        request.GET or None,
        queryset=selectors.hazard_list(user=user),
        units=org_selectors.unit_list(user=user).order_by("path"),
        sites=org_selectors.site_list(user=user).select_related(None).only("id", "code", "name"),
    )


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
