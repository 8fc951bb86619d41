"""The home page's "my work" list: what waits for each role in its unit subtree, each row linking to
where the action is taken, in a constant number of queries."""

import datetime

import pytest
from django.utils import translation

from audits import services as audit_services
from audits.models import InspectionEvent
from hazards.lifecycle import Action
from hazards.models import Hazard
from hazards.selectors import my_work_panel
from tests.audits.factories import make_standard

from .factories import make_hazard, perform, today

pytestmark = pytest.mark.usefixtures("fast_pdf")
S = Hazard.Status
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def sections(user):
    return {s["key"]: s for s in my_work_panel(user=user)["sections"]}


def urls(section):
    return [row["url"] for row in section["rows"]]


def overdue(hazard, days=2):
    # Test data: a deadline in the past (the services refuse to set one).
    Hazard.objects.filter(pk=hazard.pk).update(deadline=today() - days * DAY)
    return hazard


@pytest.fixture
def work(site_a, manager_a, inspector_a, category):
    """One item of every kind in branch A."""
    extension = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category,
                            deadline=today() + 3 * DAY)
    perform(Action.REQUEST_EXTENSION, extension, manager_a)
    reply = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    notified = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    late = overdue(make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category), days=4)
    inspection = audit_services.inspection_create(standard=make_standard(), kind="periodic", date=today(),
                                                  site=site_a, inspectors=[inspector_a], by=inspector_a)
    InspectionEvent.objects.create(inspection=inspection, action=InspectionEvent.Action.REOPEN,
                                   from_status="submitted", to_status="draft", actor=manager_a, comment="补拍照片")
    return {"extension": extension, "reply": reply, "notified": notified, "late": late, "inspection": inspection}


def test_a_manager_sees_every_kind_of_work_with_links_to_the_action(work, manager_a):
    got = sections(manager_a)
    assert list(got) == ["extensions", "replies", "acknowledgements", "reopened", "due_soon", "overdue"]
    assert urls(got["extensions"]) == [f"/hazards/{work['extension'].pk}/#hazard-actions"]
    assert urls(got["replies"]) == [f"/hazards/{work['reply'].pk}/act/accept/"]
    assert urls(got["acknowledgements"]) == [f"/hazards/{work['notified'].pk}/act/acknowledge/"]
    assert urls(got["reopened"]) == [f"/inspections/{work['inspection'].pk}/record/"]
    assert urls(got["due_soon"]) == [f"/hazards/{work['extension'].pk}/"]
    assert urls(got["overdue"]) == [f"/hazards/{work['late'].pk}/act/supervise/"]
    assert got["overdue"]["rows"][0]["note"] == "4 days overdue"
    assert {s["count"] for s in got.values()} == {1}


def test_each_role_sees_what_it_may_do(work, inspector_a, leader_a):
    # an inspector records acceptances and acknowledgements but does not decide extensions
    assert list(sections(inspector_a)) == ["replies", "acknowledgements", "reopened", "due_soon", "overdue"]
    assert urls(sections(inspector_a)["overdue"]) == [f"/hazards/{work['late'].pk}/"]  # no supervise form
    # a leader reads deadlines only
    assert list(sections(leader_a)) == ["due_soon", "overdue"]


def test_the_list_is_scoped_to_the_unit_subtree(work, manager_b):
    assert {key: s["count"] for key, s in sections(manager_b).items()} == {
        "extensions": 0, "replies": 0, "acknowledgements": 0, "reopened": 0, "due_soon": 0, "overdue": 0}


def test_decided_and_acknowledged_work_leaves_the_list(work, manager_a):
    perform(Action.APPROVE_EXTENSION, work["extension"], manager_a)
    perform(Action.ACKNOWLEDGE, work["notified"], manager_a)
    got = sections(manager_a)
    assert got["extensions"]["count"] == got["acknowledgements"]["count"] == 0


def test_home_page_query_count_does_not_grow_with_the_work(client, work, manager_a, site_a, category,
                                                           django_assert_num_queries):
    client.force_login(manager_a)
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get("/")
    assert b'id="my-work"' in response.content
    # given five times the work
    for _ in range(4):
        hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
        perform(Action.REQUEST_EXTENSION, hazard, manager_a)
        make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
        make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
        overdue(make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category))
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get("/")
    assert response.content.count(b"/act/accept/") == 5


# The home page with its panels; "my work" adds one query per section (rows and count together),
# planning's "my tasks" one, the site risk levels of kpis one.
HOME_QUERIES = 15
