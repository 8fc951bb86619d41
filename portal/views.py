"""The party's portal pages: no login. The e-mailed link (/p/<selector>/<verifier>/) is checked
once, then remembered in the browser's session for PORTAL_SESSION_HOURS and the browser is sent
to /p/<selector>/, so the secret leaves the address bar, the history and any Referer at once.
Every page re-checks the link (revoked, expired, closed) and the rate limits; a link that does
not open gives one bilingual page that says nothing about any notice."""

from __future__ import annotations

import datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hazards.lifecycle import PARTY, Action, ActionRefused, ChangedMeanwhile, check, local_today
from hazards.models import ExtensionRequest, Hazard, HazardEvent, HazardPhoto, ReplyPhoto, WorkOrderReply
from hazards.selectors import deadline_chain
from org import selectors as org_selectors
from org.lockout import client_ip
from org.once import once_per_token_for
from org.roles import MANAGING_ROLES
from org.uploads import file_response

from . import services, throttle
from .forms import PartyAcknowledgeForm, PartyExtensionForm, PartyReplyForm
from .models import PartyAction, PartyLink

SESSION_KEY = "portal_links"
LANGUAGE_KEY = "portal_language"
LANGUAGES = ("zh-hans", "en")


def _harden(response):
    # The page is the party's only: never cached, never sending its address to another site. (Not
    # "no-referrer": Chromium then sends "Origin: null" with the forms, which CSRF rightly refuses;
    # the page's own address carries no secret, see `enter`.)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _window() -> int:
    return settings.PORTAL_RATE_WINDOW_SECONDS


def _bilingual(request, template: str, status: int, **context):
    """A page that names no notice, in both languages (the party's language is not known yet)."""
    return _harden(render(request, template, {"reason": context.get("reason", "invalid")}, status=status))


def _limited(request):
    return _bilingual(request, "portal/limited.html", 429)


def _invalid(request):
    return _bilingual(request, "portal/invalid.html", 404)


def _address_allowed(request) -> bool:
    return throttle.hit(f"ip:{client_ip(request)}", limit=settings.PORTAL_RATE_PER_ADDRESS, window_seconds=_window())


