"""Demo inspections, written in Chinese: finished (submitted and locked) customer safety checks of
several demo sites, one self-assessment of a branch against the self-assessment standard, and one
draft left half-recorded. Idempotent: an inspection of the same site (or unit), standard and date is
never made twice. Needs the demo organisation (org.demo) and standards (scoring.demo); skips
quietly when they are not there."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction

from core.lifecycle import SYSTEM
from org.models import Membership, OrgUnit, Role, Site
from scoring.models import Standard, StandardItem
from scoring.rules import cents

from . import services
from .models import Inspection

SELF_ASSESSMENT_NAME = "安全生产自查评价标准"
CUSTOMER_CHECK_NAME = "客户安全用电检查表"
GAS_STATION_CHECK_NAME = "燃气场站安全用电检查表"
MINE_CHECK_NAME = "煤矿供用电安全检查表"

# Item title fragment -> (finding, problem, measure): what inspectors write when points are deducted.
FINDINGS = {
    "持证电工": (
        "现场核查电工证 3 本", "值班电工 1 人作业证已过期，另 1 人无证顶岗",
        "过期人员立即停岗复审，补充持证电工后方可单人值班"),
    "值班、巡视记录": (
        "抽查近三个月巡视记录", "9 月有 6 天无巡视记录，记录未写明设备缺陷",
        "完善巡视记录本，缺陷如实登记并闭环"),
    "供用电合同": (
        "查阅合同文本", "供用电合同已于上年 12 月到期未续签",
        "一个月内与供电企业续签供用电合同及调度协议"),
    "防小动物": (
        "检查配电室门口及电缆沟", "配电室门口未设挡鼠板，电缆沟进线孔洞未封堵",
        "加装高度不低于 50 cm 的挡鼠板，用防火泥封堵孔洞"),
    "无杂物堆放": (
        "巡视配电室", "配电室内堆放纸箱和废旧桌椅，屋顶西北角有渗水痕迹",
        "清理杂物，修补屋面防水，配电室不得兼作仓库"),
    "应急照明": (
        "断开正常照明试验", "2 盏应急照明灯不亮",
        "更换失效的应急照明灯，每月试验一次并记录"),
    "灭火器材": (
        "检查灭火器压力表和标签", "2 具干粉灭火器压力不足，1 具超过检验期",
        "更换失效灭火器，建立每月检查记录"),
    "预防性试验": (
        "查阅试验报告", "10 kV 进线柜及 1# 主变预防性试验已超周期 8 个月",
        "委托有资质单位 30 日内完成试验并提交报告"),
    "油位、油色": (
        "观察主变油枕油位", "1# 主变油位偏低，油色发暗",
        "补油并取油样化验，跟踪油温变化"),
    "“五防”": (
        "抽试 3 面开关柜闭锁", "2# 出线柜带电挂地线闭锁失效",
        "立即联系厂家修复五防装置，修复前加挂警示并专人监护"),
    "电缆标识": (
        "检查电缆沟道", "部分电缆无标识牌，沟道盖板缺失 2 块",
        "补挂电缆标识牌，补齐沟道盖板"),
    "安全距离": (
        "巡视厂区架空线路", "厂区北侧线路与树木距离不足 1 m",
        "修剪树木，保持安全距离并纳入季度巡视"),
    "保护装置按周期校验": (
        "查阅校验记录", "低压进线保护装置两年未校验",
        "安排专业单位校验保护装置并留存报告"),
    "蓄电池": (
        "测量直流屏电压", "蓄电池组 2 节电池鼓包，浮充电压偏低",
        "更换故障电池，调整浮充参数"),
    "防倒送电": (
        "检查发电机切换装置", "自备发电机与市电之间仅靠人工拉闸，未装设机械或电气闭锁",
        "加装双电源自动切换装置（ATS）或可靠机械闭锁，整改前严禁并网运行"),
    "应急电源定期试运行": (
        "查阅发电机运行记录", "自备发电机近半年未试运行",
        "每月带载试运行不少于 30 分钟并记录"),
    "绝缘工器具按周期试验": (
        "检查绝缘手套、绝缘靴标签", "绝缘手套、绝缘靴超过试验周期",
        "送检合格后方可使用，建立工器具试验台账"),
    "模拟图": (
        "核对模拟图", "配电室未悬挂一次系统模拟图",
        "绘制与实际相符的一次系统模拟图并上墙"),
    "停电应急预案": (
        "查阅应急预案", "停电应急预案未涵盖重要负荷的保安措施",
        "修订应急预案，明确重要负荷保障措施"),
    "应急演练": (
        "查阅演练记录", "今年未开展停电应急演练",
        "本季度内组织一次停电应急演练并总结评估"),
    "隐患已按期整改": (
        "复查上次检查发现的隐患", "上次检查指出的电缆沟封堵问题仍未整改",
        "立即整改并报送整改照片，逾期将发督导单"),
    # The self-assessment standard.
    "分解到部门": (
        "查阅年度目标文件", "年度安全目标未分解到班组",
        "将目标分解到各班组并签订目标责任书"),
    "覆盖全员": (
        "抽查岗位责任制", "外包人员和新设岗位未纳入安全生产责任制",
        "补充修订责任制，覆盖全部岗位"),
    "责任书": (
        "查阅责任书", "2 个班组未签订安全生产责任书",
        "补签责任书并存档"),
    "每季度至少召开": (
        "查阅会议纪要", "安委会第二季度会议未召开",
        "按季度召开安委会并形成会议纪要"),
    "工作票制度": (
        "抽查工作票 20 份", "3 份工作票安全措施填写不全，1 份未经许可人签字即开工",
        "开展“两票”专项培训，每月抽查并通报"),
    "操作票制度": (
        "抽查操作票", "1 份操作票未按顺序逐项打勾",
        "严格执行唱票复诵和逐项打勾"),
    "三级安全教育": (
        "抽查新员工档案", "2 名新员工缺少班组级安全教育记录",
        "补充班组级教育并考试合格后上岗"),
    "特种作业人员持证上岗": (
        "核查特种作业证", "1 名焊工无证作业",
        "立即停止其焊接作业，取证后方可上岗"),
    "接地电阻": (
        "查阅检测报告", "接地电阻年度检测未开展",
        "委托检测并对不合格接地网进行改造"),
    "消防设施器材": (
        "检查消防器材", "消防器材月检记录不全",
        "落实每月检查并签字"),
    "安全警示标志": (
        "巡视现场", "部分临边和带电设备处缺少警示标志",
        "按规范补设安全警示标志"),
    # The gas station checklist.
    "防爆等级": (
        "核对爆炸危险区域电气设备铭牌", "调压间内 1 台排风机电机为普通型，非防爆电机",
        "更换为防爆等级不低于 dIIBT4 的电机"),
    "防爆灯具": (
        "检查调压间灯具", "2 盏防爆灯外壳破损，1 个接线盒密封圈缺失",
        "更换破损灯具和密封圈"),
    "可燃气体报警器": (
        "现场通气试验", "可燃气体报警器报警后排风机未联动启动",
        "修复联动回路并每月试验一次"),
    "静电接地": (
        "检查卸车区", "卸车区静电接地报警器损坏",
        "更换静电接地报警器，卸车前检查确认"),
    "消防泵": (
        "检查消防泵供电", "消防泵仅一路市电供电，无应急电源",
        "增设应急电源或第二路电源，并定期切换试验"),
    # The mine checklist.
    "双回路电源线路": (
        "核查矿井供电线路", "矿井第二回路电源线路检修后未恢复，现为单回路运行",
        "尽快恢复第二回路，单回路期间限产并落实应急措施"),
    "主排水泵房": (
        "试验备用泵自动投入", "中央水泵房备用泵不能自动投入",
        "修复自动切换回路，每旬试验一次"),
    "主通风机": (
        "查阅主通风机切换记录", "主通风机双电源切换试验超过一个月未做",
        "每月进行一次双电源切换试验并记录"),
    "过卷": (
        "查阅提升机保护试验记录", "主井提升机过卷保护试验记录缺失",
        "立即进行过卷、过速保护试验并记录"),
    "失爆": (
        "抽查采区电气设备", "采区 1 台隔爆开关接线喇叭口未压紧，构成失爆",
        "立即停电处理失爆，开展全矿防爆检查"),
    "喷雾降尘": (
        "检查主运输巷", "主运输巷喷雾降尘装置停用",
        "恢复喷雾装置并每班检查"),
    "井下电工持证": (
        "核查井下电工证", "1 名井下电工作业证过期",
        "停岗复审，复审合格后上岗"),
}
# The checklist a site of each kind is inspected with (others: the customer checklist).
SITE_STANDARDS = {Site.Category.GAS: GAS_STATION_CHECK_NAME, Site.Category.MINING: MINE_CHECK_NAME}

# (site code, date, status, number of deductions, inspection group suffix)
SITE_INSPECTIONS = [
    ("S0001", datetime.date(2026, 3, 12), Inspection.Status.LOCKED, 4),
    ("S0002", datetime.date(2026, 4, 8), Inspection.Status.SUBMITTED, 3),
    ("S0004", datetime.date(2026, 5, 20), Inspection.Status.LOCKED, 5),
    ("S0005", datetime.date(2026, 6, 3), Inspection.Status.SUBMITTED, 2),
    ("S0007", datetime.date(2026, 9, 16), Inspection.Status.SUBMITTED, 3),
    ("S0008", datetime.date(2026, 10, 21), Inspection.Status.LOCKED, 1),
]
DRAFT_SITE = ("S0003", datetime.date(2026, 11, 20))
SELF_ASSESSMENT_UNIT = ("JZ-E", datetime.date(2026, 6, 30))


def _member(unit: OrgUnit, role: str):
    """A person of `role` whose unit contains `unit` (the nearest one)."""
    memberships = Membership.objects.filter(role=role).select_related("user", "unit")
    fitting = [m for m in memberships if m.unit.is_ancestor_of(unit)]
    fitting.sort(key=lambda m: -len(m.unit.path))
    return fitting[0].user if fitting else None


def _group_for(unit: OrgUnit) -> OrgUnit | None:
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.GROUP, path__startswith=unit.path).order_by("path").first()


def _record(inspection: Inspection, *, deductions: int, rng: random.Random, by, fraction: float = 1.0) -> None:
    leaves = list(StandardItem.objects.filter(standard=inspection.standard, is_leaf=True).order_by("sort_key"))
    with_text = [leaf for leaf in leaves if any(key in leaf.title for key in FINDINGS)]
    deducted = {leaf.pk for leaf in rng.sample(with_text, min(deductions, len(with_text)))}
    not_applicable = {leaf.pk for leaf in rng.sample(leaves, 2) if leaf.pk not in deducted}
    for leaf in leaves[: int(len(leaves) * fraction)]:
        if leaf.pk in deducted:
            finding, problem, measure = next(v for k, v in FINDINGS.items() if k in leaf.title)
            share = Decimal(rng.choice(["0", "0.25", "0.5", "0.6"]))
            earned = cents(leaf.points * share)
            services.result_save(inspection=inspection, item=leaf, earned=earned, not_applicable=False, by=by,
                                 finding=finding, problem=problem, measure=measure,
                                 serious_problems=1 if leaf.serious else 0)
        elif leaf.pk in not_applicable:
            services.result_save(inspection=inspection, item=leaf, earned=None, not_applicable=True, by=by,
                                 finding="现场无此类设备")
        else:
            services.result_save(inspection=inspection, item=leaf, earned=leaf.points, not_applicable=False, by=by)


def standard_for(site: Site) -> Standard | None:
    """The active demo checklist fitting the site's kind (None: the customer checklist)."""
    name = SITE_STANDARDS.get(site.category)
    if name is None:
        return None
    return Standard.objects.filter(name=name, status=Standard.Status.ACTIVE).order_by("-pk").first()


