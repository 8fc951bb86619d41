"""Forms of the party's portal. The extension and reply forms are the staff's own (hazards.forms),
so both sides validate the same; only the acknowledgement differs (a drawn signature instead of
a scan)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from hazards.forms import BootstrapMixin, ExtensionRequestForm, ReplyForm
from org.validators import PERSON_NAME_MAX, single_line
from org.widgets import DateInput

from .services import SIGNATURE_MAX_CHARS


class PartyAcknowledgeForm(BootstrapMixin, forms.Form):
    acknowledged_by_name = forms.CharField(label=_("Your name"), max_length=PERSON_NAME_MAX,
                                           validators=[single_line])
    # Filled by portal.js from the signature pad when the form is sent (a PNG data URL).
    signature = forms.CharField(widget=forms.HiddenInput, max_length=SIGNATURE_MAX_CHARS, required=False)


class PartyExtensionForm(ExtensionRequestForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_by_name"].label = _("Your name")
        # The party acts live: the date of the request is today (no date to back-date). The
        # working-days preview needs a staff login, so the party types the date itself.
        del self.fields["requested_on"]
        self.fields["requested_deadline"].widget = DateInput(attrs={"class": "form-control"})


class PartyReplyForm(ReplyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submitted_by_name"].label = _("Your name")
        del self.fields["replied_on"]  # the party replies live: today
