"""Which unit owns a row of each model: the one table the admin (org.admin_scope) reads to scope its
lists, its foreign-key choices and its writes. Each app registers its own models in its AppConfig's
ready(); a model that nobody registered is refused by the system check `org.E001`, so a new model
cannot reach the admin unscoped.

A scope is one of
- a unit path (`"unit"`, `"site__unit"`, `""` for OrgUnit itself): the row belongs to that unit
  and is seen and changed only by accounts whose unit subtree contains it;
- SHARED: company-wide reference data (standards, the risk dictionary) that every unit reads and
  only company-wide accounts (superusers, members of a root unit) change;
- RESTRICTED: superusers only (Django groups and permissions, schedules, login records, settings)."""

from django.apps import apps
from django.db import models

from . import selectors
from .selectors import user_membership, user_sees_everything

SHARED = "<shared>"
RESTRICTED = "<restricted>"

_SCOPES: dict[str, str] = {}


def register(label: str, scope: str) -> None:
    """`label` is "app_label.ModelName"; `scope` a unit path, SHARED or RESTRICTED."""
    _SCOPES[label.lower()] = scope


def register_app(app_label: str, scope: str) -> None:
    """Every model of an app not registered one by one (third-party apps: RESTRICTED)."""
    for model in apps.get_app_config(app_label).get_models():
        _SCOPES.setdefault(model._meta.label_lower, scope)


def is_registered(model: type[models.Model]) -> bool:
    return model._meta.concrete_model._meta.label_lower in _SCOPES


def scope_of(model: type[models.Model]) -> str:
    try:
        return _SCOPES[model._meta.concrete_model._meta.label_lower]
    except KeyError:
        raise LookupError(f"{model._meta.label} has no unit scope: register it in its app's ready() "
                          f"(org.scoping.register)") from None


def is_unit_path(scope: str) -> bool:
    return scope not in (SHARED, RESTRICTED)


def user_is_company_wide(user) -> bool:
    """Superusers, and members of a root unit (whose subtree is the whole company)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser or user_sees_everything(user):
        return True
    membership = user_membership(user)
    return membership is not None and membership.unit.parent_id is None


def unit_in_scope(user, unit) -> bool:
    """Whether `unit` (an OrgUnit or None) lies in the user's subtree; None only for company-wide users."""
    if unit is None:
        return user_sees_everything(user) or (user_membership(user) is not None
                                              and user_membership(user).unit.parent_id is None)
    return selectors.unit_in_scope(user, unit)  # the one unit-scope rule


def first_hop(scope: str) -> str:
    """The field of the model that carries its unit ("site" for "site__unit", "parent" for OrgUnit)."""
    return scope.split("__")[0] if scope else "parent"
