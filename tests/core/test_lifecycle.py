"""The lifecycle engine (core.lifecycle) on a table of its own, without a database: the order of
`check`'s reasons, who acts (user, party, system; None refused), roles and superusers, scope,
guards, and `allowed_actions` following the table. The apps' tables are tested in their own
packages (tests/<app>/..._table_drives_...)."""

from dataclasses import dataclass, replace

import pytest

from core.lifecycle import (
    PARTY,
    SYSTEM,
    ActionRefused,
    Actor,
    ChangedMeanwhile,
    Table,
    Transition,
    actor_of,
    actor_user,
    allowed_actions,
    allowed_names,
    check,
)


@dataclass
class User:
    name: str
    role: str | None = None
    is_superuser: bool = False
    is_active: bool = True
    is_authenticated: bool = True
    unit: str = "A"

    def __hash__(self):
        return hash(self.name)


@dataclass
class Thing:
    status: str
    unit: str = "A"
    pk: int | None = 1
    fine: bool = True


def _guard(thing, transition, actor, **context):
    if transition.action == "close" and not thing.fine:
        raise ActionRefused("not fine: " + context.get("why", ""))


TABLE = Table(
    transitions=[
        Transition.of("create", [], "open", {"clerk"}, "Create"),
        Transition.of("answer", ["open"], "answered", {"clerk"}, "Answer", party=True),
        Transition.of("close", ["open", "answered"], "closed", {"boss"}, "Close"),
        Transition.of("expire", ["open"], "expired", set(), "Expire", system=True),
        Transition.of("note", ["open", "answered"], None, {"clerk", "boss"}, "Note", system=True),
    ],
    role_of=lambda user: user.role,
    in_scope=lambda thing, user: thing.unit == user.unit,
    scope_refusal="Not found.",
    state_refusal=lambda thing, t: f"{t.label} not while {thing.status}",
    role_refusal=lambda t: f"role may not {t.label}",
    guard=_guard,
)

CLERK, BOSS = User("clerk", "clerk"), User("boss", "boss")


def _refusal(obj, action, actor, **context) -> str:
    with pytest.raises(ActionRefused) as exc:
        check(TABLE, obj, action, actor, **context)
    return exc.value.message


def test_check_returns_the_transition_of_the_table():
    transition = check(TABLE, Thing("open"), "answer", CLERK)
    assert transition is TABLE["answer"] and transition.target == "answered"


def test_reasons_come_in_order_scope_state_role_guard():
    elsewhere = User("far", "clerk", unit="B")
    # Out of scope reads like "not found", before the (also wrong) state and role.
    assert _refusal(Thing("closed"), "close", elsewhere) == "Not found."
    # Wrong state before the wrong role.
    assert _refusal(Thing("closed"), "close", CLERK) == "Close not while closed"
    assert _refusal(Thing("open"), "close", CLERK) == "role may not Close"
    # The guard last, with the context `check` was given.
    assert _refusal(Thing("open", fine=False), "close", BOSS, why="rust") == "not fine: rust"
    assert _refusal(Thing("open"), "nonsense", BOSS) == "Unknown action."


def test_guards_false_leaves_out_only_the_guard():
    assert check(TABLE, Thing("open", fine=False), "close", BOSS, guards=False).action == "close"
    assert _refusal(Thing("closed", fine=False), "close", BOSS) == "Close not while closed"


def test_unsaved_objects_are_not_scoped():
    assert check(TABLE, Thing("open", unit="B", pk=None), "note", CLERK).action == "note"


def test_the_party_takes_only_party_actions_and_is_not_scoped():
    assert check(TABLE, Thing("open", unit="Z"), "answer", PARTY).action == "answer"
    assert _refusal(Thing("open"), "note", PARTY) == "Only staff may take this action."
    assert _refusal(Thing("answered"), "answer", PARTY) == "Answer not while answered"


