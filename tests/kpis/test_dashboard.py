"""The dashboard: KPI arithmetic on hand-built data (and an empty period), every figure scoped to
the user's subtree, every figure equal to the count of the ledger page it links to, and a query
count that does not grow with the data."""

import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils.html import escape

from hazards.models import Hazard
from kpis import selectors
from org.models import Site
from planning.models import Task
from tests.audits.factories import make_standard
from tests.factories import SiteFactory
from tests.hazards.factories import MAJOR_COMPLETE

from .conftest import at, hand_built

pytestmark = pytest.mark.django_db
S = Hazard.Status
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}
D = datetime.date


@pytest.fixture
def world(site_a, site_b, manager_a, manager_b, category):
    def a(**kw):
        return hand_built(site=site_a, category=category, by=manager_a, **kw)

    major = {**MAJOR_COMPLETE, "five_deadline": D(2026, 4, 1), "severity": Hazard.Severity.MAJOR}
    return {
        "closed": a(status=S.CLOSED, discovered_on=D(2026, 1, 10), deadline=D(2026, 1, 24),
                    notified_at=at(D(2026, 1, 11)), accepted_at=at(D(2026, 1, 20)), closed_at=at(D(2026, 1, 21))),
        "overdue": a(status=S.RECTIFYING, discovered_on=D(2026, 2, 1), deadline=D(2026, 2, 15),
                     notified_at=at(D(2026, 2, 2)), supervision_count=1, service_visits=1),
        "unfiled": a(status=S.REGISTERED, discovered_on=D(2026, 3, 5), deadline=D(2026, 3, 19), responsible_name=""),
        "voided": a(status=S.VOIDED, discovered_on=D(2026, 3, 10)),
        "major": a(status=S.RECTIFYING, discovered_on=D(2026, 3, 1), deadline=D(2027, 1, 1),
                   notified_at=at(D(2026, 3, 2)), reports=1, **major),
        "before": a(status=S.CLOSED, discovered_on=D(2025, 12, 20), closed_at=at(D(2026, 2, 3)),
                    notified_at=at(D(2025, 12, 21))),
        "other_branch": hand_built(site=site_b, category=category, by=manager_b, status=S.RECTIFYING,
                                   discovered_on=D(2026, 2, 1), deadline=D(2026, 2, 10),
                                   notified_at=at(D(2026, 2, 2))),
    }


def _rates(response) -> dict:
    return {row.kpi.key: row.rate for row in response.context["kpis"]["kpis"]}


def test_kpi_arithmetic_on_hand_built_hazards(client, manager_a, world):
    client.force_login(manager_a)
    response = client.get(reverse("kpis:dashboard"), Q1)
    assert response.status_code == 200
    kpis = response.context["kpis"]
    assert kpis["found"].value == 4  # the voided one and the one found in December do not count
    assert _rates(response) == {
        "filing_rate": Decimal("75.00"), "elimination_rate": Decimal("25.00"), "monitoring_rate": Decimal("66.67"),
        # Due in Q1: "closed", "overdue" and "before" (found in December, deadline 3 January); on time: "closed".
        "completion_rate": Decimal("33.33"), "overdue_rate": Decimal("33.33"), "notification_rate": Decimal("75.00"),
        "service_rate": Decimal("33.33"), "supervision_rate": Decimal("100.00"), "reporting_rate": Decimal("100.00"),
    }
    assert kpis["days_to_close"]["closed"].value == 1
    assert kpis["days_to_close"]["average"] == Decimal("11.00") and kpis["days_to_close"]["p90"] == 11
    assert dict((str(label), f.value) for label, f in kpis["counts_by"]["severity"]) == {
        str(Hazard.Severity.GENERAL.label): 3, str(Hazard.Severity.MAJOR.label): 1}
    months = {m["month"]: (m["found"].value, m["closed"].value) for m in response.context["months"]}
    # February: one found; two closed — the December hazard closed in February counts in the month it closed.
    assert months == {D(2026, 1, 1): (1, 1), D(2026, 2, 1): (1, 1), D(2026, 3, 1): (2, 0)}
    assert response.context["now"]["overdue"].value == 1


def test_an_empty_period_shows_dashes_not_zero_percent(client, manager_a, world):
    client.force_login(manager_a)
    response = client.get(reverse("kpis:dashboard"), {"start": "2024-01-01", "end": "2024-03-31"})
    assert set(_rates(response).values()) == {None}
    assert response.context["kpis"]["days_to_close"]["p90"] is None
    body = response.content.decode()
    # the nine KPIs and the inspection tasks (none due then)
    assert response.context["tasks"]["rate"] is None
    assert body.count('<td class="text-end fw-semibold">—</td>') == 10


