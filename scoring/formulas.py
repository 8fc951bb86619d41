"""A small, safe evaluator for the formulas that programs write into sheets without a cached value
(WPS templates, Java POI/EasyExcel exports, openpyxl): `=B2-C2`, `=SUM(D3:D20)`, `=C5*0.5`,
`=ROUND(D2/C2*100,2)`, `=MAX(0,C2-D2)`.

Why not a formula engine (the `formulas` or `pycel` packages): those evaluate whole workbooks with
numpy and hundreds of functions; a score sheet needs arithmetic over cells of its own sheet, and
anything beyond that must be refused by name rather than guessed. So: numbers, cell references
and ranges of the same sheet, + - * / ^, unary minus, %, parentheses, and SUM, MIN, MAX, ABS,
ROUND, AVERAGE. Anything else (another sheet, IF, text functions, a reference cycle, division by
zero, text in arithmetic) raises `NotComputable`, and the importer names the cell.

Arithmetic is in Decimal, so =C2-D2 of 10 and 2.5 is exactly 7.5.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation, Overflow

from openpyxl.formula import Tokenizer

MAX_RANGE_CELLS = 100_000
MAX_DEPTH = 200  # nested references; deeper chains are refused rather than risk the stack


class NotComputable(Exception):
    pass


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _col_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index


def _parse_ref(text: str) -> tuple[int, int]:
    match = _REF.match(text)
    if not match:
        raise NotComputable(text)
    return int(match.group(2)), _col_index(match.group(1))


def _parse_range(text: str) -> list[tuple[int, int]]:
    if "!" in text or "[" in text:
        raise NotComputable(text)  # another sheet or workbook
    if ":" not in text:
        return [_parse_ref(text)]
    first, _sep, last = text.partition(":")
    (r1, c1), (r2, c2) = _parse_ref(first), _parse_ref(last)
    r1, r2 = sorted((r1, r2))
    c1, c2 = sorted((c1, c2))
    if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_RANGE_CELLS:
        raise NotComputable(text)
    return [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _round(values):
    if len(values) != 2:
        raise NotComputable("ROUND")
    number, places = values
    places = int(places)
    if not -10 <= places <= 10:
        raise NotComputable("ROUND")
    from decimal import ROUND_HALF_UP
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _one(values, name):
    if len(values) != 1:
        raise NotComputable(name)
    return values[0]


def _average(values):
    if not values:
        raise NotComputable("AVERAGE")
    return sum(values, Decimal(0)) / len(values)


# name -> function over the numbers of its arguments (ranges already expanded)
FUNCTIONS: dict[str, Callable] = {
    "SUM": lambda v: sum(v, Decimal(0)),
    "MIN": lambda v: min(v) if v else Decimal(0),
    "MAX": lambda v: max(v) if v else Decimal(0),
    "ABS": lambda v: _one(v, "ABS").copy_abs(),
    "ROUND": _round,
    "AVERAGE": _average,
}


def to_number(value) -> Decimal | None:
    """A cell's value as a Decimal for arithmetic: blank is None (0 in arithmetic), numbers and
    booleans as numbers; text is not computable (Excel's #VALUE!)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NotComputable(repr(value))
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    raise NotComputable(repr(value))


class Evaluator:
    """Evaluates the formula of a cell given `lookup(row, column)`, which returns the value of a
    cell of the same sheet (a plain value, or another formula to evaluate: see `formula_of`)."""

    def __init__(self, lookup: Callable[[int, int], object], formula_of: Callable[[int, int], str | None]):
        self.lookup = lookup
        self.formula_of = formula_of
        self.cache: dict[tuple[int, int], Decimal | None] = {}
        self.active: set[tuple[int, int]] = set()

    def cell(self, row: int, column: int) -> Decimal | None:
        key = (row, column)
        if key in self.cache:
            return self.cache[key]
        formula = self.formula_of(row, column)
        if formula is None:
            return to_number(self.lookup(row, column))
        if key in self.active or len(self.active) > MAX_DEPTH:
            raise NotComputable("cycle")
        self.active.add(key)
        try:
            value = self.evaluate(formula)
        finally:
            self.active.discard(key)
        self.cache[key] = value
        return value

    def evaluate(self, formula: str) -> Decimal | None:
        try:
            tokens = [t for t in Tokenizer(formula).items if t.type != "WHITE-SPACE"]
        except Exception as exc:  # the tokenizer raises on unbalanced brackets and the like
            raise NotComputable(formula) from exc
        parser = _Parser(tokens, self)
        try:
            value = parser.expression(0)
        except (InvalidOperation, DivisionByZero, Overflow, ZeroDivisionError, ValueError, OverflowError) as exc:
            raise NotComputable(formula) from exc
        if parser.position != len(tokens):
            raise NotComputable(formula)
        if value is not None and not value.is_finite():
            raise NotComputable(formula)
        return value


_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}


