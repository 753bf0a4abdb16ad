"""An ipywidgets panel for "is more data needed?": pick a dataset, samplers, metric, model and a budget.

The budget curve (:func:`workbench.figures.budget.budget_curve_figure`) and the answer text update on
every change; the selected budget is marked on the curve. Beside the answer ("is more data needed?"),
when the results hold points of other offered models, a second sentence says whether one of them at
that budget beats the selected model on all the data ("or a better model?",
:func:`workbench.budget.answer.compare_models`). Points of the grid that the results file
lacks can be computed with a button (each is saved as soon as it is done, through
:func:`workbench.budget.runs.budget_curve`, so the file is the cache).

While points are computed, a progress line shows the point (its number, sampler, budget and seed)
and, for Distill-CF, its steps done of the total, the last loss, validation HR@10 and HR@100 and λ
(updated at each of its validations). **Stop** ends the run: the points saved before stay in the
file, the point in progress is not written (Distill-CF stops within about one update; another sampler
finishes its point, which is saved, and the run stops before the next), and the status says what
happened ("stopped during distill-cf 2% seed 1, not saved; 3 points computed and kept").

In a kernel the button computes in a background thread, so that the panel (and its Stop button)
stays responsive; :meth:`BudgetPanel.compute_missing` computes in the calling thread (scripts,
tests) and :meth:`BudgetPanel.compute_in_background` starts the thread. One run at a time.

Every piece of logic is a method that works without a browser: setting a widget's ``value`` fires the
same callbacks as a user would, ``compute_button.click()`` computes and ``stop_button.click()`` stops.
"""

from __future__ import annotations

import contextlib
import html
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go

from workbench.budget.curve import BudgetCurve, budget_percent
from workbench.budget.runs import (
    BudgetCurveConfig,
    CurveMonitor,
    PointEvent,
    budget_curve,
    missing_points,
    read_results,
    rows_for_configuration,
)
from workbench.budget.answer import answer, compare_curves
from workbench.data import Dataset, dataset_name, open_dataset
from workbench.distill import DistillConfig
from workbench.errors import ComputationStopped, WorkbenchError
from workbench.figures.colours import sampler_label
from workbench.samplers import SAMPLER_NAMES, check_sampler, headline_sampler, parse_budget

METRICS: tuple[str, ...] = ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "Recall@10", "AUC")


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


Point = tuple[str, str, int, str]


@dataclass(frozen=True)
class ComputeOutcome:
    """What the panel's last run of the compute button did.

    Attributes:
        saved: the points (sampler, budget, seed, model) it computed and saved, in order.
        failures: the points that failed, with why (the others still ran).
        stopped: None, or what Stop interrupted ("stopped during distill-cf 2% seed 1, not saved").
    """

    saved: tuple[Point, ...] = ()
    failures: tuple[str, ...] = ()
    stopped: str | None = None


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _point_label(event: PointEvent) -> str:
    return f"{event.sampler} {event.budget} seed {event.seed}"


