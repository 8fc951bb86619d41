"""Forms of the hazard pages. They only parse and validate input; every write is a call to one
hazards.services function (the view's job). Action forms carry `expected_version`, so a form
loaded before someone else changed the hazard is refused as "changed meanwhile"."""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from core.dates import today_local
from org.forms import DeadlineField
from org.uploads import DOCUMENT, MultiplePhotoField, UploadField
from org.validators import (
    LONG_TEXT_MAX,
    PERSON_NAME_MAX,
    single_line,
    validate_not_before,
    validate_past_date,
    validate_plausible_date,
)
from org.widgets import DateInput, DeadlineInput
from org.wording import join_list

from . import conflicts, rules
from .models import Hazard, HazardPhoto, RiskCategory, WorkOrderReply

DATE = DateInput()
TEXT = forms.Textarea(attrs={"rows": 3})
LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))

MAJOR_FIELDS = list(rules.MAJOR_FIELDS)


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render fields with {{ field }}."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.HiddenInput)):
                continue
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class VersionedForm(BootstrapMixin, forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class HazardFileForm(BootstrapMixin, forms.ModelForm):
    """The hazard file's details (register and edit). Major-hazard fields show when severity is major."""

    class Meta:
        model = Hazard
        fields = ["site", "category", "severity", "location", "description", "basis", "discovered_on",
                  "responsible_name", "responsible_email", "responsible_phone", "required_measures", "deadline",
                  *MAJOR_FIELDS]
        widgets = {
            "description": TEXT, "basis": forms.Textarea(attrs={"rows": 2}), "required_measures": TEXT,
            "discovered_on": DATE, "deadline": DeadlineInput(), "five_deadline": DeadlineInput(),
            **{f: forms.Textarea(attrs={"rows": 2}) for f in MAJOR_FIELDS
               if f not in ("five_responsible_person", "five_funds", "five_deadline")},
        }
        # A date, or "N working days" counted with China's holidays (org.forms.DeadlineField).
        field_classes = {"deadline": DeadlineField, "five_deadline": DeadlineField}

    def __init__(self, *args, sites=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = RiskCategory.objects.filter(active=True).order_by("code")
        if "site" in self.fields:
            if sites is not None:
                self.fields["site"].queryset = sites.order_by("code")
            self.fields["site"].widget.attrs["data-contact-fill"] = "1"
        self.fields["severity"].widget.attrs["data-major-toggle"] = "1"
        # The model's bounds, checked here too: the form does not run model validation (below).
        for name, field in self.fields.items():
            try:
                model_field = Hazard._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            # The bounds of dates and the one-line rule; lengths are the form field's max_length already.
            field.validators.extend(v for v in getattr(model_field, "validators", ())
                                    if not isinstance(v, MaxLengthValidator) and v not in field.validators)

    def clean(self):
        data = super().clean()
        discovered = data.get("discovered_on", getattr(self.instance, "discovered_on", None))
        # Each check runs on a value that passed its field's own validation (it is in `data`) and
        # says what is wrong; a deadline both before discovery and past gets both messages.
        problems = {}
        for name, message in (
            ("deadline", _("The deadline cannot be before the hazard was discovered (%(date)s).")),
            ("five_deadline", _("The time limit cannot be before the hazard was discovered (%(date)s).")),
        ):
            if name in self.fields and data.get(name) and name not in self.errors:
                try:
                    validate_not_before(data[name], discovered, message)
                except forms.ValidationError as exc:
                    problems.setdefault(name, []).extend(exc.messages)
        deadline = data.get("deadline")
        # A deadline typed in the past is refused here, where it is typed, not at notifying. An
        # edit that leaves an old deadline alone is not asked to change it.
        typed = self.instance.pk is None or "deadline" in self.changed_data
        if deadline and typed and "deadline" not in self.errors and rules.deadline_passed(deadline):
            problems.setdefault("deadline", []).append(
                _("The deadline %(date)s is already past: enter today or a later date.")
                % {"date": deadline.isoformat()})
        for name, messages in problems.items():
            self.add_error(name, messages)
        return data

    def _post_clean(self):
        # Model validation happens in the service (full_clean before save); the form checks input only.
        pass

    major_names = MAJOR_FIELDS

    @property
    def major_fields(self):
        return [self[f] for f in MAJOR_FIELDS]


class HazardRegisterForm(HazardFileForm):
    photos = MultiplePhotoField(label=_("Photos before rectification"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discovered_on"].initial = today_local


class HazardEditForm(HazardFileForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # What the form showed when loaded, signed (hazards.conflicts): after "changed meanwhile" only
    # the fields this user changed from it are carried over onto the current file.
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta(HazardFileForm.Meta):
        fields = [f for f in HazardFileForm.Meta.fields if f != "site"]

    def __init__(self, *args, fixed=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Fields printed on an issued notice are fixed (lifecycle.FIXED_AFTER_NOTIFY).
        for name in fixed:
            if name in self.fields:
                self.fields[name].disabled = True
        if not self.is_bound:
            self.initial["original"] = conflicts.sign(conflicts.shown_values(self))

    def changed_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.changed_data
                if name in self.fields and not self.fields[name].disabled
                and name not in ("expected_version", "original")}


class NotifyForm(BootstrapMixin, forms.Form):
    hazards = forms.ModelMultipleChoiceField(label=_("Hazards to notify"), queryset=Hazard.objects.none(),
                                             widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Language of the notice"), choices=LANGUAGES)

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["hazards"].queryset = candidates

    def clean_hazards(self):
        hazards = list(self.cleaned_data["hazards"])
        if len({h.site_id for h in hazards}) > 1:
            raise forms.ValidationError(_("One notice covers the hazards of one site only."))
        return hazards


def effective_date(label):
    """The day a recorded action happened (on paper, on site): default today, never in the future
    (the service checks it against the hazard's previous step)."""
    # Not required: left empty it is today (the services' default), as when the form opened.
    return forms.DateField(label=label, widget=DATE, initial=today_local, validators=[validate_past_date],
                           required=False, help_text=_("The date on the paper record, if it is entered later."))


class AcknowledgeForm(VersionedForm):
    acknowledged_by_name = forms.CharField(label=_("Acknowledged by (name)"), max_length=PERSON_NAME_MAX,
                                           validators=[single_line])
    acknowledged_on = effective_date(_("Date signed"))
    signed_scan = UploadField(label=_("Scan of the signed notice"), required=False, accept=DOCUMENT)

    def __init__(self, *args, together=(), **kwargs):
        super().__init__(*args, **kwargs)
        if together:
            # Receipt is of the notice: say which other hazards move with this one.
            self.fields["acknowledged_by_name"].help_text = _(
                "One signature covers the whole notice: its other hazards still awaiting acknowledgement (%(hazards)s) "
                "move to rectification with this one.") % {"hazards": join_list(together)}


class ServiceVisitForm(VersionedForm):
    date = forms.DateField(label=_("Date"), widget=DATE, initial=today_local, validators=[validate_past_date])
    description = forms.CharField(label=_("Service given"), widget=TEXT, max_length=LONG_TEXT_MAX)


class ExtensionRequestForm(VersionedForm):
    requested_deadline = DeadlineField(label=_("Requested deadline"), validators=[validate_plausible_date])
    reason = forms.CharField(label=_("Reason"), widget=TEXT, max_length=LONG_TEXT_MAX)
    requested_by_name = forms.CharField(label=_("Requested by (name)"), max_length=PERSON_NAME_MAX,
                                        validators=[single_line])
    requested_on = effective_date(_("Date of the request"))


class ExtensionDecisionForm(VersionedForm):
    comment = forms.CharField(label=_("Comment"), widget=TEXT, required=False, max_length=LONG_TEXT_MAX)


class ExtensionApproveForm(ExtensionDecisionForm):
    # Not required: empty grants the requested deadline (filled in when the form opens).
    granted_deadline = DeadlineField(label=_("Granted deadline"), validators=[validate_plausible_date], required=False,
                                       help_text=_("The requested deadline, unless you grant another one."))


class SuperviseForm(VersionedForm):
    new_deadline = DeadlineField(label=_("New deadline"), validators=[validate_plausible_date])
    language = forms.ChoiceField(label=_("Language of the notice"), choices=LANGUAGES)


class ReportForm(VersionedForm):
    addressee = forms.CharField(label=_("Authority"), max_length=200, validators=[single_line])
    report_date = forms.DateField(label=_("Report date"), widget=DATE, initial=today_local,
                                  validators=[validate_past_date])
    document = UploadField(label=_("Report document"), required=False, accept=DOCUMENT)
    comment = forms.CharField(label=_("Comment"), widget=TEXT, required=False, max_length=LONG_TEXT_MAX)


class ReplyForm(VersionedForm):
    submitted_by_name = forms.CharField(label=_("Submitted by (name)"), max_length=PERSON_NAME_MAX,
                                        validators=[single_line])
    cause = forms.CharField(label=_("Cause"), widget=TEXT, max_length=LONG_TEXT_MAX)
    handling = forms.CharField(label=_("Handling description"), widget=TEXT, max_length=LONG_TEXT_MAX,
                               help_text=_("Investigation, measures taken and any personnel accountability."))
    result = forms.ChoiceField(label=_("Result"), choices=WorkOrderReply.Result.choices, widget=forms.RadioSelect)
    next_measures = forms.CharField(label=_("Next rectification measures"), widget=TEXT, required=False,
                                    max_length=LONG_TEXT_MAX)
    photos = MultiplePhotoField(label=_("Photos after rectification"))
    replied_on = effective_date(_("Date of the reply"))


class AcceptForm(VersionedForm):
    checked_on = effective_date(_("Date of the acceptance check"))
    comment = forms.CharField(label=_("Comment"), widget=TEXT, required=False, max_length=LONG_TEXT_MAX)
    self_evaluation = forms.CharField(label=_("Self-evaluation"), widget=TEXT, required=False,
                                      max_length=LONG_TEXT_MAX)
    expert_evaluation = forms.CharField(label=_("Expert evaluation"), widget=TEXT, required=False,
                                        max_length=LONG_TEXT_MAX)
    government_acceptance = forms.CharField(label=_("Government acceptance"), widget=TEXT, required=False,
                                            max_length=LONG_TEXT_MAX)
    whitelist_months = forms.IntegerField(
        label=_("Whitelist freeze period (months)"), required=False, min_value=1, max_value=36,
        help_text=_("The reply said no action is needed: exempt this check at this site for this many months."),
    )
    photos = MultiplePhotoField(label=_("Photos after rectification"))

    def __init__(self, *args, major=False, whitelist=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not major:
            for name in ("self_evaluation", "expert_evaluation", "government_acceptance"):
                del self.fields[name]
        else:
            # A major hazard's acceptance records the self and the expert evaluation (government
            # acceptance where the authority took part).
            for name in ("self_evaluation", "expert_evaluation"):
                self.fields[name].required = True
        if not whitelist:
            del self.fields["whitelist_months"]


class ReasonForm(VersionedForm):
    reason = forms.CharField(label=_("Reason"), widget=TEXT, max_length=LONG_TEXT_MAX)


class RejectForm(ReasonForm):
    checked_on = effective_date(_("Date of the acceptance check"))


class CommentForm(VersionedForm):
    comment = forms.CharField(label=_("Comment"), widget=TEXT, required=False, max_length=LONG_TEXT_MAX)


class PhotoForm(VersionedForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=HazardPhoto.Kind.choices)
    photos = MultiplePhotoField(label=_("Photos"), required=True)

    def clean_photos(self):
        photos = self.cleaned_data["photos"]
        if not photos:
            raise forms.ValidationError(_("Choose at least one photo."))
        return photos
