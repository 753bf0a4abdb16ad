"""One budget curve: a results frame read for one dataset, metric, model and split.

The input is the tidy frame :func:`workbench.budget.runs.budget_curve` writes (one row per dataset ×
sampler × budget × seed × model × split × metric). :class:`BudgetCurve` is that frame filtered to
one curve, with everything read from it in one place: :attr:`~BudgetCurve.table` (per sampler and
budget, the mean and spread over seeds and the share of full data), :attr:`~BudgetCurve.full_value`,
:meth:`~BudgetCurve.answer` (the sentence), :meth:`~BudgetCurve.means` (what a notebook records)
and :meth:`~BudgetCurve.figure`. The report, the panel and notebook 02 all read curves through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from workbench.budget.answer import BudgetAnswer, answer, point_sentence
from workbench.budget.runs import FULL_DATA
from workbench.errors import WorkbenchError
from workbench.samplers import parse_budget
from workbench.samplers.registry import headline_sampler

if TYPE_CHECKING:
    import plotly.graph_objects as go

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


@dataclass(frozen=True, eq=False)
class BudgetCurve:
    """The rows of one curve: ``dataset``, ``metric``, ``model`` and ``split``, every sampler and full data.

    Build it with :meth:`from_results`; every derived value is computed once.
    """

    frame: pd.DataFrame
    dataset: str
    metric: str
    model: str
    split: str = "test"

    @classmethod
    def from_results(
        cls, frame: pd.DataFrame, *, dataset: str, metric: str, model: str, split: str = "test",
        samplers: Any = None,
    ) -> BudgetCurve:
        """The curve of ``frame`` (a budget-curve results frame); ``samplers``: keep only these (and full data)."""
        selected = _select(frame, dataset=dataset, model=model, metric=metric, split=split)
        if samplers is not None:
            selected = selected[selected["sampler"].isin((*samplers, FULL_DATA))]
        return cls(selected, dataset=dataset, metric=metric, model=model, split=split)

    @cached_property
    def table(self) -> pd.DataFrame:
        """:func:`curve_table` of this curve (one row per sampler and budget, full data excluded)."""
        return curve_table(self.frame, metric=self.metric, model=self.model, split=self.split, dataset=self.dataset)

    @cached_property
    def full_value(self) -> float | None:
        """Mean over seeds of the model trained on all the data; None when the curve has no such point."""
        return full_data_value(self.frame, metric=self.metric, model=self.model, split=self.split, dataset=self.dataset)

    @property
    def samplers(self) -> list[str]:
        """The samplers with points, in the table's order."""
        return list(dict.fromkeys(self.table["sampler"]))

    def answer(self, share: float = 0.95, sampler: str | None = None) -> BudgetAnswer | None:
        """The answer sentence; None without full data or points.

        About ``sampler`` when given; else about the headline sampler (Distill-CF) when the curve
        has it, else about the sampler that reaches ``share`` at the smallest budget (or, if none
        does, comes closest).
        """
        if self.table.empty or self.full_value is None:
            return None
        chosen = sampler or headline_sampler(self.samplers)
        if chosen is not None:
            return answer(self.table, full_value=self.full_value, metric=self.metric, dataset=self.dataset, sampler=chosen, share=share)
        answers = [
            answer(self.table, full_value=self.full_value, metric=self.metric, dataset=self.dataset, sampler=name, share=share)
            for name in self.samplers
        ]
        return max(answers, key=lambda a: (a.reached_at is not None, -(a.reached_at or 0.0), a.best_relative))

    def point_sentence(self, sampler: str, percent: float) -> str:
        """One sentence for ``sampler`` at ``percent`` % of the users (:func:`workbench.budget.answer.point_sentence`)."""
        return point_sentence(self.table, full_value=self.full_value, metric=self.metric, sampler=sampler, percent=percent)

    def means(self) -> dict[str, dict[str, float]]:
        """{sampler: {budget: mean over seeds}}, with "full" → {"100%": value}: what a notebook records."""
        means: dict[str, dict[str, float]] = {}
        for row in self.table.itertuples(index=False):
            means.setdefault(str(row.sampler), {})[str(row.budget)] = float(row.mean)
        if self.full_value is not None:
            means[FULL_DATA] = {"100%": self.full_value}
        return means

    def figure(self, *, selected_percent: float | None = None, samplers: Any = None) -> go.Figure:
        """The curve's figure (:func:`workbench.figures.budget.budget_curve_figure`)."""
        from workbench.figures.budget import budget_curve_figure

        return budget_curve_figure(
            self.table, full_value=self.full_value, metric=self.metric, dataset=self.dataset, model=self.model,
            selected_percent=selected_percent, samplers=samplers,
        )


def summarise_curve(frame: pd.DataFrame, metric: str = "HR@10", split: str = "test") -> pd.DataFrame:
    """Mean and spread over seeds of ``metric`` per dataset, model, sampler and budget, full data included.

    The same averaging as :attr:`BudgetCurve.table`, for every curve of ``frame`` (rows of several
    datasets are summarised apart, never averaged together). Columns: dataset, model, sampler, budget,
    mean, std, seeds, fraction_users.
    """
    columns = ["dataset", "model", "sampler", "budget", "mean", "std", "seeds", "fraction_users"]
    selected = frame[(frame["metric"] == metric) & (frame["split"] == split)]
    parts = []
    for (dataset, model), rows in selected.groupby(["dataset", "model"], sort=False):
        table = curve_table(rows, metric=metric, model=str(model), split=split, dataset=str(dataset))
        full = rows[rows["sampler"] == FULL_DATA]
        if len(full):
            table = pd.concat([table, pd.DataFrame([{
                "sampler": FULL_DATA, "budget": "100%", "mean": full["value"].mean(), "std": full["value"].std(),
                "seeds": full["seed"].nunique(), "fraction_users": full["fraction_users"].mean(),
            }])], ignore_index=True)
        parts.append(table.assign(dataset=dataset, model=model)[columns])
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    return pd.concat(parts, ignore_index=True)
