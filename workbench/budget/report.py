"""The data-budget report: the answer sentence, the curve per model, its table and how it was made."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from workbench.budget.answer import BudgetAnswer, answer, curve_table, full_data_value
from workbench.errors import WorkbenchError
from workbench.figures.budget import budget_curve_figure
from workbench.figures.colours import sampler_label
from workbench.notebooks.html import Section, write_report


def answer_for(frame: pd.DataFrame, *, dataset: str, metric: str, model: str, share: float = 0.95) -> BudgetAnswer | None:
    """The answer for Distill-CF when the curve has it, else for the sampler that does best; None without full data."""
    table = curve_table(frame, metric=metric, model=model, dataset=dataset)
    full = full_data_value(frame, metric=metric, model=model, dataset=dataset)
    if table.empty or full is None:
        return None
    samplers = list(dict.fromkeys(table["sampler"]))
    if "distill-cf" in samplers:
        return answer(table, full_value=full, metric=metric, dataset=dataset, sampler="distill-cf", share=share)
    answers = [answer(table, full_value=full, metric=metric, dataset=dataset, sampler=s, share=share) for s in samplers]
    return max(answers, key=lambda a: (a.reached_at is not None, -(a.reached_at or 0.0), a.best_relative))


def curve_means(frame: pd.DataFrame, *, dataset: str, metric: str, model: str) -> dict[str, dict[str, float]]:
    """{sampler: {budget: mean over seeds}}, with "full" → {"100%": value}; for recorded results."""
    table = curve_table(frame, metric=metric, model=model, dataset=dataset)
    means: dict[str, dict[str, float]] = {}
    for row in table.itertuples(index=False):
        means.setdefault(str(row.sampler), {})[str(row.budget)] = float(row.mean)
    full = full_data_value(frame, metric=metric, model=model, dataset=dataset)
    if full is not None:
        means["full"] = {"100%": full}
    return means


def model_figure(frame: pd.DataFrame, *, dataset: str, metric: str, model: str) -> go.Figure:
    """The budget-curve figure of ``model`` in ``frame``, as the report shows it."""
    table = curve_table(frame, metric=metric, model=model, dataset=dataset)
    full = full_data_value(frame, metric=metric, model=model, dataset=dataset)
    return budget_curve_figure(table, full_value=full, metric=metric, dataset=dataset, model=model)


def write_budget_report(
    path: str | os.PathLike[str],
    frame: pd.DataFrame,
    *,
    dataset: str,
    metric: str,
    models: Sequence[str],
    share: float = 0.95,
    parameters: Mapping[str, Any] | None = None,
) -> Path:
    """An HTML report (offline) of the curve in ``frame`` for ``dataset``: one section per model."""
    if not models:
        raise WorkbenchError("write_budget_report: give at least one model")
    sections = []
    headline = None
    for model in models:
        table = curve_table(frame, metric=metric, model=model, dataset=dataset)
        result = answer_for(frame, dataset=dataset, metric=metric, model=model, share=share)
        if headline is None and result is not None:
            headline = result.sentence
        shown = table.assign(sampler=table["sampler"].map(sampler_label), relative=table["relative"] * 100.0).rename(
            columns={"percent_users": "% users", "mean": f"{metric} mean", "std": "std over seeds", "relative": "% of full data"}
        )
        sections.append(Section(
            heading=f"{model}: {metric} against the data budget",
            paragraphs=[result.sentence] if result is not None else ["No full-data point yet: add the 100% budget."],
            figures=[model_figure(frame, dataset=dataset, metric=metric, model=model)],
            tables=[shown],
        ))
    if parameters:
        sections.append(Section(
            heading="How this was made",
            paragraphs=[f"{name} = {json.dumps(value)}" for name, value in parameters.items()],
        ))
    data = None
    if "fingerprint" in frame:  # the dataset and split the rows were made on (workbench.provenance)
        fingerprints = sorted({str(value) for value in frame.loc[frame["dataset"] == dataset, "fingerprint"].dropna()} - {""})
        if fingerprints:
            data = f"Data: {dataset}, fingerprint {', '.join(fingerprints)} (of its train, validation and test split)."
    return write_report(path, f"Is more data needed? {dataset}", sections, answer=headline, data=data)


def export_report_figures(report: str | os.PathLike[str], frame: pd.DataFrame, *, dataset: str, metric: str,
                          models: Sequence[str], chromium: str | None = None) -> tuple[list[Path], str]:
    """PNG copies of the report's figures next to it (``<report stem>-<model>.png``): (paths, message).

    Where no browser is installed the paths are empty and the message says what to install; the HTML
    report does not depend on it.
    """
    from workbench.figures.export import export_png

    target = Path(report)
    figures = {f"{target.stem}-{model}": model_figure(frame, dataset=dataset, metric=metric, model=model) for model in models}
    try:
        paths = export_png(figures, target.parent, width=1000, height=640, chromium=chromium)
    except WorkbenchError as error:
        return [], f"no PNG copies of the figures: {error}"
    return paths, "PNG copies of the figures: " + ", ".join(str(p) for p in paths)
