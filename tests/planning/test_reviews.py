"""Major-risk reviews: cycles generate one review per month or 旬, idempotently; the reviewer records
it once, with the history; overdue is one rule in two forms that agree."""

import datetime

import pytest
from django.urls import reverse

from org.models import Role
from planning import services
from planning.models import MajorRisk, ReviewCycle, RiskReview, RiskReviewEvent
from tests.factories import make_user

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def cycles(branch_a, leader_a, manager_a):
    risk = MajorRisk.objects.create(unit=branch_a, code="R1", category="gas", description="瓦斯", responsible=manager_a)
    head = ReviewCycle.objects.create(unit=branch_a, reviewer=leader_a, cadence="monthly", start_date=D(2026, 1, 1))
    deputy = ReviewCycle.objects.create(unit=branch_a, reviewer=manager_a, cadence="dekad", start_date=D(2026, 1, 1))
    head.risks.set([risk])
    deputy.risks.set([risk])
    return head, deputy


def test_reviews_are_generated_per_month_and_per_ten_days_once(cycles):
    head, deputy = cycles
    assert services.reviews_generate(today=D(2026, 2, 25), horizon=10) == 4
    assert services.reviews_generate(today=D(2026, 2, 25), horizon=10) == 0
    assert list(head.reviews.values_list("period_start", "due_date")) == [(D(2026, 2, 1), D(2026, 2, 28)),
                                                                          (D(2026, 3, 1), D(2026, 3, 31))]
    assert list(deputy.reviews.values_list("period_start", "due_date")) == [(D(2026, 2, 21), D(2026, 2, 28)),
                                                                            (D(2026, 3, 1), D(2026, 3, 10))]
    assert RiskReviewEvent.objects.filter(action="created").count() == 4


def test_the_reviewer_records_the_review_once_with_its_history(client, cycles, leader_a, inspector_a):
    services.reviews_generate(today=D(2026, 2, 25), horizon=0)
    review = RiskReview.objects.get(reviewer=leader_a)
    url = reverse("planning:review_detail", args=[review.pk])
    client.force_login(inspector_a)
    assert client.post(url, {"measures": "x", "effect": "y"}).status_code == 302
    review.refresh_from_db()
    assert review.status == "pending"  # an inspector may read, not record
    client.force_login(leader_a)
    assert client.post(url, {"measures": "", "effect": "有效"}).status_code == 200  # the error is shown
    response = client.post(url, {"measures": "抽采达标", "effect": "有效", "improvements": ""})
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.status, review.measures, review.done_by) == ("done", "抽采达标", leader_a)
    assert list(review.events.values_list("action", flat=True)) == ["created", "done"]
    with pytest.raises(Exception, match="already done"):
        services.review_complete(review=review, measures="a", effect="b", by=leader_a)


def test_another_branch_cannot_see_or_record_a_review(client, cycles, branch_b):
    services.reviews_generate(today=D(2026, 2, 25), horizon=0)
    review = RiskReview.objects.first()
    client.force_login(make_user(branch_b, Role.LEADER, username="lead_b"))
    assert client.get(reverse("planning:review_detail", args=[review.pk])).status_code == 404
    assert client.post(reverse("planning:review_detail", args=[review.pk]),
                       {"measures": "x", "effect": "y"}).status_code == 404


@pytest.mark.parametrize("status", ["pending", "done"])
@pytest.mark.parametrize("due", [D(2026, 2, 27), D(2026, 2, 28), D(2026, 3, 1)])
def test_overdue_in_the_database_and_in_python_agree(cycles, status, due):
    head, _deputy = cycles
    review = RiskReview.objects.create(cycle=head, unit=head.unit, reviewer=head.reviewer, period_start=D(2026, 2, 1),
                                       period_end=due, due_date=due, status=status)
    today = D(2026, 2, 28)
    in_db = RiskReview.objects.filter(services.review_overdue_q(today), pk=review.pk).exists()
    assert in_db == services.review_is_overdue(review, today) == (status == "pending" and due < today)
