"""Every write to the org model goes through these functions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import PATH_STEP, Membership, NumberCounter, OrgUnit, Role, Site
from .roles import role_permissions

User = get_user_model()


def _next_child_path(parent: OrgUnit | None) -> str:
    prefix = parent.path if parent else ""
    siblings = OrgUnit.objects.filter(parent=parent).order_by("-path").values_list("path", flat=True)
    last = siblings.first()
    number = int(last[-PATH_STEP:]) + 1 if last else 1
    if number >= 36**PATH_STEP:
        raise ValidationError(_("Too many units under one parent."))
    return prefix + _base36(number).rjust(PATH_STEP, "0")


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def check_unit_in_scope(by, unit: OrgUnit | None) -> None:
    """Refuse a write that would put a row in (or take it from) a unit outside `by`'s subtree; `by`
    None is the system (seed, import commands). Forms limit their choices first: this is the last
    line, for any caller that forgets."""
    from .scoping import unit_in_scope

    if by is not None and not unit_in_scope(by, unit):
        raise PermissionDenied("unit outside the user's scope")


@transaction.atomic
def orgunit_create(*, code: str, name: str, kind: str, parent: OrgUnit | None = None, by=None) -> OrgUnit:
    check_unit_in_scope(by, parent)
    if parent is not None:
        # Lock the parent so two children created at once do not get the same path.
        parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
    unit = OrgUnit(code=code, name=name, kind=kind, parent=parent)
    unit.path = _next_child_path(parent)
    unit.depth = parent.depth + 1 if parent else 0
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def orgunit_update(*, unit: OrgUnit, name: str, kind: str, parent: OrgUnit | None, active: bool,
                   by=None) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    check_unit_in_scope(by, unit)
    if (parent.pk if parent else None) != unit.parent_id:
        check_unit_in_scope(by, unit.parent)  # a branch account cannot move its own root unit
        check_unit_in_scope(by, parent)
    if parent is not None and parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("A unit cannot be moved under itself or its own subunit.")})
    unit.name, unit.kind, unit.active = name, kind, active
    fields = ["name", "kind", "active"]
    if (parent.pk if parent else None) != unit.parent_id:
        old_path = unit.path
        unit.parent = parent
        unit.path = _next_child_path(parent)
        unit.depth = parent.depth + 1 if parent else 0
        fields += ["parent", "path", "depth"]
        _rewrite_subtree(old_path, unit.path, unit.depth - (len(old_path) // PATH_STEP - 1))
    unit.full_clean()
    unit.save(update_fields=fields)
    return unit


def _rewrite_subtree(old_prefix: str, new_prefix: str, depth_delta: int) -> None:
    descendants = list(OrgUnit.objects.select_for_update().filter(path__startswith=old_prefix)
                       .exclude(path=old_prefix))
    for d in descendants:
        d.path = new_prefix + d.path[len(old_prefix):]
        d.depth += depth_delta
    OrgUnit.objects.bulk_update(descendants, ["path", "depth"])


@transaction.atomic
def site_create(*, by=None, **fields) -> Site:
    site = Site(**fields)
    check_unit_in_scope(by, site.unit if site.unit_id else None)
    site.full_clean()
    site.save()
    return site


# Fields site_update changes; the owning unit only changes through site_move.
SITE_FIELDS = ("name", "site_class", "category", "voltage_level", "address", "contact_name", "contact_email",
               "contact_phone", "inspection_cycle_months", "active")


@transaction.atomic
def site_update(*, site: Site, by=None, **fields) -> Site:
    site = Site.objects.select_for_update().get(pk=site.pk)
    check_unit_in_scope(by, site.unit)
    unknown = set(fields) - set(SITE_FIELDS)
    if unknown:
        raise ValueError(f"site_update cannot change {sorted(unknown)}")
    for name, value in fields.items():
        setattr(site, name, value)
    site.full_clean()
    site.save(update_fields=list(fields) or None)
    return site


# The apps whose rows follow a site to its new unit: each registers a function
# follower(*, site, old_unit, new_unit, by) from its AppConfig.ready(); org does not import them.
SITE_MOVE_FOLLOWERS: list = []


def site_move_follower(func):
    if func not in SITE_MOVE_FOLLOWERS:
        SITE_MOVE_FOLLOWERS.append(func)
    return func


@transaction.atomic
def site_move(*, site: Site, unit: OrgUnit, by=None) -> Site:
    """Move a site to another owning unit together with everything that is scoped through it, so
    that one unit owns the site, its inspections, hazards and notices at every moment: the site row
    is locked, each app's follower locks and moves its rows and writes their history, all in this
    transaction. Both the old and the new unit must lie in `by`'s subtree."""
    site = Site.objects.select_for_update().select_related("unit").get(pk=site.pk)
    unit = OrgUnit.objects.get(pk=unit.pk)
    check_unit_in_scope(by, site.unit)
    check_unit_in_scope(by, unit)
    if unit.pk == site.unit_id:
        return site
    old_unit = site.unit
    site.unit = unit
    site.full_clean()
    site.save(update_fields=["unit"])
    for follower in SITE_MOVE_FOLLOWERS:
        follower(site=site, old_unit=old_unit, new_unit=unit, by=by)
    return site