def test_every_figure_is_scoped_to_the_users_subtree(client, manager_b, manager_a, world, branch_a):
    client.force_login(manager_b)
    response = client.get(reverse("kpis:dashboard"), Q1)
    assert response.context["kpis"]["found"].value == 1
    assert response.context["now"]["overdue"].value == 1
    # Branch A's id in the unit picker is refused like a missing one, and shows B's figures only.
    foreign = client.get(reverse("kpis:dashboard"), {**Q1, "unit": branch_a.pk})
    missing = client.get(reverse("kpis:dashboard"), {**Q1, "unit": 987654})
    assert foreign.context["form"].errors == missing.context["form"].errors != {}
    assert foreign.context["kpis"]["found"].value == 1
    # The refused unit does not take the chosen dates with it; dates that make no period are refused
    # together and the unit chosen with them is kept.
    assert (foreign.context["start"], foreign.context["end"]) == (D(2026, 1, 1), D(2026, 3, 31))
    own = manager_b.membership.unit
    reversed_dates = client.get(reverse("kpis:dashboard"), {"start": "2026-03-31", "end": "2026-01-01",
                                                            "unit": own.pk})
    assert reversed_dates.context["form"].non_field_errors() and reversed_dates.context["unit"] == own
    assert reversed_dates.context["start"] == D(reversed_dates.context["today"].year, 1, 1)
    # Only an end: the year up to it.
    only_end = client.get(reverse("kpis:dashboard"), {"end": "2025-06-30"})
    assert not only_end.context["form"].errors
    assert (only_end.context["start"], only_end.context["end"]) == (D(2025, 1, 1), D(2025, 6, 30))


def _figures(context):
    kpis = context["kpis"]
    yield kpis["found"]
    for row in kpis["kpis"]:
        yield row.numerator
        yield row.base
    for rows in kpis["counts_by"].values():
        yield from (f for _label, f in rows)
    yield from (f for _label, f in kpis["by_category"])
    yield kpis["days_to_close"]["closed"]
    for month in context["months"]:
        yield month["found"]
        yield month["closed"]
    now = context["now"]
    yield now["overdue"]
    yield from (f for _label, f in now["severity"])
    yield from (f for _label, f in now["category"])
    yield from (f for _unit, f in now["overdue_by_unit"])


@pytest.mark.parametrize("who", ["manager_a", "leader_a"])
def test_every_figure_equals_the_count_of_the_ledger_it_links_to(client, world, who, request, branch_a):
    client.force_login(request.getfixturevalue(who))
    for query in (Q1, {**Q1, "unit": branch_a.pk}):
        response = client.get(reverse("kpis:dashboard"), query)
        figures = list(_figures(response.context))
        assert len(figures) > 40 and sum(f.value for f in figures) > 0
        for figure in figures:
            url = urlsplit(figure.url)
            ledger = client.get(url.path + "?" + url.query)
            assert ledger.status_code == 200
            assert ledger.context["filter"].is_valid(), (figure.url, ledger.context["filter"].errors)
            assert ledger.context["page"].paginator.count == figure.value, figure.url


@pytest.mark.parametrize("view", ["manager", "leader"])
def test_the_page_links_each_figure_to_its_ledger_beside_its_value(client, manager_a, world, category, view):
    """The KPI table, the lists and the figure tables are written in Python (kpis.views): every
    figure of the context is in the page as a link to its ledger, and every text is escaped."""
    category.name = '<b onmouseover="x">类别</b>'
    category.save()
    client.force_login(manager_a)
    response = client.get(reverse("kpis:dashboard"), {**Q1, "view": view})
    body = response.content.decode()
    kpis = response.context["kpis"]
    for row in kpis["kpis"]:
        assert (f'<a href="{escape(row.numerator.url)}" data-figure="{row.kpi.key}-numerator">'
                f"{row.numerator.value}</a>") in body
        assert f'<a href="{escape(row.base.url)}" data-figure="{row.kpi.key}-base">{row.base.value}</a>' in body
    tasks = response.context["tasks"]
    assert f'<a href="{escape(tasks["planned"].url)}" data-figure="tasks-planned">' in body
    for chart in response.context["charts"]:  # the figures under each chart
        for dataset in chart["datasets"]:
            for link in dataset["links"]:
                assert f'href="{escape(link)}"' in body
    assert "<b onmouseover" not in body and escape(category.name) in body
    # The in-place chart's figures show each rate as the KPI table does (two places).
    from kpis import rules

    for key in rules.IN_PLACE:
        rate = kpis["by_key"][key].rate
        if rate is not None:
            assert f">{rate}</a></td>" in body, (key, rate)
    lists = ['id="counts-by-status"', 'id="days-to-close"', "text-bg-light"]
    if view == "leader":  # the leader's view: the tiles, the KPIs and the charts
        assert not any(marker in body for marker in lists)
    else:
        assert all(marker in body for marker in lists)
        for figure in _figures(response.context):
            assert f'href="{escape(figure.url)}"' in body, figure.url


