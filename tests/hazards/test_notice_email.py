"""The "send e-mail" button on a notice and the admin action: scoped, role-checked, POST with a
one-time token; each queues a new outbox message with the stored PDF, recording who asked."""

import pytest
from django.utils import translation

from hazards import services
from hazards.models import Hazard
from notifications.models import Channel, Kind, Message
from org.once import FIELD

from .factories import register

pytestmark = pytest.mark.usefixtures("fast_pdf")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def notice(site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category)
    notice = services.hazard_notify(hazards=[hazard], by=manager_a)
    Message.objects.all().delete()
    return notice


def url(notice):
    return f"/hazards/notices/{notice.pk}/email/"


def hazard_of(notice) -> Hazard:
    return notice.hazards.get()


def test_the_button_queues_the_pdf_to_the_addressee(client, notice, manager_a):
    client.force_login(manager_a)
    page = client.get(f"/hazards/{hazard_of(notice).pk}/")
    assert url(notice).encode() in page.content
    response = client.post(url(notice), {"hazard": hazard_of(notice).pk, FIELD: "tok-1"}, follow=True)
    message = Message.objects.get()
    assert (message.kind, message.channel, message.recipient_address) == (Kind.NOTICE_ISSUED, Channel.EMAIL,
                                                                          "wang@example.com")
    assert message.attachments[0]["sha256"] == notice.sha256 and message.resent_by == manager_a
    assert response.redirect_chain[-1][0] == f"/hazards/{hazard_of(notice).pk}/#documents-card"
    assert b"is queued for sending" in response.content
    # the same form sent twice (double click) queues one message
    client.post(url(notice), {"hazard": hazard_of(notice).pk, FIELD: "tok-1"})
    assert Message.objects.count() == 1
    # a new click sends again
    client.post(url(notice), {"hazard": hazard_of(notice).pk, FIELD: "tok-2"})
    assert Message.objects.count() == 2


def test_to_another_address_and_a_bad_one(client, notice, manager_a):
    client.force_login(manager_a)
    client.post(url(notice), {"to": "office@example.com"})
    assert Message.objects.get().recipient_address == "office@example.com"
    response = client.post(url(notice), {"to": "not an address"}, follow=True)
    assert b"Enter a valid e-mail address." in response.content and Message.objects.count() == 1


def test_get_is_refused_and_other_units_see_nothing(client, notice, manager_b):
    client.force_login(manager_b)
    assert client.post(url(notice)).status_code == 404
    assert client.get(url(notice)).status_code == 405
    assert not Message.objects.exists()


def test_a_leader_may_not_send(client, notice, leader_a):
    client.force_login(leader_a)
    page = client.get(f"/hazards/{hazard_of(notice).pk}/")
    assert url(notice).encode() not in page.content
    response = client.post(url(notice), follow=True)
    assert b"Your role may not send notices." in response.content and not Message.objects.exists()


def test_without_an_addressee_email_an_address_is_asked_for(client, site_a, manager_a, category):
    hazard = register(site=site_a, by=manager_a, category=category, responsible_email="")
    notice = services.hazard_notify(hazards=[hazard], by=manager_a)
    Message.objects.all().delete()  # the notice's SMS
    client.force_login(manager_a)
    response = client.post(url(notice), follow=True)
    assert b"enter the address to send it to" in response.content and not Message.objects.exists()


def test_admin_action_uses_the_same_service(client, notice, admin_a, manager_b):
    admin_a.is_staff = True
    admin_a.save(update_fields=["is_staff"])
    client.force_login(admin_a)
    response = client.post("/admin/hazards/notice/", {"action": "send_email", "_selected_action": [notice.pk]},
                           follow=True)
    assert response.status_code == 200
    assert Message.objects.get().resent_by == admin_a
    assert f"Queued for sending: {notice.number}".encode() in response.content
