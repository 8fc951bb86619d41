"""The rules of risk rating and of the KPIs, each written once, with its source.

Sources: `../shared/DOMAIN.md` ("Risk rating", "KPIs"), the reference document on high-risk
customers' hazard control (高危重要客户隐患管控, §1.3 indicator targets, §2.2.10 risk rating,
§2.2.11 tiered warnings), the hundred questions (§35: service, notification, reporting and
supervision "in place" rates of 100 %), and the regulation cited by issue 15
(安全生产事故隐患排查治理暂行规定 §14: quarterly and annual statistics).

Each rule that the database evaluates (a `Q` or an expression over hazard rows) has its Python twin
next to it, for one object in memory; tests/kpis/test_rules.py holds each pair to the same answers.
The hazard rules (open, overdue, complete file / ready to notify) are used from hazards.rules,
never restated here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, DecimalField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hazards.models import AuthorityReport, Hazard, ServiceVisit
from hazards.rules import (
    deadline_passed,
    deadline_passed_q,
    is_open,
    is_overdue,
    notify_missing,
    notify_ready_q,
    open_q,
    overdue_q,
)
from org.models import RiskLevel
from scoring.rules import cents, score_rate

S = Hazard.Status
WEIGHT = DecimalField(max_digits=12, decimal_places=4)


def quantize(value) -> Decimal:
    """Points and rates are Decimals rounded half-up to 2 places: scoring.rules.cents, the one rounding."""
    return cents(value)


# --- risk rating -------------------------------------------------------------------------------

def risk_points_expr(config, today: datetime.date):
    """SQL form of `risk_points`, an expression over a hazard row (category joined)."""
    severity = Case(When(severity=Hazard.Severity.MAJOR, then=Value(config.major_weight)),
                    default=Value(config.general_weight), output_field=WEIGHT)
    overdue = Case(When(overdue_q(today), then=Value(config.overdue_weight)), default=Value(Decimal("1")),
                   output_field=WEIGHT)
    return F("category__score") * severity * overdue


def risk_points(hazard, config, today: datetime.date) -> Decimal:
    """What one open hazard adds to its site's risk score (DOMAIN.md "Risk rating"; reference
    §2.2.10: "根据风险字典和客户隐患档案 … 计算客户风险预警级别"): its category's score from the risk
    dictionary × the severity weight (general / major) × the overdue factor while overdue. The
    weights are RiskSettings rows edited in the admin."""
    weight = config.major_weight if hazard.severity == Hazard.Severity.MAJOR else config.general_weight
    factor = config.overdue_weight if is_overdue(hazard, today) else Decimal("1")
    return Decimal(hazard.category.score) * weight * factor


RISK_COUNTED = open_q()


def risk_counted(hazard) -> bool:
    """A site's score sums its *open* hazards (hazards.rules.open_q); Python twin of RISK_COUNTED."""
    return is_open(hazard.status)


def risk_score(hazards, config, today: datetime.date) -> Decimal:
    """A site's score from its hazards in memory (the SQL form: kpis.selectors.site_scores)."""
    return quantize(sum((risk_points(h, config, today) for h in hazards if risk_counted(h)), Decimal("0")))


def risk_level(score: Decimal, config) -> str:
    """The level of a score by the configured thresholds (reference §2.2.10: "风险预警级别分为 A、B、C
    三级，A 最高，C 最低"): A from threshold_a, B from threshold_b, C from threshold_c, else none ("")."""
    for level, threshold in ((RiskLevel.A, config.threshold_a), (RiskLevel.B, config.threshold_b),
                             (RiskLevel.C, config.threshold_c)):
        if score >= threshold:
            return level.value
    return ""


@dataclass(frozen=True)
class Tier:
    """What a level's warning does (reference §2.2.11; DOMAIN.md "Risk rating")."""

    report_superior: bool
    report_government: bool
    notify_leader: bool
    sms_leads: bool
    colour: str  # CSS colour name of the level in lists (red, yellow, blue)


WARNING_TIERS: dict[str, Tier] = {
    # A: report to the superior unit and the local government, the company leader, SMS to both leads; red.
    RiskLevel.A: Tier(True, True, True, True, "red"),
    # B: the company leader, SMS to both leads; yellow.
    RiskLevel.B: Tier(False, False, True, True, "yellow"),
    # C: SMS to both leads; blue.
    RiskLevel.C: Tier(False, False, False, True, "blue"),
}


# --- KPI sets ----------------------------------------------------------------------------------
# A KPI is numerator / base, two sets of hazards. Each set is a Q over the hazard table (given the
# local date `today`, for overdue) with its Python twin; the period picks the base's rows by one
# date column (discovery for the period's cohort, the deadline for what fell due in the period).

def accepted_on_annotation():
    """The day of acceptance, for `done_on_time`: the acceptance check's date (recorded from paper,
    hazards.Hazard.acceptance_date), else the local date it was entered (settings.TIME_ZONE)."""
    return Coalesce("acceptance_date", TruncDate("accepted_at"))


def annotate_sets(queryset):
    """The annotations the sets' Q objects read (HazardSet.needs), on a hazard queryset."""
    return queryset.annotate(accepted_on=accepted_on_annotation())


