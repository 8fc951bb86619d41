"""In the browser at tablet size: a leader opens the dashboard, the charts draw (no CSP violation,
no sideways scrolling), and a click on a bar opens the ledger filtered to exactly the hazards
behind that bar — the bar's height equals the ledger's rows."""

import datetime

import pytest

from hazards.models import Hazard
from org.models import Role
from tests.e2e.conftest import assert_fits_tablet, login, screenshot, watch_csp
from tests.factories import make_user

from .conftest import at, hand_built

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
S = Hazard.Status
D = datetime.date


def _bar_point(page, chart_id: str, dataset: int, index: int) -> dict:
    """The centre of one bar in the viewport, the chart scrolled into view (read from the chart
    Chart.js drew)."""
    return page.evaluate(
        """([id, ds, i]) => {
            const canvas = document.getElementById(id);
            canvas.scrollIntoView({block: "center", behavior: "instant"});  // Bootstrap scrolls smoothly otherwise
            const chart = window.Chart.getChart(canvas);
            const bar = chart.getDatasetMeta(ds).data[i];
            const box = canvas.getBoundingClientRect();
            const p = bar.getProps(["x", "y", "base"], true);
            // A bar runs from its base to its value: along y when vertical, along x when horizontal.
            return chart.options.indexAxis === "y" ? {x: box.left + (p.x + p.base) / 2, y: box.top + p.y}
                                                   : {x: box.left + p.x, y: box.top + (p.y + p.base) / 2};
        }""", [chart_id, dataset, index])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_bar_clicked_opens_the_ledger_of_exactly_its_hazards(page, live_server, site_a, branch_a, category,
                                                               language):
    leader = make_user(branch_a, Role.LEADER, username="lead_e2e", password="pw-123456")
    for i, status in enumerate([S.RECTIFYING, S.RECTIFYING, S.NOTIFIED, S.CLOSED, S.REGISTERED]):
        hand_built(site=site_a, category=category, by=leader, status=status, discovered_on=D(2026, 2, 1 + i),
                   deadline=D(2026, 2, 20) if i < 2 else D(2030, 1, 1), notified_at=at(D(2026, 2, 2)),
                   severity=Hazard.Severity.MAJOR if i == 2 else Hazard.Severity.GENERAL,
                   closed_at=at(D(2026, 3, 3)) if status == S.CLOSED else None)
    violations = watch_csp(page)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, "lead_e2e", "pw-123456")
    page.click("#nav-dashboard")
    page.wait_for_url("**/kpis/")
    page.fill("#id_start", "2026-01-01")
    page.fill("#id_end", "2026-06-30")
    with page.expect_navigation():
        page.click("#period-apply")
    page.wait_for_selector("#chart-severity[data-ready='1']")
    assert_fits_tablet(page)
    screenshot(page, f"kpis-dashboard-{language}")
    dashboard = page.url
    # "Open now by severity": general 3 (two overdue, one registered), major 1.
    point = _bar_point(page, "chart-severity", 0, 0)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert "/hazards/" in page.url and "severity=general" in page.url and "status=open" in page.url
    assert page.locator("#hazard-table tbody tr").count() == 3
    screenshot(page, f"kpis-dashboard-to-ledger-{language}")
    # Again from the dashboard, the overdue bar of the branch's team: exactly the two overdue hazards.
    page.goto(dashboard)
    page.wait_for_selector("#chart-overdue[data-ready='1']")
    point = _bar_point(page, "chart-overdue", 0, 0)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert "overdue=yes" in page.url
    assert page.locator("#hazard-table tbody tr").count() == 2
    assert page.locator("#figure-chip").count() == 0
    # The found-per-month bar of February carries the set filter, shown as a removable chip.
    page.goto(dashboard)
    page.wait_for_selector("#chart-months[data-ready='1']")
    point = _bar_point(page, "chart-months", 0, 1)
    with page.expect_navigation():
        page.mouse.click(point["x"], point["y"])
    assert "set=found" in page.url
    assert page.locator("#hazard-table tbody tr").count() == 5
    assert page.locator("#figure-chip").is_visible()
    assert violations == []
