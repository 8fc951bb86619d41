"""Demo hazard files, written in Chinese: the risk dictionary and about forty hazards on the demo
sites in every state of the loop, each driven through hazards.services so numbers, history,
notices (real PDFs), replies, extensions, supervision and reports are what the product makes.

Each story's steps happen on days relative to today (the clock is set to that day while the step
runs), so overdue hazards, supervision notices and the history's dates are realistic on any day
the demo is loaded. Idempotent: a story whose hazard (site + description) exists is skipped;
findings of the demo inspections become hazards once (services skip linked findings)."""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.dates import travel_to
from org.models import OrgUnit, Site

from . import services
from .models import ExtensionRequest, Hazard, RiskCategory, WorkOrderReply

CATEGORIES = [
    ("ELEC", "电气设备缺陷", 5, "变压器、开关柜、电缆等一次设备的缺陷与隐患"),
    ("RELAY", "继电保护", 6, "保护定值、保护装置及二次回路"),
    ("EPS", "应急电源", 6, "自备发电机、UPS、双电源切换等保安电源"),
    ("QUAL", "人员资质", 3, "电工作业证、值班人员配置"),
    ("FIRE", "消防", 5, "配电场所消防器材与防火封堵"),
    ("CONFINED", "有限空间", 7, "电缆隧道、井室等有限空间作业"),
    ("GAS", "燃气泄漏", 9, "燃气场站及用气场所泄漏与防爆"),
    ("DUST", "煤尘", 8, "煤尘爆炸与防尘设施"),
    ("FLOOD", "透水", 9, "矿井排水与防治水"),
    ("ROOF", "顶板", 8, "井下顶板支护"),
    ("HOIST", "提升运输", 7, "提升机、绞车与运输设备"),
    ("EXPL", "爆破器材", 9, "民用爆炸物品储存与使用"),
    ("MGMT", "安全管理", 2, "制度、台账、合同与培训"),
    ("OTHER", "其他", 1, "未归入以上类别的隐患"),
]

