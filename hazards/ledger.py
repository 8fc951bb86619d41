"""The ledger table (台账) rendered in Python.

The ledger is the busiest page of the product and lists 25 hazards per page. Through the template
language each row cost about 0.25 ms (variable lookups, filters, a URL reversal, a plural
translation); built here with escaped f-strings a row costs a few microseconds, so the page's time
is mostly its SQL. The markup is the table the template showed before, unchanged.
"""

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from org.models import RiskLevel

from . import rules
from .models import Hazard

# (ordering key or None, label, css class): the ledger's columns.
COLUMNS = [
    ("number", _("Number"), ""), ("status", _("Status"), ""), ("severity", _("Severity"), "hide-tablet"),
    (None, _("Category"), "hide-tablet"), ("site", _("Site"), ""), (None, _("Description"), ""),
    ("deadline", _("Deadline"), ""), ("discovered_on", _("Discovered on"), "hide-tablet"),
]
# Only the columns the table shows are read, as plain values: the file has some 60 fields, many of
# them long texts, and model instances would cost more than the rows' SQL. `is_overdue` is the
# selector's SQL annotation (the same rule as the overdue filter).
ROW_FIELDS = ["id", "number", "status", "severity", "description", "location", "deadline", "discovered_on",
              "site_id", "site__code", "site__name", "site__risk_level", "category__name", "is_overdue"]
DESCRIPTION_CHARS = 60
_PK = 987654321  # stands for the hazard's id in the reversed detail URL


def sort_headers(query, current: str) -> list[dict]:
    """The column headers: sortable ones link to the same list sorted by them (again: reversed)."""
    headers = []
    for key, label, css in COLUMNS:
        header = {"key": key, "label": label, "css": css, "url": None, "direction": None}
        if key:
            sorted_query = query.copy()
            sorted_query.pop("page", None)
            sorted_query["ordering"] = f"-{key}" if current == key else key
            header["url"] = f"?{sorted_query.urlencode()}"
            header["direction"] = "asc" if current == key else "desc" if current == f"-{key}" else None
        headers.append(header)
    return headers


def truncate(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """As the template filter truncatechars: at most `limit` characters, the last one an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_rows(hazards, *, today, selectable: bool) -> SafeString:
    """The <tr> rows of the ledger for `hazards` (dicts of ROW_FIELDS); with `selectable`,
    registered hazards get a checkbox for "notify selected"."""
    detail_url = reverse("hazards:hazard_detail", args=[_PK]).split(str(_PK))
    status_labels = {value: escape(label) for value, label in Hazard.Status.choices}
    severity_labels = {value: escape(label) for value, label in Hazard.Severity.choices}
    only_this_site = escape(gettext("Only this site"))
    # The site's risk level (org.models.RiskLevel; computed by kpis), coloured as everywhere.
    risk_labels = {value: escape(label) for value, label in RiskLevel.choices}
    major, registered = Hazard.Severity.MAJOR, Hazard.Status.REGISTERED
    rows = []
    for h in hazards:
        pk, status, deadline = h["id"], escape(h["status"]), h["deadline"]
        # is_overdue is the SQL form (rules.overdue_q); the days come from the same rule's Python form.
        late = rules.days_overdue(h["status"], deadline, today) if h["is_overdue"] else None
        number, severity = escape(h["number"]), severity_labels.get(h["severity"], "")
        cells = []
        if selectable:
            box = (f'<input class="form-check-input" type="checkbox" name="hazards" value="{pk}" '
                   f'aria-label="{number}">' if h["status"] == registered else "")
            cells.append(f"<td>{box}</td>")
        badge = (f'<div><span class="badge text-bg-danger hz-major">{severity}</span></div>'
                 if h["severity"] == major else "")
        cells.append(f'<td class="text-nowrap"><a href="{detail_url[0]}{pk}{detail_url[1]}">{number}</a>{badge}</td>')
        cells.append(f'<td><span class="badge hz-status hz-status-{status}" data-status="{status}">'
                     f"{status_labels.get(h['status'], status)}</span></td>")
        cells.append(f'<td class="hide-tablet">{severity}</td>')
        cells.append(f'<td class="hide-tablet">{escape(h["category__name"] or "")}</td>')
        level = h["site__risk_level"]
        risk = (f' <span class="badge risk-badge risk-{escape(level)}">{risk_labels.get(level, "")}</span>'
                if level else "")
        cells.append(f'<td><a class="link-dark" href="?site={h["site_id"]}" title="{only_this_site}">'
                     f'{escape(h["site__name"])}</a>'
                     f'<div class="small text-muted">{escape(h["site__code"])}{risk}</div></td>')
        location = f'<div class="small text-muted">{escape(h["location"])}</div>' if h["location"] else ""
        cells.append(f'<td class="hz-desc">{escape(truncate(h["description"]))}{location}</td>')
        overdue = ""
        if late is not None:
            text = ngettext("%(days)s day overdue", "%(days)s days overdue", late) % {"days": late}
            overdue = f'<div class="hz-overdue-text small">{escape(text)}</div>'
        cells.append(f'<td class="text-nowrap">{deadline.isoformat() if deadline else "—"}{overdue}</td>')
        discovered = h["discovered_on"].isoformat() if h["discovered_on"] else ""
        cells.append(f'<td class="text-nowrap hide-tablet">{discovered}</td>')
        css = "hz-overdue" if late is not None else ""
        rows.append(f'<tr class="{css}" data-number="{number}">{"".join(cells)}</tr>')
    # bandit B308/B703: every user value above is escaped; the rest are numbers, dates and choice labels.
    return mark_safe("\n".join(rows))  # noqa: S308  # nosec B308 B703
