"""Forms parse and offer scoped choices; the rules live in planning.services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audits.models import Inspection
from audits.selectors import site_choices, standard_choices
from org.validators import LONG_TEXT_MAX, single_line, validate_plausible_date

from . import selectors


class DateInput(forms.DateInput):
    input_type = "date"


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
            continue
        css = "form-select" if isinstance(widget, forms.Select | forms.SelectMultiple) else "form-control"
        widget.attrs.setdefault("class", css)


class InspectorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} · {obj.membership.unit.name}"


class AssignForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Inspection group"), queryset=None, required=False)
    inspectors = InspectorChoiceField(label=_("Inspectors"), queryset=None, required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 4}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = selectors.group_choices(user=user)
        self.fields["inspectors"].queryset = selectors.inspector_choices(user=user)
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        if not data.get("group") and not data.get("inspectors") and not self.errors:
            raise forms.ValidationError(_("Choose the inspection group or the inspectors."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class TaskCreateForm(forms.Form):
    """A task by hand (a special check): for one site, or for every site of the list's filters."""

    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False,
                                  help_text=_("Leave empty to create one task for every site of the class, "
                                              "category and voltage chosen below in the unit."))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    site_class = forms.ChoiceField(label=_("Site class"), required=False)
    category = forms.ChoiceField(label=_("Customer category"), required=False)
    voltage_level = forms.ChoiceField(label=_("Voltage level"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices, initial=Inspection.Kind.SPECIAL)
    standard = forms.ModelChoiceField(label=_("Standard"), queryset=None)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput, validators=[validate_plausible_date])
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=0, max_value=90, initial=7)
    group = forms.ModelChoiceField(label=_("Inspection group"), queryset=None, required=False)
    title = forms.CharField(label=_("Title"), max_length=200, required=False, validators=[single_line])

    def __init__(self, *args, user, **kwargs):
        from org.models import Site

        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = site_choices(user=user)
        self.fields["unit"].queryset = selectors.unit_choices(user=user)
        self.fields["standard"].queryset = standard_choices()
        self.fields["group"].queryset = selectors.group_choices(user=user)
        blank = [("", "---------")]
        self.fields["site_class"].choices = blank + list(Site.SiteClass.choices)
        self.fields["category"].choices = blank + list(Site.Category.choices)
        self.fields["voltage_level"].choices = blank + [c for c in Site.Voltage.choices if c[0]]
        self.fields["due_date"].initial = timezone.localdate
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        if not data.get("site") and not data.get("unit") and not self.errors:
            raise forms.ValidationError(_("Choose a site, or a unit whose sites get the task."))
        return data


class ReviewForm(forms.Form):
    measures = forms.CharField(label=_("Measures in place"), max_length=LONG_TEXT_MAX,
                               widget=forms.Textarea(attrs={"rows": 3}))
    effect = forms.CharField(label=_("Effect analysis"), max_length=LONG_TEXT_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}))
    improvements = forms.CharField(label=_("Improvements"), max_length=LONG_TEXT_MAX, required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class DrawForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None)
    month = forms.DateField(label=_("Month"), widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
                            input_formats=["%Y-%m"])
    percentage = forms.DecimalField(label=_("Sample (%)"), min_value=0, max_value=100, decimal_places=2,
                                    initial=2)
    minimum = forms.IntegerField(label=_("Minimum sites"), min_value=0, max_value=1000, initial=3)
    proportions = forms.CharField(label=_("Category proportions"), required=False, max_length=200,
                                  initial="mining:30,chemical:30,metallurgy:15,gas:15,*:10",
                                  help_text=_("category:weight pairs separated by commas; * is every other "
                                              "category. Empty: no split."))
    seed = forms.IntegerField(label=_("Random seed"), required=False, min_value=0, max_value=2**53,
                              help_text=_("Empty: a new random seed (recorded with the plan)."))
    standard = forms.ModelChoiceField(label=_("Standard"), queryset=None)
    group = forms.ModelChoiceField(label=_("Inspection group"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(user=user)
        self.fields["standard"].queryset = standard_choices()
        self.fields["group"].queryset = selectors.group_choices(user=user)
        _bootstrap(self)
