from datetime import timedelta

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone

from .models import Heartbeat


@staff_member_required
def status(request):
    beats = list(Heartbeat.objects.order_by("name"))
    stale_after = timedelta(seconds=settings.HEARTBEAT_SECONDS * 3)
    now = timezone.now()
    for beat in beats:
        beat.healthy = now - beat.last_run_at <= stale_after
    return render(request, "notifications/status.html", {
        "beats": beats, "broker": settings.CELERY_BROKER_URL.split("://")[0],
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    })
