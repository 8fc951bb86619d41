"""Punctuation that follows the language: a Chinese page lists with "、" and puts "：" after a
label, an English one uses ", " and ": ". Written once here so that an English document never
carries full-width punctuation from a template (issue 11, fault 8)."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_separator() -> str:
    return pgettext("list separator", ", ")


def join_list(items: Iterable) -> str:
    return list_separator().join(str(item) for item in items)


def colon() -> str:
    """What follows a label: "：" in Chinese, ": " in English."""
    return pgettext("after a label", ": ")


def parenthesised(text) -> str:
    """`（text）` in Chinese, ` (text)` in English."""
    return pgettext("in brackets", " (%s)") % (text,)
