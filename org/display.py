"""Stored values shown to people. A history row keeps what was stored (a choice's code, a
date's ISO text, a boolean); shown, a choice reads as its label in the page's language, a yes/no
as words. Never the raw code: the Chinese history once read "隐患等级: general → major"."""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

EMPTY = "—"


def field_label(model, field_name: str) -> str:
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except FieldDoesNotExist:  # a field renamed since: show its name
        return field_name


def stored_value(model, field_name: str, value) -> str:
    """`value` as stored for `model.field_name` (e.g. in a history row), in words."""
    if value is None or value == "":
        return EMPTY
    try:
        field = model._meta.get_field(field_name)
    except FieldDoesNotExist:
        return str(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.BooleanField) or isinstance(value, bool):
        return _("Yes") if value in (True, "True", "true") else _("No")
    return str(value)
