import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.utils import pretty_name
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

from .forms import FAST_WIDGETS
from .models import OrgUnit, Site


def _descending(fmt, label) -> str:
    return str(fmt) % label


_descending_lazy = lazy(_descending, str)


class OrderingFilter(django_filters.OrderingFilter):
    """django-filter ships no zh-Hans catalogue: our own label for the descending choices. The
    labels stay lazy: django-filter formats them once, when the filter class is defined, which
    would freeze them in the language active at import."""

    descending_fmt = _("%s (descending)")

    def filter(self, qs, value):
        """The chosen sort, then the id: a stable order within equal sort keys, so that pages
        neither repeat nor skip rows (the lists' indexes end in the id for this)."""
        qs = super().filter(qs, value)
        ordering = qs.query.order_by
        if value and ordering:
            qs = qs.order_by(*ordering, "-pk" if str(ordering[0]).startswith("-") else "pk")
        return qs

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, _(pretty_name(param)))
            choices.append((param, label))
            choices.append((f"-{param}", labels.get(f"-{param}", _descending_lazy(self.descending_fmt, label))))
        return choices


class TextSearchFilter(django_filters.CharFilter):
    """The list's search box: the words (trimmed) must appear in any of `fields` (icontains).

    A field across a relation (`site__name`) is searched in its own table first and becomes
    `site__in=[ids]`: an OR of conditions on the list's own table can be answered from its indexes
    (a bitmap OR of trigram and foreign-key indexes), while an OR reaching into a joined table makes
    PostgreSQL scan every row. Past RELATED_IDS matching rows the search joins as before."""

    RELATED_IDS = 500

    def __init__(self, *args, fields: tuple[str, ...], nonempty: tuple[str, ...] = (), **kwargs):
        self.search_fields = fields
        # Fields of the list's own table whose trigram index is partial (org.db.trigram_indexes
        # with nonempty=True): their condition also says `field <> ''`, which the words (never
        # empty) imply anyway, so that the planner may use that index.
        self.nonempty = nonempty
        kwargs.setdefault("label", _("Search"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        value = (value or "").strip()
        if not value:
            return qs
        condition = Q()
        by_relation: dict[str, list[str]] = {}
        for field in self.search_fields:
            relation, _sep, name = field.rpartition("__")
            if relation:
                by_relation.setdefault(relation, []).append(name)
            elif field in self.nonempty:
                condition |= Q(**{f"{field}__icontains": value}) & ~Q(**{field: ""})
            else:
                condition |= Q(**{f"{field}__icontains": value})
        for relation, names in by_relation.items():
            condition |= self._related(qs.model, relation, names, value)
        return qs.filter(condition)

    def _related(self, model, relation: str, names: list[str], value: str) -> Q:
        """`relation__in=[ids]` of the related rows matching in any of `names` (one query per
        relation), or the join itself past RELATED_IDS of them."""
        related = model
        for part in relation.split("__"):
            related = related._meta.get_field(part).related_model
        matching = Q()
        for name in names:
            matching |= Q(**{f"{name}__icontains": value})
        ids = list(related._default_manager.filter(matching).values_list("pk", flat=True)[: self.RELATED_IDS + 1])
        if len(ids) <= self.RELATED_IDS:
            return Q(**{f"{relation}__in": ids})
        joined = Q()
        for name in names:
            joined |= Q(**{f"{relation}__{name}__icontains": value})
        return joined


class ListedChoiceIterator(ModelChoiceIterator):
    """Choices from the field's one evaluated list (no server-side cursor, no second query)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        for obj in self.field.listed():
            yield self.choice(obj)

    def __len__(self):
        extra = (self.field.empty_label is not None) + (self.field.null_label is not None)
        return len(self.field.listed()) + extra

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.listed())


class ListedModelChoiceField(ModelChoiceField):
    """A choice of one of a short list of rows (categories, units): the queryset is read once per
    form, and both the drop-down and the validation of the submitted value use that list."""

    iterator = ListedChoiceIterator
    _listed = None

    def _set_queryset(self, queryset):
        self._listed = None
        super()._set_queryset(queryset)

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def listed(self) -> list:
        if self._listed is None:
            self._listed = list(self.queryset)
        return self._listed

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.null_label is not None and value == self.null_value:
            return value
        key = self.to_field_name or "pk"
        if isinstance(value, self.queryset.model):
            value = getattr(value, key)
        for obj in self.listed():
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField


class UnitSubtreeFilter(ListedModelChoiceFilter):
    """Filters by a unit and everything below it."""

    def __init__(self, *args, unit_field="unit", **kwargs):
        self.unit_field = unit_field
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.unit_field}__path__startswith": value.path})


class ListFilterSet(django_filters.FilterSet):
    """The base of every list's filters (the bar is `includes/filter_form.html`): its widgets are
    written by org.forms.FastWidgetRenderer, as Bootstrap's small controls."""

    @property
    def form(self):
        # Set up when first built, after the subclass has set its querysets in __init__.
        new = not hasattr(self, "_form")
        form = super().form
        if new:
            form.renderer = FAST_WIDGETS
            for field in form.fields.values():
                if not isinstance(field.widget, forms.HiddenInput):
                    css = "form-select form-select-sm" if isinstance(field.widget, forms.Select) else \
                        "form-control form-control-sm"
                    field.widget.attrs["class"] = css
        return form


class SiteFilter(ListFilterSet):
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

