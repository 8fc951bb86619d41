"""The transition table, move by move: every action × every state × every role, performed through
the services. The expected table below is written out by hand from the issue, independently of
hazards.lifecycle.TRANSITIONS, so a wrong entry there fails here."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from hazards import services
from hazards.lifecycle import (
    PARTY,
    TRANSITIONS,
    Action,
    ActionRefused,
    allowed_actions,
    check,
    check_register,
    is_overdue,
)
from hazards.models import (
    Acceptance,
    AuthorityReport,
    ExtensionRequest,
    Hazard,
    HazardEvent,
    HazardPhoto,
    Notice,
    ServiceVisit,
    WhitelistEntry,
    WorkOrderReply,
)
from org.models import NumberCounter, Role
from tests.factories import make_user

from .factories import make_hazard, perform, register, today

pytestmark = pytest.mark.usefixtures("fast_pdf")

S = Hazard.Status
STAFF = {"inspector", "manager", "admin"}
MANAGING = {"manager", "admin"}
DEADLINE = {S.NOTIFIED, S.RECTIFYING}
NOT_FINAL = {S.REGISTERED, S.NOTIFIED, S.RECTIFYING, S.PENDING_ACCEPTANCE, S.ACCEPTED}

# action: (states it may start from, roles that may take it, resulting status or None = unchanged)
EXPECTED = {
    Action.EDIT: ({S.REGISTERED, S.NOTIFIED}, STAFF, None),
    Action.NOTIFY: ({S.REGISTERED}, STAFF, S.NOTIFIED),
    Action.ACKNOWLEDGE: ({S.NOTIFIED}, STAFF, S.RECTIFYING),
    Action.SERVICE_VISIT: (DEADLINE, STAFF, None),
    Action.REQUEST_EXTENSION: (DEADLINE, STAFF, None),
    Action.APPROVE_EXTENSION: (DEADLINE, MANAGING, None),
    Action.DENY_EXTENSION: (DEADLINE, MANAGING, None),
    Action.SUPERVISE: (DEADLINE, MANAGING, None),
    Action.REPORT: (DEADLINE | {S.PENDING_ACCEPTANCE}, MANAGING, None),
    Action.SUBMIT_REPLY: (DEADLINE, STAFF, S.PENDING_ACCEPTANCE),
    Action.ACCEPT: ({S.PENDING_ACCEPTANCE}, STAFF, S.ACCEPTED),
    Action.REJECT: ({S.PENDING_ACCEPTANCE}, STAFF, S.RECTIFYING),
    Action.CLOSE: ({S.ACCEPTED}, MANAGING, S.CLOSED),
    Action.VOID: (NOT_FINAL, MANAGING, S.VOIDED),
    Action.ADD_PHOTO: (NOT_FINAL, STAFF, None),
}
ROLES = ["inspector", "manager", "leader", "admin", "superuser", "outsider"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_the_table_covers_every_action():
    assert set(TRANSITIONS) == set(Action.values)
    assert set(EXPECTED) | {Action.REGISTER} == set(Action.values)
    for action, (sources, _roles, target) in EXPECTED.items():
        assert TRANSITIONS[action].sources == sources, action
        assert TRANSITIONS[action].target == target, action


def _user(role, branch_a, branch_b):
    from django.contrib.auth import get_user_model

    if role == "superuser":
        return get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    if role == "outsider":  # a manager of the other branch: may do everything, but not here
        return make_user(branch_b, Role.MANAGER, username="outsider")
    return make_user(branch_a, role, username=f"acting_{role}")


def _snapshot(hazard):
    hazard = Hazard.objects.get(pk=hazard.pk)
    return {
        "row": {f.attname: getattr(hazard, f.attname) for f in Hazard._meta.concrete_fields},
        "counts": [m.objects.count() for m in (HazardEvent, Notice, ExtensionRequest, ServiceVisit,
                                               AuthorityReport, WorkOrderReply, Acceptance, HazardPhoto,
                                               WhitelistEntry)],
        "extensions": list(ExtensionRequest.objects.values_list("status", flat=True)),
        "counters": list(NumberCounter.objects.values_list("key", "last")),
    }


def _expected_refusal(role, action, state):
    sources, roles, _target = EXPECTED[action]
    if role == "outsider":
        return "Hazard not found."
    if state not in sources:
        if state in (S.CLOSED, S.VOIDED):
            return "its file is final and no further action is possible"
        return "is not possible while the hazard is"
    if role not in roles and role != "superuser":
        return "Your role may not"
    return None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", S.values)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_transition(action, state, role, site_a, manager_a, category, branch_a, branch_b):
    # Given a hazard in `state`, prepared so that the action's own guard would pass
    hazard = make_hazard(state, site=site_a, by=manager_a, category=category)
    if action == Action.SUPERVISE:  # time has passed: the deadline is behind us
        Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - datetime.timedelta(days=3))
    if action in (Action.APPROVE_EXTENSION, Action.DENY_EXTENSION) and state in DEADLINE:
        perform(Action.REQUEST_EXTENSION, hazard, manager_a)
    hazard = Hazard.objects.select_related("unit").get(pk=hazard.pk)
    user = _user(role, branch_a, branch_b)
    before = _snapshot(hazard)
    refusal = _expected_refusal(role, action, state)

    # The buttons agree with the table
    shown = {t.action for t in allowed_actions(hazard, user)}
    assert (action in shown) == (refusal is None)

    if refusal is not None:
        # When refused: the reason in words, and nothing at all changed
        with pytest.raises(ActionRefused) as exc:
            perform(action, hazard, user)
        assert refusal in str(exc.value.message)
        assert _snapshot(hazard) == before
        return

    # When allowed: the status moves as the table says, the version grows, one history row
    perform(action, hazard, user)
    after = Hazard.objects.get(pk=hazard.pk)
    target = EXPECTED[action][2] or state
    assert after.status == target
    assert after.version == hazard.version + 1
    event = HazardEvent.objects.filter(hazard=hazard).latest("id")
    assert HazardEvent.objects.count() == before["counts"][0] + 1
    assert (event.action, event.from_status, event.to_status, event.actor_id) == (action, state, target, user.pk)


@pytest.mark.parametrize("role,expected", [
    ("inspector", None), ("manager", None), ("admin", None), ("superuser", None),
    ("leader", "Your role may not"), ("outsider", "Site not found."),
])
def test_register_per_role(role, expected, site_a, branch_a, branch_b, category):
    user = _user(role, branch_a, branch_b)
    if expected is None:
        check_register(site_a, user)
        hazard = register(site=site_a, by=user, category=category)
        assert hazard.status == S.REGISTERED
        assert list(hazard.events.values_list("action", "to_status", "actor")) == [("register", "registered", user.pk)]
        return
    with pytest.raises(ActionRefused) as exc:
        register(site=site_a, by=user, category=category)
    assert expected in str(exc.value.message)
    assert not Hazard.objects.exists() and not NumberCounter.objects.filter(last__gt=0).exists()


def test_anonymous_and_party_users(site_a, manager_a, category):
    hazard = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    with pytest.raises(ActionRefused, match="Please sign in first"):
        check(hazard, Action.ACKNOWLEDGE, AnonymousUser())
    # The party itself (PARTY: the portal's signed link) may take only the party's own actions
    check(hazard, Action.ACKNOWLEDGE, PARTY)
    check(hazard, Action.REQUEST_EXTENSION, PARTY)
    check(hazard, Action.SUBMIT_REPLY, PARTY)
    with pytest.raises(ActionRefused, match="Only staff may take this action"):
        check(hazard, Action.SUPERVISE, PARTY)
    # Nobody at all is not an actor: the caller says who acts.
    with pytest.raises(TypeError):
        check(hazard, Action.ACKNOWLEDGE, None)


def test_notify_refusal_lists_every_missing_piece(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category, responsible_name="", required_measures="",
                      deadline=None)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=None)
    hazard.refresh_from_db()
    with pytest.raises(ActionRefused) as exc:
        services.hazard_notify(hazards=[hazard], by=inspector_a)
    message = str(exc.value.message)
    for piece in ("responsible party", "required measures", "rectification deadline"):
        assert piece in message
    assert Hazard.objects.get(pk=hazard.pk).status == S.REGISTERED and not Notice.objects.exists()


def test_major_hazard_needs_five_in_place_and_plan(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category, severity=Hazard.Severity.GENERAL)
    hazard = services.hazard_update(hazard=hazard, by=inspector_a, severity=Hazard.Severity.MAJOR,
                                    five_measures="加装防护")
    with pytest.raises(ActionRefused) as exc:
        services.hazard_notify(hazards=[hazard], by=inspector_a)
    message = str(exc.value.message)
    for piece in ("five in place (五落实): responsible person", "five in place (五落实): funds",
                  "five in place (五落实): time limit", "five in place (五落实): contingency plan",
                  "governance plan: goal and tasks",
                  "governance plan: methods and measures", "governance plan: funds and materials",
                  "governance plan: organisation and people", "governance plan: time limit and schedule",
                  "governance plan: safety measures and contingency plan"):
        assert piece in message
    assert "five in place (五落实): measures" not in message
    # Completed, it may be notified
    major = register(site=site_a, by=inspector_a, category=category, severity=Hazard.Severity.MAJOR)
    services.hazard_notify(hazards=[major], by=inspector_a)
    assert Hazard.objects.get(pk=major.pk).status == S.NOTIFIED


def test_notify_refused_when_deadline_already_past(site_a, inspector_a, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - datetime.timedelta(days=1))
    hazard.refresh_from_db()
    with pytest.raises(ActionRefused, match="is already past"):
        services.hazard_notify(hazards=[hazard], by=inspector_a)


def test_supervise_only_when_overdue(site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    assert not is_overdue(hazard)
    with pytest.raises(ActionRefused, match="only once the deadline has passed"):
        perform(Action.SUPERVISE, hazard, manager_a)
    assert is_overdue(hazard, today=hazard.deadline + datetime.timedelta(days=1))
    assert not is_overdue(hazard, today=hazard.deadline)  # the deadline day itself is still in time


@pytest.mark.parametrize("state", [S.REGISTERED, S.PENDING_ACCEPTANCE, S.ACCEPTED, S.CLOSED, S.VOIDED])
def test_overdue_only_while_the_party_owes_the_rectification(state, site_a, manager_a, category):
    hazard = make_hazard(state, site=site_a, by=manager_a, category=category)
    assert not is_overdue(hazard, today=hazard.deadline + datetime.timedelta(days=30))


def test_extension_guards(site_a, manager_a, category):
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    with pytest.raises(ActionRefused, match="no pending extension request"):
        perform(Action.APPROVE_EXTENSION, hazard, manager_a)
    perform(Action.REQUEST_EXTENSION, hazard, manager_a)
    hazard.refresh_from_db()
    with pytest.raises(ActionRefused, match="already pending"):
        perform(Action.REQUEST_EXTENSION, hazard, manager_a)


def test_superuser_without_membership_is_not_limited_by_role(site_a, manager_a, category, superuser):
    hazard = make_hazard(S.ACCEPTED, site=site_a, by=manager_a, category=category)
    assert [t.action for t in allowed_actions(hazard, superuser)] == [Action.CLOSE, Action.VOID, Action.ADD_PHOTO]