# (category, description, location, required measures, basis)
TEXTS = [
    (
        "ELEC",
        "10kV 进线柜电缆头有放电痕迹，柜内有焦糊味",
        "1 号高压配电室进线柜",
        "停电处理电缆头，重新制作终端并做耐压试验",
        "《电力设备预防性试验规程》DL/T 596",
    ),
    (
        "RELAY",
        "主变差动保护定值与调度下达定值单不一致",
        "主控室保护屏",
        "按最新定值单核对并整定，由继保人员签字确认",
        "《继电保护和安全自动装置技术规程》GB/T 14285",
    ),
    (
        "EPS",
        "自备柴油发电机三个月未带载试验，蓄电池电压偏低",
        "发电机房",
        "更换蓄电池，每月带载试运行不少于 30 分钟并记录",
        "《重要电力用户供电电源及自备应急电源配置技术规范》",
    ),
    (
        "QUAL",
        "值班电工 2 人中 1 人电工作业证过期",
        "值班室",
        "过期人员停岗复审，补足持证值班电工",
        "《特种作业人员安全技术培训考核管理规定》",
    ),
    (
        "FIRE",
        "配电室电缆沟进线孔洞未防火封堵，灭火器过期",
        "2 号配电室",
        "用防火泥封堵孔洞，更换灭火器并建立检查卡",
        "《建筑设计防火规范》GB 50016",
    ),
    (
        "CONFINED",
        "电缆隧道入口无有限空间警示标识，无通风检测记录",
        "厂区电缆隧道",
        "设置警示标识，作业前通风并检测气体，落实审批制度",
        "《工贸企业有限空间作业安全规定》",
    ),
    (
        "GAS",
        "调压间可燃气体报警器失效，防爆灯具外壳破损",
        "燃气调压间",
        "更换报警器并校验，更换防爆灯具",
        "《城镇燃气设计规范》GB 50028",
    ),
    (
        "DUST",
        "井下主运输巷煤尘堆积，喷雾降尘装置停用",
        "主运输巷 300 m 处",
        "清理积尘，恢复喷雾装置并每班检查",
        "《煤矿安全规程》第六章",
    ),
    (
        "FLOOD",
        "中央水泵房只有一回路供电，备用泵无法自动投入",
        "中央水泵房",
        "增设第二回路电源，完善备用泵自动切换",
        "《煤矿防治水细则》",
    ),
    (
        "ROOF",
        "采面回风巷顶板离层仪读数超限未处置",
        "3102 回风巷",
        "加强支护，补打锚索，专人观测",
        "《煤矿安全规程》顶板管理",
    ),
    (
        "HOIST",
        "主井提升机过卷保护试验记录缺失",
        "主井绞车房",
        "立即进行过卷保护试验并记录，纳入日检",
        "《煤矿安全规程》提升运输",
    ),
    (
        "EXPL",
        "爆破器材库防雷接地电阻检测超期",
        "爆破器材库",
        "委托有资质单位检测接地电阻，不合格立即整改",
        "《民用爆炸物品储存库治安防范要求》",
    ),
    (
        "MGMT",
        "供用电合同已到期未续签，调度协议缺失",
        "客户档案",
        "一个月内续签供用电合同并签订调度协议",
        "《供电营业规则》",
    ),
    (
        "ELEC",
        "低压配电柜母排温度偏高，红外测温达 85℃",
        "低压配电室 3 号柜",
        "紧固母排连接螺栓，调整负荷分配后复测",
        "《带电设备红外诊断应用规范》DL/T 664",
    ),
    (
        "EPS",
        "双电源自动切换装置处于手动位置，失去自动切换功能",
        "UPS 室",
        "恢复自动位置并做切换试验，明确操作规程",
        "《重要电力用户供电电源及自备应急电源配置技术规范》",
    ),
    (
        "FIRE",
        "变压器室排油设施堵塞，事故油池积水",
        "箱变区域",
        "疏通排油管道，抽排积水，定期检查",
        "《火力发电厂与变电站设计防火标准》",
    ),
]

# Which kinds of site a risk category is found at: mine hazards only at a mine, gas leaks at gas
# stations and chemical plants, confined spaces at industrial sites; the power-use categories
# (equipment, protection, emergency power, people, fire, management) at every power customer.
K = Site.Category
INDUSTRIAL = {K.MINING, K.CHEMICAL, K.METALLURGY, K.MANUFACTURING, K.GAS}
CATEGORY_SITES = {
    "DUST": {K.MINING}, "FLOOD": {K.MINING}, "ROOF": {K.MINING}, "HOIST": {K.MINING}, "EXPL": {K.MINING},
    "GAS": {K.GAS, K.CHEMICAL}, "CONFINED": INDUSTRIAL,
}


def category_fits(code: str, site_category: str) -> bool:
    return code not in CATEGORY_SITES or site_category in CATEGORY_SITES[code]


def texts_for(site_category: str) -> list[tuple]:
    """The demo hazard texts that fit a site of this kind."""
    return [text for text in TEXTS if category_fits(text[0], site_category)]


# The major hazard of a demo story, by kind of site: the mine's single-circuit drainage, a gas
# station's failed leak alarms, elsewhere important loads on a single source.
MAJOR_TEXTS = {
    K.MINING: TEXTS[8],
    K.GAS: TEXTS[6],
    None: ("EPS", "重要负荷仅单电源供电，自备应急电源未配置，失电将危及人身安全", "高压配电室",
           "新建第二回路电源并配置自备应急电源，完善自动切换", "《重要电力用户供电电源及自备应急电源配置技术规范》"),
}

