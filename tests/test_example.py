"""How a test is written here: a worked example for a newcomer (issue 9).

- Data comes from the shared fixtures (tests/conftest.py: a company with branches A and B, a site,
  people of every role) and factories (tests/*/factories.py), never from the demo.
- The code under test is called the way the product calls it: a service for a change
  (hazards.services.*, one transaction, history written), a selector or rule for a question
  (hazards.rules), the test client for a page. Nothing is mocked that the product owns.
- Time is set, not waited for: core.dates.travel_to runs a block "as if" at an instant, so the
  local-midnight rules are tested at the minute they change.
- Every assertion can fail: each pins a value the code computes (a rule moved by one day, a query
  added per row or a scope widened makes one of these fail).
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from core.dates import today_local, travel_to
from hazards import rules
from hazards.models import Hazard
from tests.hazards.factories import RiskCategoryFactory, register

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def category():
    return RiskCategoryFactory(code="EX", name="电气设备缺陷", score=5)


def test_a_hazard_is_overdue_from_local_midnight_after_its_deadline(site_a, inspector_a, category):
    deadline = datetime.date(2026, 3, 10)
    with travel_to(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=SHANGHAI)):
        hazard = register(site=site_a, by=inspector_a, category=category, deadline=deadline)
        assert hazard.created_at.astimezone(SHANGHAI).date() == datetime.date(2026, 3, 1)
    hazard.status = Hazard.Status.RECTIFYING
    hazard.save(update_fields=["status"])
    # 23:59 on the deadline in Shanghai (15:59 UTC): still in time; one minute later: one day late.
    # The SQL form (overdue_q, used by lists and counts) and the Python form (is_overdue, used on a
    # page) answer the same.
    for moment, late in [(datetime.datetime(2026, 3, 10, 23, 59, tzinfo=SHANGHAI), False),
                         (datetime.datetime(2026, 3, 11, 0, 0, tzinfo=SHANGHAI), True)]:
        with travel_to(moment):
            assert rules.is_overdue(hazard) is late
            assert Hazard.objects.filter(rules.overdue_q(), pk=hazard.pk).exists() is late
            assert rules.hazard_days_overdue(hazard) == (1 if late else None)
    # outside the block the real clock is back
    assert abs(timezone.now() - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=1)
    assert today_local() == timezone.now().astimezone(SHANGHAI).date()


def test_another_branch_sees_the_hazard_as_missing(client, site_a, inspector_a, manager_b, category):
    hazard = register(site=site_a, by=inspector_a, category=category)
    client.force_login(manager_b)
    other = client.get(reverse("hazards:hazard_detail", args=[hazard.pk]))
    missing = client.get(reverse("hazards:hazard_detail", args=[hazard.pk + 1000]))
    # not allowed and not found look the same
    assert other.status_code == missing.status_code == 404


def test_the_ledger_runs_as_many_queries_for_ten_hazards_as_for_one(client, site_a, inspector_a, manager_a,
                                                                    category, django_assert_max_num_queries):
    register(site=site_a, by=inspector_a, category=category)
    client.force_login(manager_a)
    with django_assert_max_num_queries(50) as one:
        client.get(reverse("hazards:hazard_list"))
    for _ in range(9):
        register(site=site_a, by=inspector_a, category=category)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("hazards:hazard_list"))
    assert response.context["page"].paginator.count == 10


def test_travel_to_refuses_a_naive_time():
    with pytest.raises(ValueError), travel_to(datetime.datetime(2026, 3, 1, 9, 0)):
        pass
