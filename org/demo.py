"""Demo organisation: a fictional city power-supply company, written in Chinese. Idempotent:
every object is looked up by its code or user name first, so running it twice adds nothing."""

import random

from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import OrgUnit, Role, Site

# bandit B105: the published demo passwords (README); seed_demo refuses production settings.
DEMO_PASSWORD = "Demo#2026"  # nosec B105
ADMIN_PASSWORD = "Admin#2026"  # nosec B105

COMPANY = ("JZ", "江州供电公司")
BRANCHES = [
    ("JZ-E", "城东供电分公司", "east", [("JZ-E-T1", "东湖供电所"), ("JZ-E-T2", "东港供电所")]),
    ("JZ-W", "城西供电分公司", "west", [("JZ-W-T1", "西山供电所"), ("JZ-W-T2", "西城供电所")]),
    ("JZ-N", "江北供电分公司", "north", [("JZ-N-T1", "北岸供电所"), ("JZ-N-T2", "红岩矿区供电所")]),
]
GROUPS_PER_BRANCH = 2

ROLE_NAMES = {
    Role.INSPECTOR: "检查员", Role.MANAGER: "安全专责", Role.LEADER: "主管领导", Role.ADMIN: "管理员",
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "海涛", "丽华", "志强", "晓明", "秀英", "国平", "春燕", "文斌", "红梅", "立新", "永刚"]

SITE_TEMPLATES = [
    # (name pattern, category, class, voltage, cycle)
    ("{p}化工有限公司", Site.Category.CHEMICAL, Site.SiteClass.HIGH_RISK, "10kV", 1),
    ("{p}煤矿", Site.Category.MINING, Site.SiteClass.HIGH_RISK, "35kV", 1),
    ("{p}钢铁集团", Site.Category.METALLURGY, Site.SiteClass.HIGH_RISK, "110kV", 3),
    ("{p}燃气门站", Site.Category.GAS, Site.SiteClass.HIGH_RISK, "10kV", 1),
    ("{p}人民医院", Site.Category.PUBLIC, Site.SiteClass.IMPORTANT, "10kV", 3),
    ("{p}体育中心", Site.Category.PUBLIC, Site.SiteClass.IMPORTANT, "10kV", 6),
    ("{p}地铁主变电所", Site.Category.PUBLIC, Site.SiteClass.IMPORTANT, "110kV", 3),
    ("{p}数据中心", Site.Category.COMMERCIAL, Site.SiteClass.IMPORTANT, "35kV", 3),
    ("{p}机械制造厂", Site.Category.MANUFACTURING, Site.SiteClass.GENERAL, "10kV", 6),
    ("{p}购物广场", Site.Category.COMMERCIAL, Site.SiteClass.GENERAL, "10kV", 12),
    ("{p}花园小区配电房", Site.Category.RESIDENTIAL, Site.SiteClass.GENERAL, "0.4kV", 12),
    ("{p}中学", Site.Category.PUBLIC, Site.SiteClass.GENERAL, "0.4kV", 12),
]
PLACE_NAMES = ["东湖", "东港", "西山", "西城", "北岸", "红岩", "青石", "白沙", "金桥", "长宁", "临江",
               "云台", "枫林", "望海", "南湾", "凤凰", "龙泉", "松柏", "桃源", "星河"]
STREETS = ["建设路", "人民大道", "滨江路", "工业园区", "解放路", "新华街", "矿山路", "港口大道"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


@transaction.atomic
def seed(stdout=None) -> dict:
    # bandit B311: demo data, seeded so that every run builds the same; no security use.
    rng = random.Random(20261124)  # nosec B311
    User = get_user_model()
    company = OrgUnit.objects.filter(code=COMPANY[0]).first() or services.orgunit_create(
        code=COMPANY[0], name=COMPANY[1], kind=OrgUnit.Kind.COMPANY
    )
    accounts = []
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.com", ADMIN_PASSWORD, first_name="系统管理员")
    accounts.append(("admin", ADMIN_PASSWORD, "superuser", company.name))

    teams = []
    for code, name, slug, team_defs in BRANCHES:
        branch = OrgUnit.objects.filter(code=code).first() or services.orgunit_create(
            code=code, name=name, kind=OrgUnit.Kind.BRANCH, parent=company
        )
        for tcode, tname in team_defs:
            team = OrgUnit.objects.filter(code=tcode).first() or services.orgunit_create(
                code=tcode, name=tname, kind=OrgUnit.Kind.TEAM, parent=branch
            )
            teams.append(team)
            for g in range(1, GROUPS_PER_BRANCH // len(team_defs) + 2):
                gcode = f"{tcode}-G{g}"
                if not OrgUnit.objects.filter(code=gcode).exists():
                    services.orgunit_create(code=gcode, name=f"{tname}检查{'一二三四'[g - 1]}组",
                                            kind=OrgUnit.Kind.GROUP, parent=team)
        for role in (Role.INSPECTOR, Role.MANAGER, Role.LEADER, Role.ADMIN):
            username = f"{slug}_{role}"
            if not User.objects.filter(username=username).exists():
                services.user_create(
                    username=username, password=DEMO_PASSWORD, unit=branch, role=role,
                    full_name=_person(rng), email=f"{username}@example.com", phone=f"1380000{rng.randint(1000, 9999)}",
                )
            accounts.append((username, DEMO_PASSWORD, ROLE_NAMES[role], name))

    created = 0
    for i in range(60):
        code = f"S{i + 1:04d}"
        if Site.objects.filter(code=code).exists():
            continue
        pattern, category, site_class, voltage, cycle = SITE_TEMPLATES[i % len(SITE_TEMPLATES)]
        place = PLACE_NAMES[(i * 7) % len(PLACE_NAMES)]
        team = teams[(i + i // len(SITE_TEMPLATES)) % len(teams)]  # every team gets a mix of classes
        contact = _person(rng)
        services.site_create(
            code=code, name=pattern.format(p=place) + ("" if i < 20 else f"{'一二三'[i // 20 - 1]}期"),
            unit=team, site_class=site_class, category=category, voltage_level=voltage,
            address=f"江州市{place}{rng.choice(STREETS)}{rng.randint(1, 399)}号",
            contact_name=contact, contact_email=f"contact{i + 1:03d}@example.com",
            contact_phone=f"139{rng.randint(10000000, 99999999)}", inspection_cycle_months=cycle,
        )
        created += 1
    if stdout:
        stdout.write(f"org: {OrgUnit.objects.count()} units, {Site.objects.count()} sites ({created} new)")
    return {"accounts": accounts}