MAJOR = {
    "five_responsible_person": "分管安全副总经理",
    "five_measures": "限负荷运行，完成双回路供电改造及自动切换",
    "five_funds": Decimal("380000.00"),
    "five_contingency_plan": "全厂停电应急预案（已演练）",
    "plan_goal": "彻底消除单电源供电隐患，确保保安负荷不间断供电",
    "plan_methods": "新建第二回路电源，加装备自投装置，完善保护配置",
    "plan_funds_materials": "专项资金 38 万元，电缆、开关柜已列入采购计划",
    "plan_organisation": "成立治理领导小组，机电部门实施，安全部门监督",
    "plan_time_limit": "分三阶段，45 日内完成并验收",
    "plan_safety_measures": "施工期间配置移动发电车，专人监护",
}

# Each story: (severity, registered N days ago, deadline N days after registration, steps).
# A step: (day offset from today, action, options).
STORIES = [
    # registered
    ("general", -2, 20, []),
    ("general", -1, 15, []),
    ("general", 0, 10, []),
    ("major_incomplete", -3, 30, []),
    # notified (waiting for receipt), one with a pending extension request
    ("general", -5, 20, [(-4, "notify", {})]),
    ("general", -3, 14, [(-2, "notify", {})]),
    ("general", -8, 20, [(-7, "notify", {}), (-1, "ext", {"days": 15, "reason": "设备厂家排产，备件 20 日后到货"})]),
    ("general", -2, 7, [(-1, "notify", {})]),
    # rectifying, with receipt and service records
    (
        "general",
        -20,
        30,
        [(-19, "notify", {}), (-17, "ack", {}), (-10, "service", {"text": "现场讲解整改要求，协助编制整改方案"})],
    ),
    (
        "general",
        -15,
        25,
        [(-14, "notify", {}), (-13, "ack", {}), (-6, "service", {"text": "指导更换电缆终端头，复测绝缘合格"})],
    ),
    ("general", -12, 20, [(-11, "notify", {}), (-9, "ack", {})]),
    # extension approved / denied (both deadlines kept)
    (
        "general",
        -25,
        20,
        [
            (-24, "notify", {}),
            (-22, "ack", {}),
            (-8, "ext", {"days": 20, "reason": "需停电施工，须与生产计划协调"}),
            (-7, "ext_ok", {"comment": "同意延期，施工期间加强巡视"}),
        ],
    ),
    (
        "general",
        -18,
        21,
        [
            (-17, "notify", {}),
            (-16, "ack", {}),
            (-4, "ext", {"days": 30, "reason": "资金未到位"}),
            (-3, "ext_no", {"comment": "隐患风险较高，不予延期，请按期完成"}),
        ],
    ),
    # overdue, some supervised (one twice), some reported to the authority
    ("general", -40, 20, [(-39, "notify", {}), (-37, "ack", {})]),
    (
        "general",
        -35,
        15,
        [(-34, "notify", {}), (-33, "ack", {}), (-12, "service", {"text": "再次上门督促，提供整改技术资料"})],
    ),
    ("general", -45, 15, [(-44, "notify", {}), (-42, "ack", {}), (-25, "supervise", {"days": 14})]),
    (
        "general",
        -60,
        15,
        [
            (-59, "notify", {}),
            (-57, "ack", {}),
            (-40, "supervise", {"days": 10}),
            (-25, "supervise", {"days": 10}),
            (-10, "report", {"addressee": "江州市能源局"}),
        ],
    ),
    (
        "general",
        -50,
        10,
        [(-49, "notify", {}), (-35, "supervise", {"days": 15}), (-15, "report", {"addressee": "江州市应急管理局"})],
    ),
    ("general", -28, 14, [(-27, "notify", {}), (-25, "ack", {}), (-10, "supervise", {"days": 20})]),
    # pending acceptance, with replies
    ("general", -20, 25, [(-19, "notify", {}), (-18, "ack", {}), (-2, "reply", {})]),
    ("general", -14, 20, [(-13, "notify", {}), (-12, "ack", {}), (-1, "reply", {})]),
    (
        "general",
        -30,
        20,
        [(-29, "notify", {}), (-28, "ack", {}), (-12, "reply", {}), (-10, "reject", {}), (-1, "reply", {})],
    ),
    ("general", -10, 15, [(-9, "notify", {}), (-3, "reply", {"result": "no_action"})]),
    # accepted, waiting to be closed
    ("general", -30, 20, [(-29, "notify", {}), (-27, "ack", {}), (-8, "reply", {}), (-5, "accept", {})]),
    ("general", -25, 20, [(-24, "notify", {}), (-23, "ack", {}), (-6, "reply", {}), (-2, "accept", {})]),
    (
        "general",
        -40,
        30,
        [
            (-39, "notify", {}),
            (-38, "ack", {}),
            (-20, "service", {"text": "协助联系检测单位"}),
            (-14, "reply", {}),
            (-12, "reject", {}),
            (-6, "reply", {}),
            (-3, "accept", {}),
        ],
    ),
    # closed
    (
        "general",
        -90,
        30,
        [(-89, "notify", {}), (-88, "ack", {}), (-70, "reply", {}), (-66, "accept", {}), (-64, "close", {})],
    ),
    (
        "general",
        -80,
        20,
        [(-79, "notify", {}), (-77, "ack", {}), (-65, "reply", {}), (-63, "accept", {}), (-60, "close", {})],
    ),
    (
        "general",
        -70,
        20,
        [
            (-69, "notify", {}),
            (-68, "ack", {}),
            (-60, "service", {"text": "现场指导防火封堵工艺"}),
            (-55, "reply", {}),
            (-53, "accept", {}),
            (-52, "close", {}),
        ],
    ),
    (
        "general",
        -100,
        15,
        [
            (-99, "notify", {}),
            (-97, "ack", {}),
            (-80, "supervise", {"days": 10}),
            (-72, "reply", {}),
            (-70, "accept", {}),
            (-69, "close", {}),
        ],
    ),
    (
        "general",
        -60,
        30,
        [
            (-59, "notify", {}),
            (-50, "ext", {"days": 15, "reason": "等待停电窗口"}),
            (-49, "ext_ok", {"comment": "同意"}),
            (-40, "ack", {}),
            (-30, "reply", {}),
            (-28, "accept", {}),
            (-27, "close", {}),
        ],
    ),
    # major hazards: one rectifying under governance, one closed with the three evaluations
    (
        "major",
        -30,
        45,
        [
            (-29, "notify", {}),
            (-27, "ack", {}),
            (-15, "service", {"text": "组织专家论证治理方案"}),
            (-5, "report", {"addressee": "江州市能源局（重大隐患报告）"}),
        ],
    ),
    (
        "major",
        -120,
        45,
        [
            (-119, "notify", {}),
            (-117, "ack", {}),
            (-100, "service", {"text": "审查施工方案与安全措施"}),
            (-80, "reply", {}),
            (-75, "accept", {}),
            (-74, "close", {}),
        ],
    ),
    # voided
    ("void", -15, 10, [(-14, "void", {"reason": "与 YH 档案重复登记，合并处理"})]),
    ("void", -6, 10, [(-5, "notify", {}), (-4, "void", {"reason": "经复核为其他单位资产，已移交"})]),
]

