"""KPI pages: the dashboard (a view per role), the sites by risk, the group assessment and the
statistics reports. Thin: parse the pickers, call the selectors, render. Every figure links to
the ledger filtered to exactly its hazards."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.dates import today_local
from org import selectors as org_selectors
from org.documents import RenderError, render_error_message
from org.forms import parse_id
from org.models import RiskLevel, Role
from org.views import paginate

from . import assessment, reports, rules, selectors, services
from .forms import MonthForm, PeriodForm, SignForm, quick_periods
from .models import StatisticsReport

VIEWS = {Role.LEADER: "leader", Role.MANAGER: "manager", Role.ADMIN: "manager", Role.INSPECTOR: "inspector"}


def _pickers(request, form_class, today, *, together=()):
    """The pickers' form (`form_class` bound to the query string, the user's units offered) and its
    clean values. When the query is not valid, the form shows its errors and the values keep what
    was valid of it (e.g. the dates with a unit that is not the user's); a field in error, and the
    fields `together` when the form's own check refuses them as a whole, fall back to the form's
    defaults (the user's whole scope, this year or month)."""
    units = org_selectors.unit_list(user=request.user).order_by("path")
    form = form_class(request.GET or None, units=units, today=today)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data
    refused = set(form.errors) | (set(together) if form.non_field_errors() else set())
    kept = {name: request.GET[name] for name in form.fields if name in request.GET and name not in refused}
    fallback = form_class(kept, units=units, today=today)
    fallback.fields["unit"] = form.fields["unit"]  # the same list of units, read once
    if not fallback.is_valid():
        fallback = form_class({}, units=units, today=today)
        fallback.is_valid()
    return form, fallback.cleaned_data


def _period(request, today):
    form, data = _pickers(request, PeriodForm, today, together=("start", "end"))
    return form, data["unit"], data["start"], data["end"]


def _role_view(request) -> str:
    chosen = request.GET.get("view", "")
    if chosen in VIEWS.values():
        return chosen
    membership = org_selectors.user_membership(request.user)
    return VIEWS.get(membership.role if membership else Role.LEADER, "leader")


def _chart(key, title, labels, datasets, *, horizontal=False, stacked=False, max_value=None):
    """One chart for static/kpis/dashboard.js: its bars and, per bar, the ledger URL of its hazards."""
    return {"id": key, "title": title, "labels": [str(label) for label in labels], "horizontal": horizontal,
            "stacked": stacked, "max": max_value,
            "datasets": [{"label": str(label), "colour": colour, "data": [f.value for f in figures],
                          "links": [f.url for f in figures]} for label, colour, figures in datasets]}


@login_required
def dashboard(request):
    today = today_local()
    form, unit, start, end = _period(request, today)
    user = request.user
    figures = selectors.dashboard_figures(user=user, unit=unit, start=start, end=end, today=today,
                                          units=form.fields["unit"].listed())
    kpis, months, now, risk, tasks = (figures[key] for key in ("kpis", "months", "now", "risk", "tasks"))
    risk_url = reverse("kpis:site_risk")
    unit_query = f"&unit={unit.pk}" if unit else ""  # the risk list of the same subtree
    view = _role_view(request)
    in_place = [kpis["by_key"][key] for key in rules.IN_PLACE]
    charts = [
        _chart("chart-months", _("Found and closed per month"), [m["month"].strftime("%Y-%m") for m in months],
               [(_("Found"), "#0d6efd", [m["found"] for m in months]),
                (_("Closed"), "#198754", [m["closed"] for m in months])]),
        _chart("chart-severity", _("Open now by severity"), [label for label, _f in now["severity"]],
               [(_("Not closed"), "#dc3545", [f for _l, f in now["severity"]])]),
        _chart("chart-category", _("Open now by category"), [label for label, _f in now["category"]],
               [(_("Not closed"), "#fd7e14", [f for _l, f in now["category"]])], horizontal=True),
        _chart("chart-overdue", _("Overdue now by unit"), [u.name for u, _f in now["overdue_by_unit"]],
               [(_("Overdue"), "#dc3545", [f for _u, f in now["overdue_by_unit"]])], horizontal=True),
        _chart("chart-inplace", _("The four in place against the target (100 %)"),
               [row.kpi.label for row in in_place],
               [(_("Rate (%)"), "#6f42c1", [selectors.Figure(float(row.rate) if row.rate is not None else None,
                                                              row.numerator.query) for row in in_place])],
               max_value=100),
    ]
    risk_chart = {"id": "chart-risk", "title": _("Sites by risk level"), "horizontal": False, "stacked": False,
                  "max": None, "labels": [str(r["label"] or _("No risk level")) for r in risk],
                  "datasets": [{"label": _("Sites"), "colour": [RISK_COLOURS[r["level"]] for r in risk],
                                "data": [r["count"] for r in risk],
                                "links": [f"{risk_url}?level={r['level']}{unit_query}" for r in risk]}]}
    charts.insert(3, risk_chart)
    # The figures under each chart, as a table of links (readable without the canvas).
    cards = [(chart, _figures_table(chart)) for chart in charts
             if view != "inspector" or chart["id"] != "chart-inplace"]
    return render(request, "kpis/dashboard.html", {
        "form": form, "unit": unit, "start": start, "end": end, "today": today, "view": view,
        "quick": _quick_links(view, unit_query, today), "kpis": kpis, "months": months, "now": now, "risk": risk,
        "tasks": tasks,
        "risk_url": risk_url, "charts": [card[0] for card in cards], "cards": cards,
        "unit_query": unit_query, "kpi_rows": _kpi_rows(kpis, tasks),
        "lists": None if view == "leader" else {
            "severity": _figure_list(kpis["counts_by"]["severity"]),
            "status": _figure_list(kpis["counts_by"]["status"], "counts-by-status"),
            "days_to_close": _days_to_close(kpis["days_to_close"]),
            "category": _category_badges(kpis["by_category"])},
        "role_views": [("leader", _("Leader")), ("manager", _("Manager")), ("inspector", _("Inspector"))],
        "role_query": urlencode({k: v for k, v in request.GET.items() if k != "view"}),
    })


def _link(figure, name: str = "") -> str:
    """A figure as the link to its ledger (`name`: its data-figure attribute)."""
    attr = f' data-figure="{conditional_escape(name)}"' if name else ""
    return f'<a href="{conditional_escape(figure.url)}"{attr}>{_number(figure.value)}</a>'


def _number(value) -> str:
    """A count or rate as the templates write it (localize); a count without thousands separators
    is its digits, written without the formats machinery (hundreds per dashboard)."""
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(localize(value))


def _rate(value) -> str:
    """A rate or count; "—" for none. A rate of a chart (a float for Chart.js) with its two places,
    as the KPI table writes it."""
    if value is None:
        return "—"
    return f"{value:.2f}" if isinstance(value, float) else _number(value)


WARN = ' class="table-warning"'  # a rate under its target


def _kpi_rows(kpis: dict, tasks: dict) -> str:
    """The rows of the KPI table: per KPI its counted hazards, their base (each a link to its
    ledger), the rate and the target; a KPI under its target is marked; then the inspection tasks
    done against planned. Written here for the reason given at _figures_table."""
    rows = []
    for row in kpis["kpis"]:
        key = conditional_escape(row.kpi.key)
        warn = WARN if row.met is False else ""
        rows.append(
            f'<tr data-kpi="{key}"{warn}>'
            f"<td>{conditional_escape(row.kpi.label)}</td>"
            f'<td class="text-end">{_link(row.numerator, f"{row.kpi.key}-numerator")}</td>'
            f'<td class="text-end">{_link(row.base, f"{row.kpi.key}-base")}</td>'
            f'<td class="text-end fw-semibold">{_rate(row.rate)}</td>'
            f'<td class="text-end text-muted">{floatformat(row.kpi.target, 0)}</td></tr>')
    # Planning: the inspection tasks due in the period, done against planned (cancelled not counted).
    warn = WARN if tasks["rate"] is not None and tasks["rate"] < 100 else ""
    label = conditional_escape(_("Inspection tasks done"))
    rows.append(
        f'<tr data-kpi="tasks_done" id="tasks-row"{warn}>'
        f"<td>{label}</td>"
        f'<td class="text-end">{_link(tasks["done"], "tasks-done")}</td>'
        f'<td class="text-end">{_link(tasks["planned"], "tasks-planned")}</td>'
        f'<td class="text-end fw-semibold">{_rate(tasks["rate"])}</td>'
        f'<td class="text-end text-muted">100</td></tr>')
    return mark_safe("".join(rows))  # noqa: S308  # nosec B308 B703 - every value above is escaped


def _figure_list(rows, list_id: str = "") -> str:
    """A card's list of (label, figure) pairs, each figure a link to its ledger."""
    attr = f' id="{list_id}"' if list_id else ""
    items = "".join(f'<li class="list-group-item d-flex justify-content-between"><span>{conditional_escape(label)}'
                    f"</span>{_link(figure)}</li>" for label, figure in rows)
    return mark_safe(f'<ul class="list-group list-group-flush"{attr}>{items}</ul>')  # noqa: S308  # nosec B308 B703


def _quick_links(view: str, unit_query: str, today) -> str:
    """The period shortcuts (kpis.forms.quick_periods) as links keeping the view and the unit."""
    links = "".join(
        f'<a class="btn btn-sm btn-outline-secondary me-1 mb-1" href="?view={conditional_escape(view)}'
        f'{conditional_escape(unit_query)}&amp;start={start.isoformat()}&amp;end={end.isoformat()}">'
        f"{conditional_escape(label)}</a>" for label, start, end in quick_periods(today))
    return mark_safe(links)  # noqa: S308  # nosec B308 B703 - every value above is escaped


def _days_to_close(days: dict) -> str:
    """The closed hazards of the period (a link to them), the average and 90th percentile of days."""
    item = '<li class="list-group-item d-flex justify-content-between"><span>{}</span>{}</li>'
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value is escaped
        '<ul class="list-group list-group-flush" id="days-to-close">'
        + item.format(conditional_escape(_("Closed")), _link(days["closed"]))
        + item.format(conditional_escape(_("Average")), f"<span>{_rate(days['average'])}</span>")
        + item.format(conditional_escape(_("90th percentile")), f"<span>{_rate(days['p90'])}</span>")
        + "</ul>")


def _category_badges(rows) -> str:
    """Found in the period per risk category, each a link to its hazards."""
    if not rows:
        none = conditional_escape(_("None."))
        return mark_safe(f'<span class="text-muted">{none}</span>')  # noqa: S308  # nosec B308 B703
    return mark_safe("".join(  # noqa: S308  # nosec B308 B703 - every value is escaped
        f'<a class="badge text-bg-light me-1 mb-1 text-decoration-none" href="{conditional_escape(f.url)}">'
        f"{conditional_escape(label)} {_number(f.value)}</a>" for label, f in rows))


def _figures_table(chart: dict) -> str:
    """The figures under a chart as a table of links (readable without the canvas): one row per
    bar label, one cell per dataset. Written here rather than in the template: a five-year
    dashboard has hundreds of cells, and the template engine would spend more time on them than
    the database spends on the whole page (the markup is the same; every value is escaped)."""
    head = "".join(f'<th class="text-end">{conditional_escape(ds["label"])}</th>' for ds in chart["datasets"])
    body = []
    for i, label in enumerate(chart["labels"]):
        cells = "".join(
            f'<td class="text-end"><a href="{conditional_escape(ds["links"][i])}">'
            f'{_rate(ds["data"][i])}</a></td>'
            for ds in chart["datasets"])
        body.append(f"<tr><td>{conditional_escape(label)}</td>{cells}</tr>")
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every value above is escaped
        f'<table class="table table-sm mb-0" data-chart-table="{conditional_escape(chart["id"])}">'
        f'<thead><tr><th></th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


RISK_COLOURS = {"A": "#dc3545", "B": "#ffc107", "C": "#0d6efd", "none": "#adb5bd"}


@login_required
def site_risk(request):
    """The sites by risk, highest first, in their level's colour; `?level=A|B|C|none`."""
    level = request.GET.get("level", "")
    level = level if level in (*RiskLevel.values, "none") else ""
    unit = None
    if request.GET.get("unit"):  # the dashboard's unit: its subtree (not found and not allowed: the same 404)
        unit_id = parse_id(request.GET["unit"])
        if unit_id is None:
            raise Http404
        unit = org_selectors.get_for_user_or_404(org_selectors.unit_list(user=request.user), request.user,
                                                 unit_field="", pk=unit_id)
    page = paginate(request, selectors.site_risk_list(user=request.user, level=level, unit=unit))
    return render(request, "kpis/site_risk.html", {
        "page": page, "level": level, "levels": [*RiskLevel.choices, ("none", _("No risk level"))],
        "unit": unit, "unit_query": f"&unit={unit.pk}" if unit else "",
    })


# ---------------------------------------------------------------- group assessment

def _month(request, today):
    form, data = _pickers(request, MonthForm, today)
    return form, data["unit"], data["month"]


@login_required
def group_assessment(request):
    """Per inspection group and month (`?month=YYYY-MM&unit=`); `?format=xlsx|pdf` downloads it."""
    today = today_local()
    form, unit, month = _month(request, today)
    rows = assessment.group_assessment(user=request.user, unit=unit, month=month, today=today)
    title = _("Group assessment %(month)s") % {"month": month.strftime("%Y-%m")}
    fmt = request.GET.get("format", "")
    query = urlencode({k: v for k, v in request.GET.items() if k != "format"})
    if fmt in ("xlsx", "pdf") and form.errors:  # never a file of other figures than were asked for
        messages.error(request, _("Correct the month or the unit before downloading."))
        return redirect(f"{reverse('kpis:groups')}?{query}")
    if fmt in ("xlsx", "pdf"):
        name = f"group-assessment-{month:%Y-%m}.{fmt}"
        if fmt == "xlsx":
            content = assessment.render_groups_xlsx(rows, month=month, title=title, language=get_language())
            return _download(content, name, XLSX)
        try:
            content = assessment.render_groups_pdf(rows, month=month, title=title, language=get_language())
        except RenderError as exc:
            messages.error(request, render_error_message(exc))
            return redirect(f"{reverse('kpis:groups')}?{query}")
        return _download(content, name, "application/pdf")
    return render(request, "kpis/groups.html", {"form": form, "rows": rows, "month": month, "title": title,
                                                "query": query})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- statistics reports

MAY_SIGN = {Role.LEADER, Role.MANAGER, Role.ADMIN}


def _may_sign(user) -> bool:
    membership = org_selectors.user_membership(user)
    return user.is_superuser or (membership is not None and membership.role in MAY_SIGN)


@login_required
def report_list(request):
    reports_qs = org_selectors.scope_queryset(StatisticsReport.objects.select_related("unit"), request.user)
    page = paginate(request, reports_qs.order_by("-period_end", "unit__path", "kind"))
    return render(request, "kpis/report_list.html", {"page": page, "today": today_local()})


def _report(request, pk: int) -> StatisticsReport:
    return org_selectors.get_for_user_or_404(StatisticsReport.objects.select_related("unit", "signed_by"),
                                             request.user, pk=pk)


def _report_title(report: StatisticsReport) -> str:
    return reports.default_title(report.unit.name, report.period_start, report.period_end)


@login_required
def report_detail(request, pk: int):
    report = _report(request, pk)
    context = reports.document_context(report.data, title=_report_title(report))
    return render(request, "kpis/report_detail.html", {
        **context, "report": report, "may_sign": _may_sign(request.user) and report.status == report.Status.DRAFT,
        "sign_form": SignForm(), "today": today_local(),
    })


@login_required
def report_file(request, pk: int, fmt: str):
    report = _report(request, pk)
    name = f"hazard-statistics-{report.unit.code}-{report.period_start:%Y%m%d}-{report.period_end:%Y%m%d}.{fmt}"
    signed = report.signed_by_name if report.status == report.Status.SIGNED else ""
    if fmt == "xlsx":
        return _download(reports.render_statistics_xlsx(report.data, title=_report_title(report),
                                                        language=get_language(), signed_by=signed), name, XLSX)
    try:
        content = reports.render_statistics_pdf(report.data, title=_report_title(report), language=get_language(),
                                                status=report.get_status_display(), signed_by=signed)
    except RenderError as exc:
        messages.error(request, render_error_message(exc))
        return redirect("kpis:report_detail", pk=report.pk)
    return _download(content, name, "application/pdf")


@login_required
@require_POST
def report_sign(request, pk: int):
    report = _report(request, pk)
    if not _may_sign(request.user):
        raise Http404
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            services.statistics_report_sign(report=report, principal=form.cleaned_data["principal"], by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The report is recorded as signed."))
    else:
        messages.error(request, _("Give the name of the principal who signed."))
    return redirect("kpis:report_detail", pk=report.pk)
