import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import OrgUnit, Site


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter ships no zh-Hans catalogue: our own label for the descending choices."""

    descending_fmt = _("%s (descending)")


class TextSearchFilter(django_filters.CharFilter):
    """The list's search box: the words (trimmed) must appear in any of `fields` (icontains)."""

    def __init__(self, *args, fields: tuple[str, ...], **kwargs):
        self.search_fields = fields
        kwargs.setdefault("label", _("Search"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return qs.filter(condition)


class UnitSubtreeFilter(django_filters.ModelChoiceFilter):
    """Filters by a unit and everything below it."""

    def __init__(self, *args, unit_field="unit", **kwargs):
        self.unit_field = unit_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.unit_field}__path__startswith": value.path})


class SiteFilter(django_filters.FilterSet):
    q = TextSearchFilter(fields=("name", "code", "address", "contact_name"))
    unit = UnitSubtreeFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    site_class = django_filters.ChoiceFilter(label=_("Class"), choices=Site.SiteClass.choices)
    category = django_filters.ChoiceFilter(label=_("Customer category"), choices=Site.Category.choices)
    voltage_level = django_filters.ChoiceFilter(
        label=_("Voltage level"), choices=[c for c in Site.Voltage.choices if c[0]]
    )
    ordering = OrderingFilter(
        label=_("Sort by"),
        fields=(("code", "code"), ("name", "name"), ("site_class", "site_class"),
                ("voltage_level", "voltage_level"), ("unit__path", "unit")),
        field_labels={"code": _("Code"), "name": _("Name"), "site_class": _("Class"),
                      "voltage_level": _("Voltage level"), "unit__path": _("Unit")},
    )

    class Meta:
        model = Site
        fields = ["q", "unit", "site_class", "category", "voltage_level"]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units

