"""Language-following punctuation in templates (see org.wording)."""

from django import template

from org import wording

register = template.Library()


@register.filter
def join_list(items) -> str:
    """`{{ names|join_list }}`: "a、b" in Chinese, "a, b" in English (autoescaped like any text)."""
    return wording.join_list(items)


@register.simple_tag
def colon() -> str:
    return wording.colon()


@register.filter
def parenthesised(text) -> str:
    return wording.parenthesised(text)


@register.simple_tag
def list_separator() -> str:
    return wording.list_separator()
