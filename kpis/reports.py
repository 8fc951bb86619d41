"""Quarterly and annual hazard statistics (安全生产事故隐患排查治理暂行规定 §14) and their documents:
the figures as one JSON-ready dict (frozen in a StatisticsReport draft, printed by the
`hazard_statistics` command), the workbook (openpyxl) and the PDF (org.documents.render_pdf, the
sandbox, embedded fonts), with the principal's signature line."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

from django.conf import settings
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.dates import today_local
from hazards.models import Hazard, RiskCategory
from hazards.rules import is_overdue, notify_missing, open_q, overdue_q
from org.documents import render_pdf
from org.models import OrgUnit
from org.selectors import subtree_queryset
from org.spreadsheets import print_setup, text_cell

from . import rules, selectors

S = Hazard.Status
RECTIFIED = rules.SETS["rectified"].q(None)
PDF_TEMPLATE = "kpis/pdf/statistics.html"


def _number(value):
    """A rate as a JSON number (percent, 2 places) or null."""
    return None if value is None else float(value)


def statistics_data(*, unit: OrgUnit, start: datetime.date, end: datetime.date,
                    today: datetime.date | None = None) -> dict:
    """Every figure of a unit's subtree for the period: counts (found, rectified, open, overdue) by
    severity, category and state, every KPI with its numerator and base, days to close, and every
    major hazard found in the period with its governance status. Aggregates only: a constant
    number of queries."""
    today = today or today_local()
    figures = selectors.kpi_figures(user=None, unit=unit, start=start, end=end, today=today)
    cohort = (subtree_queryset(Hazard.objects.all(), unit).filter(discovered_on__gte=start, discovered_on__lte=end)
              .exclude(status=S.VOIDED).order_by())
    counts = {"found": Count("id"), "rectified": Count("id", filter=RECTIFIED), "open": Count("id", filter=open_q()),
              "overdue": Count("id", filter=overdue_q(today))}
    totals = cohort.aggregate(**counts)
    by_severity = {row.pop("severity"): row for row in cohort.values("severity").annotate(**counts)}
    names = dict(RiskCategory.objects.values_list("pk", "code"))
    labels = dict(RiskCategory.objects.values_list("pk", "name"))
    by_category = sorted(
        ({"code": names.get(row["category_id"], ""), "name": labels.get(row.pop("category_id"), ""), **row}
         for row in cohort.values("category_id").annotate(**counts)),
        key=lambda row: (-row["found"], row["code"]))
    majors = (cohort.filter(severity=Hazard.Severity.MAJOR).select_related("site")
              .annotate(report_count=Count("reports")).order_by("discovered_on", "number"))
    return {
        "unit": {"code": unit.code, "name": unit.name},
        "from": start.isoformat(), "to": end.isoformat(), "today": today.isoformat(),
        **totals,
        "by_severity": {value: by_severity.get(value, {k: 0 for k in counts}) for value in Hazard.Severity.values},
        "by_category": by_category,
        "by_status": {value: figures["status_counts"][value] for value in Hazard.Status.values},
        "kpis": {row.kpi.key: {"numerator": row.numerator.value, "base": row.base.value, "rate": _number(row.rate)}
                 for row in figures["kpis"]},
        "days_to_close": {"closed": figures["days_to_close"]["closed"].value,
                          "average": _number(figures["days_to_close"]["average"]),
                          "p90": figures["days_to_close"]["p90"]},
        "major_hazards": [_major(h, today) for h in majors],
    }


def _local_date(value):
    return timezone.localtime(value).date().isoformat() if value else None


def _major(hazard: Hazard, today) -> dict:
    """A major hazard's governance status (重大隐患治理情况) for the report."""
    return {
        "number": hazard.number, "site": hazard.site.name, "description": hazard.description[:200],
        "discovered_on": hazard.discovered_on.isoformat(),
        "deadline": hazard.deadline.isoformat() if hazard.deadline else None,
        "status": hazard.status, "five_in_place": not notify_missing(hazard),
        "notified_on": _local_date(hazard.notified_at), "reported": hazard.report_count > 0,
        "supervisions": hazard.supervision_count, "accepted_on": (
            hazard.acceptance_date.isoformat() if hazard.acceptance_date else _local_date(hazard.accepted_at)),
        "closed_on": _local_date(hazard.closed_at),
        "overdue": is_overdue(hazard, today),
    }


# ---------------------------------------------------------------- documents

def _status_label(value: str) -> str:
    return str(dict(Hazard.Status.choices).get(value, value))


def _severity_label(value: str) -> str:
    return str(dict(Hazard.Severity.choices).get(value, value))


def _kpi_rows(data: dict) -> list[tuple[str, int, int, Decimal | None, Decimal]]:
    rows = []
    for kpi in rules.KPIS:
        figure = data["kpis"].get(kpi.key, {})
        rate = figure.get("rate")
        rows.append((str(kpi.label), figure.get("numerator", 0), figure.get("base", 0),
                     None if rate is None else rules.quantize(Decimal(str(rate))), kpi.target))
    return rows