def test_the_system_takes_only_system_actions_with_no_role_or_scope():
    assert check(TABLE, Thing("open", unit="Z"), "expire", SYSTEM).action == "expire"
    assert check(TABLE, Thing("answered", unit="Z"), "note", SYSTEM).action == "note"
    assert _refusal(Thing("open"), "close", SYSTEM) == "Only a signed-in user may take this action."


def test_a_superuser_may_take_any_role_but_not_an_action_without_roles():
    root = User("root", None, is_superuser=True)
    assert check(TABLE, Thing("open"), "close", root).action == "close"
    # Empty roles: the system's own; no user may, a superuser neither.
    assert _refusal(Thing("open"), "expire", root) == "role may not Expire"


def test_an_inactive_or_anonymous_user_is_asked_to_sign_in():
    assert _refusal(Thing("open"), "note", User("x", "clerk", is_active=False)) == "Please sign in first."
    assert _refusal(Thing("open"), "note", User("y", "clerk", is_authenticated=False)) == "Please sign in first."


def test_none_is_not_an_actor():
    with pytest.raises(TypeError):
        check(TABLE, Thing("open"), "note", None)
    with pytest.raises(TypeError):
        actor_of(None)
    with pytest.raises(TypeError):
        Actor.for_user(None)


def test_actors():
    actor = actor_of(CLERK)
    assert actor == Actor.for_user(CLERK) and actor.is_user and actor.user is CLERK
    assert actor_of(actor) is actor and actor_of(PARTY) is PARTY
    assert PARTY.is_party and not PARTY.is_user and SYSTEM.is_system and not SYSTEM.is_party
    assert actor_user(CLERK) is CLERK and actor_user(actor) is CLERK
    assert actor_user(PARTY) is None and actor_user(SYSTEM) is None
    assert Actor.for_user(CLERK) != Actor.for_user(BOSS)


def test_allowed_actions_are_the_checked_transitions_in_table_order():
    assert [t.action for t in allowed_actions(TABLE, Thing("open"), BOSS)] == ["close", "note"]
    assert [t.action for t in allowed_actions(TABLE, Thing("open"), CLERK)] == ["answer", "note"]
    assert [t.action for t in allowed_actions(TABLE, Thing("open"), SYSTEM)] == ["expire", "note"]
    assert [t.action for t in allowed_actions(TABLE, Thing("open"), PARTY)] == ["answer"]
    # A guard that refuses takes the button away; the creation (no sources) is never listed.
    assert [t.action for t in allowed_actions(TABLE, Thing("open", fine=False), BOSS)] == ["note"]
    assert allowed_names(TABLE, Thing("closed"), BOSS) == set()


def test_allowed_actions_follow_a_changed_table():
    # Closing from "closed" added to the table: the button appears, nothing else changes.
    changed = replace(TABLE, transitions=[
        replace(t, sources=t.sources | {"closed"}) if t.action == "close" else t for t in TABLE])
    assert allowed_names(changed, Thing("closed"), BOSS) == {"close"}
    assert allowed_names(TABLE, Thing("closed"), BOSS) == set()


def test_a_table_lists_each_action_once():
    with pytest.raises(ValueError):
        Table(transitions=[TABLE["note"], TABLE["note"]], role_of=lambda user: None)
    assert "note" in TABLE and "nonsense" not in TABLE


def test_refusals_carry_the_message_the_user_reads():
    refused = ActionRefused("Nope.")
    assert str(refused) == "Nope." and refused.message == "Nope." and refused.messages == ["Nope."]
    meanwhile = ChangedMeanwhile()
    assert isinstance(meanwhile, ActionRefused) and "changed by someone else meanwhile" in str(meanwhile)
    assert ChangedMeanwhile("Already decided.").message == "Already decided."


def test_default_words_name_the_action_and_status():
    plain = Table(transitions=TABLE.transitions, role_of=lambda user: user.role)
    with pytest.raises(ActionRefused, match="“Close” is not possible while the status is closed"):
        check(plain, Thing("closed"), "close", BOSS)
    with pytest.raises(ActionRefused, match=r"Your role may not take this action \(Close\)"):
        check(plain, Thing("open"), "close", CLERK)
