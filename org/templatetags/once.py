from django import template
from django.utils.html import format_html

from org.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_token():
    """The hidden one-time token of a form that creates something (see org/once.py)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
