"""The data-budget report: the answer sentence, the curve per model, its table and how it was made.

With several models, each model's section also says whether another model at its answer budget beats
it on all the data (:func:`workbench.budget.answer.compare_models`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.budget.answer import compare_curves
from workbench.budget.curve import BudgetCurve
from workbench.errors import WorkbenchError
from workbench.figures.colours import sampler_label
from workbench.notebooks.html import Section, write_report


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
    """An HTML report (offline) of the curve in ``frame`` for ``dataset``: one section per model.

    A section's paragraphs are its model's answer and, when other models of ``models`` have points, the
    comparison with them (another model at that budget against this one on all the data).
    """
    if not models:
        raise WorkbenchError("write_budget_report: give at least one model")
    sections = []
    headline = None
    curves = {model: BudgetCurve.from_results(frame, dataset=dataset, metric=metric, model=model) for model in models}
    for model in models:
        curve = curves[model]
        result = curve.answer(share)
        comparison = compare_curves(result, curves, chosen=model) if result is not None else None
        if headline is None and result is not None:
            headline = result.sentence
        table = curve.table
        shown = table.assign(sampler=table["sampler"].map(sampler_label), relative=table["relative"] * 100.0).rename(
            columns={"percent_users": "% users", "mean": f"{metric} mean", "std": "std over seeds", "relative": "% of full data"}
        )
        sections.append(Section(
            heading=f"{model}: {metric} against the data budget",
            paragraphs=(
                [result.sentence, *([comparison.sentence] if comparison is not None else [])]
                if result is not None else ["No full-data point yet: add the 100% budget."]
            ),
            figures=[curve.figure()],
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
    figures = {
        f"{target.stem}-{model}": BudgetCurve.from_results(frame, dataset=dataset, metric=metric, model=model).figure()
        for model in models
    }
    try:
        paths = export_png(figures, target.parent, width=1000, height=640, chromium=chromium)
    except WorkbenchError as error:
        return [], f"no PNG copies of the figures: {error}"
    return paths, "PNG copies of the figures: " + ", ".join(str(p) for p in paths)
