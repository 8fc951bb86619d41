"""The party's three actions through its link: the staff's services with the party as the actor,
one transaction with the history row and the portal's record, staff notified after commit,
replays and stale forms refused with a clear message, nothing half-saved."""

import datetime

import pytest
from django.urls import reverse

from hazards.lifecycle import Action
from hazards.models import ExtensionRequest, Hazard, HazardEvent, Notice, WorkOrderReply
from notifications.models import Kind, Message
from org.models import SubmissionToken
from portal import services
from portal.models import PartyAction
from tests.hazards.factories import image_upload, perform, today

from .conftest import link_for, once, open_link, signature_data_url

pytestmark = pytest.mark.django_db
S = Hazard.Status


@pytest.fixture
def portal(client, notified):
    link, path = link_for(notified.notices.get())
    page = open_link(client, path)
    client.get(page + "?lang=en")  # the party's choice, kept in its session: messages below in English
    return link, page


def _ack(client, link, page, **data):
    html = client.get(page).content.decode()
    return client.post(reverse("portal:acknowledge", args=[link.selector]), {
        "acknowledged_by_name": "王建国", "signature": signature_data_url(), "once_token": once(html), **data})


def test_acknowledge_with_a_drawn_signature(client, portal, notified, manager_a, django_capture_on_commit_callbacks):
    link, page = portal
    with django_capture_on_commit_callbacks(execute=False):
        response = _ack(client, link, page)
    assert response.status_code == 302
    hazard = Hazard.objects.get(pk=notified.pk)
    assert hazard.status == S.RECTIFYING
    event = hazard.events.get(action=Action.ACKNOWLEDGE)
    assert event.actor is None and event.actor_name == "王建国"  # the party itself, not staff
    record = PartyAction.objects.get(event=event)
    assert record.link == link and record.client_ip == "127.0.0.1" and record.signature
    assert record.signature.name.endswith(".png")
    notice = Notice.objects.get(pk=hazard.notices.get().pk)
    assert notice.acknowledged_by_name == "王建国" and notice.signed_scan  # the acknowledged copy
    assert notice.signed_scan.name != notice.file.name  # a new document; the issued one untouched
    staff = Message.objects.filter(kind=Kind.PARTY_ACTED)
    assert {m.recipient_user for m in staff if m.channel == "in_app"} == {manager_a}
    page_after = client.get(page).content.decode()
    assert "Receipt acknowledged by 王建国" in page_after and "acknowledge-form" not in page_after


def test_an_empty_signature_is_refused_and_nothing_is_saved(client, portal, notified):
    link, page = portal
    for signature in ("", signature_data_url(strokes=False), "data:image/png;base64,AAAA", "javascript:alert(1)"):
        response = _ack(client, link, page, signature=signature)
        assert response.status_code == 200
        assert Hazard.objects.get(pk=notified.pk).status == S.NOTIFIED
    assert PartyAction.objects.count() == 0 and not Notice.objects.get().signed_scan


def test_a_replayed_form_does_not_act_twice(client, portal, notified):
    link, page = portal
    html = client.get(page).content.decode()
    data = {"acknowledged_by_name": "王建国", "signature": signature_data_url(), "once_token": once(html)}
    url = reverse("portal:acknowledge", args=[link.selector])
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "already been sent" in second.content.decode()
    assert HazardEvent.objects.filter(action=Action.ACKNOWLEDGE).count() == 1
    # A fresh form sent again (another tab): refused in words, not an error.
    again = _ack(client, link, page)
    assert again.status_code in (200, 409)


def test_a_form_token_is_bound_to_its_link(client, portal, notified):
    link, page = portal
    html = client.get(page).content.decode()
    token = once(html)
    SubmissionToken.objects.create(token=token, owner="portal:someoneelse")
    response = client.post(reverse("portal:acknowledge", args=[link.selector]), {
        "acknowledged_by_name": "王建国", "signature": signature_data_url(), "once_token": token})
    assert response.status_code == 400
    assert Hazard.objects.get(pk=notified.pk).status == S.NOTIFIED


def test_request_an_extension(client, portal, notified):
    link, page = portal
    html = client.get(page).content.decode()
    wanted = notified.deadline + datetime.timedelta(days=7)
    response = client.post(reverse("portal:extension", args=[link.selector, notified.pk]), {
        "requested_deadline": wanted.isoformat(), "reason": "备件到货延迟", "requested_by_name": "王建国",
        "expected_version": notified.version, "once_token": once(html)})
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get(hazard=notified)
    assert extension.requested_deadline == wanted and extension.requested_by_name == "王建国"
    event = HazardEvent.objects.get(hazard=notified, action=Action.REQUEST_EXTENSION)
    assert event.actor is None and PartyAction.objects.get(event=event).party_name == "王建国"
    assert Message.objects.filter(kind=Kind.PARTY_ACTED, about_id=notified.pk).exists()


def test_an_extension_not_later_than_the_deadline_is_refused_on_its_field(client, portal, notified):
    link, page = portal
    html = client.get(page).content.decode()
    response = client.post(reverse("portal:extension", args=[link.selector, notified.pk]), {
        "requested_deadline": notified.deadline.isoformat(), "reason": "x", "requested_by_name": "王建国",
        "expected_version": notified.version, "once_token": once(html)})
    assert response.status_code == 200
    assert "must be later than the current deadline" in response.content.decode()
    assert not ExtensionRequest.objects.exists() and not PartyAction.objects.exists()


