"""The scoring rules, each written once: how 得分率 (score rate) is computed and rounded, and how
points and rates are shown. The roll-up (scoring.rollup), the inspection pages (audits'
template filters) and the reports (PDF and XLSX, audits.documents) all call these, so a page and
a report never differ by a cent. `tests/scoring/test_rules.py` pins the boundaries.

- 得分率 = 实得分 / 应得分 × 100, rounded half-up (ROUND_HALF_UP, not banker's rounding) to 2
  places, computed in Decimal, never float. No points to earn (应得分 0, or every leaf not
  applicable): no rate, shown as "—", never 0 or an error.
- Points (应得分 and 实得分) are shown half-up to 2 places; None shows empty.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
NO_RATE = "—"


def cents(value) -> Decimal:
    """`value` half-up to 2 places (the figure stored in a report cell)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def score_rate(earned, points) -> Decimal | None:
    """得分率 in percent, half-up to 2 places, of `earned` (实得分) out of `points` (应得分); None when
    there are no points to earn."""
    if not points:
        return None
    return cents(Decimal(earned) * HUNDRED / Decimal(points))


def format_rate(rate) -> str:
    """A score rate as shown on pages and in reports: "66.67", or "—" without a rate."""
    return NO_RATE if rate is None else f"{cents(rate):.2f}"


def format_points(value) -> str:
    """Points as shown on pages and in reports: "12.50"; empty for None."""
    if value is None or value == "":
        return ""
    return f"{cents(value):.2f}"


def rate_cell(rate) -> Decimal | str:
    """A score rate as a spreadsheet cell: the number to 2 places (formatted "0.00"), or "—"."""
    return NO_RATE if rate is None else cents(rate)
