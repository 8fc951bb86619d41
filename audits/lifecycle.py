"""The inspection lifecycle as ONE table: which action moves an inspection from which status to
which, and which roles may take it. Services call `check` inside their transaction with the row
locked; pages call `allowed_actions` to decide which buttons to show.

    draft ──submit──▶ submitted ──lock──▶ locked (final)
      ▲                  │
      └────reopen────────┘   (manager, with a reason)

Decisions where the issue was silent:
- Any inspector, manager or administrator whose scope holds the inspection may record results and
  submit it, not only the listed inspectors: groups swap members on the day, and the history
  (updated_by on results, the event rows) says who did what.
- Reopen and lock are a manager's (or an administrator's); a leader only reads.
- Locked is final: nothing reopens a locked inspection (its report has been filed).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import Role
from org.selectors import user_membership

from .models import Inspection

S = Inspection.Status


class Action(models.TextChoices):
    RECORD = "record", _("Record results")
    SUBMIT = "submit", _("Submit")
    REOPEN = "reopen", _("Reopen")
    LOCK = "lock", _("Lock")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: the status stays (recording results)
    roles: frozenset[str]  # org.models.Role values; a superuser always may


STAFF = frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN})
MANAGING = frozenset({Role.MANAGER, Role.ADMIN})

TRANSITIONS: dict[str, Transition] = {
    Action.RECORD: Transition(Action.RECORD, frozenset({S.DRAFT}), None, STAFF),
    Action.SUBMIT: Transition(Action.SUBMIT, frozenset({S.DRAFT}), S.SUBMITTED, STAFF),
    Action.REOPEN: Transition(Action.REOPEN, frozenset({S.SUBMITTED}), S.DRAFT, MANAGING),
    Action.LOCK: Transition(Action.LOCK, frozenset({S.SUBMITTED}), S.LOCKED, MANAGING),
}

# Who may create an inspection (there is no source status).
CREATE_ROLES = STAFF


class TransitionRefused(ValidationError):
    """An action not allowed in this status or for this user; the message says why. A
    ValidationError, so that views show it like any other refusal."""


def user_role(user) -> str | None:
    membership = user_membership(user) if user is not None else None
    return membership.role if membership else None


def role_allows(user, roles: frozenset[str]) -> bool:
    if user is None:  # the system itself (management commands, demo data)
        return True
    if user.is_superuser:
        return True
    return user_role(user) in roles


def check(inspection: Inspection, action: str, user) -> Transition:
    """The transition for `action`, or TransitionRefused explaining why it is not allowed."""
    transition = TRANSITIONS[action]
    if inspection.status not in transition.sources:
        raise TransitionRefused(_refusal_for_status(inspection, action))
    if not role_allows(user, transition.roles):
        raise TransitionRefused(_refusal_for_role(action))
    return transition


def allowed_actions(inspection: Inspection, user) -> set[str]:
    return {action for action, t in TRANSITIONS.items()
            if inspection.status in t.sources and role_allows(user, t.roles)}


def _refusal_for_status(inspection: Inspection, action: str):
    status = inspection.get_status_display()
    if action == Action.RECORD:
        return _("Inspection %(number)s is %(status)s: results can only be changed while it is a draft.") % {
            "number": inspection.number, "status": status}
    if action == Action.SUBMIT:
        return _("Inspection %(number)s is %(status)s: only a draft can be submitted.") % {
            "number": inspection.number, "status": status}
    if action == Action.REOPEN:
        if inspection.status == S.LOCKED:
            return _("Inspection %(number)s is locked: a locked inspection is final and cannot be reopened.") % {
                "number": inspection.number}
        return _("Inspection %(number)s is %(status)s: only a submitted inspection can be reopened.") % {
            "number": inspection.number, "status": status}
    return _("Inspection %(number)s is %(status)s: only a submitted inspection can be locked.") % {
        "number": inspection.number, "status": status}


def _refusal_for_role(action: str):
    return {
        Action.RECORD: _("Your role may not record inspection results."),
        Action.SUBMIT: _("Your role may not submit inspections."),
        Action.REOPEN: _("Only a manager or an administrator may reopen an inspection."),
        Action.LOCK: _("Only a manager or an administrator may lock an inspection."),
    }[action]