def _finish(inspection: Inspection, status: str, *, inspector, manager) -> None:
    if status in (Inspection.Status.SUBMITTED, Inspection.Status.LOCKED):
        services.inspection_submit(inspection=inspection, by=inspector or SYSTEM)
    if status == Inspection.Status.LOCKED:
        services.inspection_lock(inspection=inspection, by=manager or SYSTEM)


@transaction.atomic
def seed(stdout=None) -> dict:
    # bandit B311: demo data, seeded so that every run builds the same; no security use.
    rng = random.Random(20260311)  # nosec B311
    standards = {name: Standard.objects.filter(name=name, status=Standard.Status.ACTIVE).order_by("-pk").first()
                 for name in (CUSTOMER_CHECK_NAME, SELF_ASSESSMENT_NAME)}
    if not all(standards.values()) or not Site.objects.filter(code=SITE_INSPECTIONS[0][0]).exists():
        if stdout:
            stdout.write("audits: demo standards or sites missing (run the org and scoring demos first); skipped")
        return {}
    customer, self_assessment = standards[CUSTOMER_CHECK_NAME], standards[SELF_ASSESSMENT_NAME]
    created = 0

    for code, date, status, deductions in SITE_INSPECTIONS:
        site = Site.objects.filter(code=code).select_related("unit").first()
        if site is None:
            continue
        standard = standard_for(site) or customer
        if Inspection.objects.filter(site=site, standard=standard, date=date).exists():
            continue
        inspector, manager = _member(site.unit, Role.INSPECTOR), _member(site.unit, Role.MANAGER)
        kind = Inspection.Kind.SPECIAL if date.month in (3, 4, 9, 10) else Inspection.Kind.PERIODIC
        title = {3: "春季安全检查", 4: "春季安全检查", 9: "秋季安全检查", 10: "秋季安全检查"}.get(date.month, "")
        inspection = services.inspection_create(
            standard=standard, kind=kind, date=date, site=site, group=_group_for(site.unit),
            inspectors=[u for u in (inspector,) if u], title=title, by=inspector or SYSTEM,
        )
        _record(inspection, deductions=deductions, rng=rng, by=inspector or SYSTEM)
        _finish(inspection, status, inspector=inspector, manager=manager)
        created += 1

    unit_code, date = SELF_ASSESSMENT_UNIT
    unit = OrgUnit.objects.filter(code=unit_code).first()
    if unit and not Inspection.objects.filter(site=None, unit=unit, standard=self_assessment, date=date).exists():
        manager = _member(unit, Role.MANAGER)
        inspection = services.inspection_create(
            standard=self_assessment, kind=Inspection.Kind.SELF_ASSESSMENT, date=date, unit=unit,
            inspectors=[u for u in (manager, _member(unit, Role.INSPECTOR)) if u],
            title="2026 年上半年安全生产自查评价", by=manager or SYSTEM,
        )
        _record(inspection, deductions=9, rng=rng, by=manager or SYSTEM)
        _finish(inspection, Inspection.Status.SUBMITTED, inspector=manager, manager=manager)
        created += 1

    code, date = DRAFT_SITE
    site = Site.objects.filter(code=code).select_related("unit").first()
    if site and not Inspection.objects.filter(site=site, standard=customer, date=date).exists():
        inspector = _member(site.unit, Role.INSPECTOR)
        inspection = services.inspection_create(
            standard=customer, kind=Inspection.Kind.PERIODIC, date=date, site=site, group=_group_for(site.unit),
            inspectors=[u for u in (inspector,) if u], by=inspector or SYSTEM,
        )
        _record(inspection, deductions=2, rng=rng, by=inspector or SYSTEM, fraction=0.45)
        created += 1

    if stdout:
        stdout.write(f"audits: {Inspection.objects.count()} inspections ({created} new)")
    return {}
