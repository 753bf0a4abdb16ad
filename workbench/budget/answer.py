"""The answer to "is more data needed?" as one sentence, read from a curve's table.

The table is :func:`workbench.budget.curve.curve_table`'s: per sampler and budget, the mean over
seeds of a metric m and its share of the full-data value::

    mean(s, b)     = mean over seeds of m
    relative(s, b) = mean(s, b) / mean(full, 100%)

A sampler *reaches* a share q (default 0.95) of full data at the smallest budget b with
relative(s, b) ≥ q.

The second question, "or a better model?", compares models (:func:`compare_models`). With c the
chosen model, s the answer's sampler and p its budget (the budget at which c reaches q, else the
budget where c comes closest)::

    beats(m, b) = mean_m(s, b) > full(c)      (another model m on b % of the users, strictly above c on all of them)

The comparison names every m with beats(m, p); when there is none, the smallest budget b > p of s at
which some m beats c, else whether some m on all the data does (full(m) > full(c)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.errors import WorkbenchError
from workbench.models import model_label
from workbench.samplers.registry import SAMPLERS, get_sampler

if TYPE_CHECKING:
    from workbench.budget.curve import BudgetCurve


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


@dataclass(frozen=True)
class ModelComparison:
    """The answer to "or a better model?": other models on ``percent`` % of the users, against ``chosen`` on all.

    Attributes:
        chosen: the model whose full-data value is the bar (``full_value``).
        sampler: the sampler of every budget compared.
        percent: the budget compared at (% of users).
        reached: whether ``percent`` is where ``chosen`` reaches the share (else its best budget).
        values: {other model: mean at ``percent``}, for the other models with a point there.
        beating: the models of ``values`` strictly above ``full_value``, best first.
        missing: the other models (with points elsewhere) without a point at ``percent``.
        later_percent: when no model beats ``chosen`` at ``percent``: the smallest larger budget of
            ``sampler`` at which one does, 100.0 when only other models on all the data do, else None.
        later: {model: its value} of the models beating ``chosen`` at ``later_percent``.
    """

    chosen: str
    sampler: str
    percent: float
    reached: bool
    full_value: float
    values: Mapping[str, float] = field(hash=False)
    beating: tuple[str, ...]
    missing: tuple[str, ...]
    later_percent: float | None
    later: Mapping[str, float] = field(hash=False)
    metric: str
    dataset: str
    sentence: str


def _join(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _finite(value: float | None) -> bool:
    return value is not None and bool(np.isfinite(value))


def compare_models(
    tables: Mapping[str, pd.DataFrame],
    full_values: Mapping[str, float | None],
    *,
    chosen: str,
    sampler: str,
    percent: float,
    metric: str,
    dataset: str,
    reached: bool = True,
    share: float = 0.95,
) -> ModelComparison | None:
    """Whether another model on ``percent`` % of the users (``sampler``) beats ``chosen`` on all of them.

    ``tables``: {model: its curve table (:func:`workbench.budget.curve.curve_table`)}; ``full_values``:
    {model: its full-data value (None without one)}. With c = ``chosen``, s = ``sampler`` and
    p = ``percent``, another model m beats c at a budget b when mean_m(s, b) > full(c) (strictly), and
    on all the data when full(m) > full(c). The sentence names the models that beat c at p, with their
    values against full(c); when none does, it says so and names the smallest budget b > p of s (else
    all the data) at which some model does, if any. Another model without a point at p is said to have
    none there yet. ``reached`` False says that p is c's best budget, where it does not reach ``share``.

    Returns None when no other model has a point with ``sampler`` or a full-data value: there is
    nothing to compare (a single-model curve).

    Raises:
        WorkbenchError: ``chosen`` has no full-data value (the 100% budget).
    """
    full = full_values.get(chosen)
    if full is None or not np.isfinite(full) or full <= 0:
        raise WorkbenchError(
            f"no full-data {metric} for {model_label(chosen)} on {dataset}: add the budget 100% to compare other models against it"
        )
    rows: dict[str, pd.DataFrame] = {}
    for model in dict.fromkeys([*tables, *full_values]):
        if model == chosen:
            continue
        table = tables.get(model)
        mine = table[(table["sampler"] == sampler) & np.isfinite(table["mean"])] if table is not None and len(table) else None
        if (mine is not None and len(mine)) or _finite(full_values.get(model)):
            rows[model] = mine if mine is not None else pd.DataFrame({"percent_users": pd.Series(dtype="float64"), "mean": pd.Series(dtype="float64")})
    if not rows:
        return None
    at = {model: r[np.isclose(r["percent_users"], percent)] for model, r in rows.items()}
    values = {model: float(r["mean"].iloc[0]) for model, r in at.items() if len(r)}
    missing = tuple(model for model in rows if model not in values)
    beating = tuple(sorted((m for m, v in values.items() if v > full), key=lambda m: -values[m]))
    later_percent: float | None = None
    later: dict[str, float] = {}
    on_full_data = False
    if not beating:
        larger = {
            model: r[(r["percent_users"] > percent) & ~np.isclose(r["percent_users"], percent) & (r["mean"] > full)]
            for model, r in rows.items()
        }
        firsts = {model: float(r["percent_users"].min()) for model, r in larger.items() if len(r)}
        if firsts:
            later_percent = min(firsts.values())
            later = {
                model: float(larger[model].loc[np.isclose(larger[model]["percent_users"], later_percent), "mean"].iloc[0])
                for model in firsts if np.isclose(firsts[model], later_percent)
            }
        else:
            later = {m: float(v) for m in rows if _finite(v := full_values.get(m)) and v > full}
            on_full_data = bool(later)
            later_percent = 100.0 if on_full_data else None
        later = dict(sorted(later.items(), key=lambda item: -item[1]))

    name, sampler_name, where = model_label(chosen), _label(sampler), _percent_text(percent)
    note = sampler_name if reached else (
        f"{sampler_name}, the best budget of {name}, which does not reach {share * 100:g} % of its full data"
    )
    bar = f"{full:.2f} {metric}"
    if beating:
        labels = [model_label(m) for m in beating]
        sentence = (
            f"{_join(labels)} on {where} of the users ({note}) {'beats' if len(labels) == 1 else 'beat'} {name} on all "
            f"of them ({_join([f'{values[m]:.2f}' for m in beating])} against {bar})."
        )
    elif values:
        best = max(values, key=values.__getitem__)
        sentence = (
            f"No other model on {where} of the users ({note}) beats {name} on all of them "
            f"({bar}; best: {model_label(best)}, {values[best]:.2f})."
        )
    else:
        sentence = f"No other model has a result on {where} of the users ({note}) yet to compare with {name} on all of them ({bar})."
    if missing and values:
        sentence += f" {_join([model_label(m) for m in missing])} {'has' if len(missing) == 1 else 'have'} none there yet."
    if not beating:
        if later:
            labels = [model_label(m) for m in later]
            verb = "beats" if len(labels) == 1 else "beat"
            scores = _join([f"{v:.2f}" for v in later.values()])
            if on_full_data:
                sentence += f" {_join(labels)} on all the data {verb} it ({scores})."
            else:
                sentence += f" {_join(labels)} {verb} it with {_percent_text(later_percent)} of the users ({sampler_name}; {scores})."
        else:
            sentence += f" No other model beats it at a larger budget of {sampler_name} or on all the data either."
    return ModelComparison(
        chosen, sampler, float(percent), reached, float(full), values, beating, missing, later_percent, later, metric, dataset, sentence,
    )


def compare_curves(result: BudgetAnswer, curves: Mapping[str, BudgetCurve], *, chosen: str) -> ModelComparison | None:
    """:func:`compare_models` for ``result`` (the answer about ``chosen``'s curve) among ``curves`` ({model: curve}).

    Compares at the budget where ``result``'s sampler reaches the share, else at its best budget.
    None when no other curve has points to compare.
    """
    reached = result.reached_at is not None
    return compare_models(
        {model: curve.table for model, curve in curves.items()},
        {model: curve.full_value for model, curve in curves.items()},
        chosen=chosen, sampler=result.sampler, percent=result.reached_at if reached else result.best_percent,
        metric=result.metric, dataset=result.dataset, reached=reached, share=result.share,
    )
