import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from org.filters import ListFilterSet, OrderingFilter, TextSearchFilter, UnitSubtreeFilter
from org.models import OrgUnit, Site
from org.widgets import DateInput

from .models import Inspection


class InspectionFilter(ListFilterSet):
    q = TextSearchFilter(fields=("number", "title", "site__name", "site__code", "unit__name", "standard__name"))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Inspection.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Inspection.Kind.choices)
    unit = UnitSubtreeFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    # A unit may own thousands of sites: no drop-down of them (as on the ledger). The list's site
    # names link to ?site=<id>, the text search finds sites by name, and the chosen site is a chip.
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=Site.objects.none(), widget=forms.HiddenInput)
    date_from = django_filters.DateFilter(label=_("From"), field_name="date", lookup_expr="gte",
                                          widget=DateInput)
    date_to = django_filters.DateFilter(label=_("To"), field_name="date", lookup_expr="lte",
                                        widget=DateInput)
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(("date", "date"), ("number", "number"), ("status", "status"), ("kind", "kind"),
                ("unit__path", "unit"), ("site__code", "site")),
        field_labels={"date": _("Date"), "number": _("Number"), "status": _("Status"), "kind": _("Kind"),
                      "unit__path": _("Unit"), "site__code": _("Site")},
    )

    class Meta:
        model = Inspection
        fields = ["q", "status", "kind", "unit", "site", "date_from", "date_to"]

    def __init__(self, *args, units=None, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units
        if sites is not None:
            self.filters["site"].queryset = sites