class _Parser:
    """Precedence climbing over openpyxl's tokens."""

    def __init__(self, tokens, evaluator: Evaluator):
        self.tokens, self.evaluator, self.position = tokens, evaluator, 0

    def _peek(self):
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self):
        token = self._peek()
        if token is None:
            raise NotComputable("end")
        self.position += 1
        return token

    def expression(self, min_precedence: int) -> Decimal | None:
        left = self.unary()
        while True:
            token = self._peek()
            if token is None or token.type != "OPERATOR-INFIX" or token.value not in _BINARY:
                if token is not None and token.type == "OPERATOR-INFIX":
                    raise NotComputable(token.value)  # comparisons, &, ranges between operands
                return left
            precedence = _BINARY[token.value]
            if precedence < min_precedence:
                return left
            self._next()
            right = self.expression(precedence + (0 if token.value == "^" else 1))
            a, b = left or Decimal(0), right or Decimal(0)
            if token.value == "+":
                left = a + b
            elif token.value == "-":
                left = a - b
            elif token.value == "*":
                left = a * b
            elif token.value == "/":
                if b == 0:
                    raise NotComputable("#DIV/0!")
                left = a / b
            else:
                if abs(b) > 100:
                    raise NotComputable("^")
                left = a ** b

    def unary(self) -> Decimal | None:
        token = self._peek()
        if token is not None and token.type == "OPERATOR-PREFIX":
            self._next()
            value = self.unary()
            return -(value or Decimal(0)) if token.value == "-" else value
        value = self.primary()
        while (token := self._peek()) is not None and token.type == "OPERATOR-POSTFIX":
            self._next()
            if token.value != "%":
                raise NotComputable(token.value)
            value = (value or Decimal(0)) / 100
        return value

    def primary(self) -> Decimal | None:
        token = self._next()
        if token.type == "OPERAND":
            if token.subtype == "NUMBER":
                return Decimal(token.value)
            if token.subtype == "RANGE":
                cells = _parse_range(token.value)
                if len(cells) != 1:
                    raise NotComputable(token.value)  # a range outside a function
                return self.evaluator.cell(*cells[0])
            raise NotComputable(token.value)  # text, logical and error literals
        if token.type == "PAREN" and token.subtype == "OPEN":
            value = self.expression(0)
            closing = self._next()
            if closing.type != "PAREN" or closing.subtype != "CLOSE":
                raise NotComputable(closing.value)
            return value
        if token.type == "FUNC" and token.subtype == "OPEN":
            return self.function(token.value[:-1].upper().removeprefix("_XLFN."))
        raise NotComputable(token.value)

    def function(self, name: str) -> Decimal:
        if name not in FUNCTIONS:
            raise NotComputable(name)
        numbers: list[Decimal] = []
        if self._peek() is not None and self._peek().type == "FUNC" and self._peek().subtype == "CLOSE":
            self._next()
            return FUNCTIONS[name](numbers)
        while True:
            token = self._peek()
            following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
            if (token is not None and token.type == "OPERAND" and token.subtype == "RANGE" and ":" in token.value
                    and following is not None and following.type in ("SEP", "FUNC")):
                self._next()
                # In a range, functions skip blank and text cells (as Excel's SUM does).
                for row, column in _parse_range(token.value):
                    try:
                        value = self.evaluator.cell(row, column)
                    except NotComputable:
                        if self.evaluator.formula_of(row, column) is not None:
                            raise
                        continue
                    if value is not None:
                        numbers.append(value)
            else:
                value = self.expression(0)
                numbers.append(value or Decimal(0))
            token = self._next()
            if token.type == "SEP" and token.subtype == "ARG":
                continue
            if token.type == "FUNC" and token.subtype == "CLOSE":
                return FUNCTIONS[name](numbers)
            raise NotComputable(token.value)
