import pytest
from django.urls import reverse

from org.models import Role, Site
from tests.factories import SiteFactory, make_user

pytestmark = pytest.mark.django_db


def test_login_required(client):
    response = client.get(reverse("org:site_list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_login_then_home_shows_unit(client, branch_a, site_a, inspector_a):
    response = client.post(reverse("login"), {"username": "insp_a", "password": "pw-123456"})
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert branch_a.name in home.content.decode()


def test_lockout_after_repeated_failures(client, inspector_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "insp_a", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "insp_a", "password": "pw-123456"})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def _count_site_list_queries(client, django_assert_max_num_queries, n):
    with django_assert_max_num_queries(n) as ctx:
        response = client.get(reverse("org:site_list"), {"site_class": "general", "ordering": "-name"})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_site_list_query_count_is_constant(client_a, team_a, django_assert_max_num_queries):
    SiteFactory.create_batch(2, unit=team_a)
    few = _count_site_list_queries(client_a, django_assert_max_num_queries, 10)
    SiteFactory.create_batch(40, unit=team_a)
    many = _count_site_list_queries(client_a, django_assert_max_num_queries, 10)
    assert few == many


def test_home_and_tree_query_counts_constant(client_a, team_a, django_assert_max_num_queries):
    SiteFactory.create_batch(3, unit=team_a)
    # home (session, user, the panels: my tasks, my work's sections, drafts, risk levels, figures)
    # and the tree
    with django_assert_max_num_queries(17) as few:
        client_a.get(reverse("home"))
        client_a.get(reverse("org:unit_tree"))
    SiteFactory.create_batch(30, unit=team_a)
    with django_assert_max_num_queries(17) as many:
        client_a.get(reverse("home"))
        client_a.get(reverse("org:unit_tree"))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_site_filters_and_search(client_a, team_a):
    SiteFactory(unit=team_a, name="高危甲", site_class=Site.SiteClass.HIGH_RISK, code="HX1")
    SiteFactory(unit=team_a, name="普通乙", site_class=Site.SiteClass.GENERAL, code="GX1")
    body = client_a.get(reverse("org:site_list"), {"site_class": "high_risk"}).content.decode()
    assert "高危甲" in body and "普通乙" not in body
    body = client_a.get(reverse("org:site_list"), {"q": "GX1"}).content.decode()
    assert "普通乙" in body and "高危甲" not in body


def test_language_choice_is_remembered_per_user(client, branch_a):
    user = make_user(branch_a, Role.MANAGER, username="lang_user")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.membership.refresh_from_db()
    assert user.membership.language == "en"
    client.cookies.clear()
    client.force_login(user)
    page = client.get(reverse("org:site_list"))
    assert "Sites" in page.content.decode() and page.headers["Content-Language"] == "en"


def test_set_language_rejects_foreign_redirect(client, inspector_a):
    client.force_login(inspector_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_status_page_shows_heartbeat_to_staff(client, branch_a):
    from notifications.services import heartbeat_record

    heartbeat_record(name="beat", worker="w1@test")
    admin_user = make_user(branch_a, Role.ADMIN, username="adm_status")
    client.force_login(admin_user)
    body = client.get(reverse("status")).content.decode()
    assert "w1@test" in body


def test_status_page_hidden_from_inspectors(client_a):
    assert client_a.get(reverse("status")).status_code == 302
