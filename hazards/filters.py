"""The ledger's filters (台账). Every filter and every sort is backed by an index of the hazard
table (see Hazard.Meta.indexes); the choices offered are limited to what the user may see."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from org.filters import ListedModelChoiceFilter, ListFilterSet, OrderingFilter, TextSearchFilter, UnitSubtreeFilter
from org.forms import ID_MAX
from org.models import OrgUnit, Site

from . import rules
from .models import Hazard, RiskCategory

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = (("yes", _("Yes")), ("no", _("No")))


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
                  "deadline_to", "discovered_from", "discovered_to", "inspection"]

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

    def filter_overdue(self, queryset, name, value):
        overdue = rules.overdue_q(self.today)
        if value == "yes":
            return queryset.filter(overdue)
        if value == "no":
            return queryset.exclude(overdue)
        return queryset
