"""The inspection lifecycle as ONE table (core.lifecycle, the engine shared by every app): which
action moves an inspection from which status to which, and who may take it. Services call
`check` inside their transaction with the row locked; pages call `allowed_actions` to decide
which buttons to show (never a comparison of the status).

    draft ──submit──▶ submitted ──lock──▶ locked (final)
      ▲                  │
      └────reopen────────┘   (manager, with a reason)

Decisions where the issue was silent:
- Any inspector, manager or administrator whose scope holds the inspection may record results and
  submit it, not only the listed inspectors: groups swap members on the day, and the history
  (updated_by on results, the event rows) says who did what.
- Reopen and lock are a manager's (or an administrator's); a leader only reads.
- Locked is final: nothing reopens a locked inspection (its report has been filed).
- The system (core.lifecycle.SYSTEM: management commands, the demo, benchmarks) may take every
  action, in every unit; the responsible party of a hazard has nothing to do with inspections.

Refusals raise core.lifecycle.ActionRefused (its message is shown as it is).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import lifecycle as engine
from core.lifecycle import SYSTEM, ActionRefused, Actor, Transition, actor_of  # noqa: F401 - re-exported
from org.models import Role
from org.selectors import unit_in_scope, user_membership

from .models import Inspection, InspectionAction

S = Inspection.Status
Action = InspectionAction  # one enum: the actions here and the rows of the history

STAFF = frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN})
MANAGING = frozenset({Role.MANAGER, Role.ADMIN})
# Who may create an inspection (there is no source status).
CREATE_ROLES = STAFF


def user_role(user) -> str | None:
    membership = user_membership(user) if user is not None else None
    return membership.role if membership else None


def _state_refusal(inspection: Inspection, transition: Transition) -> str:
    action, status, number = transition.action, inspection.get_status_display(), inspection.number
    if action == Action.RECORD:
        return _("Inspection %(number)s is %(status)s: results can only be changed while it is a draft.") % {
            "number": number, "status": status}
    if action == Action.SUBMIT:
        return _("Inspection %(number)s is %(status)s: only a draft can be submitted.") % {
            "number": number, "status": status}
    if action == Action.REOPEN:
        if inspection.status == S.LOCKED:
            return _("Inspection %(number)s is locked: a locked inspection is final and cannot be reopened.") % {
                "number": number}
        return _("Inspection %(number)s is %(status)s: only a submitted inspection can be reopened.") % {
            "number": number, "status": status}
    return _("Inspection %(number)s is %(status)s: only a submitted inspection can be locked.") % {
        "number": number, "status": status}


def _role_refusal(transition: Transition) -> str:
    return {
        Action.RECORD: _("Your role may not record inspection results."),
        Action.SUBMIT: _("Your role may not submit inspections."),
        Action.REOPEN: _("Only a manager or an administrator may reopen an inspection."),
        Action.LOCK: _("Only a manager or an administrator may lock an inspection."),
    }[transition.action]


TABLE = engine.Table(
    transitions=[
        Transition.of(Action.RECORD, [S.DRAFT], None, STAFF, _("Record results"), system=True),
        Transition.of(Action.SUBMIT, [S.DRAFT], S.SUBMITTED, STAFF, _("Submit"), system=True),
        Transition.of(Action.LOCK, [S.SUBMITTED], S.LOCKED, MANAGING, _("Lock"), system=True),
        Transition.of(Action.REOPEN, [S.SUBMITTED], S.DRAFT, MANAGING, _("Reopen"), system=True),
    ],
    role_of=user_role,
    # Defence in depth: views already answer 404 for inspections outside the user's scope.
    in_scope=lambda inspection, user: unit_in_scope(user, inspection.unit),
    scope_refusal=_("This inspection is outside your unit."),
    state_refusal=_state_refusal,
    role_refusal=_role_refusal,
)
TRANSITIONS = TABLE.by_action


def role_allows(by, roles: frozenset[str]) -> bool:
    """Whether `by` (a user or an Actor) may do what `roles` may, outside the table (creating an
    inspection): the system always, a superuser always, else a user holding one of the roles."""
    actor = actor_of(by)
    return actor.is_system or TABLE.role_allows(actor, roles)


def check(inspection: Inspection, action: str, by) -> Transition:
    """The transition for `action` when `by` (a user or an Actor) may take it now; else
    ActionRefused saying why (scope, status, role)."""
    return engine.check(TABLE, inspection, action, by)


def allowed_actions(inspection: Inspection, by) -> set[str]:
    """The action values `by` may take on `inspection` now (the detail page's buttons)."""
    return engine.allowed_names(TABLE, inspection, by)
