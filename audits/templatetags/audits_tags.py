from django import template

from scoring import rules

register = template.Library()


@register.filter
def points(value) -> str:
    """Points half-up to 2 places; empty for None (scoring.rules.format_points)."""
    return rules.format_points(value)


@register.filter
def rate(value) -> str:
    """A score rate (%) to 2 places, or “—” when nothing is applicable (scoring.rules.format_rate)."""
    return rules.format_rate(value)


@register.filter
def indent_mm(depth) -> str:
    return f"{1.6 + 4 * int(depth or 0):.1f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