REPLY_HANDLED = {
    "cause": "设备运行年限长，日常巡视不到位，未及时发现缺陷",
    "handling": "已按整改要求完成处理并经测试合格；对责任班组进行通报批评，修订巡视制度",
    "next_measures": "每周专项巡视一次，纳入月度安全检查",
}
REPLY_NO_ACTION = {
    "cause": "检查时仪表读数受环境干扰",
    "handling": "经复测及第三方检测，各项数据均在正常范围，无需处理",
    "next_measures": "保持现有运维方式",
}


@contextlib.contextmanager
def _on(day: datetime.date):
    """Run a story step as if on `day`: dates, deadlines and timestamps of the history match."""
    with travel_to(timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))):
        yield


def _categories() -> dict[str, RiskCategory]:
    out = {}
    for code, name, score, description in CATEGORIES:
        out[code], _created = RiskCategory.objects.get_or_create(
            code=code, defaults={"name": name, "score": score, "description": description}
        )
    return out


def _staff(branch: OrgUnit | None) -> tuple:
    """The branch's demo inspector and manager (org.demo makes one of each per branch)."""
    if branch is None:
        return None, None
    users = {}
    for m in branch.members.select_related("user").order_by("pk"):
        users.setdefault(m.role, m.user)
    return users.get("inspector"), users.get("manager")


