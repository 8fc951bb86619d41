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
