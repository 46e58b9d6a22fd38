"""The 13 assertion operators of Kestra's unit tests: each one holding and failing, with the message a user
reads when it fails."""

from __future__ import annotations

from typing import Any

import pytest

from legato.flowtests.assertions import AssertionResult, check
from legato.flowtests.suite import OPERATORS

HOLDS: list[tuple[str, Any, Any]] = [
    ("isNotNull", "x", True),
    ("isNotNull", None, False),
    ("isNull", None, True),
    ("isNull", "x", False),
    ("equalTo", 200, 200),
    ("equalTo", "200", 200),  # outputs rendered as text still equal a number
    ("equalTo", "[BOWLER HAT, TRILBY HAT]", "[BOWLER HAT, TRILBY HAT]"),
    ("equalTo", [1, 2], [1, 2]),
    ("equalTo", True, "true"),
    ("notEqualTo", 404, 200),
    ("endsWith", "report.json", ".json"),
    ("startsWith", "prod-eu", "prod-"),
    ("contains", "run ended with success", "success"),
    ("contains", ["a", "b"], "b"),
    ("contains", {"key": 1}, "key"),
    ("greaterThan", 11, 10),
    ("greaterThan", "10.5", 10),
    ("greaterThan", "2024-02-01", "2024-01-31"),
    ("greaterThanOrEqualTo", 5, 5),
    ("lessThan", 99, 100),
    ("lessThanOrEqualTo", 20, 20),
    ("in", 201, [200, 201, 202]),
    ("in", "201", [200, 201]),
    ("notIn", 200, [404, 500]),
]
FAILS: list[tuple[str, Any, Any]] = [
    ("isNotNull", None, True),
    ("isNull", "x", True),
    ("equalTo", 201, 200),
    ("equalTo", None, "x"),
    ("notEqualTo", "200", 200),
    ("endsWith", "report.csv", ".json"),
    ("endsWith", None, ".json"),
    ("startsWith", "dev-eu", "prod-"),
    ("contains", "failed", "success"),
    ("contains", None, "x"),
    ("greaterThan", 10, 10),
    ("greaterThan", "abc", 10),  # text and a number do not compare: the check fails, it does not raise
    ("greaterThanOrEqualTo", 4, 5),
    ("lessThan", 100, 100),
    ("lessThanOrEqualTo", 21, 20),
    ("in", 404, [200, 201]),
    ("notIn", 404, [404, 500]),
]


def test_the_thirteen_operators_are_covered() -> None:
    assert len(OPERATORS) == 13
    assert {op for op, _, _ in HOLDS} == set(OPERATORS) == {op for op, _, _ in FAILS}


@pytest.mark.parametrize(("operator", "actual", "expected"), HOLDS)
def test_operator_holds(operator: str, actual: Any, expected: Any) -> None:
    assert check(operator, actual, expected)


@pytest.mark.parametrize(("operator", "actual", "expected"), FAILS)
def test_operator_fails(operator: str, actual: Any, expected: Any) -> None:
    assert not check(operator, actual, expected)


def test_a_failure_message_says_expected_and_actual_after_the_assertions_own_message() -> None:
    result = AssertionResult("equalTo", 200, 404, False, errorMessage="the API must answer 200")
    assert result.message() == "the API must answer 200: expected 404 to equal 200"
    assert AssertionResult("isNotNull", True, None, False).message() == "expected null not to be null"
    assert AssertionResult("in", [1, 2], "x", False).message() == "expected 'x' to be in [1,2]"