class BudgetPanel:
    """The panel; ``panel.widget`` is what a notebook displays (``display(panel)`` also works).

    Args:
        results_path: the budget-curve results file (.csv or .parquet); created by the compute button.
        datasets: datasets offered: registered names or paths to your own CSV/TSV/parquet files
            (read as ``workbench evaluate --data-file`` reads them; the menu shows a file by its name).
        samplers: samplers offered (all selected at first).
        budgets: the budgets of the grid (the slider's stops); 100% is always computed as the reference.
        seeds: seeds per point.
        models: models offered (the first is selected); the answer compares the selected one with the
            others that have points in the results file.
        distill_config: Distill-CF's settings for computed points (part of each point's identity).
        load: how a dataset is loaded from a name or path (default :func:`workbench.data.open_dataset`).
        progress: show tqdm progress bars while computing in the calling thread (in the panel's log);
            the panel's own progress line is shown either way, and is the only one in the background.
        background: the compute button computes in a background thread (so Stop can be clicked);
            None: when in an IPython kernel.
    """

    def __init__(
        self,
        results_path: str | os.PathLike[str],
        *,
        datasets: Sequence[str | os.PathLike[str]] = ("ml-1m",),
        samplers: Sequence[str] = SAMPLER_NAMES,
        budgets: Sequence[str] = ("1%", "2%", "10%"),
        seeds: Sequence[int] = (1, 2, 3),
        models: Sequence[str] = ("infinite-ae", "svd-ae", "gf-cf", "ease"),
        metric: str = "HR@10",
        distill_config: DistillConfig = DistillConfig(),
        load: Callable[[str], Dataset] = open_dataset,
        progress: bool = True,
        background: bool | None = None,
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
        self.models = tuple(models)
        self.distill_config = distill_config
        self.load = load
        self.progress = progress
        self.background = _in_kernel() if background is None else background
        self._datasets: dict[str, Dataset] = {}
        self._lock = threading.Lock()
        self._running = False
        self._stop_requested = threading.Event()
        self._worker: threading.Thread | None = None
        self._note = ""  # what the last run did, shown before the status until the selection changes
        self.outcome: ComputeOutcome | None = None
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
        self.compute_button = widgets.Button(
            description="Compute missing points", icon="play", button_style="primary", layout=widgets.Layout(width="auto"),
        )
        self.stop_button = widgets.Button(
            description="Stop", icon="stop", button_style="danger", disabled=True, layout=widgets.Layout(width="auto"),
            tooltip="Stop computing: the points saved so far stay, the one in progress is not written",
        )
        self.status = widgets.HTML()
        self.progress_bar = widgets.IntProgress(value=0, min=0, max=1, description="points")
        self.progress_text = widgets.HTML()
        self.progress_row = widgets.HBox([self.progress_bar, self.progress_text], layout=widgets.Layout(display="none"))
        self.answer = widgets.HTML()
        self.plot = widgets.Output()
        self.log = widgets.Output()
        self.figure: go.Figure = go.Figure()
        self.answer_text = ""
        for control in (self.dataset_dropdown, self.sampler_select, self.metric_dropdown, self.model_dropdown, self.budget_slider):
            control.observe(self._on_change, names="value")
        self.compute_button.on_click(self._on_compute_click)
        self.stop_button.on_click(lambda _button: self.stop())
        controls = widgets.HBox([
            widgets.VBox([self.dataset_dropdown, self.metric_dropdown, self.model_dropdown]),
            self.sampler_select,
            widgets.VBox([self.budget_slider, widgets.HBox([self.compute_button, self.stop_button]), self.status]),
        ])
        self.widget = widgets.VBox([controls, self.progress_row, self.answer, self.plot, self.log])
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
        self._note = ""
        self.refresh()

    def refresh(self) -> None:
        """Redraw the figure, the answer text and the status line for the current selection."""
        metric, model = self.metric_dropdown.value, self.model_dropdown.value
        frame = rows_for_configuration(self.frame, self.distill_config)
        curves = {
            name: BudgetCurve.from_results(frame, dataset=self.dataset_name, metric=metric, model=name, samplers=self.selected_samplers)
            for name in dict.fromkeys((model, *self.models))
        }
        curve = curves[model]
        percent = self.selected_percent(curve.table)
        self.figure = curve.figure(selected_percent=percent, samplers=self.selected_samplers)
        lines = [curve.point_sentence(s, percent) for s in self.selected_samplers]
        headline = comparison = ""
        if self.selected_samplers:
            main = headline_sampler(self.selected_samplers) or self.selected_samplers[0]
            try:
                result = answer(curve.table, full_value=curve.full_value, metric=metric, dataset=self.dataset_name, sampler=main)
                headline = result.sentence
                compared = compare_curves(result, curves, chosen=model)
                comparison = compared.sentence if compared is not None else ""
            except WorkbenchError as error:
                headline = f"No answer yet: {error}."
        else:
            headline = "Select at least one sampler."
        self.answer_text = " ".join([headline, *([comparison] if comparison else []), *lines]).strip()
        items = "".join(f"<li>{line}</li>" for line in lines)
        second = f'<p class="workbench-comparison">{comparison}</p>' if comparison else ""
        self.answer.value = f'<p class="workbench-answer"><b>{headline}</b></p>{second}<ul class="workbench-points">{items}</ul>'
        if not self.computing:  # while computing, the status and the buttons are the run's
            missing = self.missing() if self.selected_samplers else []
            if not self.selected_samplers:
                status = "select a sampler"
            elif missing:
                status = f"{len(missing)} point{'s' if len(missing) != 1 else ''} of this selection not computed yet"
            else:
                status = "every point of this selection is computed"
            self._set_status(f"{self._note}; {status}" if self._note else status)
            self.compute_button.disabled = not missing
            self.stop_button.disabled = True
        if _in_kernel():  # outside IPython (tests, scripts) there is nothing to show it on
            self._show_figure()

    def _show_figure(self) -> None:
        from IPython.display import display

        if threading.current_thread() is threading.main_thread():
            self.plot.clear_output(wait=True)
            with self.plot:
                display(self.figure)
        else:  # an Output widget captures only what the main thread displays: set its outputs instead
            # (the figure's bundle for plotly's default renderers; IPython's display formatter would call
            # the figure's _ipython_display_, which displays it wherever this thread's output goes)
            data = self.figure._repr_mimebundle_() or {"text/plain": repr(self.figure)}
            self.plot.outputs = ({"output_type": "display_data", "data": data, "metadata": {}},)

    def _set_status(self, text: str) -> None:
        self.status.value = f'<span class="workbench-status">{html.escape(text, quote=False)}</span>'

    # --- computing -----------------------------------------------------------------------------

    def dataset(self, source: str) -> Dataset:
        """The dataset of ``source`` (a name or a file), loaded once."""
        if source not in self._datasets:
            self._datasets[source] = self.load(source)
        return self._datasets[source]

    @property
    def computing(self) -> bool:
        """Whether a run of the compute button is in progress (in this thread or the background one)."""
        return self._running

    def compute_missing(self) -> list[str]:
        """Compute the selection's missing points into the results file in this thread, then redraw;
        returns the failures (:attr:`outcome` says what was saved, and whether Stop ended the run).

        :meth:`stop` (from a progress hook or another thread) stops it; a WorkbenchError if a run is
        already in progress.
        """
        if not self.missing():
            return []
        self._claim()
        return self._run(self.dataset_dropdown.value, self.grid(), background=False)

    def compute_in_background(self) -> threading.Thread | None:
        """Start computing the selection's missing points in a background thread (what the button does
        in a kernel); returns the thread, or None when nothing is missing or a run is in progress."""
        if self.computing or not self.missing():
            return None
        try:
            self._claim()
        except WorkbenchError:  # started meanwhile
            return None
        thread = threading.Thread(
            target=self._run, args=(self.dataset_dropdown.value, self.grid()), kwargs={"background": True},
            name="budget-panel-compute", daemon=True,
        )
        self._worker = thread
        thread.start()
        return thread

    def stop(self) -> bool:
        """Ask the run in progress to stop (what Stop does); returns whether one was running.

        Distill-CF stops within about one of its updates; any other point finishes (and is saved) and
        the run stops before the next. The point stopped is not written; the points saved stay.
        """
        if not self.computing:
            return False
        self._stop_requested.set()
        self.stop_button.disabled = True
        self._set_status("stopping…")
        return True

    def _on_compute_click(self, _button: object) -> None:
        if self.computing:  # a second click while a run is in progress starts nothing
            return
        if self.background:
            self.compute_in_background()
        else:
            self.compute_missing()

    def _claim(self) -> None:
        with self._lock:
            if self._running:
                raise WorkbenchError("BudgetPanel: already computing; wait for it to finish or press Stop")
            self._running = True
            self._stop_requested.clear()

    def _log(self, text: str) -> None:
        self.log.append_stdout(text + "\n")  # safe from any thread (a `with self.log` is not, from another)

    def _run(self, source: str, grid: BudgetCurveConfig, background: bool) -> list[str]:
        """One run of the button (in this thread or the background one); the caller has claimed it."""
        saved: list[Point] = []
        failures: list[str] = []
        stopped: str | None = None
        point: dict[str, Any] = {"current": None, "label": ""}

        def on_point(event: PointEvent) -> None:
            where = f"point {event.number} of {event.total}: {_point_label(event)}"
            if event.kind == "started":
                point.update(current=event, label=where)
                self._show_progress(where, "points", event.number - 1, event.total)
            elif event.kind == "saved":
                saved.append((event.sampler, event.budget, event.seed, event.model))
                point["current"] = None
                self._show_progress(f"{where} saved", "points", event.number, event.total)
            elif event.kind == "stopped":
                during = point["current"] is not None and _point_label(point["current"]) == _point_label(event)
                point["stopped"] = f"stopped {'during' if during else 'before'} {_point_label(event)}" + (", not saved" if during else "")
            else:  # failed, or saved by another process
                point["current"] = None

        def on_progress(record: Any) -> None:
            describe = getattr(record, "describe", None)
            text = describe() if callable(describe) else str(record)
            step, steps = getattr(record, "step", None), getattr(record, "steps", None)
            if isinstance(step, int) and isinstance(steps, int):
                self._show_progress(f"{point['label']} · {text}", "steps", step, steps)
            else:
                self.progress_text.value = self._progress_html(f"{point['label']} · {text}")

        self.compute_button.disabled = True
        self.stop_button.disabled = False
        self._set_status("computing…")
        self._show_progress("starting…", "points", 0, 1)
        monitor = CurveMonitor(on_point=on_point, on_progress=on_progress, should_stop=self._stop_requested.is_set)
        try:
            with contextlib.nullcontext() if background else self.log:  # tqdm bars: only in this thread
                try:
                    self.frame, failures = budget_curve(
                        self.dataset(source), grid, self.results_path, progress=self.progress and not background, monitor=monitor,
                    )
                except ComputationStopped as error:
                    stopped = point.get("stopped") or f"stopped ({error})"
                    with contextlib.suppress(WorkbenchError):
                        self.frame = read_results(self.results_path)
                except Exception as error:  # a widget callback's exception is only logged: say it here
                    failures = [f"{type(error).__name__}: {error}"]
                    with contextlib.suppress(WorkbenchError):
                        self.frame = read_results(self.results_path)
            for failure in failures:
                self._log(f"failed: {failure}")
            if stopped:
                self._log(stopped)
        finally:
            self.outcome = ComputeOutcome(saved=tuple(saved), failures=tuple(failures), stopped=stopped)
            notes = []
            if stopped:
                notes.append(f"{stopped}; {_plural(len(saved), 'point')} computed and kept")
            if failures:
                notes.append(f"{_plural(len(failures), 'failure')} (see the log below)")
            self._note = "; ".join(notes)
            self.progress_row.layout.display = "none"
            with self._lock:
                self._running = False
            self.refresh()
        return failures

    @staticmethod
    def _progress_html(text: str) -> str:
        return f'<span class="workbench-progress">{html.escape(text, quote=False)}</span>'

    def _show_progress(self, text: str, unit: str, value: int, total: int) -> None:
        self.progress_row.layout.display = "flex"
        self.progress_bar.description = unit
        self.progress_bar.max = max(total, 1)
        self.progress_bar.value = min(max(value, 0), max(total, 1))
        self.progress_text.value = self._progress_html(text)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
