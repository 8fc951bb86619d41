"""Demo planning, in Chinese: a periodic rule per supply station (its sites on their own cycles,
assigned to the station's first group, except the north branch's, left for its manager to assign),
spring and autumn checks for every 10 kV+ customer, a month of generated tasks in several states
(missed, planned, assigned, in progress, done, cancelled), one spot-check plan and a major-risk
register with its review cycles. Idempotent: it does nothing once its rules exist (generation itself
is idempotent too). Needs the org, scoring and audits demos; skips quietly without them."""

from __future__ import annotations

import datetime

from django.db import transaction

from audits import services as audit_services
from core.dates import today_local
from core.lifecycle import SYSTEM
from org.models import PATH_STEP, Membership, OrgUnit, Role
from org.selectors import subtree_queryset
from scoring.models import Standard, StandardItem

from . import services
from .cycles import CycleUnit, Season
from .models import MajorRisk, ReviewCycle, RiskReview, Schedule, ScheduleRule, Task

CUSTOMER_CHECK_NAME = "客户安全用电检查表"
COMPANY = "JZ"
UNASSIGNED_BRANCH = "JZ-N"  # its rules have no group: the manager assigns its tasks


def _user(unit: OrgUnit, role: str):
    ancestors = [unit.path[:i] for i in range(PATH_STEP, len(unit.path) + 1, PATH_STEP)]
    membership = (Membership.objects.filter(role=role, unit__path__in=ancestors).select_related("user")
                  .order_by("-unit__depth").first())
    return membership.user if membership else None


def _finish(inspection, by) -> None:
    for item in StandardItem.objects.filter(standard=inspection.standard, is_leaf=True).order_by("sort_key"):
        audit_services.result_save(inspection=inspection, item=item, earned=item.points, not_applicable=False, by=by)
    audit_services.inspection_submit(inspection=inspection, by=by)


@transaction.atomic
def seed(stdout=None) -> dict:
    standard = Standard.objects.filter(name=CUSTOMER_CHECK_NAME, status=Standard.Status.ACTIVE).order_by("-pk").first()
    company = OrgUnit.objects.filter(code=COMPANY).first()
    if standard is None or company is None:
        if stdout:
            stdout.write("planning: demo standards or units missing; skipped")
        return {}
    if ScheduleRule.objects.exists():
        result = services.planning_run()
        if stdout:
            stdout.write(f"planning: {Task.objects.count()} tasks ({result.created} new)")
        return {}
    today = today_local()
    teams = subtree_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM), company, unit_field="")
    for team in teams.order_by("path"):
        group = (OrgUnit.objects.filter(kind=OrgUnit.Kind.GROUP, parent=team).order_by("path").first()
                 if not team.code.startswith(UNASSIGNED_BRANCH) else None)
        ScheduleRule.objects.create(name=f"{team.name}周期检查", unit=team, standard=standard, group=group,
                                    use_site_cycle=True, window_days=7)
    seasons = ((Season.SPRING, "10 kV 及以上客户春季安全检查"), (Season.AUTUMN, "10 kV 及以上客户秋季安全检查"))
    for season, name in seasons:
        ScheduleRule.objects.create(name=name, unit=company, standard=standard, kind="special", voltage_from="10kV",
                                    cycle_unit=CycleUnit.SEASONAL, season=season)
    services.schedules_sync(today=today)

    # Three schedules that were due three weeks ago and nobody went: missed, moved on a cycle.
    late = list(Schedule.objects.filter(kind="periodic", cycle_unit=CycleUnit.MONTHS).order_by("site__code")[:3])
    Schedule.objects.filter(pk__in=[s.pk for s in late]).update(next_due=today - datetime.timedelta(days=21))
    services.tasks_generate(today=today - datetime.timedelta(days=21), horizon=0)
    services.tasks_mark_missed(today=today)
    created = services.tasks_generate(today=today, horizon=30)

    # A few tasks under way: two started, one done through its inspection, one cancelled.
    open_tasks = list(Task.objects.filter(status=Task.Status.ASSIGNED).select_related("unit").order_by("due_date",
                                                                                                     "site__code"))
    for task in open_tasks[:3]:
        # Without such a member the demo acts as the system (core.lifecycle.SYSTEM), never as None.
        inspector = _user(task.unit, Role.INSPECTOR) or SYSTEM
        inspection = services.task_start(task=task, by=inspector)
        if task is open_tasks[0]:
            _finish(inspection, inspector)
    if len(open_tasks) > 4:
        manager = _user(open_tasks[4].unit, Role.MANAGER) or SYSTEM
        services.task_cancel(task=open_tasks[4], reason="客户停产检修，本周期检查并入下次", by=manager)
    services.tasks_generate(today=today, horizon=30)  # the done task's schedule moved on
    _spot_check(today)
    _risks(today)
    if stdout:
        stdout.write(f"planning: {Schedule.objects.count()} schedules, {Task.objects.count()} tasks ({created} new)")
    return {}


