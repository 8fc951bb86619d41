"""The reminder scan (hazards.reminders, `manage.py send_reminders`): what it queues on which day,
once, decided from the hazard's current state and deadline. The scan takes the day as an argument,
so a hazard notified today is scanned "as of" the days around its deadline."""

import datetime
import io
import zoneinfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from hazards import reminders, services
from hazards.lifecycle import Action
from hazards.models import Hazard
from notifications.models import Channel, Kind, Message, NotificationConfig
from org.models import Role
from tests.factories import OrgUnitFactory, make_user

from .factories import make_hazard, pending_extension, perform

pytestmark = pytest.mark.usefixtures("fast_pdf")
S = Hazard.Status
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def notified(site_a, manager_a, category):
    """A notified hazard (deadline in 14 days), with the notice's own messages cleared; the branch's
    manager has an e-mail address."""
    manager_a.email = "mgr@example.com"
    manager_a.save(update_fields=["email"])
    hazard = make_hazard(S.RECTIFYING, site=site_a, by=manager_a, category=category)
    Message.objects.all().delete()
    return hazard


def scan(day):
    return reminders.reminder_scan(today=day)


def kinds(**filters):
    return sorted(Message.objects.filter(**filters).values_list("kind", "channel", "recipient_address"))


def test_party_is_reminded_at_the_offsets_and_on_the_day_once(notified):
    deadline = notified.deadline
    # 4 days before: nothing; 3 days before: e-mail and SMS to the party
    assert scan(deadline - 4 * DAY)["reminder_before"] == 0
    assert scan(deadline - 3 * DAY)["reminder_before"] == 2
    assert kinds() == [("reminder_before", "email", "wang@example.com"), ("reminder_before", "sms", "13800000000")]
    email = Message.objects.get(channel=Channel.EMAIL)
    # in the language of the party's notice (Chinese by default)
    assert "还有 3 天" in email.body and deadline.isoformat() in email.subject
    # a second scan the same day queues nothing
    assert scan(deadline - 3 * DAY)["reminder_before"] == 0
    assert scan(deadline - 2 * DAY)["reminder_before"] == 0
    assert scan(deadline - 1 * DAY)["reminder_before"] == 2
    assert scan(deadline) == {"reminder_before": 0, "reminder_due_day": 2, "overdue_digest": 0,
                              "supervision_draft": 0, "escalation": 0}
    assert Message.objects.count() == 6


def test_offsets_and_due_day_come_from_the_settings(notified):
    NotificationConfig.objects.create(pk=1, reminder_offsets="5", remind_on_due_day=False)
    deadline = notified.deadline
    assert scan(deadline - 3 * DAY)["reminder_before"] == 0
    assert scan(deadline - 5 * DAY)["reminder_before"] == 2
    assert scan(deadline)["reminder_due_day"] == 0


def test_an_extension_moves_the_next_reminder(notified, manager_a):
    # given reminders at 3 and 1 days before the original deadline
    old = notified.deadline
    perform(Action.REQUEST_EXTENSION, notified, manager_a)
    services.hazard_decide_extension(extension=pending_extension(notified), approve=True, comment="同意",
                                     by=manager_a)
    notified.refresh_from_db()
    new = notified.deadline
    assert new == old + 10 * DAY
    Message.objects.all().delete()
    # when the scan runs on the days that were due before the extension: nothing
    assert scan(old - 1 * DAY)["reminder_before"] == 0
    assert scan(old)["reminder_due_day"] == 0
    assert scan(old + DAY)["overdue_digest"] == 0
    # then the reminders follow the new deadline
    assert scan(new - 3 * DAY)["reminder_before"] == 2
    assert new.isoformat() in Message.objects.get(channel=Channel.EMAIL).subject


def test_no_reminders_once_the_party_replied_or_the_file_is_closed(site_a, manager_a, category):
    pending = make_hazard(S.PENDING_ACCEPTANCE, site=site_a, by=manager_a, category=category)
    make_hazard(S.CLOSED, site=site_a, by=manager_a, category=category)
    Message.objects.all().delete()
    for offset in (3, 1, 0, -1, -3, -7):
        scan(pending.deadline - offset * DAY)
    assert not Message.objects.exists()


def test_overdue_digest_goes_daily_to_the_responsible_managers_only(notified, manager_a, manager_b, inspector_a):
    day = notified.deadline + DAY
    # the day after the deadline: one digest (in-app and e-mail) to the branch's manager
    assert scan(day)["overdue_digest"] == 2
    assert {m.recipient_user for m in Message.objects.all()} == {manager_a}
    in_app = Message.objects.get(channel=Channel.IN_APP)
    assert "1 overdue hazard" in in_app.body
    assert Message.objects.get(channel=Channel.EMAIL).subject.startswith("1 overdue hazard")
    assert notified.number in Message.objects.get(channel=Channel.EMAIL).body
    assert in_app.url == "/hazards/?overdue=yes" and in_app.unit == manager_a.membership.unit
    # once a day however often the scan runs, again the next day
    assert scan(day)["overdue_digest"] == 0
    assert scan(day + DAY)["overdue_digest"] == 2


