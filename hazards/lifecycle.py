"""The hazard lifecycle as ONE table of transitions, on the engine every app shares
(core.lifecycle). Services (hazards.services) and views both read it: services call `check` inside
their transaction with the row locked; the detail page shows `allowed_actions` as buttons.
Overdue is derived from deadline + status, never stored.

Who acts is a core.lifecycle.Actor (a user is taken as Actor.for_user): a signed-in user in scope
with the transition's role; or `PARTY`, the responsible party itself through the portal's signed
link, allowed the PARTY_ACTIONS only. No hazard action is the system's. None is refused.
Refusals raise core.lifecycle.ActionRefused (re-exported here); a stale form ChangedMeanwhile.

Decisions where the issue was silent (see also the README section of the hazards app):
- Party actions (acknowledge, request extension, submit reply) are recorded by staff on the
  party's behalf (roles inspector/manager/admin), or taken by the party itself (PARTY).
- Overdue, open and "ready to notify" are hazards.rules' (written once there).
- EDIT: every detail while registered; once notified, the fields printed as commitments on the
  issued notice (deadline, severity, required measures) are fixed: the deadline moves only by an
  approved extension or a supervision notice.
- A leader reads and receives escalations; no lifecycle action is a leader's.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from core import lifecycle as engine
from core.dates import today_local
from core.lifecycle import PARTY, ActionRefused, Actor, Transition, actor_of  # noqa: F401 - re-exported
from org.models import Role
from org.selectors import unit_in_scope, user_membership

from . import rules
from .models import Hazard
from .rules import DEADLINE_STATES, FINAL_STATES, OPEN_STATES, is_overdue

S = Hazard.Status


class Action(models.TextChoices):
    REGISTER = "register", _("Register")
    EDIT = "edit", _("Edit")
    NOTIFY = "notify", _("Notify")
    ACKNOWLEDGE = "acknowledge", _("Acknowledge receipt")
    SERVICE_VISIT = "service", _("Rectification service")
    REQUEST_EXTENSION = "request_extension", _("Request extension")
    APPROVE_EXTENSION = "approve_extension", _("Approve extension")
    DENY_EXTENSION = "deny_extension", _("Deny extension")
    SUPERVISE = "supervise", _("Supervise")
    REPORT = "report", _("Report to authority")
    SUBMIT_REPLY = "submit_reply", _("Submit reply")
    ACCEPT = "accept", _("Accept")
    REJECT = "reject", _("Reject")
    CLOSE = "close", pgettext_lazy("hazard action", "Close")
    VOID = "void", _("Void")
    ADD_PHOTO = "add_photo", _("Add photo")


# Actions recorded from paper or the site, entered after the fact: each takes the day it happened
# (its effective date, typed; default today), shown beside the time it was entered. The other
# actions are the signed-in user's own act in the system, effective when entered (see
# hazards.services._common._effective).
RECORDED_FROM_PAPER = frozenset({
    Action.ACKNOWLEDGE, Action.SERVICE_VISIT, Action.REQUEST_EXTENSION, Action.REPORT, Action.SUBMIT_REPLY,
    Action.ACCEPT, Action.REJECT,
})


STAFF = frozenset({Role.INSPECTOR, Role.MANAGER, Role.ADMIN})
MANAGING = frozenset({Role.MANAGER, Role.ADMIN})
# DEADLINE_STATES, OPEN_STATES, FINAL_STATES and is_overdue are hazards.rules' (imported above,
# kept here by name for the callers that import them from the lifecycle).
# Fields fixed once the hazard notice is issued (printed on it as the party's commitments).
FIXED_AFTER_NOTIFY = frozenset({"deadline", "severity", "required_measures"})


def fixed_fields(hazard) -> frozenset[str]:
    """The detail fields EDIT may not change on this hazard now: none while registered, the
    notice's commitments (FIXED_AFTER_NOTIFY) once it is notified. Whether EDIT is allowed at all
    is the table's (`check`/`allowed_actions`)."""
    return frozenset() if hazard.status == Hazard.Status.REGISTERED else FIXED_AFTER_NOTIFY


# Actions the responsible party takes itself (PARTY, the portal); staff record them on its behalf too.
PARTY_ACTIONS = frozenset({Action.ACKNOWLEDGE, Action.REQUEST_EXTENSION, Action.SUBMIT_REPLY})


def _t(action, sources, target, roles, label) -> Transition:
    return Transition.of(action, sources, target, roles, label, party=action in PARTY_ACTIONS)


def _in_scope(hazard, user) -> bool:
    # hazard.unit is select_related by the selectors.
    return unit_in_scope(user, hazard.unit)