def _spot_check(today: datetime.date) -> None:
    east = OrgUnit.objects.filter(code="JZ-E").first()
    if east is None:
        return
    groups = subtree_queryset(OrgUnit.objects.filter(kind=OrgUnit.Kind.GROUP), east, unit_field="")
    group = groups.order_by("path").first()
    services.spot_check_draw(unit=east, month=today.replace(day=1), seed=20261206, percentage=10, minimum=3,
                             proportions=services.parse_proportions("mining:30,chemical:30,metallurgy:15,gas:15,*:10"),
                             group=group, by=_user(east, Role.MANAGER) or SYSTEM)


RISKS = [
    ("HY-ZD-01", MajorRisk.Category.GAS, "红岩矿井下采掘工作面瓦斯积聚",
     "瓦斯抽采达标、监测监控全覆盖、断电闭锁每月试验"),
    ("HY-ZD-02", MajorRisk.Category.COAL_DUST, "煤尘爆炸", "综合防尘、隔爆水棚、定期冲洗巷道"),
    ("HY-ZD-03", MajorRisk.Category.FLOODING, "雨季矿井水害", "探放水“有掘必探”、排水系统联合试运转"),
    ("HY-ZD-04", MajorRisk.Category.ELECTRICAL, "井下供电双回路失电", "双电源自动切换、每旬切换试验、保护定值校核"),
    ("HY-ZD-05", MajorRisk.Category.HOISTING, "主井提升系统过卷", "过卷保护每日试验、钢丝绳定期检测"),
]


def _risks(today: datetime.date) -> None:
    unit = OrgUnit.objects.filter(code="JZ-N").first()
    if unit is None:
        return
    head, deputy = _user(unit, Role.LEADER), _user(unit, Role.MANAGER)
    if head is None or deputy is None:
        return
    risks = []
    for i, (code, category, description, controls) in enumerate(RISKS):
        risk, _created = MajorRisk.objects.get_or_create(code=code, defaults={
            "unit": unit, "category": category, "description": description, "controls": controls,
            "responsible": deputy if i % 2 else head})
        risks.append(risk)
    start = today - datetime.timedelta(days=40)
    monthly = ReviewCycle.objects.create(unit=unit, reviewer=head, cadence=ReviewCycle.Cadence.MONTHLY,
                                         start_date=start)
    monthly.risks.set(risks)
    dekad = ReviewCycle.objects.create(unit=unit, reviewer=deputy, cadence=ReviewCycle.Cadence.DEKAD, start_date=start)
    dekad.risks.set([r for r in risks if r.responsible_id == deputy.pk])
    services.reviews_generate(today=start, horizon=40)
    past = list(RiskReview.objects.filter(due_date__lt=today).order_by("due_date"))
    for review in past[:-1]:  # the latest past one is left overdue
        services.review_complete(review=review, measures="各项管控措施已落实，监测数据正常。",
                                 effect="本期未发生超限报警，措施有效。", improvements="雨季前补充排水设备备件。",
                                 by=review.reviewer or SYSTEM)
    services.reviews_generate(today=today)
