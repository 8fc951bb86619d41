from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()
CENT = Decimal("0.01")


@register.filter
def points(value) -> str:
    """Points half-up to 2 places; empty for None."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


@register.filter
def rate(value) -> str:
    """A score rate (%) to 2 places, or “—” when nothing is applicable."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


@register.filter
def indent_mm(depth) -> str:
    return f"{1.6 + 4 * int(depth or 0):.1f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