def accepted_day(hazard) -> datetime.date | None:
    """accepted_on_annotation's Python twin."""
    if hazard.accepted_at is None:
        return None
    return hazard.acceptance_date or _local_date(hazard.accepted_at)


@dataclass(frozen=True)
class HazardSet:
    key: str
    label: str
    q: Callable[[datetime.date], Q]
    test: Callable[..., bool]  # the Python twin: test(hazard, today, *, service_visits: int, reports: int)
    needs: tuple[str, ...] = ()  # annotations the Q reads (added by annotate_sets)


def _local_date(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(value).date() if value else None


NOT_VOIDED = ~Q(status=S.VOIDED)
# A correlated EXISTS (index on hazard_id): the sets are counted a few hazards at a time, for one
# tally cell (kpis.tallies), or for one ledger page.
HAS_SERVICE_VISIT = Q(Exists(ServiceVisit.objects.filter(hazard_id=OuterRef("pk"))))
HAS_REPORT = Q(Exists(AuthorityReport.objects.filter(hazard_id=OuterRef("pk"))))

SETS: dict[str, HazardSet] = {s.key: s for s in [
    # Found (发现): every hazard registered, except those voided as registered in error.
    HazardSet("found", _("Found"), lambda today: NOT_VOIDED,
              lambda h, today, **_k: h.status != S.VOIDED),
    # Filed (建档): a complete file, i.e. ready to be notified (hazards.rules.notify_ready_q / notify_missing).
    HazardSet("filed", _("Filed completely"), lambda today: NOT_VOIDED & notify_ready_q(),
              lambda h, today, **_k: h.status != S.VOIDED and not notify_missing(h)),
    # Eliminated (消除): closed (销号).
    HazardSet("closed", _("Closed"), lambda today: Q(status=S.CLOSED),
              lambda h, today, **_k: h.status == S.CLOSED),
    # Open: hazards.rules.open_q / is_open.
    HazardSet("open", _("Open (not closed or voided)"), lambda today: open_q(),
              lambda h, today, **_k: is_open(h.status)),
    # Monitored (监控): open, with a notice issued and a complete file (party, measures, deadline …).
    HazardSet("monitored", _("Monitored"),
              lambda today: open_q() & Q(notified_at__isnull=False) & notify_ready_q(),
              lambda h, today, **_k: is_open(h.status) and h.notified_at is not None and not notify_missing(h)),
    # Overdue: hazards.rules.overdue_q / is_overdue.
    HazardSet("overdue", _("Overdue"), overdue_q, lambda h, today, **_k: is_overdue(h, today)),
    # Notification in place (通知到位): the hazard notice was issued.
    HazardSet("notified", _("Notified"), lambda today: NOT_VOIDED & Q(notified_at__isnull=False),
              lambda h, today, **_k: h.status != S.VOIDED and h.notified_at is not None),
    # Service in place (服务到位): of the notified hazards, those given rectification service.
    HazardSet("serviced", _("Given rectification service"),
              lambda today: NOT_VOIDED & Q(notified_at__isnull=False) & HAS_SERVICE_VISIT,
              lambda h, today, *, service_visits=0, **_k: (h.status != S.VOIDED and h.notified_at is not None
                                                           and service_visits > 0)),
    # Supervision due: overdue now, or supervised already (a supervised hazard was overdue then).
    HazardSet("supervision_due", _("Overdue or supervised"),
              lambda today: overdue_q(today) | (NOT_VOIDED & Q(supervision_count__gt=0)),
              lambda h, today, **_k: is_overdue(h, today) or (h.status != S.VOIDED
                                                                         and h.supervision_count > 0)),
    # Supervision in place (督导到位): a supervision notice was issued.
    HazardSet("supervised", _("Supervised"), lambda today: NOT_VOIDED & Q(supervision_count__gt=0),
              lambda h, today, **_k: h.status != S.VOIDED and h.supervision_count > 0),
    # Reporting due: notified major hazards (the ones that endanger the grid or the public).
    HazardSet("report_due", _("Notified major hazards"),
              lambda today: NOT_VOIDED & Q(severity=Hazard.Severity.MAJOR, notified_at__isnull=False),
              lambda h, today, **_k: (h.status != S.VOIDED and h.severity == Hazard.Severity.MAJOR
                                      and h.notified_at is not None)),
    # Reporting in place (报告到位): reported to the authority.
    HazardSet("reported", _("Reported to the authority"),
              lambda today: NOT_VOIDED & Q(severity=Hazard.Severity.MAJOR, notified_at__isnull=False) & HAS_REPORT,
              lambda h, today, *, reports=0, **_k: (h.status != S.VOIDED and h.severity == Hazard.Severity.MAJOR
                                                    and h.notified_at is not None and reports > 0)),
    # Due (应整改): notified, so the deadline binds the party.
    HazardSet("due", _("Due for rectification"), lambda today: NOT_VOIDED & Q(notified_at__isnull=False),
              lambda h, today, **_k: h.status != S.VOIDED and h.notified_at is not None),
    # Late work orders (超期工单, group assessment): due, the deadline passed, not accepted by it.
    HazardSet("late", _("Overdue work orders"),
              lambda today: NOT_VOIDED & Q(notified_at__isnull=False) & deadline_passed_q(today) & ~Q(
                  accepted_at__isnull=False, accepted_on__lte=F("deadline")),
              lambda h, today, **_k: (h.status != S.VOIDED and h.notified_at is not None
                                      and deadline_passed(h.deadline, today)
                                      and not (h.accepted_at is not None and accepted_day(h) <= h.deadline)),
              needs=("accepted_on",)),
    # Rectified (已整改): accepted, then closed or not yet.
    HazardSet("rectified", _("Rectified"), lambda today: Q(status__in=[S.ACCEPTED, S.CLOSED]),
              lambda h, today, **_k: h.status in (S.ACCEPTED, S.CLOSED)),
    # Rectified on time (按期整改): accepted (later closed or not) on or before the deadline, local date.
    HazardSet("on_time", _("Accepted by the deadline"),
              lambda today: NOT_VOIDED & Q(notified_at__isnull=False) & Q(
                  accepted_at__isnull=False, deadline__isnull=False, accepted_on__lte=F("deadline")),
              lambda h, today, **_k: (h.status != S.VOIDED and h.notified_at is not None
                                      and h.accepted_at is not None and h.deadline is not None
                                      and accepted_day(h) <= h.deadline),
              needs=("accepted_on",)),
]}


class Period:
    DISCOVERED = "discovered_on"  # the period's cohort: hazards discovered in it
    DEADLINE = "deadline"  # what fell due in the period


def in_period_q(column: str, start: datetime.date, end: datetime.date) -> Q:
    """Rows whose date `column` (a Period) falls in [start, end], both days included."""
    return Q(**{f"{column}__gte": start, f"{column}__lte": end})


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    numerator: str  # a SETS key
    base: str  # a SETS key
    period: str  # the date column the period filters the base on
    target: Decimal
    lower_is_better: bool = False


KPIS: list[Kpi] = [
    # 建档率 = hazards with a complete file / hazards found (DOMAIN.md; reference §1.3 "一患一档"建档率 100).
    Kpi("filing_rate", _("Filing rate"), "filed", "found", Period.DISCOVERED, Decimal("100")),
    # 隐患消除率 = closed / found (reference §1.3 target 100).
    Kpi("elimination_rate", _("Elimination rate"), "closed", "found", Period.DISCOVERED, Decimal("100")),
    # 隐患监控率 = open with party, deadline and notice / open (reference §1.3 target 100).
    Kpi("monitoring_rate", _("Monitoring rate"), "monitored", "open", Period.DISCOVERED, Decimal("100")),
    # 整改完成率 = accepted or closed by the deadline / due in the period (DOMAIN.md).
    Kpi("completion_rate", _("Rectification completion rate"), "on_time", "due", Period.DEADLINE, Decimal("100")),
    # 超期率 = overdue open / open (DOMAIN.md, target 0 %).
    Kpi("overdue_rate", _("Overdue rate"), "overdue", "open", Period.DISCOVERED, Decimal("0"), lower_is_better=True),
    # The four in place (四到位, hundred questions §35: 服务、通知、报告、督导到位率 100 %).
    Kpi("notification_rate", _("Notification in place"), "notified", "found", Period.DISCOVERED, Decimal("100")),
    Kpi("service_rate", _("Service in place"), "serviced", "notified", Period.DISCOVERED, Decimal("100")),
    Kpi("supervision_rate", _("Supervision in place"), "supervised", "supervision_due", Period.DISCOVERED,
        Decimal("100")),
    Kpi("reporting_rate", _("Reporting in place"), "reported", "report_due", Period.DISCOVERED, Decimal("100")),
]
KPI_BY_KEY = {k.key: k for k in KPIS}
IN_PLACE = ("notification_rate", "service_rate", "supervision_rate", "reporting_rate")


def rate(numerator: int, base: int) -> Decimal | None:
    """numerator / base × 100, half-up to 2 places; None (shown "—") without a base: the same
    arithmetic as 得分率, scoring.rules.score_rate."""
    return score_rate(numerator, base)


# Group assessment (DOMAIN.md "KPIs": 0.2 points deducted per overdue work order, at most 2 a period).
DEDUCTION_PER_OVERDUE = Decimal("0.2")
DEDUCTION_CAP = Decimal("2")


def group_deduction(overdue_work_orders: int) -> Decimal:
    """Points deducted from an inspection group for a period (DOMAIN.md "KPIs": 0.2 points per
    overdue work order, at most 2 points a period)."""
    return quantize(min(DEDUCTION_PER_OVERDUE * overdue_work_orders, DEDUCTION_CAP))


def report_due_on(kind: str, period_end: datetime.date) -> datetime.date:
    """When a statistics report is due (issue 15): a quarter's by the 15th of the following month,
    a year's by 31 January."""
    following = period_end + datetime.timedelta(days=1)
    if kind == "year":
        return datetime.date(following.year, 1, 31)
    return following.replace(day=15)
