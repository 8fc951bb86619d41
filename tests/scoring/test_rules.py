"""得分率 written once (scoring/rules.py): computed and rounded half-up to 2 places in Decimal, and
shown the same way by the roll-up, the pages' template filters and the report cells. Boundary
values are chosen where banker's rounding or floats would give another cent."""

from collections import namedtuple
from decimal import Decimal

import pytest
from django.template import Context, Template

from audits import documents
from scoring import rules
from scoring.rollup import LeafResult, RollupRow, rollup, totals

D = Decimal
Item = namedtuple("Item", "id parent_id code title depth is_leaf serious points sort_key")

# (earned, points, rate, shown): written out by hand.
CASES = [
    (D("2"), D("3"), D("66.67"), "66.67"),
    (D("1"), D("3"), D("33.33"), "33.33"),
    (D("1"), D("32"), D("3.13"), "3.13"),        # 3.125: half-up, where banker's rounding gives 3.12
    (D("0.201"), D("20"), D("1.01"), "1.01"),    # 1.005: a float would round it down to 1.00
    (D("1"), D("8"), D("12.50"), "12.50"),
    (D("7"), D("7"), D("100.00"), "100.00"),
    (D("0"), D("5"), D("0.00"), "0.00"),
    (D("0"), D("0"), None, "—"),                 # no points to earn: no rate, never 0
]


@pytest.mark.parametrize("earned, points, rate, shown", CASES)
def test_rate_and_its_display_everywhere(earned, points, rate, shown):
    assert rules.score_rate(earned, points) == rate
    assert rules.format_rate(rate) == shown
    page = Template("{% load audits_tags %}{{ value|rate }}").render(Context({"value": rate}))
    assert page == shown
    row = RollupRow(item_id=1, code="1", title="t", depth=0, is_leaf=True, serious=False, points=points,
                    earned=earned, rate=rate, serious_problems=0, applicable=rate is not None)
    assert row.rate_display == shown
    cell = rules.rate_cell(rate)
    assert (cell if isinstance(cell, str) else f"{cell:.2f}") == shown
    if rate is not None:
        assert documents.cents(rate) == rate


def test_the_rollup_rounds_with_the_rule():
    items = [Item(1, None, "1", "节", 0, False, False, D(0), "0001"),
             Item(2, 1, "1.1", "项", 1, True, False, D("32"), "0001.0001")]
    rows = rollup(items, {2: LeafResult(D("1"))})
    assert [r.rate for r in rows] == [D("3.13"), D("3.13")]
    assert totals(rows).rate == D("3.13")
    rows = rollup(items, {2: LeafResult(None, not_applicable=True)})
    assert rows[0].rate is None and totals(rows).rate is None and totals(rows).rate_display == "—"


@pytest.mark.parametrize("value, shown", [(None, ""), ("", ""), (D("12.5"), "12.50"), (D("0.005"), "0.01"),
                                          (D("2.675"), "2.68"), (3, "3.00")])
def test_points_display(value, shown):
    assert rules.format_points(value) == shown
    assert Template("{% load audits_tags %}{{ value|points }}").render(Context({"value": value})) == shown