def test_a_stale_form_is_changed_meanwhile(client, portal, notified, manager_a):
    link, page = portal
    html = client.get(page).content.decode()
    perform("service", notified, manager_a)  # staff act meanwhile: the version moves
    response = client.post(reverse("portal:extension", args=[link.selector, notified.pk]), {
        "requested_deadline": (notified.deadline + datetime.timedelta(days=3)).isoformat(), "reason": "x",
        "requested_by_name": "王建国", "expected_version": notified.version, "once_token": once(html)})
    assert response.status_code == 409
    body = response.content.decode()
    assert "acted on this hazard meanwhile" in body
    assert not ExtensionRequest.objects.exists()
    # What the party typed is kept, against the current version: sending it again works.
    version = Hazard.objects.get(pk=notified.pk).version
    assert 'value="王建国"' in body and f'name="expected_version" value="{version}"' in body


def test_reply_with_photos_then_staff_accept(client, portal, notified, manager_a):
    link, page = portal
    _ack(client, link, page)
    hazard = Hazard.objects.get(pk=notified.pk)
    html = client.get(page).content.decode()
    response = client.post(reverse("portal:reply", args=[link.selector, hazard.pk]), {
        "cause": "设备老化", "handling": "已紧固并测试合格", "result": WorkOrderReply.Result.HANDLED,
        "next_measures": "每月巡视", "submitted_by_name": "王建国", "expected_version": hazard.version,
        "photos": [image_upload("after.jpg", fmt="JPEG")], "once_token": once(html)})
    assert response.status_code == 302
    reply = WorkOrderReply.objects.get(hazard=hazard)
    assert reply.recorded_by is None and reply.photos.count() == 1
    hazard = Hazard.objects.get(pk=hazard.pk)
    assert hazard.status == S.PENDING_ACCEPTANCE
    assert PartyAction.objects.filter(hazard=hazard, action=Action.SUBMIT_REPLY).count() == 1
    photo = reply.photos.get()
    assert client.get(reverse("portal:reply_photo", args=[link.selector, photo.pk])).status_code == 200
    perform("accept", hazard, manager_a)
    assert Hazard.objects.get(pk=hazard.pk).status == S.ACCEPTED


def test_a_bad_photo_refuses_the_whole_reply(client, portal, notified):
    link, page = portal
    _ack(client, link, page)
    hazard = Hazard.objects.get(pk=notified.pk)
    html = client.get(page).content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("portal:reply", args=[link.selector, hazard.pk]), {
        "cause": "c", "handling": "h", "result": "handled", "submitted_by_name": "王建国",
        "expected_version": hazard.version, "once_token": once(html),
        "photos": [image_upload("ok.png"), SimpleUploadedFile("evil.jpg", b"<html><script>x</script>")]})
    assert response.status_code == 200
    assert "evil.jpg" in response.content.decode()
    assert not WorkOrderReply.objects.exists() and Hazard.objects.get(pk=hazard.pk).status == S.RECTIFYING


def test_services_refuse_a_revoked_link_inside_the_transaction(notified, manager_a):
    link, _path = link_for(notified.notices.get())
    services.link_revoke(link=link, by=manager_a)
    with pytest.raises(services.LinkUnusable):
        services.party_request_extension(link=link, hazard_id=notified.pk, requested_deadline=today(),
                                         reason="x", name="x", client=services.Client("127.0.0.1"))


def test_the_notice_email_carries_a_new_link(notified, settings):
    from notifications.services import notice_email_enqueue

    notice = notified.notices.get()
    # Issuing the notice queued its e-mail (hazards.outbox), in the notice's language, with a link.
    first = Message.objects.get(kind=Kind.NOTICE_ISSUED, channel="email", about_id=notice.pk)
    link = notice.party_links.get()
    assert f"/p/{link.selector}/" in first.body and "无需账号" in first.body
    assert notice_email_enqueue(notice=notice).pk == first.pk and notice.party_links.count() == 1
    # Sent again (a deliberate re-send, here in English): a new link replaces the first.
    settings.SITE_URL = "https://hz.example.com"
    Notice.objects.update(language="en")
    notice.refresh_from_db()
    resent = notice_email_enqueue(notice=notice, resend=True)
    new = notice.party_links.get(revoked_at__isnull=True)
    link.refresh_from_db()
    assert new != link and link.revoke_reason == "superseded"
    assert f"https://hz.example.com/p/{new.selector}/" in resent.body and "No account is needed" in resent.body


def test_staff_see_the_partys_steps_on_the_hazard_page(client, portal, notified, manager_a):
    link, page = portal
    _ack(client, link, page)
    html = client.get(page).content.decode()
    hazard = Hazard.objects.get(pk=notified.pk)
    client.post(reverse("portal:reply", args=[link.selector, hazard.pk]), {
        "cause": "c", "handling": "h", "result": "handled", "submitted_by_name": "王建国",
        "expected_version": hazard.version, "once_token": once(html), "photos": [image_upload("a.png")]})
    client.force_login(manager_a)
    detail = client.get(reverse("hazards:hazard_detail", args=[hazard.pk]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert body.count('data-via="portal"') == 2  # acknowledged and replied through the link
