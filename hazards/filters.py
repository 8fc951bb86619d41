"""The ledger's filters (台账). Every filter and every sort is backed by an index of the hazard
table (see Hazard.Meta.indexes); the choices offered are limited to what the user may see."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.dates import today_local
from org.filters import ListedModelChoiceFilter, ListFilterSet, OrderingFilter, TextSearchFilter, UnitSubtreeFilter
from org.forms import ID_MAX
from org.models import OrgUnit, Site
from org.widgets import DateInput

from . import rules
from .models import Hazard, RiskCategory

DATE_INPUT = DateInput()
YES_NO = (("yes", _("Yes")), ("no", _("No")))

# Named sets of hazards that higher apps offer as a ledger filter (`?set=<key>`), so that a figure
# elsewhere (the KPI dashboard) links to exactly its hazards. Registered by those apps at start-up
# (e.g. kpis.apps): key → (label, function(queryset, today) → queryset). hazards imports none of them.
LEDGER_SETS: dict[str, tuple] = {}


def register_ledger_set(key: str, label, apply) -> None:
    LEDGER_SETS[key] = (label, apply)


def _set_choices():
    return [(key, label) for key, (label, _apply) in LEDGER_SETS.items()]


def local_day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of a local day (settings.TIME_ZONE): date ranges over datetime columns."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class HazardFilter(ListFilterSet):
    q = TextSearchFilter(fields=("number", "description", "location", "site__name"),
                         help_text=_("Number, description, location or site name"))
    status = django_filters.ChoiceFilter(label=_("Status"), method="filter_status",
                                         choices=[("open", _("Open (not closed or voided)")), *Hazard.Status.choices])
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=Hazard.Severity.choices)
    category = ListedModelChoiceFilter(label=_("Category"), queryset=RiskCategory.objects.none())
    unit = UnitSubtreeFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    # A unit may own thousands of sites: no drop-down of them. The ledger's site names link to
    # ?site=<id>, the text search finds sites by name, and the chosen site shows as a removable chip.
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=Site.objects.none(), widget=forms.HiddenInput)
    overdue = django_filters.ChoiceFilter(label=_("Overdue"), choices=YES_NO, method="filter_overdue")
    deadline_from = django_filters.DateFilter(label=_("Deadline from"), field_name="deadline", lookup_expr="gte",
                                              widget=DATE_INPUT)
    deadline_to = django_filters.DateFilter(label=_("Deadline to"), field_name="deadline", lookup_expr="lte",
                                            widget=DATE_INPUT)
    discovered_from = django_filters.DateFilter(label=_("Discovered from"), field_name="discovered_on",
                                                lookup_expr="gte", widget=DATE_INPUT)
    discovered_to = django_filters.DateFilter(label=_("Discovered to"), field_name="discovered_on",
                                              lookup_expr="lte", widget=DATE_INPUT)
    # Closed (销号) between two local dates: the bounds become instants, so the closed_at index answers.
    # Set by the dashboard's links (hidden; the ledger shows them as a removable chip).
    closed_from = django_filters.DateFilter(label=_("Closed from"), method="filter_closed", widget=forms.HiddenInput)
    closed_to = django_filters.DateFilter(label=_("Closed to"), method="filter_closed", widget=forms.HiddenInput)
    set = django_filters.ChoiceFilter(label=_("Figure"), choices=_set_choices, method="filter_set",
                                      widget=forms.HiddenInput)
    # The hazards found by one inspection group (its inspections' findings): group assessment links here.
    group = django_filters.NumberFilter(label=_("Inspection group"), field_name="source_result__inspection__group",
                                        widget=forms.HiddenInput, min_value=1, max_value=ID_MAX, decimal_places=0)
    # The hazards created from one inspection's findings (the inspection page links here).
    inspection = django_filters.NumberFilter(label=_("Inspection"), field_name="source_result__inspection",
                                             widget=forms.HiddenInput, min_value=1, max_value=ID_MAX, decimal_places=0)
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(("number", "number"), ("discovered_on", "discovered_on"), ("deadline", "deadline"),
                ("status", "status"), ("severity", "severity"), ("site__code", "site")),
        field_labels={"number": _("Number"), "discovered_on": _("Discovered on"), "deadline": _("Deadline"),
                      "status": _("Status"), "severity": _("Severity"), "site__code": _("Site")},
    )

    class Meta:
        model = Hazard
        fields = ["q", "status", "severity", "category", "unit", "site", "overdue", "deadline_from",
                  "deadline_to", "discovered_from", "discovered_to", "closed_from", "closed_to", "set", "group",
                  "inspection"]

    def __init__(self, *args, units=None, sites=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["category"].queryset = RiskCategory.objects.order_by("code")
        if units is not None:
            self.filters["unit"].queryset = units
        if sites is not None:
            self.filters["site"].queryset = sites

    def default_ordering(self) -> list[str]:
        """The order when the user chose none: by the dates a date range was filtered on (the
        deadline soonest first, the discovery newest first), else the newest files first. A
        range is then read in order from its own index."""
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        if data.get("deadline_from") or data.get("deadline_to"):
            return ["deadline", "id"]
        if data.get("discovered_from") or data.get("discovered_to"):
            return ["-discovered_on", "-id"]
        return ["-created_at", "-id"]

    def filter_status(self, queryset, name, value):
        if value == "open":
            return queryset.filter(rules.open_q())
        return queryset.filter(status=value)

    FIGURE_FIELDS = ("set", "closed_from", "closed_to", "group")

    def figure_chip(self) -> str:
        """The hidden figure filters in effect, in words ("" when none), for the ledger's chip."""
        data = self.form.cleaned_data if self.is_bound and self.is_valid() else {}
        parts = []
        if data.get("set"):
            parts.append(str(LEDGER_SETS[data["set"]][0]))
        if data.get("closed_from") or data.get("closed_to"):
            parts.append(f'{_("Closed")} {data.get("closed_from") or "…"} – {data.get("closed_to") or "…"}')
        if data.get("group"):
            parts.append(f'{_("Inspection group")} #{data["group"]}')
        return " · ".join(parts)

    def filter_closed(self, queryset, name, value):
        if name == "closed_from":
            return queryset.filter(closed_at__gte=local_day_start(value))
        return queryset.filter(closed_at__lt=local_day_start(value + datetime.timedelta(days=1)))

    def filter_set(self, queryset, name, value):
        _label, apply = LEDGER_SETS[value]
        return apply(queryset, self.today or today_local())

    def filter_overdue(self, queryset, name, value):
        overdue = rules.overdue_q(self.today)
        if value == "yes":
            return queryset.filter(overdue)
        if value == "no":
            return queryset.exclude(overdue)
        return queryset
