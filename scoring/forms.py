from django import forms
from django.utils.translation import gettext_lazy as _

from org.validators import single_line

from .models import Standard
from .sheets import ACCEPT_ATTRIBUTE
from .xlsx import MAX_FILE_BYTES


class StandardImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx, .xls, .et or .csv)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
                           help_text=_("First visible worksheet; the header row (or two) among the first rows: 序号, "
                                       "评价项目, 应得分, 评分标准 (optional), 严重 (optional). English headers code, "
                                       "title, points, criteria, serious work too."))
    name = forms.CharField(label=_("Name"), max_length=Standard._meta.get_field("name").max_length,
                           validators=[single_line])
    version = forms.CharField(label=_("Version"), max_length=Standard._meta.get_field("version").max_length,
                              required=False, help_text=_("Leave empty for the next number."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than %(limit)s MB.")
                                        % {"limit": MAX_FILE_BYTES // (1024 * 1024)})
        return upload
