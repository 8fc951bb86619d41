"""Fault 7: paper records entered later. A signed notice (签收), a reply (回复), an acceptance
(验收) … recorded today from yesterday's paper carry yesterday's date (the effective date), beside
the time they were entered; never in the future, never before the hazard's previous step."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from hazards import services
from hazards.models import Acceptance, HazardEvent, Notice, WorkOrderReply

from .factories import register, today

pytestmark = pytest.mark.usefixtures("fast_pdf")
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _days_ago(monkeypatch, days):
    """Run the next service calls `days` days ago (the entered timestamps follow the clock)."""
    real = timezone.now
    monkeypatch.setattr("django.utils.timezone.now", lambda: real() - days * DAY)
    return lambda: monkeypatch.setattr("django.utils.timezone.now", real)


@pytest.fixture
def notified(monkeypatch, site_a, inspector_a, category):
    """A hazard discovered and notified five days ago."""
    back = _days_ago(monkeypatch, 5)
    hazard = register(site=site_a, by=inspector_a, category=category, discovered_on=today(),
                      deadline=today() + 20 * DAY)
    services.hazard_notify(hazards=[hazard], by=inspector_a)
    back()
    hazard.refresh_from_db()
    return hazard


def test_acknowledgement_of_yesterdays_paper_keeps_yesterdays_date(notified, inspector_a):
    # Given a notice signed on paper yesterday, when staff record it today
    yesterday = today() - DAY
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                acknowledged_on=yesterday)
    # Then the notice and the history carry yesterday as the effective date, and today as entered
    notice = Notice.objects.get(hazards=notified)
    assert notice.acknowledged_on == yesterday
    assert timezone.localdate(notice.acknowledged_at) == today()
    event = HazardEvent.objects.filter(hazard=notified, action="acknowledge").get()
    assert event.effective_on == yesterday and timezone.localdate(event.at) == today()


def test_recorded_actions_default_to_today(notified, inspector_a):
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a)
    assert Notice.objects.get(hazards=notified).acknowledged_on == today()
    assert notified.events.get(action="acknowledge").effective_on == today()


def test_an_effective_date_in_the_future_is_refused_on_its_field(notified, inspector_a):
    with pytest.raises(ValidationError) as exc:
        services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                    acknowledged_on=today() + DAY)
    assert "in the future" in exc.value.message_dict["acknowledged_on"][0]
    assert not notified.events.filter(action="acknowledge").exists()
    assert Notice.objects.get(hazards=notified).acknowledged_at is None


def test_an_effective_date_before_the_previous_step_is_refused_naming_it(notified, inspector_a):
    # The notice was issued five days ago: a receipt signed six days ago cannot be.
    with pytest.raises(ValidationError) as exc:
        services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                    acknowledged_on=today() - 6 * DAY)
    message = exc.value.message_dict["acknowledged_on"][0]
    assert "Notify" in message and (today() - 5 * DAY).isoformat() in message
    assert not notified.events.filter(action="acknowledge").exists()


def test_reply_and_acceptance_from_paper_follow_each_other(notified, inspector_a):
    d = today()
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                acknowledged_on=d - 4 * DAY)
    notified.refresh_from_db()
    reply = services.hazard_submit_reply(hazard=notified, cause="老化", handling="已紧固", result="handled",
                                         submitted_by_name="王建国", by=inspector_a, replied_on=d - 2 * DAY)
    assert WorkOrderReply.objects.get(pk=reply.pk).replied_on == d - 2 * DAY
    notified.refresh_from_db()
    # An acceptance cannot be before the reply it accepts
    with pytest.raises(ValidationError) as exc:
        services.hazard_accept(hazard=notified, by=inspector_a, checked_on=d - 3 * DAY)
    assert "checked_on" in exc.value.message_dict
    acceptance = services.hazard_accept(hazard=notified, by=inspector_a, checked_on=d - DAY)
    assert Acceptance.objects.get(pk=acceptance.pk).checked_on == d - DAY
    days = [(e.action, e.effective_on) for e in notified.events.order_by("at", "id")]
    assert days[-3:] == [("acknowledge", d - 4 * DAY), ("submit_reply", d - 2 * DAY), ("accept", d - DAY)]


def test_rejection_from_paper_and_the_next_reply(notified, inspector_a):
    d = today()
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                acknowledged_on=d - 4 * DAY)
    notified.refresh_from_db()
    services.hazard_submit_reply(hazard=notified, cause="老化", handling="已紧固", result="handled",
                                 submitted_by_name="王建国", by=inspector_a, replied_on=d - 3 * DAY)
    notified.refresh_from_db()
    services.hazard_reject(hazard=notified, reason="仍超标", by=inspector_a, checked_on=d - 2 * DAY)
    notified.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        services.hazard_submit_reply(hazard=notified, cause="老化", handling="再次紧固", result="handled",
                                     submitted_by_name="王建国", by=inspector_a, replied_on=d - 3 * DAY)
    assert "replied_on" in exc.value.message_dict


def test_service_report_and_extension_request_are_not_before_the_previous_step(notified, inspector_a, manager_a):
    d = today()
    for call, field in (
        (lambda day: services.record_service_visit(hazard=notified, date=day, description="指导", by=inspector_a),
         "date"),
        (lambda day: services.hazard_report(hazard=notified, addressee="应急局", report_date=day, by=manager_a),
         "report_date"),
        (lambda day: services.hazard_request_extension(hazard=notified, requested_deadline=d + 30 * DAY,
                                                       reason="备件", requested_by_name="王建国", by=inspector_a,
                                                       requested_on=day), "requested_on"),
    ):
        with pytest.raises(ValidationError) as exc:
            call(d - 6 * DAY)
        assert field in exc.value.message_dict
    extension = services.hazard_request_extension(hazard=notified, requested_deadline=d + 30 * DAY, reason="备件",
                                                  requested_by_name="王建国", by=inspector_a,
                                                  requested_on=d - 2 * DAY)
    assert extension.requested_on == d - 2 * DAY
    assert notified.events.get(action="request_extension").effective_on == d - 2 * DAY


def test_an_approver_may_grant_another_deadline(notified, inspector_a, manager_a):
    d = today()
    extension = services.hazard_request_extension(hazard=notified, requested_deadline=d + 30 * DAY, reason="备件",
                                                  requested_by_name="王建国", by=inspector_a)
    with pytest.raises(ValidationError) as exc:
        services.hazard_decide_extension(extension=extension, approve=True, comment="", by=manager_a,
                                         granted_deadline=d - DAY)
    assert "granted_deadline" in exc.value.message_dict
    services.hazard_decide_extension(extension=extension, approve=True, comment="同意 25 天", by=manager_a,
                                     granted_deadline=d + 25 * DAY)
    notified.refresh_from_db()
    extension.refresh_from_db()
    assert notified.deadline == d + 25 * DAY and extension.granted_deadline == d + 25 * DAY
    event = notified.events.get(action="approve_extension")
    assert event.data["new_deadline"] == (d + 25 * DAY).isoformat()
    assert event.data["requested_deadline"] == (d + 30 * DAY).isoformat()


def test_approval_without_a_date_grants_the_requested_one(notified, inspector_a, manager_a):
    d = today()
    extension = services.hazard_request_extension(hazard=notified, requested_deadline=d + 30 * DAY, reason="备件",
                                                  requested_by_name="王建国", by=inspector_a)
    services.hazard_decide_extension(extension=extension, approve=True, comment="", by=manager_a)
    notified.refresh_from_db()
    assert notified.deadline == d + 30 * DAY
    assert extension.__class__.objects.get(pk=extension.pk).granted_deadline == d + 30 * DAY


# --- the pages ---------------------------------------------------------------------------------

def test_the_acknowledge_form_records_the_date_signed(client, notified, inspector_a):
    from django.urls import reverse

    client.force_login(inspector_a)
    url = reverse("hazards:hazard_action", args=[notified.pk, "acknowledge"])
    page = client.get(url).content.decode()
    assert f'name="acknowledged_on" value="{today().isoformat()}"' in page  # today by default
    # A date in the future is refused on its field, nothing saved
    response = client.post(url, {"expected_version": notified.version, "acknowledged_by_name": "王建国",
                                 "acknowledged_on": (today() + DAY).isoformat()})
    assert response.status_code == 200 and response.context["form"].errors["acknowledged_on"]
    assert not notified.events.filter(action="acknowledge").exists()
    # Yesterday's paper: recorded with yesterday, and the timeline says both
    yesterday = today() - DAY
    response = client.post(url, {"expected_version": notified.version, "acknowledged_by_name": "王建国",
                                 "acknowledged_on": yesterday.isoformat()})
    assert response.status_code == 302
    body = client.get(reverse("hazards:hazard_detail", args=[notified.pk])).content.decode()
    assert f'data-effective="{yesterday.isoformat()}"' in body and f"effective {yesterday.isoformat()}" in body


def test_the_approval_form_grants_another_date(client, notified, inspector_a, manager_a):
    from django.urls import reverse

    d = today()
    services.hazard_request_extension(hazard=notified, requested_deadline=d + 30 * DAY, reason="备件",
                                      requested_by_name="王建国", by=inspector_a)
    notified.refresh_from_db()
    client.force_login(manager_a)
    url = reverse("hazards:hazard_action", args=[notified.pk, "approve_extension"])
    page = client.get(url).content.decode()
    assert f'name="granted_deadline" value="{(d + 30 * DAY).isoformat()}"' in page  # the requested one
    response = client.post(url, {"expected_version": notified.version, "comment": "",
                                 "granted_deadline": (d + 21 * DAY).isoformat()})
    assert response.status_code == 302
    notified.refresh_from_db()
    assert notified.deadline == d + 21 * DAY


def test_accepted_by_the_deadline_counts_the_day_of_the_check(notified, inspector_a):
    """The KPI "accepted by the deadline" and the KPI report read the acceptance check's day, not
    the day it was entered."""
    from hazards.models import Hazard
    from kpis import rules as kpi_rules

    d = today()
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                acknowledged_on=d - 4 * DAY)
    notified.refresh_from_db()
    services.hazard_submit_reply(hazard=notified, cause="老化", handling="已紧固", result="handled",
                                 submitted_by_name="王建国", by=inspector_a, replied_on=d - 3 * DAY)
    notified.refresh_from_db()
    services.hazard_accept(hazard=notified, by=inspector_a, checked_on=d - 2 * DAY)
    hazard = Hazard.objects.annotate(accepted_on=kpi_rules.accepted_on_annotation()).get(pk=notified.pk)
    assert hazard.acceptance_date == d - 2 * DAY
    assert hazard.accepted_on == kpi_rules.accepted_day(hazard) == d - 2 * DAY


@pytest.mark.skipif(not __import__("shutil").which("pdftotext"), reason="poppler-utils not installed")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_hazard_file_prints_the_effective_dates(notified, inspector_a, tmp_path, language):
    from hazards import hazard_file
    from hazards.models import Hazard

    from .test_hazard_file import pdf_text

    yesterday = (today() - DAY).isoformat()
    services.hazard_acknowledge(hazard=notified, acknowledged_by_name="王建国", by=inspector_a,
                                acknowledged_on=today() - DAY)
    hazard = hazard_file.with_file_prefetch(Hazard.objects.filter(pk=notified.pk)).get()
    text = pdf_text(hazard_file.render_hazard_file_pdf(hazard, language=language), tmp_path)
    with translation.override(language):
        effective = "".join(translation.gettext("effective %(day)s").split()) % {"day": yesterday}
        receipt = "".join((translation.gettext("receipt acknowledged by %(name)s on %(date)s")
                           % {"name": "王建国", "date": yesterday}).split())
    assert effective in text and receipt in text


def test_a_receipt_of_yesterday_moves_every_hazard_of_the_notice_with_that_day(monkeypatch, site_a, inspector_a,
                                                                                 category):
    back = _days_ago(monkeypatch, 5)
    first = register(site=site_a, by=inspector_a, category=category, deadline=today() + 20 * DAY)
    second = register(site=site_a, by=inspector_a, category=category, deadline=today() + 20 * DAY)
    services.hazard_notify(hazards=[first, second], by=inspector_a)
    back()
    yesterday = today() - DAY
    first.refresh_from_db()
    services.hazard_acknowledge(hazard=first, acknowledged_by_name="王建国", by=inspector_a, acknowledged_on=yesterday)
    assert [e.effective_on for e in HazardEvent.objects.filter(action="acknowledge").order_by("hazard_id")] == [
        yesterday, yesterday]
    assert Notice.objects.get().acknowledged_on == yesterday
