"""The score roll-up (汇总) of a standard's tree: pure functions, no database access.

A parent's 应得分 (points) and 实得分 (earned) are the sums over the applicable leaves below it;
得分率 = 实得分 / 应得分 × 100, half-up to 2 places (scoring.rules); 严重问题数 sums. A not-applicable (不适用) leaf
leaves both sums. A node with no applicable leaf below it (or whose points are 0) has no rate:
the pages and reports show "—" for it, never 0 or an error.

One pass over the items in reverse tree order (children before parents), so a 2,000-item tree
takes a few milliseconds; nothing here touches a queryset.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from .rules import CENT, HUNDRED, ZERO, format_rate, score_rate  # noqa: F401 (names kept for importers)


@dataclass(frozen=True, slots=True)
class LeafResult:
    # None = not scored yet: counts as 0 earned and the leaf stays in 应得分.
    earned: Decimal | None
    not_applicable: bool = False
    serious_problems: int = 0


@dataclass(frozen=True, slots=True)
class RollupRow:
    item_id: int
    code: str
    title: str
    depth: int
    is_leaf: bool
    serious: bool
    points: Decimal  # 应得分: the standard points counted here (0 for a not-applicable leaf)
    earned: Decimal  # 实得分
    rate: Decimal | None  # 得分率 (%), None when there is nothing to rate (shown as "—")
    serious_problems: int  # 严重问题数
    applicable: bool  # False when every leaf below is not applicable
    parent_id: int | None = None

    @property
    def rate_display(self) -> str:
        return format_rate(self.rate)


def _sort_key(item) -> str:
    key = getattr(item, "sort_key", None)
    if key:
        return key
    return ".".join(part.zfill(4) for part in str(item.code).split("."))


def rollup(items: Iterable, results: Mapping[int, LeafResult]) -> list[RollupRow]:
    """One row per item, in tree order, with the sums of the applicable leaves below it.

    `items` are StandardItem instances or any objects with id, parent_id, code, title, depth,
    is_leaf, serious, points and sort_key. Leaves missing from `results` count as unscored.
    Raises ValueError for an earned value outside 0..points: callers validate input first, so
    this is a bug, not something to round away silently.
    """
    ordered = sorted(items, key=_sort_key)
    parent_ids = {item.parent_id for item in ordered}
    # Per node: [points, earned, serious_problems, applicable leaves]
    acc: dict[int, list] = {}
    rows: list[RollupRow] = []
    for item in reversed(ordered):
        item_id = item.id
        has_children = item_id in parent_ids
        if has_children:
            points, earned, problems, applicable = acc.pop(item_id, (ZERO, ZERO, 0, 0))
            is_leaf = False
        elif item.is_leaf:
            is_leaf = True
            result = results.get(item_id)
            item_points = Decimal(item.points)
            if result is not None and result.not_applicable:
                points, earned, problems, applicable = ZERO, ZERO, 0, 0
            else:
                points, applicable = item_points, 1
                earned = ZERO if result is None or result.earned is None else Decimal(result.earned)
                problems = result.serious_problems if result is not None else 0
                if earned < ZERO or earned > item_points:
                    raise ValueError(f"Item {item.code}: earned {earned} is outside 0..{item_points}")
        else:
            # A section without items: nothing to score.
            is_leaf = False
            points, earned, problems, applicable = ZERO, ZERO, 0, 0
        parent_id = item.parent_id
        if parent_id is not None:
            parent_acc = acc.get(parent_id)
            if parent_acc is None:
                acc[parent_id] = [points, earned, problems, applicable]
            else:
                parent_acc[0] += points
                parent_acc[1] += earned
                parent_acc[2] += problems
                parent_acc[3] += applicable
        rows.append(RollupRow(
            item_id=item_id, code=item.code, title=item.title, depth=item.depth, is_leaf=is_leaf,
            serious=item.serious, points=points, earned=earned,
            rate=score_rate(earned, points) if applicable else None,
            serious_problems=problems, applicable=bool(applicable), parent_id=parent_id,
        ))
    rows.reverse()
    return rows


def totals(rows: Iterable[RollupRow], *, title: str = "") -> RollupRow:
    """The whole standard as one row: the sums of the top-level rows (item_id 0, depth -1)."""
    points, earned, problems, applicable = ZERO, ZERO, 0, False
    for row in rows:
        if row.parent_id is None:
            points += row.points
            earned += row.earned
            problems += row.serious_problems
            applicable = applicable or row.applicable
    return RollupRow(
        item_id=0, code="", title=title, depth=-1, is_leaf=False, serious=False, points=points,
        earned=earned, rate=score_rate(earned, points) if applicable else None,
        serious_problems=problems, applicable=applicable, parent_id=None,
    )
