"""The login lockout behind the reverse proxy (issue 8, fault 8): the client address is read from
the right end of X-Forwarded-For as the trusted proxy count says, a spoofed first entry changes
nothing, a single-value header is a real address (not None for everyone), and one address trying
many user names is locked out as well (password spraying)."""

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from org.lockout import client_ip
from org.models import Role
from tests.factories import make_user

PROXY = "10.0.0.2"  # the reverse proxy: every request reaches the app from it
PASSWORD = "pw-123456"  # tests/factories.make_user


def _request(remote=PROXY, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(("count", "forwarded", "remote", "expected"), [
    (1, "198.51.100.9", PROXY, "198.51.100.9"),                 # single value: the client
    (1, "1.2.3.4, 198.51.100.9", PROXY, "198.51.100.9"),        # spoofed first entry ignored
    (1, "1.2.3.4,  5.6.7.8 ,198.51.100.9", PROXY, "198.51.100.9"),
    (1, None, "192.0.2.5", "192.0.2.5"),                         # no header: the peer
    (1, "", "192.0.2.5", "192.0.2.5"),
    (1, "1.2.3.4, not-an-address", PROXY, PROXY),               # garbage from the proxy: the peer
    (1, "[2001:db8::7]:443", PROXY, "2001:db8::7"),
    (1, "198.51.100.9:51234", PROXY, "198.51.100.9"),
    (1, "2001:DB8:0:0::9", PROXY, "2001:db8::9"),                # canonical form: one client, one key
    (2, "1.2.3.4, 198.51.100.9, 10.0.0.1", PROXY, "198.51.100.9"),  # two proxies
    (2, "198.51.100.9", PROXY, "198.51.100.9"),                 # fewer entries than proxies
    (0, "1.2.3.4", "192.0.2.5", "192.0.2.5"),                    # no proxy: the header is the client's
])
def test_client_address(settings, count, forwarded, remote, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(_request(remote, forwarded)) == expected


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def _login(client, username, password, forwarded=None):
    extra = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_spoofed_first_entries_do_not_escape_the_lockout(client, branch_a, settings, behind_proxy):
    # given a client who sends a new made-up first entry with every guess
    make_user(branch_a, Role.INSPECTOR, username="victim")
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "victim", "wrong", f"192.0.2.{i + 1}, 203.0.113.7")
    # then it is locked out all the same, even with the right password and yet another first entry
    locked = _login(client, "victim", PASSWORD, "192.0.2.200, 203.0.113.7")
    assert locked.status_code == 429 and not _logged_in(client)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


@pytest.mark.django_db
def test_one_clients_failures_do_not_lock_out_another_client(client, branch_a, settings, behind_proxy):
    # given an attacker whose proxy sends a single-value header, guessing a colleague's password
    make_user(branch_a, Role.INSPECTOR, username="colleague")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "colleague", "wrong", "203.0.113.7")
    assert _login(client, "colleague", PASSWORD, "203.0.113.7").status_code == 429
    # then the colleague, from their own address through the same proxy, still logs in
    response = _login(client, "colleague", PASSWORD, "198.51.100.9")
    assert response.status_code == 302 and _logged_in(client)
    assert None not in AccessAttempt.objects.values_list("ip_address", flat=True)


@pytest.mark.django_db
def test_without_a_header_the_connection_address_counts(client, branch_a, settings):
    make_user(branch_a, Role.INSPECTOR, username="direct")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "direct", "password": "wrong"}, REMOTE_ADDR="192.0.2.5")
    locked = client.post(reverse("login"), {"username": "direct", "password": PASSWORD}, REMOTE_ADDR="192.0.2.5")
    other = client.post(reverse("login"), {"username": "direct", "password": PASSWORD}, REMOTE_ADDR="192.0.2.6")
    assert locked.status_code == 429
    assert other.status_code == 302


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_locked_out(client, branch_a, settings, behind_proxy):
    settings.AXES_FAILURE_LIMIT, settings.AXES_ADDRESS_FAILURE_LIMIT = 5, 12
    sprayer, other = "203.0.113.7", "198.51.100.9"
    make_user(branch_a, Role.INSPECTOR, username="real_user")
    make_user(branch_a, Role.INSPECTOR, username="sprayer_own")
    # given one address trying one password on many user names, each well under the per-user limit,
    # and logging in to its own account halfway (which must not reset the address's count)
    for i in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        _login(client, f"user{i}", "Summer2026!", sprayer)
        if i == 5:
            assert _login(client, "sprayer_own", PASSWORD, sprayer).status_code == 302
            client.logout()
    # then the address is still allowed below its limit …
    assert _login(client, "real_user", PASSWORD, sprayer).status_code == 302
    client.logout()
    # … and locked once it reaches it, for every user name, even with the right password
    _login(client, "user-last", "Summer2026!", sprayer)
    response = _login(client, "real_user", PASSWORD, sprayer)
    assert response.status_code == 429 and not _logged_in(client)
    # while the same user from another address is not affected
    assert _login(client, "real_user", PASSWORD, other).status_code == 302


@pytest.mark.django_db
def test_per_user_limit_stays_lower_than_the_address_limit(client, branch_a, settings, behind_proxy):
    """Five guesses of one user's password lock that user name from that address, though the
    address as a whole is far from its own limit; the address can still log in other users."""
    make_user(branch_a, Role.INSPECTOR, username="target")
    make_user(branch_a, Role.INSPECTOR, username="neighbour")
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "target", "wrong", "203.0.113.7")
    assert _login(client, "target", PASSWORD, "203.0.113.7").status_code == 429
    assert _login(client, "neighbour", PASSWORD, "203.0.113.7").status_code == 302
