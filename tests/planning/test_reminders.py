"""Reminders and escalations go through the outbox: once per task (or review), kind, recipient and
day, in the recipient's language, and nothing when the daily job runs twice."""

import datetime

import pytest
from django.core.management import call_command

from notifications.models import Message
from org.models import Role
from planning import reminders, services
from planning.models import MajorRisk, ReviewCycle, RiskReview, Task
from tests.factories import make_user

from .conftest import make_schedule

pytestmark = pytest.mark.django_db
D = datetime.date


def test_named_inspectors_are_reminded_3_and_1_days_before_and_on_the_day_once(site_a, standard, inspector_a,
                                                                               manager_a, group_a):
    inspector_a.email = "insp@example.com"
    inspector_a.save(update_fields=["email"])
    make_schedule(site_a, standard, next_due=D(2026, 12, 10), group=group_a)
    services.tasks_generate(today=D(2026, 12, 6))
    services.tasks_assign(tasks=Task.objects.all(), group=group_a, inspectors=[inspector_a], by=manager_a)
    task = Task.objects.get()

    sent = {day: reminders.task_reminders(today=D(2026, 12, day)) for day in (6, 7, 8, 9, 10)}
    assert reminders.task_reminders(today=D(2026, 12, 9)) == 0  # the same day again: nothing

    assert sent == {6: 0, 7: 2, 8: 0, 9: 2, 10: 2}  # in-app and e-mail on each reminder day
    rows = Message.objects.filter(recipient_user=inspector_a).order_by("created_at", "id")
    assert {(m.kind, m.channel) for m in rows} == {("reminder_before", "in_app"), ("reminder_before", "email"),
                                                  ("reminder_due_day", "in_app"), ("reminder_due_day", "email")}
    assert all(m.unit_id == task.unit_id and m.about_id == task.pk for m in rows)
    assert site_a.name in rows.first().subject and rows.first().url == f"/planning/{task.pk}/"


def test_an_unassigned_task_reminds_the_managers_in_their_language(site_a, standard, manager_a):
    manager_a.membership.language = "zh-hans"
    manager_a.membership.save(update_fields=["language"])
    make_schedule(site_a, standard, next_due=D(2026, 12, 9))
    services.tasks_generate(today=D(2026, 12, 6))
    assert reminders.task_reminders(today=D(2026, 12, 6)) == 1  # in-app (no e-mail address)
    message = Message.objects.get(recipient_user=manager_a, channel="in_app")
    assert "检查任务" in message.subject and "分派" in message.body


def test_the_daily_job_writes_reminders_once(site_a, standard, inspector_a, manager_a, group_a, capsys):
    make_schedule(site_a, standard, next_due=D(2026, 12, 7), group=group_a)
    call_command("generate_tasks", "--date", "2026-12-06")
    services.tasks_assign(tasks=Task.objects.all(), group=group_a, inspectors=[inspector_a], by=manager_a)
    call_command("generate_tasks", "--date", "2026-12-06")
    first = Message.objects.count()
    call_command("generate_tasks", "--date", "2026-12-06")
    assert Message.objects.count() == first > 0


def test_an_overdue_review_reminds_daily_and_escalates_once_to_the_leaders(branch_a, company, manager_a, leader_a):
    top_leader = make_user(company, Role.LEADER, username="ceo", email="ceo@example.com")
    risk = MajorRisk.objects.create(unit=branch_a, code="R1", category="gas", description="瓦斯", responsible=manager_a)
    cycle = ReviewCycle.objects.create(unit=branch_a, reviewer=manager_a, cadence="dekad", start_date=D(2026, 12, 1))
    cycle.risks.set([risk])
    services.reviews_generate(today=D(2026, 12, 1), horizon=0)
    review = RiskReview.objects.get()  # due 10 December

    for day in range(11, 18):
        reminders.review_reminders(today=D(2026, 12, day))
    reminders.review_reminders(today=D(2026, 12, 17))

    overdue = Message.objects.filter(recipient_user=manager_a, kind="overdue_digest")
    assert overdue.count() == 7 and set(overdue.values_list("channel", flat=True)) == {"in_app"}
    escalations = Message.objects.filter(kind="escalation")
    assert {m.recipient_user for m in escalations} == {leader_a, top_leader}
    assert escalations.filter(channel="email").get().recipient_address == "ceo@example.com"
    assert list(review.events.values_list("action", flat=True)) == ["created", "escalated"]
