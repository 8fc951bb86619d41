"""{% accept_attr "photo" %}: the file picker's accept= for an upload kind, from org.uploads, so a
hand-written input offers exactly what the check accepts."""

from django import template

from org.uploads import ACCEPTS

register = template.Library()


@register.simple_tag
def accept_attr(kind: str) -> str:
    return ACCEPTS[kind].accept_attr
