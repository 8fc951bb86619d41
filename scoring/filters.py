import django_filters
from django.utils.translation import gettext_lazy as _

from org.filters import ListFilterSet

from .models import Standard
from .selectors import standard_search


class StandardFilter(ListFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Standard.Status.choices)

    class Meta:
        model = Standard
        fields = ["q", "status"]

    def search(self, qs, name, value):
        return standard_search(qs, value)
