from datetime import timedelta

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from org.forms import parse_id

from . import mailbox, selectors, services
from .models import Heartbeat


@staff_member_required
def status(request):
    beats = list(Heartbeat.objects.order_by("name"))
    stale_after = timedelta(seconds=settings.HEARTBEAT_SECONDS * 3)
    now = timezone.now()
    for beat in beats:
        beat.healthy = now - beat.last_run_at <= stale_after
    return render(request, "notifications/status.html", {
        "beats": beats, "outbox": selectors.outbox_health(now=now), "broker": settings.CELERY_BROKER_URL.split("://")[0],
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    })


# --- the notification centre (in-app messages of the logged-in user) ---------------------------

@login_required
@require_GET
def inbox(request):
    page = Paginator(selectors.inbox_list(user=request.user), settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {
        "page": page, "messages_page": list(page.object_list),
        "unread": selectors.inbox_unread_count(user=request.user),
    })


@login_required
@require_GET
def badge(request):
    """The bell's count, loaded by htmx after the page (so pages do not pay for it) and refreshed."""
    return render(request, "notifications/_badge.html", {"unread": selectors.inbox_unread_count(user=request.user)})


@login_required
@require_POST
def mark_read(request, pk):
    message = selectors.inbox_message_get(user=request.user, pk=parse_id(pk))
    services.message_mark_read(message=message, user=request.user)
    if request.POST.get("open") and message.url and url_has_allowed_host_and_scheme(
            message.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(message.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    services.messages_mark_all_read(user=request.user)
    return redirect("notifications:inbox")


# --- the local mailbox (local settings only) ----------------------------------------------------

def _mailbox_enabled(request):
    """Off outside the local settings; for staff only, and to anyone else it looks missing."""
    if not settings.LOCAL_MAILBOX or not request.user.is_staff:
        raise Http404


@login_required
@require_GET
def mailbox_list(request):
    _mailbox_enabled(request)
    page = Paginator(mailbox.mail_names(), 50).get_page(request.GET.get("page"))
    mails = [mailbox.mail_read(name, with_body=False) for name in page.object_list]
    return render(request, "notifications/mailbox_list.html", {"page": page, "mails": mails,
                                                               "folder": mailbox.mailbox_dir()})


@login_required
@require_GET
def mailbox_detail(request, name):
    _mailbox_enabled(request)
    try:
        mail = mailbox.mail_read(name)
    except KeyError:
        raise Http404 from None
    return render(request, "notifications/mailbox_detail.html", {"mail": mail})


@login_required
@require_GET
def mailbox_attachment(request, name, index):
    _mailbox_enabled(request)
    try:
        filename, content_type, data = mailbox.mail_attachment(name, index)
    except KeyError:
        raise Http404 from None
    inline = content_type == "application/pdf" or content_type in ("image/png", "image/jpeg")
    response = HttpResponse(data, content_type=content_type if inline else "application/octet-stream")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = content_disposition_header(disposition == "attachment", filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
