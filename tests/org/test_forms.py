"""The list pages' fast paths: widgets written in Python must match Django's templates byte for
byte; short drop-downs read their rows once; the user arrives with membership and unit."""

import datetime

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.forms.renderers import DjangoTemplates
from django.test import RequestFactory

from org.backends import MembershipModelBackend
from org.filters import ListedModelChoiceField, SiteFilter
from org.forms import FastWidgetRenderer
from org.models import OrgUnit

HOSTILE = '"><script>alert(1)</script>&'


class SampleForm(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs={"class": "a b", "placeholder": HOSTILE, "autofocus": True,
                                                         "disabled": False}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    hidden = forms.IntegerField(widget=forms.HiddenInput)
    number = forms.IntegerField()
    email = forms.EmailField()
    choice = forms.ChoiceField(choices=[("", "---------"), ("a", "Alpha"), ("b", HOSTILE), (3, "Three")])
    grouped = forms.ChoiceField(choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "Other")],
                                widget=forms.Select(attrs={"class": "form-select"}))
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")])  # not a fast path: templates
    check = forms.BooleanField(required=False)  # not a fast path: templates


DATA_SETS = [
    {},
    {"text": HOSTILE, "day": "2026-11-24", "hidden": "7", "number": "12", "email": "a@b.cn", "choice": "b",
     "grouped": "pear", "many": ["a", "b"], "check": "on"},
    {"text": "", "day": "not a date", "hidden": "x", "choice": "3", "grouped": "x"},
]


@pytest.mark.parametrize("data", DATA_SETS)
def test_fast_widgets_match_django_templates(data):
    fast = SampleForm(data or None, initial={"day": datetime.date(2026, 1, 2)}, renderer=FastWidgetRenderer())
    slow = SampleForm(data or None, initial={"day": datetime.date(2026, 1, 2)}, renderer=DjangoTemplates())
    for name in SampleForm.base_fields:
        assert str(fast[name]) == str(slow[name]), name


def test_fast_widgets_escape_values_and_labels():
    html = str(SampleForm({"text": HOSTILE}, renderer=FastWidgetRenderer())["text"])
    assert "<script>" not in html and "&lt;script&gt;" in html and " autofocus" in html and "disabled" not in html
    select = str(SampleForm(renderer=FastWidgetRenderer())["choice"])
    assert "<script>" not in select and "&quot;&gt;&lt;script&gt;" in select


def test_filter_forms_use_the_fast_renderer():
    from audits.filters import InspectionFilter
    from hazards.filters import HazardFilter
    from scoring.filters import StandardFilter

    for filterset in (SiteFilter, InspectionFilter, HazardFilter, StandardFilter):
        form = filterset().form
        assert isinstance(form.renderer, FastWidgetRenderer), filterset
        assert 'class="form-select form-select-sm"' in str(form["ordering"] if "ordering" in form.fields
                                                              else form["status"])


@pytest.mark.django_db
def test_listed_choice_reads_its_rows_once_and_validates_against_them(company, branch_a, branch_b,
                                                                       django_assert_num_queries):
    field = ListedModelChoiceField(queryset=OrgUnit.objects.filter(pk__in=[company.pk, branch_a.pk]).order_by("path"),
                                   required=False)
    with django_assert_num_queries(1):
        choices = list(field.choices)
        assert field.clean(str(branch_a.pk)) == branch_a
        assert field.clean(branch_a) == branch_a
        assert field.clean("") is None
    assert [label for _value, label in choices] == ["---------", str(company), str(branch_a)]
    for bad in (str(branch_b.pk), "abc", "999999"):
        with pytest.raises(forms.ValidationError) as error:
            field.clean(bad)
        assert "Select a valid choice" in str(error.value)


@pytest.mark.django_db
def test_listed_choice_reads_again_after_its_queryset_changes(company, branch_a):
    field = ListedModelChoiceField(queryset=OrgUnit.objects.filter(pk=company.pk))
    assert field.clean(str(company.pk)) == company
    field.queryset = OrgUnit.objects.filter(pk=branch_a.pk)
    assert field.clean(str(branch_a.pk)) == branch_a
    with pytest.raises(forms.ValidationError):
        field.clean(str(company.pk))


@pytest.mark.django_db
def test_a_filter_outside_the_scope_is_refused_by_the_listed_choices(company, branch_a, branch_b):
    units = OrgUnit.objects.filter(path__startswith=branch_a.path)
    request = RequestFactory().get("/", {"unit": branch_b.pk})
    site_filter = SiteFilter(request.GET, units=units)
    assert not site_filter.is_valid() and "unit" in site_filter.errors


@pytest.mark.django_db
def test_the_user_arrives_with_membership_and_unit_in_one_query(manager_a, django_assert_num_queries):
    backend = MembershipModelBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(manager_a.pk)
        assert user.membership.unit.path == manager_a.membership.unit.path
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    with django_assert_num_queries(1):
        loaded = backend.get_user(superuser.pk)
        assert not hasattr(loaded, "membership")  # no membership row: no further query
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    assert backend.get_user(manager_a.pk) is None
    assert backend.get_user(999999) is None


def test_sort_choices_follow_the_language_of_each_request():
    from django.utils import translation

    from hazards.filters import HazardFilter

    for language, expected in (("zh-hans", "发现日期（降序）"), ("en", "Discovered on (descending)")):
        with translation.override(language):
            labels = dict(HazardFilter().form.fields["ordering"].choices)
            assert str(labels["-discovered_on"]) == expected
