"""The answer to "is more data needed?" as one sentence, read from a curve's table.

The table is :func:`workbench.budget.curve.curve_table`'s: per sampler and budget, the mean over
seeds of a metric m and its share of the full-data value::

    mean(s, b)     = mean over seeds of m
    relative(s, b) = mean(s, b) / mean(full, 100%)

A sampler *reaches* a share q (default 0.95) of full data at the smallest budget b with
relative(s, b) ≥ q.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.samplers.registry import SAMPLERS, get_sampler


def _label(sampler: str) -> str:
    """A sampler's registered label (the name itself for one not registered)."""
    return get_sampler(sampler).label if sampler in SAMPLERS else sampler

@dataclass(frozen=True)
class BudgetAnswer:
    """The answer to "is more data needed?" for one sampler: where it reaches the share, if it does."""

    sampler: str
    share: float
    reached_at: float | None  # % of users, or None
    reached_value: float | None
    best_percent: float
    best_relative: float
    full_value: float
    metric: str
    dataset: str
    sentence: str


def _percent_text(percent: float) -> str:
    return f"{percent:g} %"


def answer(
    table: pd.DataFrame, *, full_value: float | None, metric: str, dataset: str, sampler: str | None = None, share: float = 0.95,
) -> BudgetAnswer:
    """The smallest budget at which ``sampler`` reaches ``share`` of full data, as a sentence.

    ``sampler`` defaults to the registry's headline sampler (Distill-CF, the paper's method).

    Raises:
        WorkbenchError: no full-data value (the curve needs the 100% budget), or no row for ``sampler``.
    """
    if not 0.0 < share <= 1.0:
        raise WorkbenchError(f"share must be in (0, 1], got {share!r}")
    if sampler is None:
        sampler = next(name for name, spec in SAMPLERS.items() if spec.headline)
    if full_value is None or not np.isfinite(full_value) or full_value <= 0:
        raise WorkbenchError(
            f"no full-data {metric} for {dataset}: add the budget 100% to the curve to compare against all the data"
        )
    rows = table[table["sampler"] == sampler].sort_values("percent_users")
    if rows.empty:
        have = ", ".join(sorted(set(table["sampler"]))) or "none"
        raise WorkbenchError(f"the curve has no points for sampler {sampler!r}; it has: {have}")
    relative = rows["mean"].to_numpy() / full_value
    percents = rows["percent_users"].to_numpy()
    reached = np.flatnonzero(relative >= share)
    best = int(np.argmax(relative))
    name = _label(sampler)
    target = f"{share * 100:g} % of full-data {metric} ({full_value:.2f})"
    if len(reached):
        first = int(reached[0])
        sentence = (
            f"On {dataset}, {name} reaches {target} with {_percent_text(percents[first])} of the users "
            f"({rows['mean'].iloc[first]:.2f}, {relative[first] * 100:.0f} %): for this model, more data than that "
            f"is not what is needed."
        )
        return BudgetAnswer(sampler, share, float(percents[first]), float(rows["mean"].iloc[first]), float(percents[best]),
                            float(relative[best]), full_value, metric, dataset, sentence)
    sentence = (
        f"On {dataset}, {name} does not reach {target} within the budgets tried "
        f"(best: {relative[best] * 100:.0f} % at {_percent_text(percents[best])} of the users): more data still helps."
    )
    return BudgetAnswer(sampler, share, None, None, float(percents[best]), float(relative[best]), full_value, metric, dataset, sentence)


def point_sentence(table: pd.DataFrame, *, full_value: float | None, metric: str, sampler: str, percent: float) -> str:
    """One sentence for a selected point: the sampler's mean at that budget and its share of full data."""
    rows = table[(table["sampler"] == sampler) & np.isclose(table["percent_users"], percent)]
    name = _label(sampler)
    if rows.empty:
        return f"{name} has no result at {_percent_text(percent)} of the users yet."
    row = rows.iloc[0]
    seeds = int(row["seeds"])
    spread = f" ± {row['std']:.2f}" if seeds > 1 and np.isfinite(row["std"]) else ""
    text = f"At {_percent_text(percent)} of the users, {name} reaches {metric} {row['mean']:.2f}{spread} ({seeds} seed{'s' if seeds != 1 else ''})"
    if full_value:
        text += f", {row['mean'] / full_value * 100:.0f} % of full data ({full_value:.2f})"
    return text + "."
