"""The task lifecycle as ONE table: which action moves a task from which status to which, and which
roles may take it. Services call `check` inside their transaction with the row locked; pages call
`allowed_actions` for their buttons.

    planned ──assign──▶ assigned ──start──▶ in progress ──complete──▶ done
       │  └──────────start───────────────────▲    ▲                    │
       ├──miss (window passed, system)──▶ missed   └──reopen (system)───┘
       └──cancel (manager)──▶ cancelled          (also from assigned)

Decisions where the issue was silent:
- Only planned and assigned tasks are missed when their window passes: a task in progress has an
  inspection being recorded, which completes it when submitted, late or not.
- Completing is the system's (the inspection's submission, audits → settings.INSPECTION_HOOKS);
  a task whose site gets a submitted inspection of the same kind is done even if nobody pressed
  "start" (the inspection is linked to it).
- Reopening an inspection puts its task back in progress; the schedule keeps its next due date
  until the inspection is submitted again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.models import Role
from org.selectors import user_membership

from .models import Task

S = Task.Status


class Action(models.TextChoices):
    ASSIGN = "assign", _("Assign")
    START = "start", _("Start")
    COMPLETE = "complete", _("Complete")
    MISS = "miss", _("Mark missed")
    CANCEL = "cancel", _("Cancel")
    REOPEN = "reopen", _("Reopen")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str] | None  # None: the system only (commands, hooks)


STAFF = frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN})
MANAGING = frozenset({Role.MANAGER, Role.ADMIN})

TRANSITIONS: dict[str, Transition] = {
    Action.ASSIGN: Transition(Action.ASSIGN, frozenset({S.PLANNED, S.ASSIGNED}), S.ASSIGNED, MANAGING),
    Action.START: Transition(Action.START, frozenset({S.PLANNED, S.ASSIGNED}), S.IN_PROGRESS, STAFF),
    Action.COMPLETE: Transition(Action.COMPLETE, frozenset({S.PLANNED, S.ASSIGNED, S.IN_PROGRESS}), S.DONE, None),
    Action.MISS: Transition(Action.MISS, frozenset({S.PLANNED, S.ASSIGNED}), S.MISSED, None),
    Action.CANCEL: Transition(Action.CANCEL, frozenset({S.PLANNED, S.ASSIGNED}), S.CANCELLED, MANAGING),
    Action.REOPEN: Transition(Action.REOPEN, frozenset({S.DONE}), S.IN_PROGRESS, None),
}

# Who may create tasks by hand and draw spot checks.
CREATE_ROLES = MANAGING


class TransitionRefused(ValidationError):
    """An action not allowed in this status or for this user; the message says why."""


def user_role(user) -> str | None:
    membership = user_membership(user) if user is not None else None
    return membership.role if membership else None


def role_allows(user, roles: frozenset[str] | None) -> bool:
    if user is None:  # the system itself
        return True
    if roles is None:
        return False
    if user.is_superuser:
        return True
    return user_role(user) in roles


def check(task: Task, action: str, user) -> Transition:
    transition = TRANSITIONS[action]
    if task.status not in transition.sources:
        raise TransitionRefused(
            _("Task %(task)s is %(status)s: it cannot be %(action)s now.")
            % {"task": task.pk, "status": task.get_status_display(), "action": _ACTION_PAST[action]})
    if not role_allows(user, transition.roles):
        raise TransitionRefused(_("Your role may not do this with a task (%(action)s).")
                                % {"action": Action(action).label})
    return transition


def allowed_actions(task: Task, user) -> set[str]:
    return {a for a, t in TRANSITIONS.items() if task.status in t.sources and t.roles is not None
            and role_allows(user, t.roles)}


_ACTION_PAST = {
    Action.ASSIGN: _("assigned"),
    Action.START: _("started"),
    Action.COMPLETE: _("completed"),
    Action.MISS: _("marked missed"),
    Action.CANCEL: _("cancelled"),
    Action.REOPEN: _("reopened"),
}
