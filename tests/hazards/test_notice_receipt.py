"""Issue 11, fault 5: receipt (签收) is of the NOTICE. Acknowledging a notice that covers several
hazards through one of them moves every hazard of it still awaiting acknowledgement, each with its
own lock, version bump and history row; a hazard already moved on is left alone and the result says
so. The same rule holds for the staff form and for the party's portal."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from hazards import services
from hazards.lifecycle import PARTY, Action, ActionRefused
from hazards.models import Hazard, HazardEvent
from portal import services as portal_services
from portal.models import PartyAction
from tests import samples
from tests.portal.conftest import signature_data_url

from .factories import register, today

S = Hazard.Status
pytestmark = pytest.mark.usefixtures("fast_pdf")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def notice_of_three(site_a, manager_a, category):
    hazards = [register(site=site_a, by=manager_a, category=category, description=f"隐患 {i}",
                        deadline=today() + datetime.timedelta(days=10 + i)) for i in range(3)]
    notice = services.hazard_notify(hazards=hazards, by=manager_a)
    return notice, [Hazard.objects.get(pk=h.pk) for h in hazards]


def fresh(hazards):
    return [Hazard.objects.get(pk=h.pk) for h in hazards]


def test_receipt_through_one_hazard_moves_every_hazard_of_the_notice(notice_of_three, inspector_a):
    notice, hazards = notice_of_three
    versions = [h.version for h in hazards]
    second = hazards[1]
    services.hazard_acknowledge(hazard=second, acknowledged_by_name="王建国", by=inspector_a,
                                expected_version=second.version)
    after = fresh(hazards)
    assert [h.status for h in after] == [S.RECTIFYING] * 3
    assert [h.version for h in after] == [v + 1 for v in versions]
    for hazard in after:
        event = HazardEvent.objects.filter(hazard=hazard, action=Action.ACKNOWLEDGE).get()
        assert (event.from_status, event.to_status, event.actor_name) == (S.NOTIFIED, S.RECTIFYING, "王建国")
        assert event.data["notice"] == notice.number
        assert event.data.get("via") == (None if hazard.pk == second.pk else second.number)
    notice.refresh_from_db()
    assert notice.acknowledged_by_name == "王建国" and notice.acknowledged_at


def test_a_hazard_already_moved_on_is_left_alone_and_the_result_says_so(notice_of_three, manager_a, inspector_a):
    notice, (first, second, third) = notice_of_three
    services.hazard_void(hazard=third, reason="重复登记", by=manager_a)
    voided = Hazard.objects.get(pk=third.pk)
    result = services.notice_acknowledge(through=first, acknowledged_by_name="王建国", by=inspector_a,
                                         expected_version=first.version)
    assert [h.pk for h in result.moved] == [first.pk, second.pk] and [h.pk for h in result.left] == [third.pk]
    assert result.notice == notice and result.hazard.pk == first.pk
    after = Hazard.objects.get(pk=third.pk)
    assert (after.status, after.version) == (S.VOIDED, voided.version)
    assert not HazardEvent.objects.filter(hazard=third, action=Action.ACKNOWLEDGE).exists()


def test_a_second_receipt_finds_nothing_left(notice_of_three, inspector_a):
    notice, (first, second, third) = notice_of_three
    services.notice_acknowledge(notice=notice, acknowledged_by_name="王建国", by=inspector_a)
    with pytest.raises(ActionRefused):
        services.notice_acknowledge(notice=notice, acknowledged_by_name="李四", by=inspector_a)
    with pytest.raises(ActionRefused):
        services.hazard_acknowledge(hazard=second, acknowledged_by_name="李四", by=inspector_a,
                                    expected_version=second.version)
    notice.refresh_from_db()
    assert notice.acknowledged_by_name == "王建国"
    assert HazardEvent.objects.filter(action=Action.ACKNOWLEDGE).count() == 3


def test_the_staff_form_moves_the_whole_notice_and_the_other_page_offers_no_receipt(
        client, notice_of_three, manager_a, inspector_a):
    notice, (first, second, third) = notice_of_three
    services.hazard_void(hazard=third, reason="重复登记", by=manager_a)
    client.force_login(inspector_a)
    url = reverse("hazards:hazard_action", args=[first.pk, Action.ACKNOWLEDGE])
    form_page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert second.number in form_page and third.number in form_page  # the form says who moves with it
    response = client.post(url, {"expected_version": first.version, "acknowledged_by_name": "王建国"},
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert notice.number in page and second.number in page and f"{third.number} (Voided)" in page
    assert [h.status for h in fresh([first, second])] == [S.RECTIFYING] * 2
    other = client.get(reverse("hazards:hazard_detail", args=[second.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("hazards:hazard_action", args=[second.pk, Action.ACKNOWLEDGE]) not in other.content.decode()


def test_the_portal_acknowledges_through_the_same_rule(notice_of_three, manager_a, monkeypatch):
    notice, (first, second, third) = notice_of_three
    monkeypatch.setattr("portal.documents.render_acknowledged_copy", lambda notice, **kw: samples.pdf())
    services.hazard_void(hazard=third, reason="重复登记", by=manager_a)
    calls = []
    real = services.notice_acknowledge
    monkeypatch.setattr(services, "notice_acknowledge", lambda **kw: calls.append(kw) or real(**kw))
    link, _path = portal_services.link_issue(notice=notice, address="wang@example.com")
    moved = portal_services.party_acknowledge(link=link, name="王建国",
                                              signature=portal_services.signature_from_data_url(signature_data_url()),
                                              client=portal_services.Client(ip="127.0.0.1"))
    assert len(calls) == 1 and calls[0]["notice"] == notice and calls[0]["by"] is PARTY
    assert sorted(h.pk for h in moved) == [first.pk, second.pk]
    assert [h.status for h in fresh([first, second, third])] == [S.RECTIFYING, S.RECTIFYING, S.VOIDED]
    assert PartyAction.objects.filter(link=link, action=Action.ACKNOWLEDGE).count() == 2
