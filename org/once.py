"""One-time tokens for the forms that create something: a double click on "register" creates one
hazard, not two.

Each such form carries `{% once_token %}` (a random token made when the form is rendered) and its
view is wrapped in `@once_per_token`. When the form is sent, the token is claimed by inserting it
(a unique column, so exactly one sending wins, whatever the timing). The winner runs the view:

- it ends in a redirect (done): the redirect's target is kept with the token;
- it shows the form again (errors, refusal) or raises: the token is released, so the corrected
  form can be sent again.

A later sending of the same token waits (a few seconds at most) for the first to finish, then is
redirected to the first one's result with a message saying the form had already been sent; if the
first is still running after that, it is told so (409) and nothing is done twice. A POST without a
token (an old page, a script) is handled as before: the token protects people from double sending,
the views' own checks (versions, states) still apply to everything.
"""

import secrets
import time
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import SubmissionToken

FIELD = "once_token"
WAIT_SECONDS = 15.0
KEEP = timedelta(days=1)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _claim(token: str, user, owner: str = "") -> SubmissionToken | None:
    """None when this sending claimed the token; otherwise the first sending's row (its result set,
    or still empty when the wait ran out)."""
    deadline = time.monotonic() + WAIT_SECONDS
    user_id = user.pk if user is not None else None
    while True:
        try:
            with transaction.atomic():
                SubmissionToken.objects.create(token=token, user=user, owner=owner)
            return None
        except IntegrityError:
            row = SubmissionToken.objects.filter(token=token).first()
        if row is None:  # released meanwhile (the first sending failed): claim it now
            continue
        if row.result_url or row.user_id != user_id or row.owner != owner or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def once_per_token(view):
    """For views of signed-in users: the token is the user's."""
    return _once(view, lambda request, *args, **kwargs: (
        (request.user, "") if request.user.is_authenticated else None))


def once_per_token_for(owner):
    """For views without an account (the party's portal): `owner(request, *args, **kwargs)` names
    who sends the form (a short key, e.g. "portal:<link id>"), or None to handle the POST as
    without a token. `pending_template` is shown while the first sending still runs."""
    def decorator(view):
        def who(request, *args, **kwargs):
            key = owner(request, *args, **kwargs)
            return (None, key[:64]) if key else None
        return _once(view, who, pending_template="portal/once_pending.html")
    return decorator


def _once(view, who, pending_template: str = "once_pending.html"):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        sender = who(request, *args, **kwargs) if token else None
        if not token or sender is None:
            return view(request, *args, **kwargs)
        user, owner = sender
        if len(token) > 64:
            return HttpResponseBadRequest()
        SubmissionToken.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
        first = _claim(token, user, owner)
        if first is not None:
            if first.user_id != (user.pk if user is not None else None) or first.owner != owner:
                return HttpResponseBadRequest()
            if first.result_url:
                messages.info(request, _("This form had already been sent: here is its result."))
                return redirect(first.result_url)
            return render(request, pending_template, status=409)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            SubmissionToken.objects.filter(token=token).delete()
            raise
        if response.status_code in (301, 302, 303) and response.has_header("Location"):
            SubmissionToken.objects.filter(token=token).update(result_url=response["Location"])
        else:
            SubmissionToken.objects.filter(token=token).delete()
        return response

    return wrapper
