"""Writes of the KPI app: the sites' risk levels with their history and tiered warnings, and the
statistics reports. Each write is one transaction; a level change, its history row, the recorded
warning steps and their outbox messages commit together or not at all."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.dates import today_local
from core.transaction import after_commit
from notifications.models import Channel, Kind
from notifications.services import dedupe_key, message_enqueue
from org.models import PATH_STEP, Membership, OrgUnit, RiskLevel, Role, Site

from . import rules
from .models import RiskContact, RiskSettings, RiskWarning, SiteRiskChange, StatisticsReport
from .selectors import risk_settings, site_scores

logger = logging.getLogger(__name__)


# --- risk levels -------------------------------------------------------------------------------

@transaction.atomic
def site_risk_refresh(*, site_id: int, by=None, cause: str = "", today: datetime.date | None = None,
                      config: RiskSettings | None = None) -> SiteRiskChange | None:
    """Recompute one site's score and level with the site row locked. A new level writes one
    SiteRiskChange and takes the warning steps of that level (kpis.rules.WARNING_TIERS) through
    the outbox; the same level sends nothing again. Returns the change, or None."""
    today = today or today_local()
    config = config or risk_settings()
    site = Site.objects.select_for_update().select_related("unit").get(pk=site_id)
    score = site_scores(config=config, today=today, site_ids=[site_id]).get(site_id, rules.quantize(0))
    level = rules.risk_level(score, config)
    if score == site.risk_score and level == site.risk_level:
        return None
    previous = site.risk_level
    site.risk_score, site.risk_level = score, level
    site.save(update_fields=["risk_score", "risk_level"])
    if level == previous:
        return None
    change = SiteRiskChange.objects.create(site=site, from_level=previous, to_level=level, score=score,
                                          cause=cause[:200], by=by)
    if level:
        _warn(change, site, config)
    logger.info("site %s risk level %s -> %s (score %s, %s)", site.code, previous or "-", level or "-", score, cause)
    return change


def hazard_changed(*, hazard, event) -> None:
    """Receiver of hazards.hooks.hazard_changed (kpis.apps): every recorded hazard action
    recomputes its site's level in the action's own transaction."""
    site_risk_refresh(site_id=hazard.site_id, by=event.actor, cause=f"{hazard.number} · {event.action}")


def site_risk_recompute_all(*, today: datetime.date | None = None) -> int:
    """The nightly run (and after the settings change): scores of every site in one aggregate
    query, then each site whose stored score or level differs is refreshed in its own transaction
    (overdue hazards weigh more from the day after their deadline). Returns how many changed level."""
    today = today or today_local()
    config = risk_settings()
    scores = site_scores(config=config, today=today)
    stored = Site.objects.filter(active=True).values_list("pk", "risk_score", "risk_level")
    changed = 0
    for pk, score, level in stored.iterator():
        new = scores.get(pk, rules.quantize(0))
        if new != score or rules.risk_level(new, config) != level:
            if site_risk_refresh(site_id=pk, cause="nightly", today=today, config=config):
                changed += 1
    return changed


@transaction.atomic
def risk_settings_save(*, config: RiskSettings, by) -> RiskSettings:
    """Save the settings (pk=1) and recompute every site after commit."""
    config.pk = 1
    config.full_clean()
    config.save()
    from . import tasks

    after_commit(tasks.dispatch_recompute)
    logger.info("risk settings changed by %s", by)
    return config


@transaction.atomic
def risk_contact_save(*, contact: RiskContact, by) -> RiskContact:
    """Save a unit's warning contacts (the admin); the leads must belong to the unit's subtree."""
    from django.core.exceptions import ValidationError

    contact.full_clean()
    for name in ("inspection_lead", "supervision_lead"):
        user = getattr(contact, name)
        membership = getattr(user, "membership", None) if user is not None else None
        if user is not None and (membership is None or not contact.unit.is_ancestor_of(membership.unit)):
            raise ValidationError({name: _("The lead must be a member of this unit or a unit below it.")})
    contact.save()
    logger.info("risk contacts of %s saved by %s", contact.unit, by)
    return contact


def _chain(unit: OrgUnit) -> list[OrgUnit]:
    """The unit and its ancestors, nearest first (one query, by the materialised path)."""
    paths = [unit.path[:i] for i in range(PATH_STEP, len(unit.path) + 1, PATH_STEP)]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("-depth"))


def _members(units: list[OrgUnit], role: str) -> tuple[OrgUnit | None, list]:
    """The members with `role` of the nearest unit in `units` that has any."""
    rows = (Membership.objects.filter(unit__in=units, role=role, user__is_active=True)
            .select_related("user", "user__membership", "unit"))
    by_unit: dict[int, list] = {}
    for membership in rows:
        by_unit.setdefault(membership.unit_id, []).append(membership.user)
    for unit in units:
        if unit.pk in by_unit:
            return unit, sorted(by_unit[unit.pk], key=lambda u: u.pk)
    return None, []


def _leads(chain: list[OrgUnit]) -> list[tuple[str, object]]:
    """(step, user) of the inspection lead and the supervision lead: the nearest RiskContact row
    upwards, else the managers of the nearest unit with managers (as both)."""
    contacts = {c.unit_id: c for c in RiskContact.objects.filter(unit__in=chain)
                .select_related("inspection_lead__membership", "supervision_lead__membership")}
    for unit in chain:
        contact = contacts.get(unit.pk)
        if contact and (contact.inspection_lead_id or contact.supervision_lead_id):
            return [(step, user) for step, user in ((RiskWarning.Step.SMS_INSPECTION_LEAD, contact.inspection_lead),
                                                    (RiskWarning.Step.SMS_SUPERVISION_LEAD, contact.supervision_lead))
                    if user is not None]
    _unit, managers = _members(chain, Role.MANAGER)
    return [(step, user) for user in managers
            for step in (RiskWarning.Step.SMS_INSPECTION_LEAD, RiskWarning.Step.SMS_SUPERVISION_LEAD)]


def _colour_label(level: str) -> str:
    return {RiskLevel.A: _("red"), RiskLevel.B: _("yellow"), RiskLevel.C: _("blue")}.get(level, "")


def _send(change: SiteRiskChange, site: Site, step: str, *, channel: str, user=None, address: str = "",
          name: str = "", language: str | None = None):
    """One outbox message of a warning step, in the recipient's language; once per change,
    channel and recipient (the dedupe key)."""
    from org.selectors import user_membership

    membership = user_membership(user) if user is not None else None
    language = language or (membership.language if membership and membership.language else None)
    from django.conf import settings

    with override(language or settings.LANGUAGE_CODE):
        context = {"site_name": site.name, "level": change.to_level, "score": str(change.score),
                   "colour": _colour_label(change.to_level), "previous": change.from_level or "—",
                   "step": str(RiskWarning.Step(step).label)}
    recipient = address or (str(user.pk) if user is not None else "")
    return message_enqueue(
        channel=channel, kind=Kind.RISK_WARNING, about=change, about_label=f"{site.code} {change.to_level}",
        unit=site.unit, recipient_user=user, recipient_address=address, recipient_name=name,
        language=language, dedupe_key=dedupe_key(Kind.RISK_WARNING, channel, change, recipient, step),
        context=context, url=f"/org/sites/{site.pk}/",
    )


def _to_user(change, site, step, user) -> list:
    """Notify a user: e-mail when they have an address, and in-app always."""
    messages = [_send(change, site, step, channel=Channel.IN_APP, user=user)]
    if user.email:
        messages.append(_send(change, site, step, channel=Channel.EMAIL, user=user))
    return messages


def _warn(change: SiteRiskChange, site: Site, config: RiskSettings) -> None:
    tier = rules.WARNING_TIERS[change.to_level]
    chain = _chain(site.unit)
    leader_unit, leaders = _members(chain, Role.LEADER)
    steps: list[tuple[str, str, object]] = []  # (step, addressee, message)
    if tier.report_superior:
        base = leader_unit or site.unit
        superior = next((u for u in chain if u.depth < base.depth), None) if base.parent_id else None
        superior_leaders = _members([superior], Role.LEADER)[1] if superior else []
        addressee = superior.name if superior else _("superior unit")
        messages = [m for user in superior_leaders for m in _to_user(change, site, RiskWarning.Step.REPORT_SUPERIOR,
                                                                    user)]
        steps += [(RiskWarning.Step.REPORT_SUPERIOR, addressee, m) for m in messages] or [
            (RiskWarning.Step.REPORT_SUPERIOR, addressee, None)]
    if tier.report_government:
        addressee = config.government_name or _("local government")
        message = None
        if config.government_email:
            message = _send(change, site, RiskWarning.Step.REPORT_GOVERNMENT, channel=Channel.EMAIL,
                            address=config.government_email, name=config.government_name)
        steps.append((RiskWarning.Step.REPORT_GOVERNMENT, addressee, message))
    if tier.notify_leader:
        for user in leaders:
            for message in _to_user(change, site, RiskWarning.Step.NOTIFY_LEADER, user):
                steps.append((RiskWarning.Step.NOTIFY_LEADER, user.get_full_name() or user.username, message))
        if not leaders:
            steps.append((RiskWarning.Step.NOTIFY_LEADER, _("no leader found"), None))
    if tier.sms_leads:
        sent: dict[int, object] = {}  # one message per person, who may hold both leads
        for step, user in _leads(chain):
            if user.pk not in sent:
                phone = getattr(getattr(user, "membership", None), "phone", "")
                if phone:
                    sent[user.pk] = _send(change, site, step, channel=Channel.SMS, user=user, address=phone)
                else:  # no phone number: the lead still learns it, in the application
                    sent[user.pk] = _send(change, site, step, channel=Channel.IN_APP, user=user)
            steps.append((step, user.get_full_name() or user.username, sent[user.pk]))
    RiskWarning.objects.bulk_create([RiskWarning(change=change, step=step, addressee=str(addressee)[:200],
                                                 message=message) for step, addressee, message in steps])


# --- statistics reports ----------------------------------------------------------------------------

def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    end_month = first_month + 2
    end = (datetime.date(day.year + (end_month == 12), end_month % 12 + 1, 1) - datetime.timedelta(days=1))
    return start, end


@transaction.atomic
def statistics_report_draft(*, unit: OrgUnit, kind: str, start: datetime.date, end: datetime.date) -> StatisticsReport:
    """The draft of a unit's statistics report for a period, with its figures frozen now; once per
    unit, kind and period (a second call returns the first)."""
    from .reports import statistics_data

    existing = StatisticsReport.objects.filter(unit=unit, kind=kind, period_start=start).first()
    if existing is not None:
        return existing
    report = StatisticsReport(unit=unit, kind=kind, period_start=start, period_end=end,
                              due_on=rules.report_due_on(kind, end), data=statistics_data(unit=unit, start=start,
                                                                                         end=end))
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def statistics_report_sign(*, report: StatisticsReport, principal: str, by) -> StatisticsReport:
    """Record that the principal signed the report (the figures stay as drafted)."""
    from django.core.exceptions import ValidationError

    report = StatisticsReport.objects.select_for_update().get(pk=report.pk)
    if report.status == StatisticsReport.Status.SIGNED:
        raise ValidationError(_("This report is already signed."))
    principal = (principal or "").strip()
    if not principal:
        raise ValidationError({"signed_by_name": _("Give the name of the principal who signed.")})
    report.signed_by_name, report.signed_by, report.signed_at = principal, by, timezone.now()
    report.status = StatisticsReport.Status.SIGNED
    report.full_clean()
    report.save(update_fields=["signed_by_name", "signed_by", "signed_at", "status"])
    return report


def statistics_reports_run(*, today: datetime.date | None = None, remind_days: int = 7) -> dict:
    """The daily beat job: draft the reports of the last finished quarter (and year, in January)
    for the company and every branch, and remind their leaders and managers of unsigned reports
    due within `remind_days` (once per report, recipient and day)."""
    today = today or today_local()
    last_quarter_end = quarter_of(today)[0] - datetime.timedelta(days=1)
    periods = [("quarter", *quarter_of(last_quarter_end))]
    if today.month == 1:
        periods.append(("year", datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)))
    units = list(OrgUnit.objects.filter(active=True, kind__in=[OrgUnit.Kind.COMPANY, OrgUnit.Kind.BRANCH]))
    drafted = 0
    for unit in units:
        for kind, start, end in periods:
            if rules.report_due_on(kind, end) >= today and not StatisticsReport.objects.filter(
                    unit=unit, kind=kind, period_start=start).exists():
                statistics_report_draft(unit=unit, kind=kind, start=start, end=end)
                drafted += 1
    reminded = _statistics_remind(today=today, remind_days=remind_days)
    return {"drafted": drafted, "reminded": reminded}


@transaction.atomic
def _statistics_remind(*, today, remind_days) -> int:
    horizon = today + datetime.timedelta(days=remind_days)
    due = StatisticsReport.objects.filter(status=StatisticsReport.Status.DRAFT, due_on__gte=today,
                                          due_on__lte=horizon).select_related("unit")
    count = 0
    for report in due:
        members = (Membership.objects.filter(unit=report.unit, role__in=[Role.LEADER, Role.MANAGER],
                                             user__is_active=True).select_related("user"))
        label = f"{report.unit.name} {report.period_start:%Y-%m-%d}–{report.period_end:%Y-%m-%d}"
        for membership in members:
            message = message_enqueue(
                channel=Channel.IN_APP, kind=Kind.STATISTICS_DUE, about=report, about_label=label[:200],
                unit=report.unit, recipient_user=membership.user,
                dedupe_key=dedupe_key(Kind.STATISTICS_DUE, Channel.IN_APP, report, membership.user_id, today),
                context={"deadline": report.due_on, "days": (report.due_on - today).days},
                url=f"/kpis/reports/{report.pk}/")
            count += int(message.was_created)
    return count

