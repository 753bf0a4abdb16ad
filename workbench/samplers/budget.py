"""`Budget`: how much of a dataset a sampler may keep, as a number of users or a fraction of them.

The paper reports every data budget as a share of the dataset's users ("% users"): a subset of
u users of a dataset with N users is the budget u / N. A budget is given either way:

* a number of users: ``500`` or ``"500"`` (or ``"500 users"``);
* a fraction of the users: ``"0.5%"``, ``"2%"``, ``"100%"``, or a float in (0, 1] such as ``0.05``
  (``"0.05"`` as text; note ``1`` is one user while ``1.0`` and ``"100%"`` are all of them).

Which of the two it is decides nothing about the sampler's rule; `Budget.n_users` and
`Budget.fraction` convert one into the other once the dataset's number of users is known.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass

from workbench.errors import WorkbenchError

_EXPECTED = (
    "a positive number of users (e.g. 500 or '500'), a percentage in (0%, 100%] (e.g. '0.5%', '2%') "
    "or a fraction in (0, 1] (e.g. 0.05)"
)
_USERS_TEXT = re.compile(r"(?P<number>[0-9]+)\s*(?:users?)?", re.IGNORECASE)


@dataclass(frozen=True)
class Budget:
    """A data budget: exactly one of `users` (a count >= 1) or `proportion` (a fraction in (0, 1]).

    Build one with `parse_budget`, `Budget.of_users` or `Budget.of_fraction`.
    """

    users: int | None = None
    proportion: float | None = None

    def __post_init__(self) -> None:
        if (self.users is None) == (self.proportion is None):
            raise WorkbenchError("budget: expected exactly one of a number of users or a fraction of users")
        if self.users is not None:
            if isinstance(self.users, bool) or not isinstance(self.users, numbers.Integral):
                raise WorkbenchError(f"budget: expected an integer number of users, got {self.users!r}")
            if self.users < 1:
                raise WorkbenchError(f"budget: expected at least 1 user, got {self.users}")
            object.__setattr__(self, "users", int(self.users))
        else:
            value = self.proportion
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise WorkbenchError(f"budget: expected a fraction of users in (0, 1], got {value!r}")
            if not 0.0 < value <= 1.0:
                raise WorkbenchError(
                    f"budget: expected a fraction of users in (0, 1] (0% < budget <= 100%), got {value!r} "
                    f"({float(value) * 100:g}%)"
                )
            object.__setattr__(self, "proportion", float(value))

    @classmethod
    def of_users(cls, users: int) -> Budget:
        """A budget of `users` users (>= 1)."""
        return cls(users=users)

    @classmethod
    def of_fraction(cls, fraction: float) -> Budget:
        """A budget of a fraction in (0, 1] of the dataset's users."""
        return cls(proportion=fraction)

    @property
    def label(self) -> str:
        """"500 users" / "1 user" for a count, "2%" / "0.5%" for a fraction; `parse_budget` reads it back."""
        if self.users is not None:
            return f"{self.users} user" if self.users == 1 else f"{self.users} users"
        assert self.proportion is not None
        return f"{round(self.proportion * 100.0, 10):g}%"

    def n_users(self, total_users: int) -> int:
        """The number of users this budget allows out of `total_users` (>= 1).

        A count is returned as it is; a fraction f gives round(f × total_users) (halves rounded up),
        at least 1. Raises `WorkbenchError` when a count exceeds `total_users`.
        """
        total = _check_total(total_users)
        if self.users is not None:
            if self.users > total:
                raise WorkbenchError(
                    f"budget: {self.label} is more than the {total} users of the dataset; "
                    f"expected at most {total} users (or a fraction such as '100%')"
                )
            return self.users
        assert self.proportion is not None
        return max(1, min(total, math.floor(self.proportion * total + 0.5)))

    def fraction(self, total_users: int) -> float:
        """This budget as a fraction of `total_users`: the proportion itself, or users / total_users."""
        total = _check_total(total_users)
        if self.proportion is not None:
            return self.proportion
        return self.n_users(total) / total

    def __str__(self) -> str:
        return self.label


def _check_total(total_users: int) -> int:
    if isinstance(total_users, bool) or not isinstance(total_users, numbers.Integral) or total_users < 1:
        raise WorkbenchError(f"total_users: expected a positive number of users in the dataset, got {total_users!r}")
    return int(total_users)


def parse_budget(text: str | int | float | Budget) -> Budget:
    """A `Budget` from a command-line value or a number.

    * int (or text of digits, optionally followed by "users"): that many users, >= 1;
    * text ending in "%": a percentage in (0, 100], e.g. "0.5%" → 0.005, "100%" → 1.0;
    * float (or text of a decimal number such as "0.05"): a fraction in (0, 1].

    Raises `WorkbenchError` naming `budget` and the accepted forms for anything else (<= 0,
    above 100%, a float above 1, unparsable text). A count above the dataset's users can only be
    caught once the total is known: `Budget.n_users(total)` raises then.
    """
    if isinstance(text, Budget):
        return text
    if isinstance(text, bool):
        raise WorkbenchError(f"budget: expected {_EXPECTED}, got {text!r}")
    if isinstance(text, numbers.Integral):
        if text < 1:
            raise WorkbenchError(f"budget: expected at least 1 user, got {text}")
        return Budget.of_users(int(text))
    if isinstance(text, numbers.Real):
        value = float(text)
        if not math.isfinite(value) or not 0.0 < value <= 1.0:
            raise WorkbenchError(
                f"budget: expected a fraction of users in (0, 1] when given a float, got {text!r} "
                "(give an int for a number of users, or text such as '2%')"
            )
        return Budget.of_fraction(value)
    if not isinstance(text, str):
        raise WorkbenchError(f"budget: expected {_EXPECTED}, got {type(text).__name__} {text!r}")
    stripped = text.strip()
    if stripped.endswith("%"):
        number = _parse_float(stripped[:-1].strip(), text)
        if not 0.0 < number <= 100.0:
            raise WorkbenchError(f"budget: expected a percentage in (0%, 100%], got {text!r}")
        return Budget.of_fraction(min(1.0, number / 100.0))
    match = _USERS_TEXT.fullmatch(stripped)
    if match:
        users = int(match.group("number"))
        if users < 1:
            raise WorkbenchError(f"budget: expected at least 1 user, got {text!r}")
        return Budget.of_users(users)
    number = _parse_float(stripped, text)
    if not 0.0 < number <= 1.0:
        raise WorkbenchError(
            f"budget: expected a fraction in (0, 1], a whole number of users or a percentage, got {text!r}"
        )
    return Budget.of_fraction(number)


def _parse_float(number: str, original: str) -> float:
    try:
        value = float(number)
    except ValueError:
        raise WorkbenchError(f"budget: expected {_EXPECTED}, got {original!r}") from None
    if not math.isfinite(value):
        raise WorkbenchError(f"budget: expected {_EXPECTED}, got {original!r}")
    return value
