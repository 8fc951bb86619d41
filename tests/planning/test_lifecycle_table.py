"""The task table (planning.lifecycle.TABLE) drives the task page's buttons and the list's
assign checkboxes: change the table and they follow, with no status compared anywhere else.
One action enum: the transition's action is the history row's action; the system acts as
core.lifecycle.SYSTEM."""

import dataclasses
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.lifecycle import ActionRefused
from planning import lifecycle, services
from planning.lifecycle import Action
from planning.models import Task, TaskEvent

from .conftest import make_schedule

pytestmark = pytest.mark.django_db


def _table_with(action, **changes):
    return dataclasses.replace(lifecycle.TABLE, transitions=[
        dataclasses.replace(t, **changes) if t.action == action else t for t in lifecycle.TABLE])


@pytest.fixture
def task(site_a, standard, group_a):
    make_schedule(site_a, standard, next_due=timezone.localdate(), group=group_a)
    services.tasks_generate()
    return Task.objects.get()


def test_the_table_drives_the_task_page(client, inspector_a, task, monkeypatch):
    client.force_login(inspector_a)
    url = reverse("planning:task_detail", args=[task.pk])
    assert 'id="start-button"' in client.get(url).content.decode()
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.START, roles=lifecycle.MANAGING))
    assert 'id="start-button"' not in client.get(url).content.decode()
    with pytest.raises(ActionRefused, match="Your role may not"):
        services.task_start(task=task, by=inspector_a)


def test_the_table_drives_the_lists_assign_checkboxes(client, manager_a, task, monkeypatch):
    client.force_login(manager_a)
    url = reverse("planning:task_list")
    assert 'class="form-check-input task-check"' in client.get(url).content.decode()
    monkeypatch.setattr(lifecycle, "TABLE", _table_with(Action.ASSIGN, sources=frozenset()))
    assert 'class="form-check-input task-check"' not in client.get(url).content.decode()


def test_the_system_marks_missed_with_the_tables_action(task):
    past = timezone.localdate() - datetime.timedelta(days=3)
    Task.objects.filter(pk=task.pk).update(window_start=past, due_date=past, window_end=past)
    assert services.tasks_mark_missed() == 1
    event = TaskEvent.objects.filter(task=task).last()
    assert (event.action, event.actor, event.to_status) == (Action.MISS, None, Task.Status.MISSED)
    assert event.get_action_display() == "Missed"
    with pytest.raises(TypeError):
        services.task_cancel(task=task, reason="x", by=None)
