"""Task and review reminders through the notifications outbox (notifications.services): rows written
in the daily job's transaction, delivered after commit; the dedupe keys make a rerun on the same day
send nothing twice.

- A task due in N days (the notification settings' reminder days, default 3 and 1) and on its due
  day: its named inspectors are reminded (in-app, and e-mail when they have an address); a task
  nobody is named on reminds the managers of its unit instead (it still needs assigning).
- A major-risk review: its reviewer is reminded the same way before and on the due day, and every
  day while it is overdue (in-app). Once it is `leader_escalation_after_days` overdue it is
  escalated, like a hazard, to the leaders of its unit and the units above (e-mail and in-app, once
  per review), and the review's history records the escalation.

The texts are rendered here, in each recipient's language, and passed to the outbox as subject and
body under the outbox's existing kinds (reminder before, on the day, overdue, escalation)."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Channel, Kind
from notifications.selectors import notification_config
from notifications.services import dedupe_key, message_enqueue_many
from org.models import PATH_STEP, Membership, Role

from .models import RiskReview, RiskReviewEvent, Task

User = get_user_model()


def _language(user) -> str:
    from django.conf import settings

    membership = getattr(user, "membership", None)
    return getattr(membership, "language", "") or settings.LANGUAGE_CODE


def _ancestor_paths(path: str) -> list[str]:
    return [path[:i] for i in range(PATH_STEP, len(path) + 1, PATH_STEP)]


def _people(role: str, unit_paths: set[str]) -> dict[str, list]:
    """{unit path: [users of `role` whose unit is that unit]} for the given paths, in one query."""
    found: dict[str, list] = defaultdict(list)
    for membership in (Membership.objects.filter(role=role, unit__path__in=unit_paths, user__is_active=True)
                       .select_related("user", "unit").order_by("user__username")):
        membership.user.membership = membership
        found[membership.unit.path].append(membership.user)
    return found


def _specs(kind: str, about, user, day: datetime.date | None, subject: str, body: str, url: str) -> list[dict]:
    specs = [{"channel": Channel.IN_APP, "kind": kind, "recipient_user": user, "about": about, "url": url,
              "dedupe_key": dedupe_key(kind, Channel.IN_APP, about, user.pk, *([day] if day else [])),
              "subject": subject, "body": body, "language": _language(user)}]
    if user.email:
        specs.append({"channel": Channel.EMAIL, "kind": kind, "recipient_user": user, "about": about, "url": url,
                      "recipient_name": user.get_full_name() or user.username,
                      "dedupe_key": dedupe_key(kind, Channel.EMAIL, about, user.email, *([day] if day else [])),
                      "subject": subject, "body": body, "language": _language(user)})
    return specs


def _task_text(task: Task, days: int, language: str) -> tuple[str, str]:
    with translation.override(language):
        when = task.due_date.isoformat()
        if days == 0:
            subject = _("Inspection task due today: %(site)s") % {"site": task.site.name}
        else:
            subject = ngettext("Inspection task due in %(days)s day: %(site)s",
                               "Inspection task due in %(days)s days: %(site)s", days) % {
                "days": days, "site": task.site.name}
        body = _("The %(kind)s of %(site)s is due on %(date)s (window %(start)s – %(end)s).") % {
            "kind": task.get_kind_display(), "site": task.site.name, "date": when,
            "start": task.window_start.isoformat(), "end": task.window_end.isoformat()}
        if not task.group_id and not task.named:
            body += " " + _("It is not assigned yet: assign it to an inspection group.")
    return subject, body


@transaction.atomic
def task_reminders(*, today: datetime.date) -> int:
    """Reminders of the open tasks due in the configured days and today. Returns messages written."""
    config = notification_config()
    days = [d for d in config.offsets] + ([0] if config.remind_on_due_day else [])
    by_due = {today + datetime.timedelta(days=d): d for d in days}
    tasks = list(Task.objects.filter(status__in=Task.OPEN, due_date__in=list(by_due))
                 .select_related("site", "unit").prefetch_related("inspectors__membership").order_by("pk"))
    if not tasks:
        return 0
    unassigned_paths = {p for t in tasks for p in _ancestor_paths(t.unit.path)}
    managers = _people(Role.MANAGER, unassigned_paths)
    specs = []
    for task in tasks:
        task.named = list(task.inspectors.all())
        recipients = task.named or [user for path in _ancestor_paths(task.unit.path) for user in managers[path]]
        left = by_due[task.due_date]
        kind = Kind.REMINDER_DUE_DAY if left == 0 else Kind.REMINDER_BEFORE
        url = reverse("planning:task_detail", args=[task.pk])
        for user in {u.pk: u for u in recipients}.values():
            subject, body = _task_text(task, left, _language(user))
            specs += _specs(kind, task, user, today, subject, body, url)
    return len(message_enqueue_many(specs))


def _review_text(review: RiskReview, language: str, *, overdue_days: int, escalation: bool) -> tuple[str, str]:
    with translation.override(language):
        who = review.reviewer.get_full_name() or review.reviewer.username
        period = f"{review.period_start.isoformat()} – {review.period_end.isoformat()}"
        if escalation:
            subject = _("Escalation: the major-risk review of %(who)s is %(days)s days overdue") % {
                "who": who, "days": overdue_days}
            body = _("The review of the major risks of %(unit)s for %(period)s by %(who)s was due on %(date)s and "
                     "is still not recorded. It is escalated to you.") % {
                "unit": review.unit.name, "period": period, "who": who, "date": review.due_date.isoformat()}
        elif overdue_days > 0:
            subject = _("Major-risk review overdue since %(date)s") % {"date": review.due_date.isoformat()}
            body = _("Your review of the major risks of %(unit)s for %(period)s is overdue: record it now.") % {
                "unit": review.unit.name, "period": period}
        else:
            subject = _("Major-risk review due on %(date)s") % {"date": review.due_date.isoformat()}
            body = _("Your review of the major risks of %(unit)s for %(period)s is due on %(date)s.") % {
                "unit": review.unit.name, "period": period, "date": review.due_date.isoformat()}
    return subject, body


@transaction.atomic
def review_reminders(*, today: datetime.date) -> int:
    """Reminders to reviewers (before, on the day, daily while overdue) and the one-time escalation of
    long-overdue reviews to the leaders. Returns messages written."""
    config = notification_config()
    before = {today + datetime.timedelta(days=d) for d in config.offsets}
    if config.remind_on_due_day:
        before.add(today)
    reviews = list(RiskReview.objects.filter(status=RiskReview.Status.PENDING, due_date__lte=max(before | {today}))
                   .select_related("reviewer__membership", "unit").order_by("pk"))
    reviews = [r for r in reviews if r.due_date in before or r.due_date < today]
    escalate_after = datetime.timedelta(days=config.leader_escalation_after_days)
    leaders = _people(Role.LEADER, {p for r in reviews for p in _ancestor_paths(r.unit.path)})
    escalated = set(RiskReviewEvent.objects.filter(review__in=reviews, action=RiskReviewEvent.Action.ESCALATED)
                    .values_list("review_id", flat=True))
    specs, events = [], []
    for review in reviews:
        url = reverse("planning:review_detail", args=[review.pk])
        overdue = (today - review.due_date).days
        kind = Kind.OVERDUE_DIGEST if overdue > 0 else (Kind.REMINDER_DUE_DAY if overdue == 0 else Kind.REMINDER_BEFORE)
        subject, body = _review_text(review, _language(review.reviewer), overdue_days=overdue, escalation=False)
        channel_specs = _specs(kind, review, review.reviewer, today, subject, body, url)
        specs += channel_specs if overdue <= 0 else channel_specs[:1]  # overdue: in-app each day, no daily mail
        if review.due_date + escalate_after <= today and review.pk not in escalated:
            for leader in {u.pk: u for path in _ancestor_paths(review.unit.path) for u in leaders[path]}.values():
                if leader.pk == review.reviewer_id:
                    continue
                subject, body = _review_text(review, _language(leader), overdue_days=overdue, escalation=True)
                specs += _specs(Kind.ESCALATION, review, leader, None, subject, body, url)
            events.append(RiskReviewEvent(review=review, action=RiskReviewEvent.Action.ESCALATED,
                                          comment=str(overdue)))  # days overdue (history text stays language-neutral)
    RiskReviewEvent.objects.bulk_create(events)
    return len(message_enqueue_many(specs))
