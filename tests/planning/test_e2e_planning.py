"""In the browser at 1024×768, under the strict CSP: a manager finds an unassigned task on the
calendar and assigns it to a group and an inspector; the inspector sees it first on the home page,
starts it (the inspection opens pre-filled), records and submits it; the task is done and the site's
next check moves forward. Also the month and week calendars and "my tasks"."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from org.models import Role
from planning import services
from planning.models import Schedule, Task
from tests.audits.factories import make_standard
from tests.e2e.conftest import assert_fits_tablet, assert_static_loaded, login, screenshot, watch_csp
from tests.factories import SiteFactory, make_user

from .conftest import make_schedule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SMALL_TREE = [
    ("1", "用电安全管理", None, False),
    ("1.1", "配备持证电工", "10", True),
    ("1.2", "值班巡视记录完整", "5", False),
]


def test_manager_assigns_and_inspector_completes_a_task_through_an_inspection(page, live_server, team_a, group_a):
    standard = make_standard(SMALL_TREE, name="小型检查表")
    site = SiteFactory(unit=team_a, name="东湖化工有限公司")
    for i in range(3):
        make_schedule(SiteFactory(unit=team_a), standard, next_due=timezone.localdate() + datetime.timedelta(days=i))
    schedule = make_schedule(site, standard, next_due=timezone.localdate())
    services.tasks_generate()
    task = Task.objects.get(site=site)
    make_user(team_a.parent, Role.MANAGER, username="plan_mgr", password="Plan#2026", full_name="李专责")
    inspector = make_user(team_a.parent, Role.INSPECTOR, username="plan_insp", password="Plan#2026",
                          full_name="王检查")
    violations = watch_csp(page)

    # The manager finds the task on the calendar (month, then week) and assigns it.
    login(page, live_server, "plan_mgr", "Plan#2026")
    page.goto(f"{live_server.url}/planning/calendar/")
    assert_static_loaded(page)
    assert page.locator(f'#task-calendar a[href="/planning/{task.pk}/"]').is_visible()
    assert page.locator(f'#task-calendar a[href="/planning/{task.pk}/"]').get_attribute("data-status") == "planned"
    assert_fits_tablet(page)
    screenshot(page, "planning-calendar-month")
    page.click("#view-week")
    page.wait_for_url("**view=week**")
    assert page.locator(f'#task-calendar a[href="/planning/{task.pk}/"]').is_visible()
    assert_fits_tablet(page)
    screenshot(page, "planning-calendar-week")
    with page.expect_navigation():
        page.click(f'#task-calendar a[href="/planning/{task.pk}/"]')
    page.select_option("#task-assign-form select[name=group]", str(group_a.pk))
    page.select_option("#task-assign-form select[name=inspectors]", str(inspector.pk))
    with page.expect_navigation():
        page.click("#assign-button")
    assert page.locator("#task-group").inner_text() == group_a.name
    assert "王检查" in page.locator("#task-inspectors").inner_text()
    assert_fits_tablet(page)
    screenshot(page, "planning-task-assigned")
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#logout-button")

    # The inspector: "my tasks" first on the home page, with a start button.
    login(page, live_server, "plan_insp", "Plan#2026")
    panel = page.locator("#my-tasks-panel")
    assert panel.is_visible()
    first_card = page.locator("main .card").first
    assert first_card.get_attribute("id") == "my-tasks-panel"
    assert_fits_tablet(page)
    screenshot(page, "planning-home-my-tasks")
    with page.expect_navigation():
        panel.locator(f'button.start-task[data-task="{task.pk}"]').click()
    page.wait_for_url("**/record/1/")
    for code in ("1.1", "1.2"):
        row = page.locator(f'.result-row[data-code="{code}"]')
        row.locator(".quick-full").click()
        row.locator('.result-state[data-state="scored"]').wait_for()
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#submit-button")

    task.refresh_from_db()
    schedule.refresh_from_db()
    inspection = task.inspection
    assert task.status == Task.Status.DONE and inspection.status == "submitted"
    assert (inspection.site, inspection.group, inspection.standard) == (site, group_a, standard)
    assert list(inspection.inspectors.all()) == [inspector]
    assert schedule.last_done == timezone.localdate()
    assert schedule.next_due == timezone.localdate() + relativedelta(months=1)

    page.goto(f"{live_server.url}/planning/{task.pk}/")
    assert page.locator('h1 [data-status="done"]').is_visible()
    page.goto(f"{live_server.url}/planning/mine/")
    assert page.locator(f'#my-task-list [data-task="{task.pk}"]').count() == 0
    assert_fits_tablet(page)
    screenshot(page, "planning-my-tasks")
    assert Schedule.objects.get(pk=schedule.pk).tasks.filter(status="done").count() == 1
    assert not violations, violations


def test_planning_pages_fit_the_tablet_in_both_languages(page, live_server, team_a, group_a):
    standard = make_standard(SMALL_TREE, name="小型检查表")
    for i in range(12):
        make_schedule(SiteFactory(unit=team_a, name=f"很长名称的客户配电设施第{i}号"), standard, group=group_a,
                      next_due=timezone.localdate() + datetime.timedelta(days=i % 3))
    services.tasks_generate()
    make_user(team_a.parent, Role.MANAGER, username="plan_mgr2", password="Plan#2026")
    violations = watch_csp(page)
    login(page, live_server, "plan_mgr2", "Plan#2026")
    for language in ("zh-hans", "en"):
        page.goto(f"{live_server.url}/")
        # The switch sends its form on change: wait for that page before going elsewhere.
        if page.input_value("#language-select") != language:
            with page.expect_navigation():
                page.select_option("#language-select", language)
        assert page.locator("html").get_attribute("lang") == ("zh-CN" if language == "zh-hans" else "en")
        for path in ("/planning/", "/planning/calendar/", "/planning/calendar/?view=week", "/planning/workload/",
                     "/planning/mine/", "/planning/spot-checks/", "/planning/risks/", "/planning/new/",
                     "/planning/spot-checks/draw/"):
            page.goto(f"{live_server.url}{path}")
            assert_fits_tablet(page)
        screenshot(page, f"planning-draw-{language}")
    assert not violations, violations
