"""The login lockout (django-axes): who the client is behind the reverse proxies, and two limits.

- `client_ip` (AXES_CLIENT_IP_CALLABLE): the address the lockout counts. Each trusted proxy appends
  the address it received the request from to X-Forwarded-For, so the entry the outermost trusted
  proxy wrote, the TRUSTED_PROXY_COUNT-th from the right, is the client as that proxy saw it.
  Entries further left were sent by the client and can say anything: reading them (django-ipware's
  left-most default) let a client escape the lockout with a new first entry each time.
- `LockoutHandler` (AXES_HANDLER): failures count per user name and address (AXES_FAILURE_LIMIT,
  guessing one password) and per address alone (AXES_ADDRESS_FAILURE_LIMIT, higher: one address
  trying many user names, password spraying). A successful login clears only its own user name
  and address, so a sprayer cannot reset the address count by logging in to their own account.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def _address(value: str | None) -> str | None:
    """A valid IP address in its canonical text, without port or brackets; None for anything else."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 203.0.113.7:51234
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    remote = _address(request.META.get("REMOTE_ADDR"))
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
    if not entries:
        # Not through the proxies (a health check on the app server itself): the peer is the client.
        return remote
    # Fewer entries than proxies: the leftmost one was still written by a trusted proxy.
    return _address(entries[-min(count, len(entries))]) or remote


def _is_address_only(parameter) -> bool:
    return parameter == "ip_address" or list(parameter) == ["ip_address"]


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures of the group closest to its own limit, scaled to AXES_FAILURE_LIMIT (which
        axes compares this number with): n failures against a limit L count as n × limit // L."""
        limit = get_failure_limit(request, credentials)
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            own_limit = settings.AXES_ADDRESS_FAILURE_LIMIT if _is_address_only(parameter) else limit
            worst = max(worst, failures * limit // own_limit)
        return worst

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        count, _ = AccessAttempt.objects.filter(username=get_client_username(request, credentials),
                                                ip_address=request.axes_ip_address).delete()
        return count