def _role(user) -> str | None:
    membership = user_membership(user)
    return membership.role if membership else None


def _state_refusal(hazard, transition: Transition) -> str:
    status = hazard.get_status_display()
    if hazard.status in FINAL_STATES:
        return _("This hazard is %(status)s: its file is final and no further action is possible.") % {
            "status": status}
    allowed = ", ".join(str(S(s).label) for s in S.values if s in transition.sources)
    return _("“%(action)s” is not possible while the hazard is %(status)s (only when: %(allowed)s).") % {
        "action": transition.label, "status": status, "allowed": allowed or "—"}


def _role_refusal(transition: Transition) -> ActionRefused:
    # The separator is translatable: Chinese lists use "、".
    role_names = pgettext("list separator", ", ").join(str(Role(r).label) for r in sorted(transition.roles))
    return ActionRefused(_("Your role may not %(action)s; this is for: %(roles)s.")
                         % {"action": str(transition.label).lower(), "roles": role_names})


def _guard(hazard, transition: Transition, actor: Actor, *, today: datetime.date | None = None) -> None:
    _check_guards(hazard, transition.action, today or local_today())


TABLE = engine.Table(
    transitions=[
        # Registration creates the hazard: no source state.
        _t(Action.REGISTER, [], S.REGISTERED, STAFF, _("Register hazard")),
        _t(Action.EDIT, [S.REGISTERED, S.NOTIFIED], None, STAFF, _("Edit")),
        _t(Action.NOTIFY, [S.REGISTERED], S.NOTIFIED, STAFF, _("Issue hazard notice")),
        _t(Action.ACKNOWLEDGE, [S.NOTIFIED], S.RECTIFYING, STAFF, _("Record acknowledgement")),
        _t(Action.SERVICE_VISIT, DEADLINE_STATES, None, STAFF, _("Record rectification service")),
        _t(Action.REQUEST_EXTENSION, DEADLINE_STATES, None, STAFF, _("Record extension request")),
        _t(Action.APPROVE_EXTENSION, DEADLINE_STATES, None, MANAGING, _("Approve extension")),
        _t(Action.DENY_EXTENSION, DEADLINE_STATES, None, MANAGING, _("Deny extension")),
        _t(Action.SUPERVISE, DEADLINE_STATES, None, MANAGING, _("Issue supervision notice")),
        _t(Action.REPORT, [S.NOTIFIED, S.RECTIFYING, S.PENDING_ACCEPTANCE], None, MANAGING,
           _("Report to authority")),
        _t(Action.SUBMIT_REPLY, DEADLINE_STATES, S.PENDING_ACCEPTANCE, STAFF, _("Record work-order reply")),
        _t(Action.ACCEPT, [S.PENDING_ACCEPTANCE], S.ACCEPTED, STAFF, _("Accept")),
        _t(Action.REJECT, [S.PENDING_ACCEPTANCE], S.RECTIFYING, STAFF, _("Reject")),
        _t(Action.CLOSE, [S.ACCEPTED], S.CLOSED, MANAGING, _("Close (销号)")),
        _t(Action.VOID, OPEN_STATES, S.VOIDED, MANAGING, _("Void")),
        _t(Action.ADD_PHOTO, OPEN_STATES, None, STAFF, _("Add photo")),
    ],
    role_of=_role,
    in_scope=_in_scope,
    scope_refusal=_("Hazard not found."),
    state_refusal=_state_refusal,
    role_refusal=lambda transition: _role_refusal(transition).message,
    guard=_guard,
)
TRANSITIONS: dict[str, Transition] = TABLE.by_action


class ChangedMeanwhile(engine.ChangedMeanwhile):
    """The hazard changed since the form was loaded (version mismatch, or a lost race): the
    engine's ChangedMeanwhile (caught as such) with the hazard's words by default."""

    def __init__(self, message=None):
        super().__init__(message or _("This hazard was changed by someone else meanwhile. "
                                      "Reload the page to see the current state, then try again."))


def local_today() -> datetime.date:
    """Alias of core.dates.today_local (kept for callers of the old name)."""
    return today_local()


def notify_missing(hazard, today: datetime.date | None = None) -> list[str]:
    """Every piece a hazard lacks before it may be notified (hazards.rules.notify_missing)."""
    return rules.notify_missing(hazard)


def check(hazard, action: str, user, *, today: datetime.date | None = None) -> Transition:
    """The transition of `action` when `user` (a user, or an Actor: PARTY for the responsible
    party) may take it now; else ActionRefused with the specific reason. Order (core.lifecycle):
    who acts, sign-in, scope (out of scope looks like not found), state, role, then the action's
    guards. None raises TypeError."""
    return engine.check(TABLE, hazard, action, user, today=today or local_today())


