"""The user and site admins as a branch administrator (fault 1 and the site move of fault 2)."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audits import services as audit_services
from audits.models import Inspection, InspectionEvent
from hazards.models import Hazard, HazardEvent, Notice
from org import services
from org.models import Membership, Role, Site
from org.selectors import site_list
from tests.audits.factories import make_standard
from tests.factories import make_user
from tests.hazards.factories import RiskCategoryFactory, make_hazard

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "Zq-7!users-Strong"


@pytest.fixture
def admin_client(client, admin_a):
    services.sync_role_groups()
    client.force_login(admin_a)
    return client


def _add_user(client, unit, role=Role.INSPECTOR, **extra):
    data = {"username": "new_person", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD,
            "membership-TOTAL_FORMS": "1", "membership-INITIAL_FORMS": "0", "membership-MIN_NUM_FORMS": "0",
            "membership-MAX_NUM_FORMS": "1", "membership-0-unit": str(unit.pk), "membership-0-role": role,
            "membership-0-phone": "", **extra}
    return client.post(reverse("admin:auth_user_add"), data)


def test_adding_a_user_of_the_own_subtree_gives_the_roles_group_only(admin_client, team_a):
    inspector_group = Group.objects.get(name="role:inspector")
    response = _add_user(admin_client, team_a, is_superuser="on", is_staff="on",
                         groups=[str(Group.objects.get(name="role:admin").pk)],
                         user_permissions=[str(Permission.objects.get(codename="add_orgunit").pk)])
    assert response.status_code == 302
    user = User.objects.get(username="new_person")
    assert user.membership.unit == team_a and user.membership.role == Role.INSPECTOR
    assert not user.is_superuser and not user.is_staff
    assert list(user.groups.all()) == [inspector_group] and not user.user_permissions.exists()


@pytest.mark.parametrize("where", ["company", "branch_b"])
def test_a_user_in_the_root_or_another_branch_is_refused(admin_client, where, request):
    unit = request.getfixturevalue(where)
    response = _add_user(admin_client, unit)
    assert response.status_code == 200
    assert "unit" in response.context["inline_admin_formsets"][0].formset.errors[0]
    assert not User.objects.filter(username="new_person").exists()


def test_a_branch_admin_cannot_make_administrators(admin_client, branch_a):
    response = _add_user(admin_client, branch_a, role=Role.ADMIN)
    assert response.status_code == 200
    assert not User.objects.filter(username="new_person").exists()
    assert Role.ADMIN not in dict(response.context["inline_admin_formsets"][0].formset.forms[0]
                                  .fields["role"].choices)


def test_the_change_form_offers_no_privileges(admin_client, inspector_a):
    page = admin_client.get(reverse("admin:auth_user_change", args=[inspector_a.pk]))
    fields = set(page.context["adminform"].form.fields)
    assert not fields & {"is_superuser", "is_staff", "groups", "user_permissions"}


def test_administrators_are_read_only_for_branch_admins(admin_client, branch_a):
    other_admin = make_user(branch_a, Role.ADMIN, username="adm_a2")
    url = reverse("admin:auth_user_change", args=[other_admin.pk])
    assert admin_client.get(url).status_code == 200  # shown, read-only
    assert admin_client.post(url, {"username": "taken_over"}).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[other_admin.pk])
    assert admin_client.post(password_url, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 403


def test_membership_set_refuses_units_outside_the_callers_scope(admin_a, inspector_b, company):
    with pytest.raises(PermissionDenied):
        services.membership_set(user=inspector_b, unit=company, role=Role.INSPECTOR, by=admin_a)
    with pytest.raises(PermissionDenied):
        services.membership_set(user=inspector_b, unit=admin_a.membership.unit, role=Role.INSPECTOR, by=admin_a)


@pytest.fixture
def site_with_records(site_a, manager_a, inspector_a, monkeypatch):
    monkeypatch.setattr("hazards.documents.render_notice_pdf",
                        lambda notice, hazards=None: b"%PDF-1.7 test " + notice.number.encode())
    audit_services.inspection_create(standard=make_standard(), kind="periodic", date=datetime.date(2026, 3, 2),
                                     site=site_a, by=inspector_a)
    category = RiskCategoryFactory()
    make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=category)
    make_hazard(Hazard.Status.CLOSED, site=site_a, by=manager_a, category=category)
    return site_a


def test_site_move_takes_inspections_hazards_and_notices_along(site_with_records, branch_a, admin_a, manager_a):
    site = site_with_records
    services.site_move(site=site, unit=branch_a, by=admin_a)
    assert set(Inspection.objects.filter(site=site).values_list("unit", flat=True)) == {branch_a.pk}
    assert set(Hazard.objects.filter(site=site).values_list("unit", flat=True)) == {branch_a.pk}
    assert Notice.objects.filter(site=site).exists()  # notices are scoped through their site
    hazard_events = HazardEvent.objects.filter(hazard__site=site, data__moved_with_site=site.code)
    assert hazard_events.count() == Hazard.objects.filter(site=site).count() == 2
    assert InspectionEvent.objects.filter(inspection__site=site, action=InspectionEvent.Action.MOVE).count() == 1


def test_site_move_outside_the_scope_changes_nothing(site_with_records, branch_b, admin_a):
    site = site_with_records
    with pytest.raises(PermissionDenied):
        services.site_move(site=site, unit=branch_b, by=admin_a)
    site.refresh_from_db()
    assert site.unit.code == "BA-T1"
    assert not Hazard.objects.filter(unit=branch_b).exists()


def test_moving_a_site_in_the_admin_moves_its_records(admin_client, site_with_records, branch_a, branch_b):
    site = site_with_records
    url = reverse("admin:org_site_change", args=[site.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.pop("active", None)
    data["active"] = "on"
    for target, moved in ((branch_b, False), (branch_a, True)):
        response = admin_client.post(url, {**data, "unit": target.pk})
        assert (response.status_code == 302) is moved
    site.refresh_from_db()
    assert site.unit == branch_a
    assert set(Hazard.objects.filter(site=site).values_list("unit", flat=True)) == {branch_a.pk}


def test_members_of_the_moved_site_unit_still_see_it(site_with_records, branch_a, admin_a, inspector_a):
    services.site_move(site=site_with_records, unit=branch_a, by=admin_a)
    assert site_with_records in site_list(user=inspector_a)
    assert Site.objects.get(pk=site_with_records.pk).unit == branch_a
    assert Membership.objects.filter(user=inspector_a).exists()
