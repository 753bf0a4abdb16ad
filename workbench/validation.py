"""Checks of parameter values, shared by every module that takes them; each names the parameter.

A value out of range is refused where it enters (a WorkbenchError naming the parameter, what was
expected and what was given), never deep inside numpy with a raw ValueError or OverflowError.
"""

from __future__ import annotations

import numbers

from workbench.errors import WorkbenchError

#: The largest seed accepted: 2**32 - 1, the range every numpy generator (legacy ones included) takes.
MAX_SEED = 2**32 - 1


def check_seed(value: object, parameter: str = "seed") -> int:
    """`value` as a Python int in [0, MAX_SEED]; WorkbenchError naming `parameter` otherwise.

    Integers of any kind are accepted (numpy's included); bools, floats, strings and None are not.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) <= MAX_SEED:
        raise WorkbenchError(f"{parameter}: expected an integer from 0 to {MAX_SEED}, got {value!r}")
    return int(value)
