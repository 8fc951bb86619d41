"""Unit scope written once (org.selectors): its SQL form (`scope_queryset`) and its Python form
(`unit_in_scope`) agree for every kind of user on every unit of a tree, and the readers that
decide by a single unit (the hazard lifecycle, inspection creation) follow the same answer."""

import pytest
from django.contrib.auth.models import AnonymousUser

from org import scoping, selectors
from org.models import OrgUnit, Role
from tests.factories import OrgUnitFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(company, branch_a, branch_b, team_a):
    # A sibling whose code starts like branch_a's and a deep unit: prefix look-alikes must not leak.
    look_alike = OrgUnitFactory(code="BA2", name="甲二分公司", parent=company)
    deep = OrgUnitFactory(code="BA-T1-G", name="甲一所检查组", kind=OrgUnit.Kind.GROUP, parent=team_a)
    return [company, branch_a, branch_b, team_a, look_alike, deep]


def _superuser(user):
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def users(tree, django_user_model):
    company, branch_a, _b, team_a, _l, deep = tree
    return {
        "company member": make_user(company, Role.MANAGER, username="u_co"),
        "branch member": make_user(branch_a, Role.INSPECTOR, username="u_ba"),
        "team member": make_user(team_a, Role.LEADER, username="u_team"),
        "deepest member": make_user(deep, Role.INSPECTOR, username="u_deep"),
        "superuser without unit": django_user_model.objects.create_superuser("u_root", password="x"),
        "superuser with unit": _superuser(make_user(team_a, Role.ADMIN, username="u_su")),
        "no membership": django_user_model.objects.create_user("u_none", password="x"),
        "anonymous": AnonymousUser(),
    }


# Hand-written: which units (by code) each user reaches.
EXPECTED = {
    "company member": {"CO", "BA", "BB", "BA-T1", "BA2", "BA-T1-G"},
    "branch member": {"BA", "BA-T1", "BA-T1-G"},
    "team member": {"BA-T1", "BA-T1-G"},
    "deepest member": {"BA-T1-G"},
    "superuser without unit": {"CO", "BA", "BB", "BA-T1", "BA2", "BA-T1-G"},
    "superuser with unit": {"BA-T1", "BA-T1-G"},  # a membership scopes even a superuser
    "no membership": set(),
    "anonymous": set(),
}


def test_sql_and_python_forms_agree(tree, django_user_model):
    for name, user in users(tree, django_user_model).items():
        sql = set(selectors.scope_queryset(OrgUnit.objects.all(), user, "").values_list("code", flat=True))
        python = {unit.code for unit in tree if selectors.unit_in_scope(user, unit)}
        admin = {unit.code for unit in tree if scoping.unit_in_scope(user, unit)}  # the admin's reader
        assert sql == python == admin == EXPECTED[name], name


def test_the_lifecycle_and_inspections_ask_the_rule(tree, django_user_model, monkeypatch):
    from audits import services as audit_services
    from core.lifecycle import PARTY, SYSTEM
    from hazards import lifecycle

    calls = []
    real = selectors.unit_in_scope

    def spy(user, unit):
        calls.append(unit.code)
        return real(user, unit)

    monkeypatch.setattr(lifecycle, "unit_in_scope", spy)
    monkeypatch.setattr(audit_services, "unit_in_scope", spy)
    branch_member = users(tree, django_user_model)["branch member"]
    for unit in tree:
        site = type("SiteStub", (), {"unit": unit})()
        try:
            lifecycle.check_register(site, branch_member)
            hazards_allowed = True
        except lifecycle.ActionRefused:
            hazards_allowed = False
        assert hazards_allowed is (unit.code in EXPECTED["branch member"]), unit.code
        assert audit_services._in_scope(branch_member, unit) is (unit.code in EXPECTED["branch member"])
        assert audit_services._in_scope(SYSTEM, unit) is True  # the system acts for every unit
        assert audit_services._in_scope(PARTY, unit) is False  # a hazard's party, for none
    assert len(calls) == 2 * len(tree)
