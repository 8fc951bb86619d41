import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audits.models import Inspection
from org.filters import (
    ListedModelChoiceFilter,
    ListFilterSet,
    OrderingFilter,
    TextSearchFilter,
    UnitSubtreeFilter,
)
from org.models import OrgUnit, Site

from .models import Task
from .selectors import planned_tasks


class DateInput(forms.DateInput):
    input_type = "date"


class TaskFilter(ListFilterSet):
    """The task list's bar; each filter and sort has its index (Task.Meta.indexes)."""

    q = TextSearchFilter(fields=("title", "site__name", "site__code"), nonempty=("title",))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Task.Status.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Inspection.Kind.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Task.Source.choices)
    unit = UnitSubtreeFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    group = ListedModelChoiceFilter(label=_("Inspection group"), queryset=OrgUnit.objects.none())
    site = django_filters.ModelChoiceFilter(label=_("Site"), queryset=Site.objects.none(), widget=forms.HiddenInput)
    due_from = django_filters.DateFilter(label=_("Due from"), field_name="due_date", lookup_expr="gte",
                                         widget=DateInput)
    due_to = django_filters.DateFilter(label=_("Due to"), field_name="due_date", lookup_expr="lte", widget=DateInput)
    # "Planned" as the group assessment counts it: every task but the cancelled (set by its links).
    planned = django_filters.BooleanFilter(label=_("Planned (not cancelled)"), method="filter_planned",
                                           widget=forms.HiddenInput)
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(("due_date", "due"), ("status", "status"), ("kind", "kind"), ("unit__path", "unit"),
                ("site__code", "site"), ("group__path", "group")),
        field_labels={"due_date": _("Due date"), "status": _("Status"), "kind": _("Kind"), "unit__path": _("Unit"),
                      "site__code": _("Site"), "group__path": _("Inspection group")},
    )

    class Meta:
        model = Task
        fields = ["q", "status", "kind", "source", "unit", "group", "site", "due_from", "due_to", "planned"]

    def __init__(self, *args, units=None, groups=None, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units
        if groups is not None:
            self.filters["group"].queryset = groups
        if sites is not None:
            self.filters["site"].queryset = sites

    def filter_planned(self, queryset, name, value):
        return planned_tasks(queryset) if value else queryset


class CalendarFilter(ListFilterSet):
    """The calendar's bar: group, kind, unit (no sort, no dates: the calendar is the range)."""

    group = ListedModelChoiceFilter(label=_("Inspection group"), queryset=OrgUnit.objects.none())
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Inspection.Kind.choices)
    unit = UnitSubtreeFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Task.Status.choices)

    class Meta:
        model = Task
        fields = ["group", "kind", "unit", "status"]

    def __init__(self, *args, units=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units
        if groups is not None:
            self.filters["group"].queryset = groups
