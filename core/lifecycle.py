"""The lifecycle engine: one way to say which action moves an object from which status to which,
who may take it, and why not. Every app with a lifecycle keeps its own table (hazards.lifecycle,
audits.lifecycle for inspections, planning.lifecycle for tasks, scoring.lifecycle for standards)
and asks this module; services call `check` inside their transaction with the row locked, pages
and the admin show the transitions of `allowed_actions` as buttons (never a status comparison).

Shapes
- `Transition(action, sources, target, roles, label, party=False, system=False)`: `action` a value
  of the app's action enum; `sources` the statuses it may start from (empty: it creates the
  object, e.g. registering a hazard, so it is never "allowed" on an existing one); `target` the
  status it leads to, or None when the status stays (the action is still recorded); `roles` the
  role values (strings, e.g. org.models.Role) of the signed-in users who may take it (a superuser
  always may, except where `roles` is empty: then no user may, e.g. the system's own); `party`
  whether the responsible party may take it itself; `system` whether the system may; `label` the
  translatable button label.
- `Table(transitions, role_of=..., ...)`: one app's table plus the few things only the app knows:
  `role_of(user) -> str | None` (core imports no app, so org's membership lookup is passed in),
  the words of its refusals, its scope rule and its guards (conditions beyond status and role).
- `Actor`: who acts. `Actor.for_user(u)` a signed-in user (`actor_of(u)` takes a user as it is);
  `PARTY` the responsible party itself, through the portal's signed link (hazards only);
  `SYSTEM` the system: beat tasks, management commands, the demo, hooks of other apps.
  `None` is refused (TypeError): each caller says who acts.

Errors
- `ActionRefused(message)`: the action may not be taken now; `.message` is in words the user
  reads (shown as it is by pages, the admin and the portal). Not a ValidationError: a form that
  wants it as one raises `ValidationError(str(exc))`.
- `ChangedMeanwhile(ActionRefused)`: the object changed since the form was loaded (a version
  mismatch or a lost race); the user reloads and tries again.

Order of `check` (the first failing reason is the one given): unknown action; the actor's kind
(party or system allowed for this transition?); a user signed in and active; the table's scope
(out of scope reads like "not found"); the status (`sources`); the user's role; the table's guard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _


class ActionRefused(Exception):
    """An action the actor may not take now; `.message` says why, in words the user reads."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message

    def __str__(self):
        return str(self.message)

    @property
    def messages(self) -> list[str]:
        """[message], like ValidationError.messages, for code that lists refusals."""
        return [str(self.message)]


class ChangedMeanwhile(ActionRefused):
    """The object changed since the form was loaded (version mismatch, or a lost race)."""

    def __init__(self, message=None):
        super().__init__(message or _("This was changed by someone else meanwhile. "
                                      "Reload the page to see the current state, then try again."))


# ---------------------------------------------------------------- who acts

@dataclass(frozen=True)
class Actor:
    """Who takes an action. `kind` is one of USER, PARTY, SYSTEM; `user` the signed-in user for
    USER (else None). Compare kinds with the properties; write `actor.user` into history rows
    (None for the party and the system, whose rows say so by their own fields)."""

    kind: str
    user: Any = None

    USER = "user"
    PARTY = "party"
    SYSTEM = "system"

    @classmethod
    def for_user(cls, user) -> Actor:
        if user is None:
            raise TypeError("Actor.for_user needs a user; say PARTY or SYSTEM when nobody is signed in")
        return cls(cls.USER, user)

    @property
    def is_user(self) -> bool:
        return self.kind == self.USER

    @property
    def is_party(self) -> bool:
        return self.kind == self.PARTY

    @property
    def is_system(self) -> bool:
        return self.kind == self.SYSTEM

    def __repr__(self):
        return f"Actor.for_user({self.user!r})" if self.is_user else self.kind.upper()


PARTY = Actor(Actor.PARTY)
SYSTEM = Actor(Actor.SYSTEM)


def actor_of(who) -> Actor:
    """`who` as an Actor: an Actor as it is, a user object as Actor.for_user(who). None raises
    TypeError (the caller must say PARTY or SYSTEM)."""
    if isinstance(who, Actor):
        return who
    if who is None:
        raise TypeError("who acts? pass a user, core.lifecycle.PARTY or core.lifecycle.SYSTEM, not None")
    return Actor.for_user(who)


def actor_user(who):
    """The signed-in user behind `who` (an Actor or a user), or None for the party and the system:
    what a `created_by`/`actor` foreign key of a history row stores."""
    actor = actor_of(who)
    return actor.user


# ---------------------------------------------------------------- tables

@dataclass(frozen=True)
class Transition:
    """One row of a lifecycle table (see the module docstring for the fields)."""

    action: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    label: str
    party: bool = False
    system: bool = False

    @classmethod
    def of(cls, action, sources: Iterable[str], target, roles: Iterable[str], label, *, party: bool = False,
           system: bool = False) -> Transition:
        """A transition from any iterables (stored as frozensets)."""
        return cls(action=action, sources=frozenset(sources), target=target, roles=frozenset(roles), label=label,
                   party=party, system=system)