def _step(hazard: Hazard, action: str, day: datetime.date, options: dict, inspector, manager) -> None:
    party = hazard.responsible_name
    if action == "notify":
        services.hazard_notify(hazards=[hazard], by=inspector)
    elif action == "ack":
        services.hazard_acknowledge(hazard=hazard, acknowledged_by_name=party, by=inspector)
    elif action == "service":
        services.record_service_visit(hazard=hazard, date=day, description=options["text"], by=inspector)
    elif action == "ext":
        services.hazard_request_extension(
            hazard=hazard,
            requested_deadline=hazard.deadline + datetime.timedelta(days=options["days"]),
            reason=options["reason"],
            requested_by_name=party,
            by=inspector,
        )
    elif action in ("ext_ok", "ext_no"):
        extension = hazard.extensions.get(status=ExtensionRequest.Status.PENDING)
        services.hazard_decide_extension(
            extension=extension, approve=action == "ext_ok", comment=options["comment"], by=manager
        )
    elif action == "supervise":
        services.hazard_supervise(
            hazard=hazard, new_deadline=day + datetime.timedelta(days=options["days"]), by=manager
        )
    elif action == "report":
        services.hazard_report(
            hazard=hazard,
            addressee=options["addressee"],
            report_date=day,
            by=manager,
            comment="责任单位逾期未整改，隐患危及电网及公共安全，依规报告",
        )
    elif action == "reply":
        texts = REPLY_NO_ACTION if options.get("result") == "no_action" else REPLY_HANDLED
        services.hazard_submit_reply(
            hazard=hazard,
            result=options.get("result", WorkOrderReply.Result.HANDLED),
            submitted_by_name=party,
            by=inspector,
            **texts,
        )
    elif action == "accept":
        evaluations = {}
        if hazard.severity == Hazard.Severity.MAJOR:
            evaluations = {
                "self_evaluation": "企业组织技术人员自评：治理措施全部落实，运行正常",
                "expert_evaluation": "专家组现场评估：达到治理方案目标",
                "government_acceptance": "区应急管理局同意销号",
            }
        services.hazard_accept(hazard=hazard, by=inspector, comment="现场复查，整改到位", **evaluations)
    elif action == "reject":
        services.hazard_reject(hazard=hazard, reason="现场复查仍不满足要求，请继续整改", by=inspector)
    elif action == "close":
        services.hazard_close(hazard=hazard, by=manager, comment="整改闭环，同意销号")
    elif action == "void":
        services.hazard_void(hazard=hazard, reason=options["reason"], by=manager)


