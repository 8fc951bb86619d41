"""The standard lifecycle as ONE table (core.lifecycle, the engine shared by every app): which
action a standard (评价标准) allows in which status, and who may take it. Services
(scoring.services) call `check` inside their transaction with the row locked; the detail page and
the admin ask `allowed_actions` (never a comparison of the status).

    draft ──activate──▶ active ──retire──▶ retired
      │  (edit, delete)    │                  │
      │                    └──new version─────┴──▶ a new draft (the standard itself stays)
      └─ activating a version retires the active one of the same name (scoring.services)

Decisions where the issue was silent:
- Standards are company-wide (no unit scope): the managers and administrators of the company's
  top unit (and superusers) import, edit, activate, retire and version them, as the Django admin
  allows (org.scoping.user_is_company_wide); a branch's managers read them.
- The system (core.lifecycle.SYSTEM: the import command, the demo, benchmarks) may take every
  action; the responsible party of a hazard has nothing to do with standards.
- Only a draft changes (its items, its details) or is deleted; an active or retired version is
  kept as it is, since inspections point at it.

Refusals raise core.lifecycle.ActionRefused (its message is shown as it is).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core import lifecycle as engine
from core.lifecycle import SYSTEM, ActionRefused, Transition, actor_of  # noqa: F401 - re-exported
from org.models import Role
from org.scoping import user_is_company_wide
from org.selectors import user_membership

from .models import Standard

S = Standard.Status


class Action(models.TextChoices):
    """What may be done with a standard (it has no history rows; the values name the actions)."""

    EDIT = "edit", _("Edit items")
    ACTIVATE = "activate", _("Activate")
    RETIRE = "retire", _("Retire")
    NEW_VERSION = "new_version", _("New version")
    DELETE = "delete", _("Delete draft")


MANAGING = frozenset({Role.MANAGER, Role.ADMIN})


def user_role(user) -> str | None:
    """The user's role for standards: standards are company-wide reference data, so only a member
    of a root unit (whose subtree is the whole company) holds one here, as in the Django admin
    (org.scoping.user_is_company_wide; a superuser always may). A branch's manager reads them."""
    if user is None or not user_is_company_wide(user):
        return None
    membership = user_membership(user)
    return membership.role if membership else None


def _state_refusal(standard: Standard, transition: Transition) -> str:
    words = {"standard": standard, "status": standard.get_status_display()}
    if transition.action in (Action.EDIT, Action.DELETE):
        return _("“%(standard)s” is %(status)s: its items cannot be changed. Create a new version to edit it.") % words
    if transition.action == Action.ACTIVATE:
        return _("Only a draft can be activated; “%(standard)s” is %(status)s.") % words
    if transition.action == Action.RETIRE:
        return _("Only an active standard can be retired; “%(standard)s” is %(status)s.") % words
    return _("“%(standard)s” is still a draft: edit it directly.") % words


def _role_refusal(transition: Transition) -> str:
    return _("Standards are company-wide: only a manager or an administrator of the company (its top unit) "
             "may change them.")


TABLE = engine.Table(
    transitions=[
        Transition.of(Action.ACTIVATE, [S.DRAFT], S.ACTIVE, MANAGING, _("Activate"), system=True),
        Transition.of(Action.EDIT, [S.DRAFT], None, MANAGING, _("Edit items"), system=True),
        Transition.of(Action.NEW_VERSION, [S.ACTIVE, S.RETIRED], None, MANAGING, _("New version"), system=True),
        Transition.of(Action.RETIRE, [S.ACTIVE], S.RETIRED, MANAGING, _("Retire"), system=True),
        Transition.of(Action.DELETE, [S.DRAFT], None, MANAGING, _("Delete draft"), system=True),
    ],
    role_of=user_role,
    state_refusal=_state_refusal,
    role_refusal=_role_refusal,
)
TRANSITIONS = TABLE.by_action


def check(standard: Standard, action: str, by) -> Transition:
    """The transition for `action` when `by` (a user or an Actor) may take it now; else
    ActionRefused saying why (status, role)."""
    return engine.check(TABLE, standard, action, by)


def allowed_actions(standard: Standard, by) -> set[str]:
    """The action values `by` may take on `standard` now (the detail page's buttons)."""
    return engine.allowed_names(TABLE, standard, by)


def may_manage(by) -> bool:
    """Whether `by` may manage standards at all (import one, see the buttons): the system, a
    superuser, a manager or an administrator."""
    actor = actor_of(by)
    return actor.is_system or TABLE.role_allows(actor, MANAGING)
