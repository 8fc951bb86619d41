"""The task lifecycle as ONE table (core.lifecycle, the engine shared by every app): which action
moves a task from which status to which, and who may take it. Services call `check` inside their
transaction with the row locked; pages call `allowed_actions` for their buttons.

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
- The system (core.lifecycle.SYSTEM: beat, commands, the inspection hook) may take every action;
  complete, miss and reopen are the system's only. No user's scope is checked here: the services
  check it (planning.services._check_scope) before the table.

Refusals raise core.lifecycle.ActionRefused (its message is shown as it is).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import lifecycle as engine
from core.lifecycle import SYSTEM, ActionRefused, Transition, actor_of  # noqa: F401 - re-exported
from org.models import Role
from org.selectors import user_membership

from .models import Task, TaskAction

S = Task.Status
Action = TaskAction  # one enum: the actions here and the rows of the history

STAFF = frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN})
MANAGING = frozenset({Role.MANAGER, Role.ADMIN})
NOBODY = frozenset()  # the system's actions: no user's role may take them

# Who may create tasks by hand and draw spot checks.
CREATE_ROLES = MANAGING


def user_role(user) -> str | None:
    membership = user_membership(user) if user is not None else None
    return membership.role if membership else None


_ACTION_PAST = {
    Action.ASSIGN: _("assigned"),
    Action.START: _("started"),
    Action.COMPLETE: _("completed"),
    Action.MISS: _("marked missed"),
    Action.CANCEL: _("cancelled"),
    Action.REOPEN: _("reopened"),
}


def _state_refusal(task: Task, transition: Transition) -> str:
    return _("Task %(task)s is %(status)s: it cannot be %(action)s now.") % {
        "task": task.pk, "status": task.get_status_display(), "action": _ACTION_PAST[transition.action]}


def _role_refusal(transition: Transition) -> str:
    return _("Your role may not do this with a task (%(action)s).") % {"action": transition.label}


OPEN_NOT_STARTED = [S.PLANNED, S.ASSIGNED]

TABLE = engine.Table(
    transitions=[
        Transition.of(Action.ASSIGN, OPEN_NOT_STARTED, S.ASSIGNED, MANAGING, _("Assign"), system=True),
        Transition.of(Action.START, OPEN_NOT_STARTED, S.IN_PROGRESS, STAFF, _("Start"), system=True),
        Transition.of(Action.COMPLETE, [*OPEN_NOT_STARTED, S.IN_PROGRESS], S.DONE, NOBODY, _("Complete"),
                      system=True),
        Transition.of(Action.MISS, OPEN_NOT_STARTED, S.MISSED, NOBODY, _("Mark missed"), system=True),
        Transition.of(Action.CANCEL, OPEN_NOT_STARTED, S.CANCELLED, MANAGING, _("Cancel"), system=True),
        Transition.of(Action.REOPEN, [S.DONE], S.IN_PROGRESS, NOBODY, _("Reopen"), system=True),
    ],
    role_of=user_role,
    state_refusal=_state_refusal,
    role_refusal=_role_refusal,
)
TRANSITIONS = TABLE.by_action


def role_allows(by, roles: frozenset[str]) -> bool:
    """Whether `by` (a user or an Actor) may do what `roles` may, outside the table (creating
    tasks, drawing spot checks): the system always, a superuser always, else a user holding one."""
    actor = actor_of(by)
    return actor.is_system or TABLE.role_allows(actor, roles)


def check(task: Task, action: str, by) -> Transition:
    """The transition for `action` when `by` (a user or an Actor) may take it now; else
    ActionRefused saying why (status, role)."""
    return engine.check(TABLE, task, action, by)


def allowed_actions(task: Task, by) -> set[str]:
    """The action values `by` may take on `task` now (the page's buttons)."""
    return engine.allowed_names(TABLE, task, by)
