import pytest
from django.http import Http404
from django.urls import reverse

from org import selectors, services
from org.models import OrgUnit, Role
from tests.factories import OrgUnitFactory, SiteFactory, make_user
from tests.helpers import assert_looks_missing

pytestmark = pytest.mark.django_db


def test_subtree_paths_nest_under_parent(company, branch_a, team_a):
    assert team_a.path.startswith(branch_a.path) and branch_a.path.startswith(company.path)
    assert (company.depth, branch_a.depth, team_a.depth) == (0, 1, 2)


def test_scope_queryset_limits_to_users_subtree(site_a, site_b, inspector_a):
    visible = selectors.site_list(user=inspector_a)
    assert list(visible) == [site_a]


def test_user_without_membership_sees_nothing(site_a, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    assert selectors.site_list(user=user).count() == 0


def test_superuser_without_membership_sees_everything(site_a, site_b, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    assert set(selectors.site_list(user=root)) == {site_a, site_b}


def test_get_for_user_outside_scope_is_404(site_b, inspector_a):
    with pytest.raises(Http404):
        selectors.site_get(user=inspector_a, pk=site_b.pk)


def test_site_detail_of_other_branch_looks_like_missing(client_a, site_b):
    assert_looks_missing(client_a, reverse("org:site_detail", args=[site_b.pk]),
                         reverse("org:site_detail", args=[999999]))


def test_site_list_never_shows_other_branch(client_a, site_a, site_b):
    response = client_a.get(reverse("org:site_list"), {"q": "客户"})
    assert site_a.name in response.content.decode()
    assert site_b.name not in response.content.decode()


def test_unit_filter_outside_scope_is_rejected(client_a, site_a, branch_b):
    response = client_a.get(reverse("org:site_list"), {"unit": branch_b.pk})
    body = response.content.decode()
    assert response.status_code == 200
    assert site_a.name not in body  # an invalid filter choice yields no rows, never the other unit's


def test_moving_a_unit_rewrites_its_subtree(company, branch_a, branch_b, team_a):
    group = OrgUnitFactory(code="BA-T1-G1", kind=OrgUnit.Kind.GROUP, parent=team_a)
    services.orgunit_update(unit=team_a, name=team_a.name, kind=team_a.kind, parent=branch_b, active=True)
    team_a.refresh_from_db()
    group.refresh_from_db()
    assert team_a.path.startswith(branch_b.path) and team_a.depth == 2
    assert group.path.startswith(team_a.path) and group.depth == 3


def test_unit_cannot_move_under_itself(branch_a, team_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.orgunit_update(unit=branch_a, name="x", kind=branch_a.kind, parent=team_a, active=True)


def test_membership_sets_role_group_and_staff(branch_a):
    user = make_user(branch_a, Role.ADMIN, username="adm")
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["role:admin"]
    services.membership_set(user=user, unit=branch_a, role=Role.INSPECTOR)
    user.refresh_from_db()
    assert not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["role:inspector"]


def test_role_groups_carry_permissions(db):
    from django.contrib.auth.models import Group

    services.sync_role_groups()
    admin_perms = set(Group.objects.get(name="role:admin").permissions.values_list("codename", flat=True))
    assert {"add_orgunit", "change_site"} <= admin_perms
    assert "change_site" not in set(
        Group.objects.get(name="role:inspector").permissions.values_list("codename", flat=True))


def test_admin_changelist_is_scoped(client, branch_a, branch_b, site_a, site_b):
    admin_user = make_user(branch_a, Role.ADMIN, username="adm_scoped")
    client.force_login(admin_user)
    response = client.get(reverse("admin:org_site_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert site_a.code in body and site_b.code not in body
    assert client.get(reverse("admin:org_site_change", args=[site_b.pk])).status_code in (302, 404)


def test_sites_sorted_by_each_offered_field(client_a, team_a):
    for i in range(3):
        SiteFactory(unit=team_a, name=f"排序{i}")
    for key in ("code", "-code", "name", "site_class", "voltage_level", "unit"):
        assert client_a.get(reverse("org:site_list"), {"ordering": key}).status_code == 200
