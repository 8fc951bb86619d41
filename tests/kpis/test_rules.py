"""Each rule of kpis.rules that exists in SQL and in Python gives the same answer: every hazard set
of the KPIs, and the risk score, over a matrix of hazards covering their edges (deadline today,
acceptance late in the local evening, blank-looking names, major files lacking one piece …)."""

import datetime
import itertools
from decimal import Decimal

import pytest

from hazards.models import Hazard
from kpis import rules, selectors
from kpis.models import RiskSettings
from tests.factories import SiteFactory
from tests.hazards.factories import MAJOR_COMPLETE, RiskCategoryFactory

from .conftest import at, hand_built

pytestmark = pytest.mark.django_db
S = Hazard.Status
TODAY = datetime.date(2026, 6, 15)


@pytest.fixture
def matrix(site_a, manager_a, category):
    other = SiteFactory(unit=site_a.unit, name="乙厂")
    heavy = RiskCategoryFactory(code="GAS", name="燃气", score=9)
    complete_major = {**MAJOR_COMPLETE, "five_deadline": TODAY}
    variants = {
        "status": list(S.values),
        "deadline": [None, TODAY - datetime.timedelta(days=1), TODAY, TODAY + datetime.timedelta(days=3)],
        "shape": ["plain", "blank_party", "spaces_party", "major_complete", "major_no_funds", "major_blank_plan"],
        "history": ["none", "notified", "accepted_on_time", "accepted_late_evening", "accepted_late", "supervised"],
    }
    hazards = []
    for i, (status, deadline, shape, history) in enumerate(itertools.product(*variants.values())):
        # A fifth of the product (5 is prime to every axis length) still hits every value of every axis.
        if i % 5:
            continue
        fields = {"deadline": deadline, "severity": Hazard.Severity.GENERAL}
        if shape == "blank_party":
            fields["responsible_name"] = ""
        elif shape == "spaces_party":
            fields["responsible_name"] = "   "
        elif shape.startswith("major"):
            fields.update(complete_major, severity=Hazard.Severity.MAJOR)
            if shape == "major_no_funds":
                fields["five_funds"] = None
            if shape == "major_blank_plan":
                fields["plan_goal"] = " \t"
        if history != "none":
            fields["notified_at"] = at(TODAY - datetime.timedelta(days=20))
        if history.startswith("accepted") and deadline is not None:
            fields["accepted_at"] = {
                "accepted_on_time": at(deadline, 10),
                # 23:30 in Shanghai is 15:30 UTC the same day: still on time in local dates.
                "accepted_late_evening": at(deadline, 23).replace(minute=30),
                "accepted_late": at(deadline + datetime.timedelta(days=1), 0).replace(minute=5),
            }[history]
        if history == "supervised":
            fields["supervision_count"] = 1
        hazards.append(hand_built(site=other if i % 2 else site_a, category=heavy if i % 5 else category,
                                  by=manager_a, status=status, discovered_on=TODAY - datetime.timedelta(days=30),
                                  service_visits=i % 2, reports=(i // 2) % 2, **fields))
    return hazards


def test_every_hazard_set_agrees_in_sql_and_python(matrix):
    queryset = Hazard.objects.filter(pk__in=[h.pk for h in matrix])
    counts = {h.pk: {"service_visits": h.service_visits.count(), "reports": h.reports.count()} for h in matrix}
    for key, hazard_set in rules.SETS.items():
        in_sql = set(selectors.apply_set(queryset, key, TODAY).values_list("pk", flat=True))
        in_python = {h.pk for h in matrix if hazard_set.test(h, TODAY, **counts[h.pk])}
        assert in_sql == in_python, key
        # Neither form is trivially empty or full: the matrix exercises each rule.
        assert 0 < len(in_sql) < len(matrix), key


def test_risk_score_agrees_in_sql_and_python(matrix):
    config = RiskSettings(general_weight=Decimal("1.5"), major_weight=Decimal("3.25"),
                          overdue_weight=Decimal("2.5"))
    in_sql = selectors.site_scores(config=config, today=TODAY)
    sites = {h.site_id for h in matrix}
    for site_id in sites:
        hazards = [Hazard.objects.select_related("category").get(pk=h.pk) for h in matrix if h.site_id == site_id]
        assert in_sql.get(site_id, Decimal("0")) == rules.risk_score(hazards, config, TODAY)
    assert all(score > 0 for score in in_sql.values())


def test_risk_points_weigh_severity_category_and_overdue(site_a, manager_a, category):
    config = RiskSettings()  # general 1, major 3, overdue × 2
    on_time = hand_built(site=site_a, category=category, by=manager_a, status=S.RECTIFYING,
                         discovered_on=TODAY, deadline=TODAY)
    late_major = hand_built(site=site_a, category=category, by=manager_a, status=S.NOTIFIED, discovered_on=TODAY,
                            deadline=TODAY - datetime.timedelta(days=1), severity=Hazard.Severity.MAJOR)
    closed = hand_built(site=site_a, category=category, by=manager_a, status=S.CLOSED, discovered_on=TODAY)
    assert rules.risk_points(on_time, config, TODAY) == Decimal("5")
    assert rules.risk_points(late_major, config, TODAY) == Decimal("30")
    assert rules.risk_score([on_time, late_major, closed], config, TODAY) == Decimal("35.00")
    assert selectors.site_scores(config=config, today=TODAY) == {site_a.pk: Decimal("35.00")}


@pytest.mark.parametrize(("score", "level"), [("0", ""), ("9.99", ""), ("10", "C"), ("19.99", "C"), ("20", "B"),
                                              ("39.99", "B"), ("40", "A"), ("400", "A")])
def test_levels_by_threshold(score, level):
    assert rules.risk_level(Decimal(score), RiskSettings()) == level


def test_rates_round_half_up_and_have_no_value_without_a_base():
    assert rules.rate(0, 0) is None
    assert rules.rate(1, 3) == Decimal("33.33")
    assert rules.rate(2, 3) == Decimal("66.67")
    assert rules.rate(1, 8) == Decimal("12.50")
    assert rules.rate(1, 200) == Decimal("0.50")
    assert rules.rate(3, 3) == Decimal("100.00")


@pytest.mark.parametrize(("overdue", "points"), [(0, "0.00"), (1, "0.20"), (7, "1.40"), (10, "2.00"), (11, "2.00"),
                                                 (40, "2.00")])
def test_group_deduction_is_capped_at_two_points(overdue, points):
    assert rules.group_deduction(overdue) == Decimal(points)


@pytest.mark.parametrize(("kind", "end", "due"), [
    ("quarter", datetime.date(2026, 3, 31), datetime.date(2026, 4, 15)),
    ("quarter", datetime.date(2026, 12, 31), datetime.date(2027, 1, 15)),
    ("year", datetime.date(2026, 12, 31), datetime.date(2027, 1, 31)),
])
def test_reports_are_due_on_the_15th_or_31_january(kind, end, due):
    assert rules.report_due_on(kind, end) == due
