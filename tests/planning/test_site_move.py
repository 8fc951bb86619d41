"""A site moved to another unit (org.services.site_move, through planning's registered follower):
its planned and assigned tasks, and its schedules, go to the new owner in the move's transaction,
with a history row per task; work under way keeps its group."""

import datetime

import pytest

from core.lifecycle import SYSTEM
from org import services as org_services
from org.models import OrgUnit
from planning import services
from planning.models import Schedule, Task, TaskEvent
from tests.factories import OrgUnitFactory

from .conftest import make_schedule

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def tasks_of_site_a(site_a, standard, group_a, inspector_a):
    """Four tasks of site_a (owned by team_a), all with group_a: assigned (from its schedule, with
    an inspector of branch_a), planned, in progress and done."""
    make_schedule(site_a, standard, next_due=D(2026, 12, 10), group=group_a)
    services.tasks_generate(today=D(2026, 12, 6))
    assigned = Task.objects.get()
    assigned.inspectors.set([inspector_a])
    planned, in_progress, done = services.tasks_create(
        sites=[site_a] * 3, kind="special", standard=standard, due_date=D(2026, 12, 20), by=SYSTEM)
    Task.objects.filter(pk=planned.pk).update(status=Task.Status.PLANNED)
    Task.objects.filter(pk__in=[in_progress.pk, done.pk]).update(group=group_a)
    Task.objects.filter(pk=in_progress.pk).update(status=Task.Status.IN_PROGRESS)
    Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE)
    return {"assigned": assigned.pk, "planned": planned.pk, "in_progress": in_progress.pk, "done": done.pk}


def _rows(tasks):
    return {name: Task.objects.values_list("unit__code", "group__code", "status").get(pk=pk)
            for name, pk in tasks.items()}


def test_a_move_to_another_branch_takes_the_open_tasks_off_the_old_group(site_a, branch_b, group_a, tasks_of_site_a):
    org_services.site_move(site=site_a, unit=branch_b, by=None)

    assert _rows(tasks_of_site_a) == {
        # Not under way: the new branch's to assign (group_a and branch_a's inspector serve branch_a only).
        "assigned": ("BB", None, "planned"),
        "planned": ("BB", None, "planned"),
        # Under way or over: the inspection's group stays.
        "in_progress": ("BB", "BA-T1-G1", "in_progress"),
        "done": ("BB", "BA-T1-G1", "done"),
    }
    assert not Task.objects.get(pk=tasks_of_site_a["assigned"]).inspectors.exists()
    moved = TaskEvent.objects.get(task_id=tasks_of_site_a["assigned"], action=TaskEvent.Action.MOVE)
    assert (moved.from_status, moved.to_status) == ("assigned", "planned")
    assert moved.comment == "甲一所 → 乙分公司; 甲一所检查一组 → —"
    assert TaskEvent.objects.filter(action=TaskEvent.Action.MOVE).count() == 4
    # The schedule follows too: its next task is not sent to the old group.
    assert Schedule.objects.values_list("unit__code", "group").get() == ("BB", None)


def test_a_move_to_an_inspection_group_gives_it_the_open_tasks(site_a, group_b, tasks_of_site_a):
    org_services.site_move(site=site_a, unit=group_b, by=None)

    rows = _rows(tasks_of_site_a)
    assert rows["assigned"] == rows["planned"] == ("BB-G1", "BB-G1", "assigned")
    assert rows["in_progress"] == ("BB-G1", "BA-T1-G1", "in_progress")
    assert Schedule.objects.get().group == group_b


def test_a_move_within_the_branch_keeps_a_group_of_the_branch(site_a, branch_a, standard, inspector_a):
    branch_group = OrgUnitFactory(code="BA-G9", name="甲分公司检查组", kind=OrgUnit.Kind.GROUP, parent=branch_a)
    other_team = OrgUnitFactory(code="BA-T2", name="甲二所", kind=OrgUnit.Kind.TEAM, parent=branch_a)
    task, = services.tasks_create(sites=[site_a], kind="special", standard=standard, due_date=D(2026, 12, 20),
                                  group=branch_group, inspectors=[inspector_a], by=SYSTEM)

    org_services.site_move(site=site_a, unit=other_team, by=None)

    task.refresh_from_db()
    assert (task.unit, task.group, task.status) == (other_team, branch_group, Task.Status.ASSIGNED)
    assert list(task.inspectors.all()) == [inspector_a]  # of the branch, which the new team is part of
    assert task.events.get(action=TaskEvent.Action.MOVE).comment == "甲一所 → 甲二所"


def test_the_tasks_move_in_the_moves_transaction(site_a, branch_b, tasks_of_site_a, monkeypatch):
    """A later follower failing undoes the whole move, the tasks' part included."""
    def failing_follower(**kwargs):
        raise RuntimeError("a later follower failed")

    monkeypatch.setattr(org_services, "SITE_MOVE_FOLLOWERS", [*org_services.SITE_MOVE_FOLLOWERS, failing_follower])
    before = _rows(tasks_of_site_a)
    with pytest.raises(RuntimeError):
        org_services.site_move(site=site_a, unit=branch_b, by=None)
    assert _rows(tasks_of_site_a) == before
    assert not TaskEvent.objects.filter(action=TaskEvent.Action.MOVE).exists()
    assert Schedule.objects.values_list("unit__code", "group__code").get() == ("BA-T1", "BA-T1-G1")
