"""The hazards admin: scoped, read-only history, edits through the service, no status changes."""

import pytest
from django.urls import reverse
from django.utils import translation

from hazards.models import Hazard, HazardEvent, Notice
from org.models import Role
from org.services import sync_role_groups
from tests.factories import make_user

from .factories import make_hazard, register

pytestmark = pytest.mark.usefixtures("fast_pdf")


@pytest.fixture
def admin_client_a(client, branch_a):
    sync_role_groups()
    client.force_login(make_user(branch_a, Role.ADMIN, username="adm"))
    return client


def test_changelist_is_scoped_and_its_query_count_is_flat(admin_client_a, site_a, site_b, manager_a, manager_b,
                                                          category, django_assert_max_num_queries):
    url = reverse("admin:hazards_hazard_changelist")
    mine = register(site=site_a, by=manager_a, category=category)
    theirs = register(site=site_b, by=manager_b, category=category)
    response = admin_client_a.get(url)
    assert response.status_code == 200
    assert mine.number in response.text and theirs.number not in response.text
    with translation.override("en"):
        admin_client_a.get(url)
    for _i in range(15):
        make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=category)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        admin_client_a.get(url)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client_a.get(url + "?status=notified&o=-4")
    assert response.text.count("GZ-") == 0 and response.text.count("YH-") >= 15
    assert admin_client_a.get(reverse("admin:hazards_hazard_change", args=[theirs.pk])).status_code in (302, 404)


def test_edit_goes_through_the_service_and_status_stays(admin_client_a, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    url = reverse("admin:hazards_hazard_change", args=[hazard.pk])
    page = admin_client_a.get(url)
    assert page.status_code == 200 and "Register" in page.text  # the history inline, with the action label
    form = page.context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"location": "3 号开关站", "status": "closed", "category": category.pk, "severity": "general",
                 "expected_version": hazard.version})
    for prefix in ("events", "photos", "Notice_hazards", "replies", "extensions", "service_visits", "reports",
                   "acceptances"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = admin_client_a.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    hazard.refresh_from_db()
    assert (hazard.location, hazard.status, hazard.version) == ("3 号开关站", "registered", 2)
    event = HazardEvent.objects.filter(hazard=hazard).latest("id")
    assert event.action == "edit" and event.data["changes"]["location"][1] == "3 号开关站"

    # A stale form (version 1) is refused with the reason; nothing changes
    data.update({"location": "别处", "expected_version": 1})
    with translation.override("en"):
        response = admin_client_a.post(url, data)
    assert response.status_code == 200
    hazard.refresh_from_db()
    assert hazard.location == "3 号开关站" and hazard.events.count() == 2


def test_no_add_or_delete_and_notices_read_only(admin_client_a, site_a, manager_a, category):
    hazard = make_hazard(Hazard.Status.NOTIFIED, site=site_a, by=manager_a, category=category)
    assert admin_client_a.get(reverse("admin:hazards_hazard_add")).status_code == 403
    assert admin_client_a.get(reverse("admin:hazards_hazard_delete", args=[hazard.pk])).status_code == 403
    notice = Notice.objects.get()
    page = admin_client_a.get(reverse("admin:hazards_notice_change", args=[notice.pk]))
    assert page.status_code == 200 and notice.file.url in page.text
    assert admin_client_a.get(reverse("admin:hazards_riskcategory_changelist")).status_code == 200
    assert admin_client_a.get(reverse("admin:hazards_whitelistentry_changelist")).status_code == 200


def test_admin_search_finds_what_djangos_search_finds(admin_client_a, site_a, branch_a, manager_a, category):
    """The hazards admin answers its search box through indexes (org.admin.IndexedSearchAdminMixin):
    the same rows Django's own search would give, every word required, quoted phrases kept whole."""
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from tests.factories import SiteFactory

    site_a2 = SiteFactory(unit=branch_a, name="乙化工 有限公司", code="A2")
    first = register(site=site_a, by=manager_a, category=category, description="接地线松动", location="1 号配电室")
    second = register(site=site_a2, by=manager_a, category=category, description="盖板缺失", location="2 号配电室")
    model_admin = django_admin.site._registry[Hazard]
    request = RequestFactory().get("/")
    request.user = manager_a
    for term, expected in (("接地线", {first}), ("配电室", {first, second}), ("乙化工", {second}),
                           ("配电室 乙化工", {second}), ('"乙化工 有限公司"', {second}), ("无此", set()),
                           (first.number, {first})):
        ours, duplicates = model_admin.get_search_results(request, Hazard.objects.all(), term)
        django_rows, _ = django_admin.ModelAdmin.get_search_results(model_admin, request, Hazard.objects.all(), term)
        assert set(ours) == set(django_rows) == expected, term
        assert duplicates is False
    response = admin_client_a.get(reverse("admin:hazards_hazard_changelist"), {"q": "乙化工"})
    assert second.number in response.text and first.number not in response.text