def _default_state_refusal(obj, transition: Transition) -> str:
    display = getattr(obj, "get_status_display", None)
    status = display() if display else getattr(obj, "status", "")
    return _("“%(action)s” is not possible while the status is %(status)s.") % {
        "action": transition.label, "status": status}


def _default_role_refusal(transition: Transition) -> str:
    return _("Your role may not take this action (%(action)s).") % {"action": transition.label}


@dataclass
class Table:
    """One app's lifecycle table and what only the app knows about it.

    - `transitions`: the rows, in the order the buttons are shown.
    - `role_of(user) -> str | None`: the user's role value (e.g. org's membership role).
    - `status_of(obj) -> str`: the object's status (default: `obj.status`).
    - `in_scope(obj, user) -> bool` and `scope_refusal`: whose objects a user may act on; None when
      the callers check scope themselves. Objects not yet saved (`pk` None) are not scoped here.
    - `state_refusal(obj, transition) -> str`, `role_refusal(transition) -> str`: the app's words.
    - `guard(obj, transition, actor, **context)`: raises ActionRefused for the conditions beyond
      status and role (e.g. "the deadline has passed"); `context` is what `check` was given.
    """

    transitions: Iterable[Transition]
    role_of: Callable[[Any], str | None]
    status_of: Callable[[Any], str] = lambda obj: obj.status
    in_scope: Callable[[Any, Any], bool] | None = None
    scope_refusal: Any = _("Not found.")
    state_refusal: Callable[[Any, Transition], str] = _default_state_refusal
    role_refusal: Callable[[Transition], str] = _default_role_refusal
    guard: Callable[..., None] | None = None
    by_action: dict[str, Transition] = field(init=False, repr=False)

    def __post_init__(self):
        self.transitions = tuple(self.transitions)
        self.by_action = {t.action: t for t in self.transitions}
        if len(self.by_action) != len(self.transitions):
            raise ValueError("a lifecycle table lists each action once")

    def __getitem__(self, action: str) -> Transition:
        return self.by_action[action]

    def __contains__(self, action) -> bool:
        return action in self.by_action

    def __iter__(self) -> Iterator[Transition]:
        return iter(self.transitions)

    def role_allows(self, actor, roles: Iterable[str]) -> bool:
        """Whether `actor` (Actor or user) holds one of `roles`: a superuser always, the party and
        the system never (a transition says `party`/`system` for them). For rules outside the
        transitions, e.g. who may create an object."""
        actor = actor_of(actor)
        if not actor.is_user:
            return False
        user = actor.user
        return bool(user.is_superuser or self.role_of(user) in roles)


def check(table: Table, obj, action: str, actor, *, guards: bool = True, **context) -> Transition:
    """The transition of `action` when `actor` may take it on `obj` now; else ActionRefused with
    the first reason (order in the module docstring). `actor` is an Actor or a user (None raises
    TypeError). `guards=False` leaves out the table's guard (state, role and scope only);
    `context` (e.g. `today=`) is passed to the guard."""
    try:
        transition = table[action]
    except KeyError:
        raise ActionRefused(_("Unknown action.")) from None
    actor = actor_of(actor)
    if actor.is_party and not transition.party:
        raise ActionRefused(_("Only staff may take this action."))
    if actor.is_system and not transition.system:
        raise ActionRefused(_("Only a signed-in user may take this action."))
    if actor.is_user:
        user = actor.user
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            raise ActionRefused(_("Please sign in first."))
        if table.in_scope is not None and getattr(obj, "pk", None) is not None and not table.in_scope(obj, user):
            raise ActionRefused(table.scope_refusal)
    if table.status_of(obj) not in transition.sources:
        raise ActionRefused(table.state_refusal(obj, transition))
    if actor.is_user and not (transition.roles and table.role_allows(actor, transition.roles)):
        raise ActionRefused(table.role_refusal(transition))
    if guards and table.guard is not None:
        table.guard(obj, transition, actor, **context)
    return transition


def allowed_actions(table: Table, obj, actor, **context) -> list[Transition]:
    """The transitions `actor` may take on `obj` now, in table order (the page's buttons).
    Transitions without sources (creation) are never listed. `context` as for `check`."""
    allowed = []
    for transition in table:
        try:
            check(table, obj, transition.action, actor, **context)
        except ActionRefused:
            continue
        allowed.append(transition)
    return allowed


def allowed_names(table: Table, obj, actor, **context) -> set[str]:
    """The action values of `allowed_actions`, for templates that show a form per action
    (`{% if "submit" in actions %}`)."""
    return {str(t.action) for t in allowed_actions(table, obj, actor, **context)}
