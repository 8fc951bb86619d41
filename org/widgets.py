"""Widgets every form uses, so a kind of input behaves the same on every page."""

from django import forms

ISO_DATE = "%Y-%m-%d"


class DateInput(forms.DateInput):
    """An <input type="date">. Its value is always ISO `YYYY-MM-DD`, the only form a browser's
    date input accepts, whatever the language (Django would write the locale's first input
    format, `2026/11/30` in Chinese, and the browser then shows an empty field)."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):  # noqa: A002 (Django's argument name)
        super().__init__(attrs=attrs, format=format or ISO_DATE)


class WorkingDays(str):
    """What a deadline input posted when its "N working days" box was filled: the box's text, with
    the date that was in the date input beside it (empty, or the date the preview filled in)."""

    def __new__(cls, text, date=""):
        value = super().__new__(cls, text)
        value.date = date or ""
        return value


class DeadlineInput(DateInput):
    """A deadline: the date input, and beside it a box for "N working days" (N 个工作日). The box
    is counted by core.dates.working_days_after (org.forms.DeadlineField); static/js/app.js asks
    org:working_days for a preview and fills the date in while the user types."""

    template_name = "org/widgets/deadline_input.html"

    def value_from_datadict(self, data, files, name):
        date = super().value_from_datadict(data, files, name)
        text = (data.get(f"{name}_wd") or "").strip()
        return WorkingDays(text, date) if text else date

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_wd" not in data

    def format_value(self, value):
        if isinstance(value, WorkingDays):
            from .forms import working_days_date

            computed = working_days_date(value)
            return computed.isoformat() if computed else value.date
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        context = super().get_context(name, value, attrs)
        context["widget"]["wd_name"] = f"{name}_wd"
        context["widget"]["wd_value"] = str(value) if isinstance(value, WorkingDays) else ""
        context["widget"]["wd_url"] = reverse("org:working_days")
        return context