def _check_guards(hazard, action: str, today: datetime.date) -> None:
    if action == Action.NOTIFY:
        missing = notify_missing(hazard, today)
        if missing:
            raise ActionRefused(_("The hazard cannot be notified yet; missing: %(missing)s.")
                                % {"missing": "; ".join(missing)})
        if rules.deadline_passed(hazard.deadline, today):
            raise ActionRefused(_("The rectification deadline %(deadline)s is already past; set a later deadline "
                                  "before notifying.") % {"deadline": hazard.deadline.isoformat()})
    elif action == Action.SUPERVISE:
        if not is_overdue(hazard, today):
            raise ActionRefused(_("A supervision notice is issued only once the deadline has passed "
                                  "(deadline %(deadline)s).")
                                % {"deadline": hazard.deadline.isoformat() if hazard.deadline else "—"})
    elif action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION):
        if not _has_pending_extension(hazard):
            raise ActionRefused(_("There is no pending extension request to decide."))
    elif action == Action.REQUEST_EXTENSION:
        if _has_pending_extension(hazard):
            raise ActionRefused(_("An extension request is already pending; it must be decided first."))
        if hazard.deadline is None:
            raise ActionRefused(_("The hazard has no deadline to extend."))


def guard_refusal(hazard, action: str, today: datetime.date | None = None) -> str | None:
    """Why `action` is refused now by its own conditions (the refusal's very words), or None."""
    try:
        _check_guards(hazard, action, today or local_today())
    except ActionRefused as exc:
        return exc.message
    return None


# Refused only because there is nothing to decide: not worth explaining next to the buttons.
_QUIET_GUARDS = {Action.APPROVE_EXTENSION, Action.DENY_EXTENSION}


def unavailable_actions(hazard, user, *, today: datetime.date | None = None) -> list[tuple[Transition, str]]:
    """The actions the hazard's state and the user's role allow but whose conditions refuse them
    now, each with the words the refusal would use: a page that leaves out a button says why
    (issue 11, fault 4). Scope is the caller's (the page's hazard is already in scope)."""
    today = today or local_today()
    out = []
    for action, transition in TRANSITIONS.items():
        if action == Action.REGISTER or action in _QUIET_GUARDS or hazard.status not in transition.sources:
            continue
        if not _role_allows(user, transition):
            continue
        reason = guard_refusal(hazard, action, today)
        if reason:
            out.append((transition, reason))
    return out


def _has_pending_extension(hazard) -> bool:
    # Uses the prefetch of hazard_get when present (no extra query on the detail page).
    cache = getattr(hazard, "_prefetched_objects_cache", {})
    if "extensions" in cache:
        return any(e.status == "pending" for e in cache["extensions"])
    return hazard.extensions.filter(status="pending").exists()


def allowed_actions(hazard, user, *, today: datetime.date | None = None) -> list[Transition]:
    """The transitions `user` (a user or an Actor) may take on `hazard` now, in table order (the
    detail page's buttons; registering, which has no source state, is never among them)."""
    return engine.allowed_actions(TABLE, hazard, user, today=today or local_today())


def _role_allows(user, transition: Transition) -> bool:
    """The transition's role rule alone: a user holding one of its roles (a superuser always),
    the party for a party action."""
    actor = actor_of(user)
    return transition.party if actor.is_party else TABLE.role_allows(actor, transition.roles)


def role_may(user, action: str) -> bool:
    """Whether the user's role may take `action` at all, whatever the hazard (the buttons shown
    outside a hazard page, e.g. "send the notice again")."""
    return _role_allows(user, TRANSITIONS[action])


def check_register(site, user) -> None:
    """Registration has no hazard yet: the user's role and the site's unit scope decide."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise ActionRefused(_("Please sign in first."))
    if not unit_in_scope(user, site.unit):
        raise ActionRefused(_("Site not found."))
    transition = TRANSITIONS[Action.REGISTER]
    if not _role_allows(user, transition):
        raise _role_refusal(transition)


def role_refusal(action: str) -> str:
    """The words refusing `action` to a role that may never take it (shown instead of its form)."""
    return _role_refusal(TRANSITIONS[action]).message


def register_refusal(user) -> str | None:
    """Why this user may not register hazards at all (their role), before any form is filled in;
    None when they may (the site's scope is checked when they choose one)."""
    transition = TRANSITIONS[Action.REGISTER]
    if not _role_allows(user, transition):
        return _role_refusal(transition).message
    return None