def _client(request) -> services.Client:
    return services.Client(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def not_found(request, *args, **kwargs):
    if not _address_allowed(request):
        return _limited(request)
    return _invalid(request)


@require_GET
def enter(request, selector: str, verifier: str):
    """The e-mailed link: verify, remember in the session, and go to the page without the secret."""
    bad_key = f"bad:{client_ip(request)}"
    if not throttle.peek(bad_key, limit=settings.PORTAL_RATE_BAD_LINKS, window_seconds=_window()):
        return _limited(request)
    if not _address_allowed(request):
        return _limited(request)
    link = services.link_find(selector, verifier)
    if link is None:
        throttle.hit(bad_key, limit=settings.PORTAL_RATE_BAD_LINKS, window_seconds=_window())
        return _invalid(request)
    state = services.link_state(link)
    if state != "valid":
        return _bilingual(request, "portal/unusable.html", 410, reason=state)
    # A new session key for the verified browser: a session planted before (fixation) learns nothing.
    request.session.cycle_key()
    links = dict(request.session.get(SESSION_KEY, {}))
    links[link.selector] = timezone.now().isoformat()
    request.session[SESSION_KEY] = links
    services.link_opened(link)
    return _harden(redirect("portal:notice", link.selector))


def _session_link(request, selector: str) -> PartyLink | None:
    opened = request.session.get(SESSION_KEY, {}).get(selector)
    if not opened:
        return None
    try:
        opened_at = datetime.datetime.fromisoformat(opened)
    except ValueError:
        return None
    if timezone.now() - opened_at > datetime.timedelta(hours=settings.PORTAL_SESSION_HOURS):
        return None
    return PartyLink.objects.select_related("notice__site", "notice__unit", "notice__issued_by").filter(
        selector=selector).first()


def _language(request, link) -> str:
    chosen = request.GET.get("lang")
    if chosen in LANGUAGES:
        request.session[LANGUAGE_KEY] = chosen
    language = request.session.get(LANGUAGE_KEY) or link.notice.language
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def portal_view(view):
    """Resolve the link of the session for `selector` (or answer with the page that says why not),
    count the request, and run the view in the party's language."""
    @wraps(view)
    def wrapper(request, selector: str, *args, **kwargs):
        if not _address_allowed(request):
            return _limited(request)
        link = _session_link(request, selector)
        if link is None:
            return _invalid(request)
        if not throttle.hit(f"link:{link.pk}", limit=settings.PORTAL_RATE_PER_LINK, window_seconds=_window()):
            return _limited(request)
        state = services.link_state(link)
        if state != "valid":
            return _bilingual(request, "portal/unusable.html", 410, reason=state)
        request.portal_link = link
        with translation.override(_language(request, link)):
            try:
                response = view(request, selector, *args, **kwargs)
            except services.NotInLink:
                response = _invalid(request)
            except services.LinkUnusable as exc:
                response = _bilingual(request, "portal/unusable.html", 410, reason=exc.state)
            response["Content-Language"] = translation.get_language()
        return _harden(response)
    return wrapper


def _once_owner(request, selector, *args, **kwargs):
    return f"portal:{selector}"


def _hazards(link):
    return list(
        link.notice.hazards.select_related("site", "category").order_by("number").prefetch_related(
            Prefetch("photos", queryset=HazardPhoto.objects.filter(kind=HazardPhoto.Kind.BEFORE)),
            Prefetch("replies", queryset=WorkOrderReply.objects.order_by("submitted_at", "id")
                     .prefetch_related("photos")),
            Prefetch("extensions", queryset=ExtensionRequest.objects.order_by("requested_at", "id")),
        ))


def _may(hazard, action) -> bool:
    try:
        check(hazard, action, PARTY)
    except ActionRefused:
        return False
    return True


def _page(request, link, *, bound: dict | None = None, status: int = 200, refusal: str = ""):
    """The notice page: the notice, its hazards and the forms of what the party may do now.
    `bound`: {(action, hazard id or None): bound form with errors} to show instead of a blank one."""
    bound = bound or {}
    hazards = _hazards(link)
    notice = link.notice
    rows = []
    for hazard in hazards:
        row = {"hazard": hazard, "forms": {}}
        if _may(hazard, Action.REQUEST_EXTENSION):
            row["forms"]["extension"] = bound.get(("extension", hazard.pk)) or PartyExtensionForm(
                auto_id=f"h{hazard.pk}-ext-%s", initial={"expected_version": hazard.version})
        if _may(hazard, Action.SUBMIT_REPLY):
            row["forms"]["reply"] = bound.get(("reply", hazard.pk)) or PartyReplyForm(
                auto_id=f"h{hazard.pk}-reply-%s", initial={"expected_version": hazard.version})
        rows.append(row)
    acknowledge = None
    if notice.kind == notice.Kind.HAZARD and any(h.status == Hazard.Status.NOTIFIED for h in hazards):
        acknowledge = bound.get(("acknowledge", None)) or PartyAcknowledgeForm(auto_id="ack-%s")
    deadlines = sorted({h.deadline for h in hazards if h.deadline})
    chain = []
    if notice.kind == notice.Kind.SUPERVISION and hazards:
        # What the supervision notice cites (issue 11, fault 6): the earlier notices and deadlines.
        chain = deadline_chain(HazardEvent.objects.filter(hazard=hazards[0]).order_by("at", "id"), before=notice)
    return render(request, "portal/notice.html", {
        "link": link, "notice": notice, "rows": rows, "acknowledge_form": acknowledge, "refusal": refusal,
        # The header states only what is true of every hazard below (each row shows its own deadline).
        "earliest_deadline": deadlines[0] if deadlines else notice.deadline, "deadlines_differ": len(deadlines) > 1,
        "chain": chain,
        "expires_on": timezone.localdate(services.link_expires_at(link, hazards) - datetime.timedelta(seconds=1)),
        "today": local_today(), "min_date": (local_today() + datetime.timedelta(days=1)).isoformat(),
        "language": translation.get_language(),
    }, status=status)


@require_GET
@portal_view
def notice(request, selector: str):
    return _page(request, request.portal_link)


def _refused(request, link, form, key, exc, files: bool):
    """The page again with the form as sent and why it was refused (nothing was saved)."""
    # Refusals first (core.lifecycle.ActionRefused), then the form's ValidationError.
    if isinstance(exc, ChangedMeanwhile):
        refusal, status = _("Someone else acted on this hazard meanwhile (perhaps on another device): the page "
                            "now shows what was recorded. Nothing was saved from your form."), 409
    elif isinstance(exc, ActionRefused):
        refusal, status = str(exc.message), 409
    else:
        for field, errors in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
            form.add_error(field if field in form.fields else None, errors)
        refusal, status = "", 200
    if files:
        messages.warning(request, _("The photos you chose were not kept: please choose them again."))
    bound = {key: form} if not isinstance(exc, ActionRefused) else {}
    if isinstance(exc, ChangedMeanwhile) and key[1] is not None:
        # Keep what the party typed, now against the hazard as it is: it may check and send again.
        hazard = Hazard.objects.filter(pk=key[1]).only("version").first()
        if hazard is not None:
            data = request.POST.copy()
            data["expected_version"] = str(hazard.version)
            form = type(form)(data, auto_id=form.auto_id)
            form.is_valid()
            bound = {key: form}
    return _page(request, link, bound=bound, status=status, refusal=refusal)


@require_POST
@portal_view
@once_per_token_for(_once_owner)
def acknowledge(request, selector: str):
    link = request.portal_link
    form = PartyAcknowledgeForm(request.POST, auto_id="ack-%s")
    if not form.is_valid():
        return _page(request, link, bound={("acknowledge", None): form})
    try:
        signature = services.signature_from_data_url(form.cleaned_data["signature"])
        services.party_acknowledge(link=link, name=form.cleaned_data["acknowledged_by_name"],
                                   signature=signature, client=_client(request))
    except (ValidationError, ActionRefused) as exc:
        return _refused(request, link, form, ("acknowledge", None), exc, files=False)
    messages.success(request, _("Thank you: your acknowledgement of receipt is recorded, with your signature."))
    return redirect(reverse("portal:notice", args=[selector]) + "#notice")


def _hazard_form(request, link, hazard_id, form_class, prefix):
    hazard = services.link_hazard(link, hazard_id)
    return hazard, form_class(request.POST, request.FILES, auto_id=f"h{hazard.pk}-{prefix}-%s")


@require_POST
@portal_view
@once_per_token_for(_once_owner)
def extension(request, selector: str, hazard_id: int):
    link = request.portal_link
    hazard, form = _hazard_form(request, link, hazard_id, PartyExtensionForm, "ext")
    key = ("extension", hazard.pk)
    if not form.is_valid():
        return _page(request, link, bound={key: form})
    data = form.cleaned_data
    try:
        services.party_request_extension(
            link=link, hazard_id=hazard.pk, requested_deadline=data["requested_deadline"], reason=data["reason"],
            name=data["requested_by_name"], client=_client(request), expected_version=data["expected_version"])
    except (ValidationError, ActionRefused) as exc:
        return _refused(request, link, form, key, exc, files=False)
    messages.success(request, _("Your extension request for hazard %(number)s is recorded; the issuing unit will "
                                "decide and let you know.") % {"number": hazard.number})
    return redirect(reverse("portal:notice", args=[selector]) + f"#hazard-{hazard.pk}")


@require_POST
@portal_view
@once_per_token_for(_once_owner)
def reply(request, selector: str, hazard_id: int):
    link = request.portal_link
    hazard, form = _hazard_form(request, link, hazard_id, PartyReplyForm, "reply")
    key = ("reply", hazard.pk)
    if not form.is_valid():
        if request.FILES:
            messages.warning(request, _("The photos you chose were not kept: please choose them again."))
        return _page(request, link, bound={key: form})
    data = form.cleaned_data
    try:
        services.party_submit_reply(
            link=link, hazard_id=hazard.pk, cause=data["cause"], handling=data["handling"], result=data["result"],
            next_measures=data["next_measures"], name=data["submitted_by_name"], photos=data["photos"],
            client=_client(request), expected_version=data["expected_version"])
    except (ValidationError, ActionRefused) as exc:
        return _refused(request, link, form, key, exc, files=bool(request.FILES))
    messages.success(request, _("Your reply on hazard %(number)s is recorded; the issuing unit will check the "
                                "rectification on site.") % {"number": hazard.number})
    return redirect(reverse("portal:notice", args=[selector]) + f"#hazard-{hazard.pk}")


@require_GET
@portal_view
def document(request, selector: str, which: str = "original"):
    notice = request.portal_link.notice
    field = notice.file if which == "original" else notice.signed_scan
    if not field:
        raise Http404
    suffix = "" if which == "original" else "-acknowledged"
    return file_response(field, download_name=f"{notice.number}{suffix}")


@require_GET
@portal_view
def photo(request, selector: str, photo_id: int, size: str = "thumb"):
    """A before-photo of one of the link's hazards (what the inspectors found)."""
    photo = HazardPhoto.objects.filter(pk=photo_id, kind=HazardPhoto.Kind.BEFORE,
                                       hazard__notices=request.portal_link.notice).first()
    if photo is None:
        raise services.NotInLink()
    field = photo.thumbnail if size == "thumb" and photo.thumbnail else photo.image
    return file_response(field, download_name=f"{photo.hazard.number}-photo-{photo.pk}")


@require_GET
@portal_view
def reply_photo(request, selector: str, photo_id: int):
    """A photo of the party's own reply on one of the link's hazards."""
    photo = ReplyPhoto.objects.select_related("reply__hazard").filter(
        pk=photo_id, reply__hazard__notices=request.portal_link.notice).first()
    if photo is None:
        raise services.NotInLink()
    field = photo.thumbnail or photo.image
    return file_response(field, download_name=f"{photo.reply.hazard.number}-reply-photo-{photo.pk}")


# --- staff side ----------------------------------------------------------------------------------

@login_required
def signature_file(request, pk: int):
    """A drawn signature, for staff of the hazard's units (like every other stored file)."""
    row = org_selectors.get_for_user_or_404(PartyAction.objects.select_related("hazard"), request.user,
                                            unit_field="hazard__unit", pk=pk)
    return file_response(row.signature, download_name=f"{row.hazard.number}-signature-{row.pk}")


@login_required
@require_POST
def link_revoke(request, pk: int):
    """Revoke a party's link (a manager of the notice's units); with resend=1, send the notice again
    with a new link."""
    link = get_object_or_404(org_selectors.scope_queryset(
        PartyLink.objects.select_related("notice"), request.user, "notice__unit"), pk=pk)
    membership = org_selectors.user_membership(request.user)
    if not request.user.is_superuser and (membership is None or membership.role not in MANAGING_ROLES):
        messages.error(request, _("Only a manager may revoke the party's link."))
    elif request.POST.get("resend") == "1":
        try:
            services.link_reissue(link=link, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The link was revoked and the notice sent again with a new link."))
    else:
        services.link_revoke(link=link, by=request.user, reason=request.POST.get("reason", "")[:200])
        messages.success(request, _("The link was revoked: it no longer opens the notice."))
    hazard = link.notice.hazards.order_by("pk").first()
    return redirect("hazards:hazard_detail", hazard.pk) if hazard else redirect("home")
