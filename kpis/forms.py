import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from org.filters import ListedModelChoiceField
from org.forms import FAST_WIDGETS
from org.models import OrgUnit
from org.validators import validate_plausible_date

DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d")
# Longest period of the dashboard and the statistics: its monthly chart has one bar per month.
MAX_DAYS = 5 * 366


class PeriodForm(forms.Form):
    """The unit and period pickers of the dashboard, the group assessment and the statistics.
    The units offered are the user's (a unit outside the scope is refused like a missing one).
    Its widgets are written by org.forms.FastWidgetRenderer (the unit select has an option per
    unit, on every dashboard request)."""

    default_renderer = FAST_WIDGETS

    unit = ListedModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), required=False,
                                  empty_label=_("All my units"),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    start = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT, validators=[validate_plausible_date])
    end = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT, validators=[validate_plausible_date])

    def __init__(self, *args, units=None, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if units is not None:
            self.fields["unit"].queryset = units

    def clean(self):
        data = super().clean()
        end = data.get("end") or self.today
        # Only an end: the year up to it (a past year's end alone is that year, not a refusal).
        start = data.get("start") or datetime.date(end.year if data.get("end") else self.today.year, 1, 1)
        if start > end:
            raise ValidationError(_("The period must start before it ends."))
        if (end - start).days > MAX_DAYS:
            raise ValidationError(_("Choose a period of at most five years."))
        data["start"], data["end"] = start, end
        return data


def quick_periods(today: datetime.date) -> list[tuple[str, datetime.date, datetime.date]]:
    """The period shortcuts: this month, this quarter, this year, last quarter, last year."""
    from .services import quarter_of

    quarter = quarter_of(today)
    last_quarter = quarter_of(quarter[0] - datetime.timedelta(days=1))
    return [
        (_("This month"), today.replace(day=1), today),
        (_("This quarter"), quarter[0], today),
        (_("This year"), datetime.date(today.year, 1, 1), today),
        (_("Last quarter"), *last_quarter),
        (_("Last year"), datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)),
    ]


class MonthForm(forms.Form):
    """The group assessment's pickers: a unit of the user's and a month (YYYY-MM)."""

    default_renderer = FAST_WIDGETS

    unit = ListedModelChoiceField(label=_("Unit"), queryset=OrgUnit.objects.none(), required=False,
                                  empty_label=_("All my units"),
                                  widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    month = forms.CharField(label=_("Month"), required=False, max_length=7,
                            widget=forms.TextInput(attrs={"type": "month", "class": "form-control form-control-sm"}))

    def __init__(self, *args, units=None, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if units is not None:
            self.fields["unit"].queryset = units

    def clean_month(self) -> datetime.date:
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return self.today.replace(day=1)
        try:
            month = datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise ValidationError(_("Give the month as YYYY-MM.")) from None
        validate_plausible_date(month)
        return month


class SignForm(forms.Form):
    principal = forms.CharField(label=_("Principal who signed"), max_length=100,
                                widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}))
