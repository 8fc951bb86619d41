"""Forms shared by the apps.

The filter bars of the lists render a dozen widgets with dozens of options on every request.
Django renders each widget, and each <option>, through a template include: about 3 ms for the
ledger's filter bar. `FastWidgetRenderer` writes the plain inputs and single selects in Python
with the same markup as Django's templates (tests compare the two) and hands every other widget
to the templates.
"""

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .widgets import DeadlineInput, WorkingDays

ID_MAX = 2**63 - 1  # the largest id (and version) a database stores


def parse_id(value, *, default=None) -> int | None:
    """An id (or version) read from a request: ASCII digits within the database's range, else
    `default`. Larger numbers, words and other scripts' digits never reach a query."""
    value = str(value or "").strip()
    if value.isascii() and value.isdigit() and 0 < int(value) <= ID_MAX:
        return int(value)
    return default


_WIDGETS = "django/forms/widgets/"
INPUT_TEMPLATES = {f"{_WIDGETS}{kind}.html" for kind in ("text", "date", "number", "hidden", "email", "search",
                                                          "url", "tel", "datetime", "time")}
SELECT_TEMPLATE = f"{_WIDGETS}select.html"


def render_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items() if value is not False
    )


def render_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
    return (f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}'
            f'{render_attrs(widget["attrs"])}>')


def render_select(widget: dict) -> str:
    parts = [f'<select name="{escape(widget["name"])}"{render_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in options:
            parts.append(f'\n  <option value="{escape(option["value"])}"{render_attrs(option["attrs"])}>'
                         f'{escape(option["label"])}</option>\n')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name in INPUT_TEMPLATES and "type" in (widget or {}):
            # bandit B308/B703: render_input and render_select escape every name, value and label.
            return mark_safe(render_input(widget))  # noqa: S308  # nosec B308 B703
        if template_name == SELECT_TEMPLATE and widget and "optgroups" in widget:
            return mark_safe(render_select(widget))  # noqa: S308  # nosec B308 B703
        return super().render(template_name, context, request)


FAST_WIDGETS = FastWidgetRenderer()


def working_days_date(value):
    """The date "N working days" (org.widgets.WorkingDays) gives from today, or None when the text
    is not a working-day expression or its year's calendar is unknown."""
    from core.dates import WorkingDaysUnknown, parse_working_days, today_local, working_days_after

    try:
        n = parse_working_days(value)
        return working_days_after(today_local(), n) if n else None
    except (ValueError, WorkingDaysUnknown):
        return None


class DeadlineField(forms.DateField):
    """A deadline typed as a date or as "N working days" (also "N wd", "N 个工作日"), counted from
    today by core.dates.working_days_after. The computed date is shown before anything is saved:
    the preview fills it in while typing (static/js/app.js); without it, the form comes back with
    the date filled in and a note, and the same date sent again is taken."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DeadlineInput())
        super().__init__(**kwargs)

    def to_python(self, value):
        from core.dates import WorkingDaysUnknown, parse_working_days, today_local, working_days_after

        if not isinstance(value, WorkingDays):
            return super().to_python(value)
        try:
            n = parse_working_days(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="working_days") from None
        if n is None:
            raise forms.ValidationError(_("Write the working days as “5 working days” or “5 个工作日”."),
                                        code="working_days")
        today = today_local()
        try:
            computed = working_days_after(today, n)
        except WorkingDaysUnknown as exc:
            raise forms.ValidationError(str(exc), code="working_days_unknown") from None
        typed = super().to_python(value.date) if value.date else None
        if typed != computed:
            # Never saved unseen: the form shows the date (the widget fills it in) and asks again.
            raise forms.ValidationError(
                _("%(n)d working days from today (%(today)s) is %(date)s, public holidays skipped: the date is "
                  "filled in; check it and save again.") % {"n": n, "today": today.isoformat(),
                                                             "date": computed.isoformat()},
                code="working_days_computed")
        return computed
