"""Standards and inspections for the audits tests, built directly (the scoring services are
another engineer's and may change): items from (code, title, points-or-None, serious) tuples."""

from decimal import Decimal

from scoring.models import Standard, StandardItem

# A tree with 4+ levels, a zero-point section and a section whose leaves may all be not applicable.
DEEP_TREE = [
    ("1", "安全管理", None, False),
    ("1.1", "安全责任制", None, False),
    ("1.1.1", "责任制建立", None, False),
    ("1.1.1.1", "主要负责人职责明确", "3.5", True),
    ("1.1.1.2", "岗位责任制覆盖全员", "2.25", False),
    ("1.1.2", "责任制考核", "4", False),
    ("1.2", "安全培训", None, False),
    ("1.2.1", "三级安全教育", "5", False),
    ("1.2.2", "特种作业人员持证", "5", True),
    ("2", "设备设施", None, False),
    ("2.1", "变配电室", None, False),
    ("2.1.1", "防小动物措施", "2", False),
    ("2.1.2", "绝缘工具定期试验", "3", False),
    ("2.2", "自备发电机", None, False),
    ("2.2.1", "防倒送电闭锁装置", "6", True),
    ("2.2.2", "发电机定期试运行", "4", False),
    ("3", "附加说明（不计分）", None, False),
    ("3.1", "现场照片留存", "0", False),
]


def make_standard(tree=None, *, name="测试评价标准", version="1", status=Standard.Status.ACTIVE) -> Standard:
    tree = tree or DEEP_TREE
    codes = {code for code, *_ in tree}
    parents = {code.rsplit(".", 1)[0] for code in codes if "." in code}
    standard = Standard.objects.create(name=name, version=version, status=status)
    by_code: dict[str, StandardItem] = {}
    for code, title, points, serious in sorted(tree, key=lambda t: StandardItem.sort_key_for(t[0])):
        parent = by_code.get(code.rsplit(".", 1)[0]) if "." in code else None
        by_code[code] = StandardItem.objects.create(
            standard=standard, parent=parent, code=code, sort_key=StandardItem.sort_key_for(code),
            depth=code.count("."), title=title, points=Decimal(points or "0"), serious=serious,
            is_leaf=code not in parents,
        )
    # Parents' stored points are the sums of their children's.
    for item in sorted(by_code.values(), key=lambda i: -i.depth):
        if not item.is_leaf:
            item.points = sum((c.points for c in by_code.values() if c.parent_id == item.pk), Decimal("0"))
            item.save(update_fields=["points"])
    top = [i for i in by_code.values() if i.parent_id is None]
    standard.total_points = sum((i.points for i in top), Decimal("0"))
    standard.item_count = len(by_code)
    standard.save(update_fields=["total_points", "item_count"])
    return standard


def wide_standard(sections: int, leaves_per_section: int, *, name="宽标准") -> Standard:
    tree = []
    for s in range(1, sections + 1):
        tree.append((str(s), f"第{s}部分", None, False))
        for leaf in range(1, leaves_per_section + 1):
            tree.append((f"{s}.{leaf}", f"检查项目{s}.{leaf}", "2", leaf == 1))
    return make_standard(tree, name=name)


def item(standard: Standard, code: str) -> StandardItem:
    return StandardItem.objects.get(standard=standard, code=code)