def sync_role_groups() -> None:
    """Create or update one auth Group per role with its permissions (idempotent)."""
    grants = role_permissions()
    wanted = {perm for perms in grants.values() for perm in perms}
    by_name = {}
    for perm in Permission.objects.select_related("content_type"):
        key = f"{perm.content_type.app_label}.{perm.codename}"
        if key in wanted:
            by_name[key] = perm
    for role, perms in grants.items():
        group, _created = Group.objects.get_or_create(name=f"role:{role}")
        group.permissions.set([by_name[p] for p in perms if p in by_name])


def roles_grantable_by(by) -> list[str]:
    """The roles `by` may give: superusers any; other accounts every role but administrator
    (only superusers make administrators)."""
    if by is None or by.is_superuser:
        return list(Role.values)
    return [r for r in Role.values if r != Role.ADMIN]


@transaction.atomic
def membership_set(*, user, unit: OrgUnit, role: str, phone: str = "", by=None) -> Membership:
    """Put a user in a unit with a role; keeps the role group and staff flag in step. The staff flag
    follows the role (administrators use the Django admin); groups are the role's group only."""
    if by is not None:
        old = Membership.objects.filter(user=user).select_related("unit").first()
        check_unit_in_scope(by, unit)
        if old is not None:
            check_unit_in_scope(by, old.unit)
        if role not in roles_grantable_by(by) or (user.is_superuser and not by.is_superuser):
            raise PermissionDenied("role not grantable")
    membership, _created = Membership.objects.update_or_create(
        user=user, defaults={"unit": unit, "role": role, "phone": phone}
    )
    membership.full_clean()
    role_groups = Group.objects.filter(name__startswith="role:")
    user.groups.remove(*role_groups)
    group = Group.objects.filter(name=f"role:{role}").first()
    if group:
        user.groups.add(group)
    is_staff = role == Role.ADMIN or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    return membership


@transaction.atomic
def user_create(*, username: str, password: str, unit: OrgUnit, role: str, full_name: str = "",
                email: str = "", phone: str = "", by=None):
    check_unit_in_scope(by, unit)
    user = User(username=username, first_name=full_name, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    membership_set(user=user, unit=unit, role=role, phone=phone, by=by)
    return user


def membership_set_language(*, user, language: str) -> None:
    membership = getattr(user, "membership", None)
    if membership is not None and membership.language != language:
        membership.language = language
        membership.save(update_fields=["language"])


def _format_number(prefix: str, year: int, value: int, width: int) -> str:
    return f"{prefix}-{year}-{value:0{width}d}"


def number_peek(key: str, prefix: str, year: int, width: int) -> str:
    """The number next_number would give now, read without locking or taking it: for work that
    must print the number before taking it (hazards.services.notices._issue renders a notice with it)."""
    last = NumberCounter.objects.filter(key=key, year=year).values_list("last", flat=True).first() or 0
    return _format_number(prefix, year, last + 1, width)


class _NumberMoved(Exception):
    pass


def next_number(key: str, prefix: str, year: int, width: int, *, expected: str | None = None) -> str | None:
    """The next gap-free number of a per-year series, e.g. ("hazard", "YH", 2026, 6) → YH-2026-000001.
    The counter row stays locked until the caller's transaction ends, so a rolled-back creation
    gives its number back and concurrent callers queue instead of colliding.

    With `expected` (a number from number_peek), the number is taken only if it is still the next
    one; otherwise None, and the counter is neither changed nor left locked (the savepoint that
    locked it is rolled back, which releases the row lock)."""
    try:
        with transaction.atomic():
            NumberCounter.objects.get_or_create(key=key, year=year)  # insert in a savepoint; re-reads on a race
            counter = NumberCounter.objects.select_for_update().get(key=key, year=year)
            number = _format_number(prefix, year, counter.last + 1, width)
            if expected is not None and number != expected:
                raise _NumberMoved()
            counter.last += 1
            counter.save(update_fields=["last"])
            return number
    except _NumberMoved:
        return None
