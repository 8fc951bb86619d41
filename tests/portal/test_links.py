"""The party's link: signed (split token, hash stored), tamper-proof, expiring, revocable, scoped
to its notice, rate limited; a link that does not open says so in both languages and nothing more."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from hazards.models import Hazard
from portal import services
from portal.models import PartyLink
from tests.hazards.factories import RiskCategoryFactory, make_hazard, perform

from .conftest import link_for, open_link

pytestmark = pytest.mark.django_db
S = Hazard.Status


def _notice(hazard):
    return hazard.notices.get()


def test_the_secret_is_not_stored_only_its_hash(notified):
    link, path = link_for(_notice(notified))
    verifier = path.rstrip("/").rsplit("/", 1)[1]
    assert len(link.selector) == 16 and len(verifier) == 43
    row = PartyLink.objects.get(pk=link.pk)
    assert verifier not in str(row.__dict__)
    assert row.verifier_hash == services._hash(verifier)


def test_opening_the_link_moves_the_secret_out_of_the_address(client, notified):
    link, path = link_for(_notice(notified))
    location = open_link(client, path)
    assert location == reverse("portal:notice", args=[link.selector])
    page = client.get(location)
    assert page.status_code == 200
    body = page.content.decode()
    assert notified.number in body and notified.description in body
    assert path.rsplit("/", 2)[1] not in body  # the verifier is nowhere on the page
    assert page["Referrer-Policy"] == "same-origin" and "no-store" in page["Cache-Control"]
    link.refresh_from_db()
    assert link.opened == 1 and link.last_used_at is not None


@pytest.mark.parametrize("tamper", ["verifier", "selector", "truncated", "extra"])
def test_a_tampered_link_gives_the_bilingual_page_and_nothing_else(client, notified, tamper):
    link, path = link_for(_notice(notified))
    selector, verifier = path.strip("/").split("/")[1:]
    bad = {
        "verifier": f"/p/{selector}/{verifier[:-1]}{'A' if verifier[-1] != 'A' else 'B'}/",
        "selector": f"/p/{selector[:-1]}{'A' if selector[-1] != 'A' else 'B'}/{verifier}/",
        "truncated": f"/p/{selector}/{verifier[:20]}/",
        "extra": f"/p/{selector}/{verifier}x/",
    }[tamper]
    response = client.get(bad)
    assert response.status_code == 404
    body = response.content.decode()
    assert "无法打开此链接" in body and "This link cannot be opened" in body
    for secret in (notified.number, notified.description, notified.site.name, "王建国"):
        assert secret not in body
    # And the page without the secret is not opened either.
    assert client.get(reverse("portal:notice", args=[selector])).status_code == 404


def test_the_page_needs_the_secret_first(client, notified):
    link, _path = link_for(_notice(notified))
    response = client.get(reverse("portal:notice", args=[link.selector]))
    assert response.status_code == 404 and "This link cannot be opened" in response.content.decode()


def test_expiry_is_a_set_time_after_the_latest_deadline(client, notified, settings, monkeypatch):
    settings.PORTAL_LINK_DAYS_AFTER_DEADLINE = 10
    link, path = link_for(_notice(notified))
    last_valid = datetime.datetime.combine(notified.deadline + datetime.timedelta(days=10), datetime.time(23, 59))
    assert services.link_state(link, now=timezone.make_aware(last_valid)) == "valid"
    after = timezone.make_aware(last_valid + datetime.timedelta(minutes=2))
    assert services.link_state(link, now=after) == "expired"
    monkeypatch.setattr("django.utils.timezone.now", lambda: after)
    response = client.get(path)
    assert response.status_code == 410
    body = response.content.decode()
    assert "has expired" in body and "链接" in body and notified.number not in body


def test_an_approved_extension_moves_the_expiry(notified, manager_a, settings):
    link, _path = link_for(_notice(notified))
    before = services.link_expires_at(link)
    perform("request_extension", notified, manager_a)
    perform("approve_extension", Hazard.objects.get(pk=notified.pk), manager_a)
    assert services.link_expires_at(link) == before + datetime.timedelta(days=10)


def test_a_revoked_link_stops_at_once_even_in_an_open_session(client, notified, manager_a):
    link, path = link_for(_notice(notified))
    page = open_link(client, path)
    services.link_revoke(link=link, by=manager_a, reason="lost phone")
    for url in (page, path):
        response = client.get(url)
        assert response.status_code == 410
        assert "withdrawn" in response.content.decode()


def test_sending_again_supersedes_the_earlier_link(client, notified):
    notice = _notice(notified)
    first, first_path = link_for(notice)
    second, second_path = services.link_issue(notice=notice, address="wang@example.com", supersede=True)
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoke_reason == "superseded"
    assert client.get(first_path).status_code == 410
    assert client.get(second_path).status_code == 302


def test_a_closed_notice_closes_its_link(client, notified, manager_a):
    link, path = link_for(_notice(notified))
    perform("void", notified, manager_a)
    response = client.get(path)
    assert response.status_code == 410 and "closed" in response.content.decode()


def test_a_link_reaches_only_its_own_notices_hazards(client, notified, site_a, site_b, manager_a, manager_b):
    other = make_hazard(S.NOTIFIED, site=site_b, by=manager_b, category=RiskCategoryFactory())
    mine = make_hazard(S.NOTIFIED, site=site_a, by=manager_a, category=RiskCategoryFactory())
    link, path = link_for(_notice(notified))
    page = open_link(client, path)
    assert other.number not in client.get(page).content.decode()
    for foreign in (other, mine):  # another unit's, and the same party's other notice
        for name in ("portal:extension", "portal:reply"):
            response = client.post(reverse(name, args=[link.selector, foreign.pk]), {
                "requested_deadline": "2099-01-01", "reason": "x", "requested_by_name": "x",
                "expected_version": foreign.version})
            assert response.status_code == 404
        photo = perform("add_photo", foreign, manager_b if foreign is other else manager_a)
        assert client.get(reverse("portal:photo", args=[link.selector, photo.pk])).status_code == 404
    assert Hazard.objects.get(pk=other.pk).extensions.count() == 0


def test_bad_links_from_one_address_are_limited(client, notified, settings):
    settings.PORTAL_RATE_BAD_LINKS = 3
    link, path = link_for(_notice(notified))
    for _ in range(3):
        assert client.get(f"/p/{link.selector}/{'x' * 43}/").status_code == 404
    limited = client.get(path)  # even the right link waits now: guessing is not worth it
    assert limited.status_code == 429
    assert "请稍后再试" in limited.content.decode() and "Too many requests" in limited.content.decode()


def test_requests_through_one_link_are_limited(client, notified, settings):
    settings.PORTAL_RATE_PER_LINK = 3
    link, path = link_for(_notice(notified))
    page = open_link(client, path)
    assert [client.get(page).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_the_party_chooses_its_language(client, notified):
    link, path = link_for(_notice(notified))
    page = open_link(client, path)
    assert "整改期限" in client.get(page).content.decode() or "期限" in client.get(page).content.decode()
    english = client.get(page + "?lang=en").content.decode()
    assert "Acknowledge receipt" in english
    assert "Acknowledge receipt" in client.get(page).content.decode()  # remembered


def test_a_manager_revokes_and_resends_from_the_staff_side(client, notified, manager_a, inspector_a):
    notice = notified.notices.get()
    link, path = link_for(notice)
    url = reverse("portal:link_revoke", args=[link.pk])
    client.force_login(inspector_a)
    detail = client.get(reverse("hazards:hazard_detail", args=[notified.pk])).content.decode()
    assert f'data-link="{link.pk}" data-state="valid"' in detail and "data-revoke" not in detail
    client.force_login(manager_a)
    detail = client.get(reverse("hazards:hazard_detail", args=[notified.pk])).content.decode()
    assert f'data-revoke="{link.pk}"' in detail
    client.force_login(inspector_a)
    client.post(url, {"resend": "1"})
    link.refresh_from_db()
    assert link.revoked_at is None  # an inspector may not
    client.force_login(manager_a)
    response = client.post(url, {"resend": "1"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None and link.revoked_by == manager_a
    fresh = notice.party_links.filter(revoked_at__isnull=True, created_at__gt=link.created_at)
    assert fresh.count() == 1
    client.logout()
    assert client.get(path).status_code == 410