def test_the_nearest_unit_with_managers_is_responsible(notified, manager_a, team_a):
    team_manager = make_user(team_a, Role.MANAGER, username="mgr_team", email="team@example.com")
    scan(notified.deadline + DAY)
    assert {m.recipient_user for m in Message.objects.all()} == {team_manager}


def test_digest_lists_the_most_overdue_and_counts_the_rest(site_a, manager_a, category, monkeypatch):
    monkeypatch.setattr(reminders, "DIGEST_LIST_MAX", 1)
    manager_a.email = "mgr@example.com"
    manager_a.save(update_fields=["email"])
    first = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category)
    make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=category,
                deadline=first.deadline + DAY)
    scan(first.deadline + 2 * DAY)
    email = Message.objects.get(kind=Kind.OVERDUE_DIGEST, channel=Channel.EMAIL)
    assert email.subject.startswith("2 overdue hazards")
    assert first.number in email.body and "and 1 more" in email.body


def test_supervision_draft_after_m_days_once_per_deadline(notified, manager_a):
    deadline = notified.deadline
    assert scan(deadline + 2 * DAY)["supervision_draft"] == 0
    assert scan(deadline + 3 * DAY)["supervision_draft"] == 2
    draft = Message.objects.get(kind=Kind.SUPERVISION_DRAFT, channel=Channel.IN_APP)
    assert draft.recipient_user == manager_a and draft.about == notified
    assert draft.url == f"/hazards/{notified.pk}/act/supervise/"
    assert scan(deadline + 4 * DAY)["supervision_draft"] == 0


def test_escalation_to_the_leader_at_the_second_threshold(notified, manager_a, leader_a):
    leader_a.membership.phone = "13900000000"
    leader_a.membership.save()
    deadline = notified.deadline
    assert scan(deadline + 6 * DAY)["escalation"] == 0
    assert scan(deadline + 7 * DAY)["escalation"] == 2  # in-app and SMS (the leader has no e-mail here)
    assert kinds(kind=Kind.ESCALATION) == [("escalation", "in_app", ""), ("escalation", "sms", "13900000000")]
    assert scan(deadline + 8 * DAY)["escalation"] == 0


def test_a_supervision_notice_starts_a_new_cycle(notified, manager_a, monkeypatch):
    deadline = notified.deadline
    scan(deadline + 3 * DAY)
    # when the manager issues the supervision notice with a new deadline
    monkeypatch.setattr("hazards.services.notices.local_today", lambda: deadline + 3 * DAY)
    monkeypatch.setattr("hazards.lifecycle.local_today", lambda: deadline + 3 * DAY)
    services.hazard_supervise(hazard=notified, new_deadline=deadline + 10 * DAY, by=manager_a)
    # then no digest while the new deadline runs, and a reminder before it
    assert scan(deadline + 4 * DAY)["overdue_digest"] == 0
    assert scan(deadline + 7 * DAY)["reminder_before"] == 2
    assert scan(deadline + 13 * DAY)["supervision_draft"] == 2


def test_the_day_is_the_local_date_of_time_zone(notified, settings, monkeypatch):
    # Asia/Shanghai is UTC+8: its day D starts at 16:00 UTC on D-1.
    settings.TIME_ZONE = "Asia/Shanghai"
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    deadline = notified.deadline
    midnight = datetime.datetime.combine(deadline, datetime.time(0, 0), tzinfo=shanghai)
    # one second before local midnight (15:59:59 UTC) it is still the day before the deadline
    monkeypatch.setattr(timezone, "now", lambda: midnight - datetime.timedelta(seconds=1))
    assert reminders.reminder_scan() == {"reminder_before": 2, "reminder_due_day": 0, "overdue_digest": 0,
                                         "supervision_draft": 0, "escalation": 0}
    # at local midnight (16:00 UTC, still the previous UTC date) it is the deadline
    monkeypatch.setattr(timezone, "now", lambda: midnight)
    assert midnight.astimezone(datetime.UTC).date() == deadline - DAY
    assert reminders.reminder_scan()["reminder_due_day"] == 2
    assert Message.objects.filter(kind=Kind.REMINDER_DUE_DAY).first().dedupe_key.endswith(deadline.isoformat())


def test_send_reminders_command_prints_counts_last(notified):
    out = io.StringIO()
    call_command("send_reminders", "--date", (notified.deadline - 3 * DAY).isoformat(), stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == (
        "reminder_before 2, reminder_due_day 0, overdue_digest 0, supervision_draft 0, escalation 0")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "07/12/2026")


def test_send_reminders_defaults_to_today(notified, monkeypatch):
    monkeypatch.setattr("hazards.reminders.local_today", lambda: notified.deadline)
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "reminder_due_day 2" in out.getvalue()


def test_deep_units_find_their_managers(site_a, manager_a, category, team_a):
    # a group three levels under the branch, without managers of its own
    group = OrgUnitFactory(code="BA-T1-G1", name="一组", parent=team_a)
    from tests.factories import SiteFactory

    site = SiteFactory(unit=group, name="组客户")
    hazard = make_hazard(S.NOTIFIED, site=site, by=manager_a, category=category)
    Message.objects.all().delete()
    scan(hazard.deadline + DAY)
    assert {m.recipient_user for m in Message.objects.all()} == {manager_a}
    assert site_a  # the fixture's site is another of the branch's
