"""An ipywidgets panel for "is more data needed?": pick a dataset, samplers, metric, model and a budget.

The budget curve (:func:`workbench.figures.budget.budget_curve_figure`) and the answer text update on
every change; the selected budget is marked on the curve. Points of the grid that the results file
lacks can be computed with a button (a progress bar shows them; each is saved as soon as it is done,
through :func:`workbench.budget.runs.budget_curve`, so the file is the cache).

Every piece of logic is a method that works without a browser: setting a widget's ``value`` fires the
same callbacks as a user would, and ``compute_button.click()`` computes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from workbench.budget.curve import BudgetCurve, budget_percent
from workbench.budget.runs import BudgetCurveConfig, budget_curve, missing_points, read_results, rows_for_configuration
from workbench.budget.answer import answer
from workbench.data import Dataset, dataset_name, open_dataset
from workbench.distill import DistillConfig
from workbench.errors import WorkbenchError
from workbench.figures.colours import sampler_label
from workbench.samplers import SAMPLER_NAMES, check_sampler, headline_sampler, parse_budget

METRICS: tuple[str, ...] = ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "Recall@10", "AUC")


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


class BudgetPanel:
    """The panel; ``panel.widget`` is what a notebook displays (``display(panel)`` also works).

    Args:
        results_path: the budget-curve results file (.csv or .parquet); created by the compute button.
        datasets: datasets offered: registered names or paths to your own CSV/TSV/parquet files
            (read as ``workbench evaluate --data-file`` reads them; the menu shows a file by its name).
        samplers: samplers offered (all selected at first).
        budgets: the budgets of the grid (the slider's stops); 100% is always computed as the reference.
        seeds: seeds per point.
        models: models offered (the first is selected).
        distill_config: Distill-CF's settings for computed points (part of each point's identity).
        load: how a dataset is loaded from a name or path (default :func:`workbench.data.open_dataset`).
        progress: show progress bars while computing.
    """

    def __init__(
        self,
        results_path: str | os.PathLike[str],
        *,
        datasets: Sequence[str | os.PathLike[str]] = ("ml-1m",),
        samplers: Sequence[str] = SAMPLER_NAMES,
        budgets: Sequence[str] = ("1%", "2%", "10%"),
        seeds: Sequence[int] = (1, 2, 3),
        models: Sequence[str] = ("infinite-ae", "ease"),
        metric: str = "HR@10",
        distill_config: DistillConfig = DistillConfig(),
        load: Callable[[str], Dataset] = open_dataset,
        progress: bool = True,
    ) -> None:
        if not datasets or not samplers or not budgets or not seeds or not models:
            raise WorkbenchError("BudgetPanel: datasets, samplers, budgets, seeds and models must each be non-empty")
        for sampler in samplers:
            check_sampler(sampler, "samplers")
        if metric not in METRICS:
            raise WorkbenchError(f"BudgetPanel: unknown metric {metric!r}; valid metrics: {', '.join(METRICS)}")
        self.results_path = Path(results_path)
        self.budgets = tuple(budget for budget in budgets if parse_budget(budget).proportion != 1.0)
        if not self.budgets:
            raise WorkbenchError("BudgetPanel: give at least one budget below 100%")
        self.seeds = tuple(seeds)
        self.distill_config = distill_config
        self.load = load
        self.progress = progress
        self._datasets: dict[str, Dataset] = {}
        self.frame = read_results(self.results_path)

        sources = [str(source) for source in datasets]
        self.dataset_dropdown = widgets.Dropdown(
            options=[(dataset_name(source), source) for source in sources], value=sources[0], description="dataset",
        )
        self.sampler_select = widgets.SelectMultiple(
            options=[(sampler_label(s), s) for s in samplers], value=tuple(samplers), description="samplers", rows=len(samplers),
        )
        self.metric_dropdown = widgets.Dropdown(options=list(METRICS), value=metric, description="metric")
        self.model_dropdown = widgets.Dropdown(options=list(models), value=models[0], description="model")
        self.budget_slider = widgets.SelectionSlider(
            options=list(self.budgets), value=self.budgets[min(1, len(self.budgets) - 1)], description="budget",
            continuous_update=False, layout=widgets.Layout(width="420px"),
        )
        self.compute_button = widgets.Button(description="Compute missing points", icon="play", button_style="primary")
        self.status = widgets.HTML()
        self.answer = widgets.HTML()
        self.plot = widgets.Output()
        self.log = widgets.Output()
        self.figure: go.Figure = go.Figure()
        self.answer_text = ""
        for control in (self.dataset_dropdown, self.sampler_select, self.metric_dropdown, self.model_dropdown, self.budget_slider):
            control.observe(self._on_change, names="value")
        self.compute_button.on_click(lambda _button: self.compute_missing())
        controls = widgets.HBox([
            widgets.VBox([self.dataset_dropdown, self.metric_dropdown, self.model_dropdown]),
            self.sampler_select,
            widgets.VBox([self.budget_slider, self.compute_button, self.status]),
        ])
        self.widget = widgets.VBox([controls, self.answer, self.plot, self.log])
        self.refresh()

    # --- state -------------------------------------------------------------------------------

    @property
    def selected_samplers(self) -> tuple[str, ...]:
        return tuple(self.sampler_select.value)

    def grid(self) -> BudgetCurveConfig:
        """The grid the current selection asks for (with 100% as the reference)."""
        samplers = self.selected_samplers or (self.sampler_select.options[0][1],)
        return BudgetCurveConfig(
            samplers=samplers, budgets=(*self.budgets, "100%"), models=(self.model_dropdown.value,), seeds=self.seeds,
            distill=self.distill_config,
        )

    def missing(self) -> list[tuple[str, str, int, str]]:
        """Points (sampler, budget, seed, model) of the current selection that the results file lacks."""
        return missing_points(self.frame, self.dataset_name, self.grid())

    @property
    def dataset_name(self) -> str:
        """The selected dataset's name, as results rows carry it (a file's stem for a path)."""
        return dataset_name(self.dataset_dropdown.value)

    def selected_percent(self, table: pd.DataFrame) -> float:
        """The slider's budget as a % of users (from the results where the budget is a number of users)."""
        label = self.budget_slider.value
        rows = table[table["budget"] == label]
        return float(rows["percent_users"].iloc[0]) if len(rows) else budget_percent(label, 0.0)

    # --- drawing -----------------------------------------------------------------------------

    def _on_change(self, _change: object) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Redraw the figure, the answer text and the status line for the current selection."""
        metric, model = self.metric_dropdown.value, self.model_dropdown.value
        frame = rows_for_configuration(self.frame, self.distill_config)
        curve = BudgetCurve.from_results(frame, dataset=self.dataset_name, metric=metric, model=model, samplers=self.selected_samplers)
        percent = self.selected_percent(curve.table)
        self.figure = curve.figure(selected_percent=percent, samplers=self.selected_samplers)
        lines = [curve.point_sentence(s, percent) for s in self.selected_samplers]
        headline = ""
        if self.selected_samplers:
            main = headline_sampler(self.selected_samplers) or self.selected_samplers[0]
            try:
                headline = answer(curve.table, full_value=curve.full_value, metric=metric, dataset=self.dataset_name, sampler=main).sentence
            except WorkbenchError as error:
                headline = f"No answer yet: {error}."
        else:
            headline = "Select at least one sampler."
        self.answer_text = " ".join([headline, *lines]).strip()
        items = "".join(f"<li>{line}</li>" for line in lines)
        self.answer.value = f'<p class="workbench-answer"><b>{headline}</b></p><ul class="workbench-points">{items}</ul>'
        missing = self.missing() if self.selected_samplers else []
        if not self.selected_samplers:
            status = "select a sampler"
        elif missing:
            status = f"{len(missing)} point{'s' if len(missing) != 1 else ''} of this selection not computed yet"
        else:
            status = "every point of this selection is computed"
        self.status.value = f'<span class="workbench-status">{status}</span>'
        self.compute_button.disabled = not missing
        if _in_kernel():  # outside IPython (tests, scripts) there is nothing to show it on
            from IPython.display import display

            self.plot.clear_output(wait=True)
            with self.plot:
                display(self.figure)

    # --- computing -----------------------------------------------------------------------------

    def dataset(self, source: str) -> Dataset:
        """The dataset of ``source`` (a name or a file), loaded once."""
        if source not in self._datasets:
            self._datasets[source] = self.load(source)
        return self._datasets[source]

    def compute_missing(self) -> list[str]:
        """Compute the selection's missing points into the results file, then redraw; returns failures."""
        if not self.missing():
            return []
        self.compute_button.disabled = True
        self.status.value = '<span class="workbench-status">computing…</span>'
        failures: list[str] = []
        try:
            with self.log:
                try:
                    self.frame, failures = budget_curve(
                        self.dataset(self.dataset_dropdown.value), self.grid(), self.results_path, progress=self.progress,
                    )
                except Exception as error:  # a widget callback's exception is only logged: say it here
                    failures = [f"{type(error).__name__}: {error}"]
                    self.frame = read_results(self.results_path)
                for failure in failures:
                    print(f"failed: {failure}")
        finally:
            self.refresh()
        return failures

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