def document_context(data: dict, *, title: str, status: str = "", signed_by: str = "") -> dict:
    majors = [{**m, "status_label": _status_label(m["status"])} for m in data["major_hazards"]]
    return {
        "data": data, "title": title, "report_status": status, "signed_by": signed_by,
        "kpi_rows": _kpi_rows(data), "majors": majors,
        "severity_rows": [(_severity_label(k), v) for k, v in data["by_severity"].items()],
        "status_rows": [(_status_label(k), v) for k, v in data["by_status"].items()],
    }


def render_statistics_pdf(data: dict, *, title: str, language: str | None = None, status: str = "",
                          signed_by: str = "") -> bytes:
    with translation.override(language or settings.LANGUAGE_CODE):
        context = document_context(data, title=title, status=status, signed_by=signed_by)
    return render_pdf(PDF_TEMPLATE, context, language=language)


def _text(cell, value):
    """User text as text, never a formula, storable in xlsx (org.spreadsheets.text_cell)."""
    text_cell(cell, value)
    return cell


def render_statistics_xlsx(data: dict, *, title: str, language: str | None = None, signed_by: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    with translation.override(language or settings.LANGUAGE_CODE):
        workbook = Workbook()
        summary = workbook.active
        summary.title = _("Summary")[:31]
        _text(summary.cell(1, 1), title).font = Font(bold=True, size=14)
        lines = [
            (_("Unit"), data["unit"]["name"]), (_("From"), data["from"]), (_("To"), data["to"]),
            (_("Found"), data["found"]), (_("Rectified"), data["rectified"]), (_("Not closed"), data["open"]),
            (_("Overdue"), data["overdue"]),
            (_("Average days to close"), data["days_to_close"]["average"] if data["days_to_close"]["average"]
             is not None else "—"),
            (_("90th percentile of days to close"), data["days_to_close"]["p90"]
             if data["days_to_close"]["p90"] is not None else "—"),
        ]
        for i, (label, value) in enumerate(lines, start=3):
            summary.cell(i, 1, label).font = bold
            _text(summary.cell(i, 2), value)
        row = len(lines) + 5
        for column, head in enumerate((_("Indicator"), _("Counted"), _("Of"), _("Rate (%)"), _("Target (%)")), 1):
            summary.cell(row, column, head).font = bold
        for label, numerator, base, rate, target in _kpi_rows(data):
            row += 1
            summary.cell(row, 1, label)
            summary.cell(row, 2, numerator)
            summary.cell(row, 3, base)
            cell = summary.cell(row, 4, rate if rate is not None else "—")
            if rate is not None:
                cell.number_format = "0.00"
            summary.cell(row, 5, target).number_format = "0"
        row += 3
        summary.cell(row, 1, _("Principal (signature)")).font = bold
        _text(summary.cell(row, 2), signed_by or "")
        summary.cell(row + 1, 1, _("Date")).font = bold
        summary.column_dimensions["A"].width = 34
        for letter in "BCDE":
            summary.column_dimensions[letter].width = 16

        breakdown = workbook.create_sheet(_("By grade and category")[:31])
        breakdown.append([_("Grade / category"), _("Found"), _("Rectified"), _("Not closed"), _("Overdue")])
        for value, figures in data["by_severity"].items():
            breakdown.append([_severity_label(value), figures["found"], figures["rectified"], figures["open"],
                              figures["overdue"]])
        for category in data["by_category"]:
            breakdown.append([None, category["found"], category["rectified"], category["open"], category["overdue"]])
            _text(breakdown.cell(breakdown.max_row, 1), category["name"])
        breakdown.column_dimensions["A"].width = 30
        for cell in breakdown[1]:
            cell.font = bold

        majors = workbook.create_sheet(_("Major hazards")[:31])
        heads = (_("Number"), _("Site"), _("Description"), _("Discovered on"), _("Deadline"), _("Status"),
                 _("Five in place"), _("Notified on"), _("Reported to the authority"), _("Supervisions"),
                 _("Accepted on"), _("Closed on"))
        majors.append(list(heads))
        yes, no = _("Yes"), _("No")
        for m in data["major_hazards"]:
            majors.append([None, None, None, m["discovered_on"], m["deadline"] or "", _status_label(m["status"]),
                           yes if m["five_in_place"] else no, m["notified_on"] or "", yes if m["reported"] else no,
                           m["supervisions"], m["accepted_on"] or "", m["closed_on"] or ""])
            line = majors.max_row
            for column, key in ((1, "number"), (2, "site"), (3, "description")):
                _text(majors.cell(line, column), m[key])
        for cell in majors[1]:
            cell.font = bold
        majors.column_dimensions["B"].width = 24
        majors.column_dimensions["C"].width = 40
        print_setup(summary, title_rows=None, freeze=None)
        for sheet in (breakdown, majors):
            print_setup(sheet, landscape=sheet is majors)
        out = io.BytesIO()
        workbook.save(out)
    return out.getvalue()


def default_title(unit_name: str, start: datetime.date, end: datetime.date) -> str:
    return _("Hazard statistics of %(unit)s, %(start)s to %(end)s") % {
        "unit": unit_name, "start": start.isoformat(), "end": end.isoformat()}
