"""Every date a person types is an <input type="date">, and its value is ISO `YYYY-MM-DD` in every
language: a browser's date input shows nothing for any other text, so Django's Chinese
`2026/11/30` left the required 检查日期 blank in zh-hans (issue 11, fault 3)."""

import datetime
import importlib
import re

import django_filters
import pytest
from django import forms
from django.conf import settings
from django.utils import translation

from org.widgets import DateInput

DAY = datetime.date(2026, 11, 30)
LANGUAGES = [code for code, _name in settings.LANGUAGES]
OUR_APPS = ("org", "audits", "hazards", "scoring", "notifications")
DATE_INPUT = re.compile(r'<input type="date"[^>]*>')


def _our_classes(base):
    for app in OUR_APPS:
        for module in ("forms", "filters", "views"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError:
                pass
    seen, stack = [], [base]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] in OUR_APPS and ".admin" not in cls.__module__:
            seen.append(cls)
    return seen


def _date_fields():
    for form in _our_classes(forms.BaseForm):
        for name, field in form.base_fields.items():
            if isinstance(field, forms.DateField):
                yield f"{form.__module__}.{form.__name__}.{name}", field
    for filterset in _our_classes(django_filters.FilterSet):
        for name, flt in filterset.base_filters.items():
            if isinstance(flt.field, forms.DateField):
                yield f"{filterset.__module__}.{filterset.__name__}.{name}", flt.field


def test_the_forms_are_found():
    names = [name for name, _field in _date_fields()]
    assert "audits.forms.InspectionCreateForm.date" in names
    assert "hazards.forms.HazardRegisterForm.deadline" in names
    assert "hazards.filters.HazardFilter.deadline_from" in names
    assert len(names) >= 10, names


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_date_field_is_a_date_input_with_an_iso_value(language):
    wrong = []
    with translation.override(language):
        for name, field in _date_fields():
            html = field.widget.render("d", DAY)
            # A hidden date (the dashboard's closed_from/closed_to links) is not typed, but still ISO.
            typed = isinstance(field.widget, DateInput) or isinstance(field.widget, forms.HiddenInput)
            if not typed or f'value="{DAY.isoformat()}"' not in html:
                wrong.append(f"{name}: {html}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_plain_django_date_input_also_writes_iso(language):
    """The locale formats put ISO first, so a widget that is not ours still renders ISO."""
    with translation.override(language):
        assert 'value="2026-11-30"' in forms.DateInput().render("d", DAY)
        assert forms.DateField().clean("2026-11-30") == DAY


def test_the_chinese_ways_of_typing_a_date_are_still_read():
    with translation.override("zh-hans"):
        for text in ("2026-11-30", "2026/11/30", "2026年11月30日"):
            assert forms.DateField().clean(text) == DAY, text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_inspection_page_starts_with_today_in_the_date_field(client, inspector_a, site_a, language):
    client.force_login(inspector_a)
    client.cookies["django_language"] = language
    body = client.get("/inspections/new/").content.decode()
    inputs = DATE_INPUT.findall(body)
    assert inputs, body
    today = datetime.date.today().isoformat()
    assert any('name="date"' in tag and f'value="{today}"' in tag for tag in inputs), inputs
