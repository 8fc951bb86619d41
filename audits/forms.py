"""Forms parse and offer scoped choices; the rules live in audits.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.dates import today_local
from org.uploads import PHOTO, UploadField
from org.validators import LONG_TEXT_MAX, single_line, validate_past_date
from org.widgets import DateInput
from scoring.sheets import ACCEPT_ATTRIBUTE

from . import selectors
from .models import Inspection


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select | forms.SelectMultiple) else "form-control"
        widget.attrs.setdefault("class", css)


class InspectorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.get_full_name() or obj.username} · {obj.membership.unit.name}"


class InspectionCreateForm(forms.Form):
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False,
                                  help_text=_("The customer or facility inspected; leave empty to inspect a unit."))
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False,
                                  help_text=_("For a self-assessment of a unit (when no site is chosen)."))
    standard = forms.ModelChoiceField(label=_("Standard"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices)
    date = forms.DateField(label=_("Inspection date"), widget=DateInput, validators=[validate_past_date])
    group = forms.ModelChoiceField(label=_("Inspection group"), queryset=None, required=False)
    inspectors = InspectorChoiceField(label=_("Inspectors"), queryset=None, required=False,
                                      widget=forms.SelectMultiple(attrs={"size": 6}))
    title = forms.CharField(label=_("Title"), max_length=200, required=False, validators=[single_line])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.site_choices(user=user)
        self.fields["unit"].queryset = selectors.unit_choices(user=user)
        self.fields["standard"].queryset = selectors.standard_choices()
        self.fields["group"].queryset = selectors.group_choices(user=user)
        self.fields["inspectors"].queryset = selectors.inspector_choices(user=user)
        self.fields["date"].initial = today_local
        _bootstrap(self)

    def clean(self):
        data = super().clean()
        site, unit = data.get("site"), data.get("unit")
        if site and unit:
            raise forms.ValidationError(_("Choose a site or a unit, not both."))
        if not site and not unit and not self.errors.get("site") and not self.errors.get("unit"):
            raise forms.ValidationError(_("Choose the site or the unit to inspect."))
        return data


class ResultForm(forms.Form):
    """One row of the recording page. `quick` carries the quick buttons (full marks / 0 / N/A)."""

    earned = forms.CharField(required=False)
    not_applicable = forms.BooleanField(required=False)
    finding = forms.CharField(required=False, max_length=LONG_TEXT_MAX)
    problem = forms.CharField(required=False, max_length=LONG_TEXT_MAX)
    measure = forms.CharField(required=False, max_length=LONG_TEXT_MAX)
    serious_problems = forms.IntegerField(required=False, min_value=0, max_value=32767,
                                          error_messages={"invalid": _("Enter a whole number.")})
    quick = forms.ChoiceField(required=False, choices=[("", ""), ("full", "full"), ("zero", "zero"),
                                                       ("na", "na"), ("clear", "clear")])


class PhotoForm(forms.Form):
    # Checked by content (org.uploads), which says precisely what is wrong with a refused file.
    image = UploadField(label=_("Photo"), accept=PHOTO, capture=True)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Reason for reopening"), widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=2000)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Results sheet (.xlsx, .xls, .et or .csv)"))
    standard = forms.ModelChoiceField(label=_("Standard"), queryset=None)
    site = forms.ModelChoiceField(label=_("Site"), queryset=None, required=False)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=None, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Inspection.Kind.choices,
                             initial=Inspection.Kind.SELF_ASSESSMENT)
    date = forms.DateField(label=_("Inspection date"), widget=DateInput, validators=[validate_past_date])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = selectors.site_choices(user=user)
        self.fields["unit"].queryset = selectors.unit_choices(user=user)
        self.fields["standard"].queryset = selectors.standard_choices()
        self.fields["date"].initial = today_local
        _bootstrap(self)
        self.fields["file"].widget.attrs["accept"] = ACCEPT_ATTRIBUTE

    def clean(self):
        data = super().clean()
        if data.get("site") and data.get("unit"):
            raise forms.ValidationError(_("Choose a site or a unit, not both."))
        if not data.get("site") and not data.get("unit"):
            raise forms.ValidationError(_("Choose the site or the unit to inspect."))
        return data


class TemplateForm(forms.Form):
    """Which results template to download (a GET form on the import page)."""
    standard = forms.ModelChoiceField(label=_("Standard"), queryset=None)
    form = forms.ChoiceField(label=_("Form"), initial="earned", choices=[
        ("earned", _("Earned points (实得分)")), ("deduction", _("Deductions (扣分)"))])
    lang = forms.ChoiceField(label=_("Language"), initial="zh-hans",
                             choices=[("zh-hans", "简体中文"), ("en", "English")])

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "template-%s")  # beside the import form on one page
        super().__init__(*args, **kwargs)
        self.fields["standard"].queryset = selectors.standard_choices()
        _bootstrap(self)
