"""Every read that depends on who is asking. Querysets are scoped at the source: a user sees
only their unit's subtree, and detail lookups outside it raise 404 like a missing row."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from .models import Membership, OrgUnit, Site


def user_membership(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def user_root_unit(user) -> OrgUnit | None:
    membership = user_membership(user)
    return membership.unit if membership else None


def user_sees_everything(user) -> bool:
    return user.is_authenticated and user.is_superuser and user_membership(user) is None


# Unit scope, written once: a user sees and acts on the units of their own unit's subtree (the
# unit's path starts with theirs); a superuser without a membership sees everything; anyone else
# without a membership sees nothing. `scope_queryset` is the SQL form, `unit_in_scope` the Python
# one; tests/org/test_scoping.py checks that they agree.

def scope_queryset(queryset: QuerySet, user, unit_field: str = "unit") -> QuerySet:
    """Limit `queryset` to rows whose `unit_field` lies in the user's unit subtree."""
    if user_sees_everything(user):
        return queryset
    root = user_root_unit(user)
    if root is None:
        return queryset.none()
    path_lookup = f"{unit_field}__path__startswith" if unit_field else "path__startswith"
    return queryset.filter(**{path_lookup: root.path})


def subtree_queryset(queryset: QuerySet, unit: OrgUnit, unit_field: str = "unit") -> QuerySet:
    """Limit `queryset` to rows whose `unit_field` lies in `unit`'s subtree (a unit picked from the
    user's own, e.g. a dashboard's unit picker)."""
    path_lookup = f"{unit_field}__path__startswith" if unit_field else "path__startswith"
    return queryset.filter(**{path_lookup: unit.path})


def unit_in_scope(user, unit: OrgUnit) -> bool:
    """Whether `unit` lies in the user's unit subtree (the Python form of scope_queryset)."""
    if user_sees_everything(user):
        return True
    root = user_root_unit(user)
    return root is not None and root.is_ancestor_of(unit)


def get_for_user_or_404(queryset: QuerySet, user, unit_field: str = "unit", **lookup):
    try:
        return scope_queryset(queryset, user, unit_field).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


def unit_list(*, user) -> QuerySet[OrgUnit]:
    return scope_queryset(OrgUnit.objects.all(), user, unit_field="")


def unit_tree(*, user) -> list[dict]:
    """The visible units in tree order with their site and member counts, in one query."""
    units = unit_list(user=user).annotate(
        site_count=Count("sites", distinct=True), member_count=Count("members", distinct=True)
    ).order_by("path")
    return list(units)


def site_list(*, user) -> QuerySet[Site]:
    return scope_queryset(Site.objects.select_related("unit"), user)


def site_get(*, user, pk: int) -> Site:
    return get_for_user_or_404(Site.objects.select_related("unit", "unit__parent"), user, pk=pk)


def home_summary(*, user) -> dict:
    root = user_root_unit(user)
    sites = site_list(user=user)
    by_class = dict(
        sites.filter(active=True).values_list("site_class").annotate(n=Count("id")).values_list("site_class", "n")
    )
    teams = unit_list(user=user).filter(
        Q(kind=OrgUnit.Kind.TEAM) | Q(kind=OrgUnit.Kind.GROUP)
    ).annotate(site_count=Count("sites")).order_by("path")
    return {"root": root, "sites_by_class": by_class, "site_total": sum(by_class.values()),
            "teams": list(teams[:50]), "recent_sites": list(sites.order_by("-created_at")[:8])}