def _play(index: int, story, sites, categories, today) -> bool:
    kind, registered, deadline_days, steps = story
    site = sites[index % len(sites)]
    branch = OrgUnit.objects.filter(path=site.unit.path[:8]).first()
    inspector, manager = _staff(branch)
    if not inspector or not manager:
        return False
    fitting = texts_for(site.category)
    code, description, location, measures, basis = fitting[index % len(fitting)]
    if kind.startswith("major"):
        code, description, location, measures, basis = MAJOR_TEXTS.get(site.category, MAJOR_TEXTS[None])
        description = f"{description}（{site.name}）"
    if Hazard.objects.filter(site=site, description=description).exists():
        return False
    reg_day = today + datetime.timedelta(days=registered)
    fields = {}
    if kind == "major":
        fields = {**MAJOR, "five_deadline": reg_day + datetime.timedelta(days=deadline_days)}
    elif kind == "major_incomplete":
        fields = {"five_responsible_person": MAJOR["five_responsible_person"], "five_measures": MAJOR["five_measures"]}
    with _on(reg_day):
        hazard = services.hazard_register(
            site=site,
            description=description,
            category=categories[code],
            severity=Hazard.Severity.MAJOR if kind.startswith("major") else Hazard.Severity.GENERAL,
            discovered_on=reg_day,
            by=inspector,
            location=location,
            basis=basis,
            responsible_name=site.contact_name or "客户电气负责人",
            responsible_email=site.contact_email,
            responsible_phone=site.contact_phone,
            required_measures=measures,
            deadline=reg_day + datetime.timedelta(days=deadline_days),
            **fields,
        )
    for offset, action, options in steps:
        day = today + datetime.timedelta(days=offset)
        with _on(day):
            _step(Hazard.objects.get(pk=hazard.pk), action, day, options, inspector, manager)
    return True


def _from_inspections(categories, today) -> int:
    """Findings of the demo inspections become hazards (once); two of them go further."""
    try:
        from audits.models import Inspection
    except ImportError:  # pragma: no cover - audits is installed with the project
        return 0
    inspections = (
        Inspection.objects.exclude(status=Inspection.Status.DRAFT)
        .exclude(site=None)
        .filter(results__problem__gt="")
        .distinct()
        .select_related("site__unit")
        .order_by("date", "pk")[:3]
    )
    created = 0
    for n, inspection in enumerate(inspections):
        branch = OrgUnit.objects.filter(path=inspection.site.unit.path[:8]).first()
        inspector, manager = _staff(branch)
        if not inspector or not manager:
            continue
        hazards = services.hazards_create_from_inspection(
            inspection=inspection, by=inspector, category=categories["MGMT"]
        )
        created += len(hazards)
        for i, hazard in enumerate(hazards[:2]):
            hazard = services.hazard_update(
                hazard=hazard,
                by=inspector,
                deadline=today + datetime.timedelta(days=20),
                category=categories["ELEC"] if i else categories["QUAL"],
            )
            services.hazard_notify(hazards=[hazard], by=inspector)
            if n == 0 and i == 0:
                # A finding verified as normal: accepted and whitelisted for 180 days.
                _step(Hazard.objects.get(pk=hazard.pk), "reply", today, {"result": "no_action"}, inspector, manager)
                services.hazard_accept(
                    hazard=Hazard.objects.get(pk=hazard.pk),
                    by=inspector,
                    comment="现场复核正常",
                    whitelist_until=today + datetime.timedelta(days=180),
                )
            else:
                _step(Hazard.objects.get(pk=hazard.pk), "ack", today, {}, inspector, manager)
    return created


@transaction.atomic
def seed(stdout=None) -> dict:
    categories = _categories()
    sites = list(Site.objects.filter(active=True, code__startswith="S").select_related("unit").order_by("code")[:24])
    if not sites:
        if stdout:
            stdout.write("hazards: no demo sites (run the org demo first); risk dictionary only")
        return {}
    today = timezone.localdate()
    # In registration order, so the numbers follow the registration dates.
    ordered = sorted(enumerate(STORIES), key=lambda pair: pair[1][1])
    played = sum(_play(i, story, sites, categories, today) for i, story in ordered)
    from_findings = _from_inspections(categories, today)
    if stdout:
        by_status = dict(Hazard.objects.values_list("status").order_by().annotate(n=Count("id")))
        stdout.write(
            f"hazards: {len(categories)} risk categories, {played} demo hazards and {from_findings} from "
            f"inspection findings created; by status {by_status}"
        )
    return {}