def test_the_charts_are_fed_as_json_with_a_link_per_bar(client, manager_a, world):
    client.force_login(manager_a)
    response = client.get(reverse("kpis:dashboard"), Q1)
    body = response.content.decode()
    assert '<script id="dashboard-charts" type="application/json">' in body
    assert "kpis/dashboard.js" in body and "vendor/chartjs/chart.umd.min.js" in body
    for chart in response.context["charts"]:
        for dataset in chart["datasets"]:
            assert len(dataset["links"]) == len(dataset["data"]) == len(chart["labels"])
    assert "<script>" not in body and " style=" not in body


def test_the_query_count_does_not_grow_with_the_data(client, manager_a, world, site_a, category,
                                                     django_assert_num_queries):
    client.force_login(manager_a)
    client.get(reverse("kpis:dashboard"), Q1)  # warm the session and the caches
    standard = make_standard(name="任务用检查表")
    with django_assert_num_queries(NUM_QUERIES):
        client.get(reverse("kpis:dashboard"), Q1)
    for i in range(30):
        hand_built(site=site_a, category=category, by=manager_a, status=list(S.values)[i % 7],
                   discovered_on=D(2026, 1 + i % 3, 1 + i % 28), notified_at=at(D(2026, 1, 2)), service_visits=i % 2)
        due = D(2026, 1 + i % 3, 1 + i % 28)
        Task.objects.create(site=site_a, unit=site_a.unit, kind="periodic", standard=standard, due_date=due,
                            window_start=due, window_end=due, status=list(Task.Status.values)[i % 6])
    with django_assert_num_queries(NUM_QUERIES):
        client.get(reverse("kpis:dashboard"), Q1)


NUM_QUERIES = 12  # session, user, categories, overdue hazards, five summary-table reads, units, sites, tasks


def test_the_risk_list_is_sorted_by_score_and_scoped(client, manager_a, manager_b, site_a, site_b):
    from org.models import Site

    Site.objects.filter(pk=site_a.pk).update(risk_score=Decimal("45"), risk_level="A")
    Site.objects.filter(pk=site_b.pk).update(risk_score=Decimal("12"), risk_level="C")
    client.force_login(manager_a)
    response = client.get(reverse("kpis:site_risk"))
    assert [s.pk for s in response.context["page"].object_list] == [site_a.pk]
    assert 'risk-badge risk-A' in response.content.decode()
    client.force_login(manager_b)
    assert list(client.get(reverse("kpis:site_risk"), {"level": "A"}).context["page"].object_list) == []
    assert selectors.site_risk_list(user=manager_b, level="C").get() == site_b


def test_the_risk_figures_of_a_unit_open_the_risk_list_of_that_unit(client, manager_a, branch_a, site_a, world):
    """Each risk card and bar of a unit's dashboard links to the risk list of the same subtree,
    and that list counts what the figure says; another unit (or garbage) is a 404 there."""
    client.force_login(manager_a)
    team = site_a.unit
    Site.objects.filter(pk=site_a.pk).update(risk_score=Decimal("45"), risk_level="A")
    # A level-A site of the branch outside the team: the team's figures must not count it.
    SiteFactory(unit=branch_a, name="乙客户", risk_score=Decimal("50"), risk_level="A")
    response = client.get(reverse("kpis:dashboard"), {"unit": team.pk})
    assert response.status_code == 200
    risk_chart = next(c for c in response.context["charts"] if c["id"] == "chart-risk")
    checked = 0
    for count, link in zip(risk_chart["datasets"][0]["data"], risk_chart["datasets"][0]["links"], strict=True):
        assert f"unit={team.pk}" in link
        listed = client.get(link)
        assert listed.status_code == 200 and listed.context["page"].paginator.count == count, link
        checked += 1
    assert checked == 4 and risk_chart["datasets"][0]["data"][0] == 1  # level A: the team's one site
    for garbage in ("x", "²", "٣", "-1", "9" * 30):  # digits of other scripts too: never a unit, never a 500
        assert client.get(reverse("kpis:site_risk"), {"unit": garbage}).status_code == 404, garbage
    other = Site.objects.exclude(unit__path__startswith=branch_a.path).first().unit
    assert client.get(reverse("kpis:site_risk"), {"unit": other.pk}).status_code == 404


def test_the_parts_written_in_python_are_translated(client, manager_a, world):
    """The KPI table, the lists and the period links are written in kpis.views: their words come
    from the catalogue like the template's (a gettext call inside an f-string is not extracted)."""
    client.force_login(manager_a)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("kpis:dashboard"), {"start": "2026-01-01", "end": "2026-01-05"}).content.decode()
    for chinese in ("检查任务完成率", "本月", "本季度", "上年度"):
        assert chinese in body, chinese
    assert "Inspection tasks done" not in body and "This month" not in body
