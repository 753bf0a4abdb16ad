"""Read a budget curve: per-sampler means over seeds, relative to full data, and the answer to
"is more data needed?" as one sentence.

The input is the tidy frame :func:`workbench.budget.runs.budget_curve` writes (one row per dataset ×
sampler × budget × seed × model × split × metric). For a metric m, sampler s and budget b::

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
from workbench.budget.runs import FULL_DATA
from workbench.figures.colours import sampler_label
from workbench.samplers import parse_budget

#: Columns of :func:`curve_table`.
CURVE_COLUMNS: tuple[str, ...] = (
    "sampler", "budget", "percent_users", "mean", "std", "seeds", "fraction_users", "fraction_interactions", "relative",
)


def budget_percent(budget: str, fraction_users: float) -> float:
    """The budget as a percentage of users: the label's own ("2%" → 2.0), else the users actually used."""
    parsed = parse_budget(budget)
    if parsed.proportion is not None:
        return parsed.proportion * 100.0
    return float(fraction_users) * 100.0


def _select(frame: pd.DataFrame, *, dataset: str | None, model: str, metric: str, split: str) -> pd.DataFrame:
    selected = frame[(frame["model"] == model) & (frame["metric"] == metric) & (frame["split"] == split)]
    if dataset is not None:
        selected = selected[selected["dataset"] == dataset]
    return selected


def full_data_value(frame: pd.DataFrame, *, metric: str, model: str, split: str = "test", dataset: str | None = None) -> float | None:
    """Mean over seeds of ``metric`` for ``model`` trained on all the data; None if the curve has no such row."""
    selected = _select(frame, dataset=dataset, model=model, metric=metric, split=split)
    full = selected[selected["sampler"] == FULL_DATA]["value"]
    return float(full.mean()) if len(full) else None


def curve_table(
    frame: pd.DataFrame, *, metric: str = "HR@10", model: str = "infinite-ae", split: str = "test", dataset: str | None = None
) -> pd.DataFrame:
    """One row per (sampler, budget) other than full data, ordered by sampler then budget.

    Columns :data:`CURVE_COLUMNS`; ``std`` is over seeds (NaN for one seed); ``relative`` is NaN
    when the curve has no full-data point.
    """
    selected = _select(frame, dataset=dataset, model=model, metric=metric, split=split)
    selected = selected[selected["sampler"] != FULL_DATA]
    if "settings" in selected and selected.groupby(["sampler", "budget"])["settings"].nunique().max() > 1:
        raise WorkbenchError(
            "the results mix several Distill-CF configurations at one budget; keep one with "
            "workbench.budget.runs.rows_for_configuration(frame, distill_config)"
        )
    if selected.empty:
        return pd.DataFrame({column: pd.Series(dtype="float64") for column in CURVE_COLUMNS}).astype(
            {"sampler": "object", "budget": "object"}
        )
    grouped = selected.groupby(["sampler", "budget"], sort=False).agg(
        mean=("value", "mean"), std=("value", "std"), seeds=("seed", "nunique"),
        fraction_users=("fraction_users", "mean"), fraction_interactions=("fraction_interactions", "mean"),
    ).reset_index()
    grouped["percent_users"] = [budget_percent(b, f) for b, f in zip(grouped["budget"], grouped["fraction_users"])]
    full = full_data_value(frame, metric=metric, model=model, split=split, dataset=dataset)
    grouped["relative"] = grouped["mean"] / full if full else np.nan
    grouped = grouped.sort_values(["sampler", "percent_users"], kind="stable").reset_index(drop=True)
    return grouped[list(CURVE_COLUMNS)]


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
    table: pd.DataFrame, *, full_value: float | None, metric: str, dataset: str, sampler: str = "distill-cf", share: float = 0.95,
) -> BudgetAnswer:
    """The smallest budget at which ``sampler`` reaches ``share`` of full data, as a sentence.

    Raises:
        WorkbenchError: no full-data value (the curve needs the 100% budget), or no row for ``sampler``.
    """
    if not 0.0 < share <= 1.0:
        raise WorkbenchError(f"share must be in (0, 1], got {share!r}")
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
    name = sampler_label(sampler)
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
    name = sampler_label(sampler)
    if rows.empty:
        return f"{name} has no result at {_percent_text(percent)} of the users yet."
    row = rows.iloc[0]
    seeds = int(row["seeds"])
    spread = f" ± {row['std']:.2f}" if seeds > 1 and np.isfinite(row["std"]) else ""
    text = f"At {_percent_text(percent)} of the users, {name} reaches {metric} {row['mean']:.2f}{spread} ({seeds} seed{'s' if seeds != 1 else ''})"
    if full_value:
        text += f", {row['mean'] / full_value * 100:.0f} % of full data ({full_value:.2f})"
    return text + "."
