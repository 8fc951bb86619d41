"""Every write to the org model goes through these functions."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import PATH_STEP, Membership, NumberCounter, OrgUnit, Role, Site
from .roles import ROLE_PERMISSIONS

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


@transaction.atomic
def orgunit_create(*, code: str, name: str, kind: str, parent: OrgUnit | None = None) -> OrgUnit:
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
def orgunit_update(*, unit: OrgUnit, name: str, kind: str, parent: OrgUnit | None, active: bool) -> OrgUnit:
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
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
def site_create(**fields) -> Site:
    site = Site(**fields)
    site.full_clean()
    site.save()
    return site


def sync_role_groups() -> None:
    """Create or update one auth Group per role with its permissions (idempotent)."""
    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name = {}
    for perm in Permission.objects.select_related("content_type"):
        key = f"{perm.content_type.app_label}.{perm.codename}"
        if key in wanted:
            by_name[key] = perm
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=f"role:{role}")
        group.permissions.set([by_name[p] for p in perms if p in by_name])


@transaction.atomic
def membership_set(*, user, unit: OrgUnit, role: str, phone: str = "") -> Membership:
    """Put a user in a unit with a role; keeps the role group and staff flag in step."""
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
                email: str = "", phone: str = ""):
    user = User(username=username, first_name=full_name, email=email)
    user.set_password(password)
    user.full_clean()
    user.save()
    membership_set(user=user, unit=unit, role=role, phone=phone)
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
    must print the number before taking it (hazards.services._issue renders a notice with it)."""
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
