"""Budgets: parsing, conversion between users and fractions, and clear errors for bad ones."""

from __future__ import annotations

import math

import pytest

from workbench.errors import WorkbenchError
from workbench.samplers import Budget, parse_budget


@pytest.mark.parametrize("given", ["500", 500, " 500 ", "500 users"])
def test_a_count_of_users(given: str | int) -> None:
    budget = parse_budget(given)
    assert budget == Budget.of_users(500)
    assert budget.users == 500 and budget.proportion is None
    assert budget.label == "500 users"
    assert budget.n_users(1000) == 500
    assert budget.fraction(1000) == 0.5
    assert budget.n_users(500) == 500


@pytest.mark.parametrize(
    ("given", "fraction", "label"),
    [("0.5%", 0.005, "0.5%"), ("2%", 0.02, "2%"), ("100%", 1.0, "100%"), (0.05, 0.05, "5%"), ("0.05", 0.05, "5%"),
     (1.0, 1.0, "100%"), ("25 %", 0.25, "25%")],
)
def test_a_fraction_of_users(given: str | float, fraction: float, label: str) -> None:
    budget = parse_budget(given)
    assert budget.users is None
    assert math.isclose(budget.proportion, fraction)
    assert budget.label == label
    assert math.isclose(budget.fraction(6040), fraction)
    assert parse_budget(budget.label) == budget


def test_fraction_to_users_rounds_and_keeps_at_least_one() -> None:
    assert parse_budget("2%").n_users(6040) == 121  # 120.8
    assert parse_budget("0.5%").n_users(6040) == 30  # 30.2
    assert parse_budget("0.5%").n_users(100) == 1  # 0.5 rounds up
    assert parse_budget("0.1%").n_users(100) == 1  # 0.1 -> at least one user
    assert parse_budget("100%").n_users(7) == 7
    assert parse_budget("1 user").label == "1 user"
    assert parse_budget(1).n_users(5) == 1
    assert parse_budget(parse_budget("3%")) == parse_budget("3%")


@pytest.mark.parametrize(
    ("given", "expected_words"),
    [
        (0, "at least 1 user"),
        (-3, "at least 1 user"),
        ("0", "at least 1 user"),
        ("-1", "budget"),
        ("0%", "(0%, 100%]"),
        ("150%", "(0%, 100%]"),
        ("-2%", "(0%, 100%]"),
        (1.5, "(0, 1]"),
        (0.0, "(0, 1]"),
        (float("nan"), "(0, 1]"),
        ("1.5", "(0, 1]"),
        ("abc", "number of users"),
        ("", "number of users"),
        ("nan%", "number of users"),
        ("%", "number of users"),
        (True, "number of users"),
        (None, "number of users"),
    ],
)
def test_bad_budgets_are_refused_with_what_was_expected(given: object, expected_words: str) -> None:
    with pytest.raises(WorkbenchError) as caught:
        parse_budget(given)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("budget:")
    assert expected_words in message


def test_more_users_than_the_dataset_is_refused_once_the_total_is_known() -> None:
    budget = parse_budget("600")
    with pytest.raises(WorkbenchError, match=r"budget: 600 users is more than the 500 users"):
        budget.n_users(500)
    with pytest.raises(WorkbenchError, match="budget"):
        budget.fraction(500)


def test_direct_construction_is_checked() -> None:
    with pytest.raises(WorkbenchError, match="exactly one"):
        Budget()
    with pytest.raises(WorkbenchError, match="exactly one"):
        Budget(users=3, proportion=0.5)
    with pytest.raises(WorkbenchError, match=r"\(0, 1\]"):
        Budget.of_fraction(2.0)
    with pytest.raises(WorkbenchError, match="at least 1 user"):
        Budget.of_users(0)
    with pytest.raises(WorkbenchError, match="total_users"):
        parse_budget("2%").n_users(0)
