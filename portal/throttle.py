"""Rate limits of the portal: fixed windows counted in the database (portal.models.Throttle), so
every web process and worker counts the same requests."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Throttle


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request under `key`; False when the window already holds `limit` requests."""
    now = timezone.now()
    start = now - datetime.timedelta(seconds=window_seconds)
    key = key[:120]
    # The common case in one statement: a live window gets one more hit.
    if Throttle.objects.filter(key=key, window_start__gt=start).update(hits=F("hits") + 1):
        return Throttle.objects.filter(key=key).values_list("hits", flat=True).first() <= limit
    try:
        with transaction.atomic():
            updated = Throttle.objects.filter(key=key, window_start__lte=start).update(window_start=now, hits=1)
            if not updated:
                Throttle.objects.create(key=key, window_start=now, hits=1)
                # Windows that ended long ago are of no use: the table stays as small as the traffic.
                Throttle.objects.filter(window_start__lt=now - datetime.timedelta(days=1)).delete()
    except IntegrityError:  # another request opened the window meanwhile: count in it
        return hit(key, limit=limit, window_seconds=window_seconds)
    return True


def peek(key: str, *, limit: int, window_seconds: int) -> bool:
    """True while `key` is under its limit, without counting a request."""
    start = timezone.now() - datetime.timedelta(seconds=window_seconds)
    hits = Throttle.objects.filter(key=key[:120], window_start__gt=start).values_list("hits", flat=True).first()
    return hits is None or hits < limit
