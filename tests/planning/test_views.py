"""The planning pages: scoped lists with constant query counts, not found == not allowed, bulk
assignment, starting a task, "my tasks" first on home, the calendar and the workload."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Inspection
from planning import services
from planning.models import Task
from tests.factories import SiteFactory
from tests.helpers import assert_looks_missing

from .conftest import make_schedule

pytestmark = pytest.mark.django_db
D = datetime.date


def _tasks(n, unit, standard, *, due=None, group=None):
    due = due or timezone.localdate()
    for i in range(n):
        make_schedule(SiteFactory(unit=unit), standard, next_due=due + datetime.timedelta(days=i % 5), group=group)
    return services.tasks_generate(today=timezone.localdate(), horizon=30)


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return len(queries)


@pytest.mark.parametrize("params", [{}, {"status": "assigned"}, {"kind": "periodic", "ordering": "-due"},
                                    {"q": "客户"}, {"ordering": "site"}, {"ordering": "group"},
                                    {"due_from": "2026-01-01", "due_to": "2030-01-01"}])
def test_the_task_list_runs_as_many_queries_for_3_rows_as_for_30(client, manager_a, team_a, standard, group_a,
                                                                    params):
    client.force_login(manager_a)
    url = reverse("planning:task_list")
    _tasks(3, team_a, standard, group=group_a)
    few = _queries(client, url, params)
    _tasks(27, team_a, standard, group=group_a)
    assert _queries(client, url, params) == few
    assert few <= 12, few


def test_the_list_shows_only_the_users_units(client, manager_a, site_a, site_b, standard):
    make_schedule(site_a, standard, next_due=timezone.localdate())
    make_schedule(site_b, standard, next_due=timezone.localdate())
    services.tasks_generate()
    client.force_login(manager_a)
    page = client.get(reverse("planning:task_list")).context["page"]
    assert [t.site for t in page.object_list] == [site_a]


def test_another_units_task_looks_missing(client, manager_b, site_a, standard):
    make_schedule(site_a, standard, next_due=timezone.localdate())
    services.tasks_generate()
    task = Task.objects.get()
    client.force_login(manager_b)
    assert_looks_missing(client, reverse("planning:task_detail", args=[task.pk]),
                         reverse("planning:task_detail", args=[987654]))
    for name in ("task_start", "task_cancel", "task_assign"):
        assert client.post(reverse(f"planning:{name}", args=[task.pk]), {"reason": "x"}).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.PLANNED and task.events.count() == 1


def test_a_manager_assigns_ticked_tasks_in_bulk_and_the_history_says_so(client, manager_a, team_a, standard,
                                                                        group_a, site_b):
    _tasks(4, team_a, standard)
    make_schedule(site_b, standard, next_due=timezone.localdate())
    services.tasks_generate()
    theirs = Task.objects.get(site=site_b)
    ids = list(Task.objects.filter(unit=team_a).values_list("pk", flat=True)[:3])
    client.force_login(manager_a)
    response = client.post(reverse("planning:task_assign_bulk"),
                           {"task": [*ids, theirs.pk], "group": group_a.pk, "next": "/planning/?status=planned"})
    assert response.status_code == 302 and response["Location"] == "/planning/?status=planned"
    assert set(Task.objects.filter(group=group_a).values_list("pk", flat=True)) == set(ids)
    assert Task.objects.filter(pk__in=ids, status="assigned", events__action="assigned").count() == 3
    theirs.refresh_from_db()
    assert theirs.group is None  # another branch's id is ignored like a missing one


def test_an_inspector_may_not_assign(client, inspector_a, team_a, standard, group_a):
    _tasks(1, team_a, standard)
    client.force_login(inspector_a)
    response = client.post(reverse("planning:task_assign_bulk"),
                           {"task": [Task.objects.get().pk], "group": group_a.pk})
    assert response.status_code == 403
    assert Task.objects.get().status == Task.Status.PLANNED


def test_start_opens_the_inspection_prefilled(client, inspector_a, site_a, standard, group_a):
    make_schedule(site_a, standard, next_due=timezone.localdate(), group=group_a)
    services.tasks_generate()
    task = Task.objects.get()
    client.force_login(inspector_a)
    response = client.post(reverse("planning:task_start", args=[task.pk]))
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audits:inspection_record", args=[inspection.pk])
    assert (inspection.site, inspection.group, inspection.standard, inspection.date) == (
        site_a, group_a, standard, timezone.localdate())
    assert list(inspection.inspectors.all()) == [inspector_a]
    again = client.post(reverse("planning:task_start", args=[task.pk]))  # a second click creates nothing
    assert again.status_code == 302 and Inspection.objects.count() == 1


def test_my_tasks_come_first_on_the_inspectors_home_page(client, inspector_a, site_a, standard, group_a):
    make_schedule(site_a, standard, next_due=timezone.localdate(), group=group_a)
    services.tasks_generate()
    client.force_login(inspector_a)
    body = client.get("/").content.decode()
    task = Task.objects.get()
    assert 'id="my-tasks-panel"' in body
    panel = body[body.index('id="my-tasks-panel"'):body.index('id="stat-sites"')]
    assert f'class="btn btn-sm btn-success start-task" data-task="{task.pk}"' in panel and site_a.name in panel
    assert body.index('id="my-tasks-panel"') < body.index('id="stat-sites"')


def test_the_home_page_runs_as_many_queries_with_more_tasks(client, inspector_a, team_a, standard, group_a):
    client.force_login(inspector_a)
    _tasks(2, team_a, standard, group=group_a)
    few = _queries(client, "/")
    _tasks(10, team_a, standard, group=group_a)
    assert _queries(client, "/") == few


def test_the_calendar_shows_tasks_on_their_days_in_constant_queries(client, manager_a, team_a, standard, group_a):
    client.force_login(manager_a)
    today = timezone.localdate()
    url = reverse("planning:task_calendar")
    _tasks(2, team_a, standard, group=group_a)
    few = _queries(client, url)
    week = _queries(client, url, {"view": "week", "group": group_a.pk})
    _tasks(20, team_a, standard, group=group_a)
    assert _queries(client, url) == few
    assert _queries(client, url, {"view": "week", "group": group_a.pk}) == week
    response = client.get(url, {"day": today.isoformat()})
    cells = {d.date: d for week in response.context["weeks"] for d in week}
    shown = sum(len(cells[d].tasks) for d in cells) + sum(response.context["more"].values())
    assert shown == Task.objects.filter(due_date__in=list(cells)).count()


def test_workload_counts_per_group_and_status(client, manager_a, team_a, standard, group_a):
    _tasks(3, team_a, standard, group=group_a)
    _tasks(2, team_a, standard)
    client.force_login(manager_a)
    today = timezone.localdate()
    rows = client.get(reverse("planning:workload"), {"from": today.isoformat(),
                                                     "to": (today + datetime.timedelta(days=10)).isoformat()}
                      ).context["rows"]
    by_group = {row["group_id"]: (row["counts"]["assigned"], row["counts"]["planned"]) for row in rows}
    assert by_group == {group_a.pk: (3, 0), None: (0, 2)}


def test_a_manager_creates_special_tasks_for_a_filtered_set_once(client, manager_a, team_a, standard, group_a):
    high = [SiteFactory(unit=team_a, site_class="high_risk") for _ in range(3)]
    SiteFactory(unit=team_a, site_class="general")
    client.force_login(manager_a)
    page = client.get(reverse("planning:task_create")).content.decode()
    token = page.split('name="once_token" value="')[1].split('"')[0]
    data = {"unit": team_a.pk, "site_class": "high_risk", "kind": "special", "standard": standard.pk,
            "due_date": "2026-12-20", "window_days": 5, "group": group_a.pk, "title": "迎峰度冬专项检查",
            "once_token": token}
    first = client.post(reverse("planning:task_create"), data)
    second = client.post(reverse("planning:task_create"), data)
    assert first.status_code == second.status_code == 302
    assert sorted(Task.objects.values_list("site_id", flat=True)) == sorted(s.pk for s in high)
    assert set(Task.objects.values_list("status", "source", "title")) == {("assigned", "manual", "迎峰度冬专项检查")}


def test_bad_dates_on_the_calendar_and_workload_fall_back(client, manager_a):
    client.force_login(manager_a)
    assert client.get(reverse("planning:task_calendar"), {"day": "2026-13-45", "view": "x"}).status_code == 200
    assert client.get(reverse("planning:workload"), {"from": "nonsense", "to": "9999-99-99"}).status_code == 200
