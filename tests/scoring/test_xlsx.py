"""The shared sheet parsers used by the standard and the results imports."""

from decimal import Decimal

import pytest

from scoring.xlsx import SheetError, column_letter, normalise_header, parse_bool, parse_code, parse_decimal


def _at(errors):
    return {"row": 7, "column": "C", "header": "应得分", "errors": errors}


@pytest.mark.parametrize("value, expected", [
    (5, Decimal("5")), (2.5, Decimal("2.5")), (0.1 + 0.2, Decimal("0.30")), (" 1 2.5 ", Decimal("12.5")),
    ("３．５", Decimal("3.5")), (Decimal("4.00"), Decimal("4")), ("0", Decimal("0")),
])
def test_parse_decimal_accepts(value, expected):
    errors = []
    assert parse_decimal(value, **_at(errors)) == expected
    assert errors == []


@pytest.mark.parametrize("value, fragment", [
    ("五", "not a number"), (-1, "negative"), ("1.234", "decimal places"), (float("nan"), "not a number"),
    ("inf", "not a number"), (True, "not a number"), (10**8, "more than"), ("1,5", "not a number"),
])
def test_parse_decimal_rejects_with_row_and_column(value, fragment):
    errors = []
    assert parse_decimal(value, **_at(errors)) is None
    assert len(errors) == 1 and fragment in errors[0].message
    assert str(errors[0]).startswith("Row 7, column C (应得分): ")


def test_parse_decimal_empty():
    errors = []
    assert parse_decimal(None, **_at(errors)) is None and errors == []
    assert parse_decimal("  ", required=True, **_at(errors)) is None and "required" in errors[0].message


@pytest.mark.parametrize("value, expected", [
    ("是", True), ("否", False), ("Yes", True), ("no", False), ("TRUE", True), ("false", False), (1, True), (0, False),
    ("y", True), ("N", False), ("√", True), ("×", False), (None, False), ("", False), (True, True),
])
def test_parse_bool(value, expected):
    errors = []
    assert parse_bool(value, **_at(errors)) is expected
    assert errors == []


def test_parse_bool_rejects_and_keeps_default():
    errors = []
    assert parse_bool("也许", default=True, **_at(errors)) is True
    assert "也许" in errors[0].message


@pytest.mark.parametrize("value, expected", [
    ("1", "1"), ("1.1", "1.1"), ("1.10", "1.10"), (" 1.2.3 ", "1.2.3"), ("１．２", "1.2"), ("2.", "2"),
    ("01.02", "1.2"), (3, "3"), (2.0, "2"), (1.1, "1.1"), (1.25, "1.25"),
])
def test_parse_code(value, expected):
    errors = []
    assert parse_code(value, **_at(errors)) == expected
    assert errors == []


@pytest.mark.parametrize("value", ["a", "1..2", "1.a", "-1", -1.5, "", None, "1.99999", ".".join(["1"] * 11)])
def test_parse_code_rejects(value):
    errors = []
    assert parse_code(value, **_at(errors)) is None
    assert len(errors) == 1


def test_headers_and_letters():
    assert normalise_header(" 得分率（%） ") == normalise_header("得分率(%)") == "得分率"
    assert normalise_header("应得分（分）") == normalise_header("应得分") == "应得分"
    assert normalise_header("(分)") == "(分)"  # a header that is only a unit stays itself
    assert normalise_header("Serious Problems") == "seriousproblems"
    assert [column_letter(n) for n in (1, 26, 27, 52)] == ["A", "Z", "AA", "AZ"]


def test_error_text_without_column():
    assert str(SheetError(row=3, column=None, message="x")) == "Row 3: x"
    assert str(SheetError(row=None, column=None, message="whole file")) == "whole file"
