"""Builders for standards and standard sheets used by the scoring tests."""

import io
from decimal import Decimal

from openpyxl import Workbook

from core.lifecycle import SYSTEM
from scoring import services
from scoring.models import Standard

HEADER = ["序号", "评价项目", "应得分", "评分标准", "严重"]

# A small standard: 3 levels, a zero-point section, a serious leaf.
SMALL_ROWS = [
    ["1", "安全管理", 30, "", ""],
    ["1.1", "安全责任制", 20, "", ""],
    ["1.1.1", "责任制建立", 12, "未建立不得分", "是"],
    ["1.1.2", "责任制考核", 8, "每缺一次扣2分", "否"],
    ["1.2", "安全培训", 10, "未培训扣10分", ""],
    ["2", "设备管理", 15, "", ""],
    ["2.1", "配电室", 15, "", ""],
    ["2.1.1", "防小动物措施", 5, "缺一项扣1分", ""],
    ["2.1.2", "接地装置", 10, "接地不良不得分", "是"],
    ["3", "附加项目", 0, "", ""],
    ["3.1", "创新做法", 0, "不计分", ""],
]


def make_xlsx(rows, header=HEADER, *, text_codes=True) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    if text_codes:
        for cell in sheet["A"]:
            cell.number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def make_standard(name="测试标准", rows=None, *, version=None, activate=False, by=SYSTEM) -> Standard:
    standard = services.standard_import_xlsx(file=make_xlsx(rows or SMALL_ROWS), name=name, version=version,
                                             by=by, filename="standard.xlsx")
    if activate:
        standard = services.standard_activate(standard=standard, by=by)
    return standard


def tree_of(standard: Standard) -> list[tuple]:
    return [
        (code, title, Decimal(points), criteria, serious)
        for code, title, points, criteria, serious in standard.items.order_by("sort_key").values_list(
            "code", "title", "points", "criteria", "serious")
    ]
