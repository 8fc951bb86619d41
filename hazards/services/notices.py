"""Notices: the hazard notice (告知书) for one or more hazards of one site, its receipt (签收,
staff form or the party's portal), the supervision notice (督导单) of an overdue hazard, and sending
a notice's e-mail again. `_issue` says when and why a notice is rendered where it is."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from org.documents import RenderError, render_error_message
from org.selectors import unit_in_scope, user_membership
from org.services import next_number, number_peek
from org.uploads import DOCUMENT

from .. import events, outbox, rules
from ..lifecycle import TRANSITIONS, Action, ActionRefused, ChangedMeanwhile, check, local_today
from ..models import Hazard, Notice
from ._common import S, _checked, _effective, _issuing_unit, _latest_hazard_notice, _lock, _required, _save
from .numbers import NOTICE_SERIES

# A notice is a document a party reads and signs: beyond this many hazards, issue several.
MAX_HAZARDS_PER_NOTICE = 50
# Renders of one notice before its issuing gives up because other notices keep taking the number.
ISSUE_ATTEMPTS = 5


def _issue(notice: Notice, hazards: Sequence[Hazard]) -> Notice:
    """Number, render and store the notice (inside the caller's transaction, which holds the
    notice's own hazard rows locked).

    Why the notice is rendered here, before its number is taken: the PDF prints the number, and
    numbers are gap-free per company and year, so taking one locks the series' counter row until
    the transaction ends. Rendering while holding it made every unit's issuing wait on one unit's
    render (a 181-page notice held it 25 s; another branch's notice waited 44 s). So the notice is
    rendered with the number the counter would give next, read without a lock; then the number is
    taken only if it is still that one, the notice is stored and the transaction ends at once: the
    counter is held for milliseconds. If another notice took the number during the render, the
    notice is rendered again with the new next number (nothing was taken or stored). A render holds
    no lock that another unit needs: only the rows of this notice's own hazards.

    Why it is rendered inside the transaction at all, and not after commit (core.transaction):
    the PDF is the notice, i.e. the record of what was issued, numbered and hashed; a hazard is
    "notified" only together with it. Rendered after commit, a failed render would leave a notified
    hazard without its notice. Sending it (e-mail to the party) is a side effect: an outbox row
    written here, delivered after commit."""
    from ..documents import render_notice_pdf, store_document

    key, prefix, width = NOTICE_SERIES[notice.kind]
    year = local_today().year
    notice.full_clean(exclude=["number", "file", "sha256"])
    for _attempt in range(ISSUE_ATTEMPTS):
        notice.number = number_peek(key, prefix, year, width)
        try:
            pdf = render_notice_pdf(notice, hazards)
        except RenderError as exc:
            raise ActionRefused(_("The notice could not be issued: %(reason)s") % {
                "reason": render_error_message(exc)}) from exc
        if next_number(key, prefix, year, width, expected=notice.number) is not None:
            break
    else:
        raise ActionRefused(_("Many notices are being issued at this moment; please try again."))
    notice.full_clean(exclude=["file", "sha256"])
    notice.save()
    notice.hazards.set(hazards)
    store_document(notice, pdf)
    return notice


@transaction.atomic
def hazard_notify(*, hazards: Sequence[Hazard], by, language="zh-hans",
                  expected_versions: dict[int, int] | None = None) -> Notice:
    """One hazard notice (告知书) covering one or more hazards of ONE site."""
    if not hazards:
        raise ActionRefused(_("Choose at least one hazard to notify."))
    if len(hazards) > MAX_HAZARDS_PER_NOTICE:
        raise ActionRefused(_("One notice covers at most %(max)d hazards; notify them in smaller groups.")
                            % {"max": MAX_HAZARDS_PER_NOTICE})
    if len({h.site_id for h in hazards}) > 1:
        raise ActionRefused(_("One notice covers hazards of one site only; notify each site separately."))
    expected_versions = expected_versions or {}
    locked = []
    refusals = []
    # Lock in primary-key order so two notices over overlapping hazards cannot deadlock.
    for hazard in sorted(hazards, key=lambda h: h.pk):
        try:
            locked.append(_lock(hazard, Action.NOTIFY, by, expected_version=expected_versions.get(hazard.pk)))
        except ChangedMeanwhile:
            raise
        except ActionRefused as exc:
            # Collect every hazard's reason: the user fixes them all at once.
            refusals.append(f"{hazard.number}: {exc.message}")
    if refusals:
        if len(hazards) == 1:
            raise ActionRefused(refusals[0].split(": ", 1)[1])
        raise ActionRefused(" ".join(refusals))
    site = locked[0].site
    names = list(dict.fromkeys(h.responsible_name.strip() for h in locked))
    addressee = "、".join(names)
    if len(addressee) > Notice._meta.get_field("addressee").max_length:
        raise ActionRefused(_("These hazards have too many different responsible parties for one notice; "
                              "notify them in smaller groups."))
    email = next((h.responsible_email for h in locked if h.responsible_email), "")
    notice = Notice(
        kind=Notice.Kind.HAZARD, site=site,
        unit=_issuing_unit(by, site), addressee=addressee, addressee_email=email,
        deadline=min(h.deadline for h in locked), language=language, issued_by=by,
    )
    now = timezone.now()
    for hazard in locked:
        from_status = hazard.status
        hazard.status, hazard.notified_at = S.NOTIFIED, now
        _save(hazard, ["status", "notified_at"])
        hazard._from_status = from_status
    _issue(notice, locked)
    for hazard in locked:
        events.hazard_notified(hazard, by=by, from_status=hazard._from_status, notice=notice)
    outbox.notice_issued(notice, locked)
    return notice


@dataclass(frozen=True)
class Acknowledgement:
    """What one receipt (签收) of a notice did: the hazards of the notice that moved to
    rectification together, and those already moved on by someone else, left alone as they were."""

    notice: Notice | None
    hazard: Hazard | None  # the hazard it was recorded through (staff form), else None (portal)
    moved: list[Hazard]
    left: list[Hazard]


@transaction.atomic
def hazard_acknowledge(*, hazard, acknowledged_by_name, by, signed_scan=None, expected_version=None,
                       acknowledged_on: datetime.date | None = None) -> Hazard:
    """Receipt of the notice (签收), recorded through one of its hazards (staff form, with a scan
    of the signed notice). The receipt is of the notice: see notice_acknowledge."""
    return notice_acknowledge(through=hazard, acknowledged_by_name=acknowledged_by_name, by=by,
                              signed_scan=signed_scan, expected_version=expected_version,
                              acknowledged_on=acknowledged_on).hazard


@transaction.atomic
def notice_acknowledge(*, acknowledged_by_name, by, notice=None, through=None, signed_scan=None,
                       expected_version=None, acknowledged_on: datetime.date | None = None) -> Acknowledgement:
    """Receipt of a hazard notice (签收): one signature covers the whole notice, so every hazard of
    it still awaiting acknowledgement moves to rectification together, each with its row locked,
    its version raised and its own history row, in this one transaction. The staff form passes
    `through` (the hazard page it was opened on, checked against `expected_version`; the notice is
    that hazard's hazard notice); the party's portal passes `notice` (by=PARTY). A hazard of the
    notice that someone else already moved on (acknowledged, replied, voided…) is left alone and
    listed in the result's `left`. The notice keeps its first receipt. `acknowledged_on`: the day
    signed (recorded from paper; default today, the portal's party acting live), checked against
    every moved hazard's previous step."""
    _required(acknowledged_by_name=acknowledged_by_name)
    name = acknowledged_by_name.strip()
    if signed_scan is not None:
        signed_scan = _checked([signed_scan], DOCUMENT, "signed_scan")[0]
    if notice is None and through is not None:
        notice = _latest_hazard_notice(through)
    if notice is not None and notice.kind != Notice.Kind.HAZARD:
        raise ActionRefused(_("Receipt is acknowledged on the hazard notice, not on a supervision notice."))
    ids = set(notice.hazards.values_list("pk", flat=True)) if notice is not None else set()
    if through is not None:
        ids.add(through.pk)
    moved, left, through_locked = [], [], None
    # Locked in primary-key order, as hazard_notify locks them: two receipts of one notice queue
    # here (whichever hazard each was opened on), and the second finds nothing left to move.
    for pk in sorted(ids):
        if through is not None and pk == through.pk:
            hazard = through_locked = _lock(through, Action.ACKNOWLEDGE, by, expected_version=expected_version)
        else:
            hazard = (Hazard.objects.select_for_update(of=("self",))
                      .select_related("unit", "site", "category").get(pk=pk))
            try:
                check(hazard, Action.ACKNOWLEDGE, by)
            except ActionRefused:
                left.append(hazard)
                continue
        moved.append(hazard)
    if not moved:
        raise ActionRefused(_("This notice has already been acknowledged."))
    day = None
    for hazard in moved:
        day = _effective(hazard, "acknowledged_on", acknowledged_on)
    if notice is not None:
        # Read again under the hazards' locks: an earlier receipt of this notice stays the first.
        notice.refresh_from_db(fields=["acknowledged_at", "acknowledged_by_name", "signed_scan", "acknowledged_on"])
    if notice is not None and notice.acknowledged_at is None:
        notice.acknowledged_at, notice.acknowledged_by_name = timezone.now(), name
        notice.acknowledged_on = day
        fields = ["acknowledged_at", "acknowledged_by_name", "acknowledged_on"]
        if signed_scan is not None:
            notice.signed_scan.save(signed_scan.name, signed_scan, save=False)
            fields.append("signed_scan")
        notice.save(update_fields=fields)
    for hazard in moved:
        from_status = hazard.status
        hazard.status = S.RECTIFYING
        _save(hazard, ["status"])
        events.hazard_acknowledged(hazard, by=by, from_status=from_status, notice=notice, acknowledged_by_name=name,
                                   signed_scan=signed_scan is not None, acknowledged_on=day,
                                   via=through.number if through is not None and hazard.pk != through.pk else None)
    return Acknowledgement(notice=notice, hazard=through_locked, moved=moved, left=left)


@transaction.atomic
def notice_email_send(*, notice: Notice, by, to: str = ""):
    """Send an issued notice's e-mail (its stored PDF attached) again, to the addressee or to `to`:
    the button on the hazard page and the admin action. For the roles that issue notices, within
    their unit subtree; a new outbox message each time, recording who asked."""
    from notifications.services import notice_email_enqueue

    if not getattr(by, "is_authenticated", False) or not by.is_active:
        raise ActionRefused(_("Please sign in first."))
    if not unit_in_scope(by, notice.site.unit):
        raise ActionRefused(_("Notice not found."))
    transition = TRANSITIONS[Action.NOTIFY]
    if not by.is_superuser and getattr(user_membership(by), "role", None) not in transition.roles:
        raise ActionRefused(_("Your role may not send notices."))
    to = (to or "").strip()
    if not to and not notice.addressee_email:
        raise ValidationError({"to": _("The notice has no addressee e-mail: enter the address to send it to.")})
    try:
        return notice_email_enqueue(notice=notice, to=to, resend=True, by=by)
    except ValidationError:
        raise ValidationError({"to": _("Enter a valid e-mail address.")}) from None


def default_escalation() -> str:
    return _("If the hazard is still not rectified by the new deadline, it will be reported to the superior "
             "unit and the competent authority, and the supply of electricity may be restricted according to "
             "the law.")


@transaction.atomic
def hazard_supervise(*, hazard, new_deadline, by, language="zh-hans", expected_version=None,
                     escalation=None) -> Notice:
    """Supervision notice (督导单) for an overdue hazard: cites the original notice, days overdue,
    sets the new deadline; counted in supervision_count."""
    _required(new_deadline=new_deadline)
    today = local_today()
    hazard = _lock(hazard, Action.SUPERVISE, by, expected_version=expected_version, today=today)
    if new_deadline <= today:
        raise ValidationError({"new_deadline": _("The new deadline must be in the future.")})
    old_deadline = hazard.deadline
    days_overdue = rules.days_overdue(hazard.status, old_deadline, today)
    with translation.override(language):
        escalation = escalation or default_escalation()
    notice = Notice(
        kind=Notice.Kind.SUPERVISION, site=hazard.site,
        unit=_issuing_unit(by, hazard.site), addressee=hazard.responsible_name,
        addressee_email=hazard.responsible_email, deadline=new_deadline, cites=_latest_hazard_notice(hazard),
        days_overdue=days_overdue, overdue_from=old_deadline, escalation=escalation, language=language,
        issued_by=by,
    )
    hazard.deadline = new_deadline
    hazard.supervision_count += 1
    _save(hazard, ["deadline", "supervision_count"])
    _issue(notice, [hazard])
    events.hazard_supervised(hazard, by=by, from_status=hazard.status, notice=notice, old_deadline=old_deadline,
                             days_overdue=days_overdue)
    outbox.notice_issued(notice, [hazard])
    return notice
