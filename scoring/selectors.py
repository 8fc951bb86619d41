"""Reads of standards. Standards are company-wide: every logged-in user may read them."""

from collections import namedtuple

from django.db.models import Q, QuerySet

from . import lifecycle
from .models import Standard, StandardItem

# What the roll-up engine needs of an item, without loading model instances.
RollupItem = namedtuple("RollupItem", "id parent_id code title depth is_leaf serious points sort_key")


def user_can_manage_standards(user) -> bool:
    """Managers and admins (and superusers) import, activate and version standards (the roles of
    scoring.lifecycle's table)."""
    return bool(user.is_authenticated) and lifecycle.may_manage(user)


def standard_list(*, user=None) -> QuerySet[Standard]:
    return Standard.objects.all()


def standard_search(queryset: QuerySet[Standard], text: str) -> QuerySet[Standard]:
    text = (text or "").strip()
    if not text:
        return queryset
    return queryset.filter(Q(name__icontains=text) | Q(description__icontains=text) | Q(version__iexact=text))


def standard_get(*, pk: int, user=None) -> Standard:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Standard.objects.select_related("previous", "created_by"), pk=pk)


def standard_items(*, standard: Standard) -> QuerySet[StandardItem]:
    return StandardItem.objects.filter(standard=standard).order_by("sort_key")


def standard_versions(*, standard: Standard) -> QuerySet[Standard]:
    return Standard.objects.filter(name=standard.name).order_by("-created_at", "-id")


def active_standards() -> QuerySet[Standard]:
    return Standard.objects.filter(status=Standard.Status.ACTIVE).order_by("name")


def standard_rollup_items(*, standard: Standard) -> list[RollupItem]:
    """The items of a standard as light tuples for scoring.rollup.rollup (one query)."""
    return [RollupItem(*row) for row in StandardItem.objects.filter(standard=standard).order_by("sort_key")
            .values_list(*RollupItem._fields)]
