"""Long points: budget_curve's monitor (point events, the sampler's progress, a stop) and the budget
panel's progress line and Stop button, on a tiny generated dataset with a few Distill-CF updates.

A stop keeps the points saved before it, does not write the point it interrupts, and leaves a file
that reads back; the panel says what happened. The panel is driven from plain Python (no browser):
``compute_button.click()`` computes in this thread unless the panel computes in the background.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import random_binary_matrix
from workbench.budget.panel import BudgetPanel, ComputeOutcome
from workbench.budget.runs import (
    BudgetCurveConfig,
    CurveMonitor,
    PointEvent,
    budget_curve,
    expected_point_rows,
    read_results,
    whole_points,
)
from workbench.data import Dataset, Interactions, build_dataset
from workbench.distill import DistillConfig, DistillProgress
from workbench.errors import ComputationStopped, WorkbenchError

MODEL = "infinite-ae"
# draws=4 as test_panel.py's TINY_DISTILL (the compiled update is shared in one session); patience
# above steps, so that only the steps or a stop end it.
SHORT = DistillConfig(steps=4, draws=4, evaluate_every=2, patience=1000)
LONG = DistillConfig(steps=5000, draws=4, evaluate_every=2, patience=100000)  # ends by a stop in these tests


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    matrix = random_binary_matrix(60, 40, 0.15, seed=5)
    users, items = matrix.nonzero()
    return build_dataset("tiny", Interactions(users=users.astype(np.int64), items=items.astype(np.int64), source="generated"), seed=0)


def make_panel(path: Path, tiny: Dataset, samplers, distill: DistillConfig, **options) -> BudgetPanel:
    arguments = {"background": False, **options}
    return BudgetPanel(path, datasets=["tiny"], samplers=list(samplers), budgets=["10%"], seeds=[1], models=[MODEL],
                       distill_config=distill, load=lambda name: tiny, progress=False, **arguments)


def stored_points(path: Path) -> set[tuple]:
    frame = read_results(path)
    return set(frame[["sampler", "budget", "seed", "model"]].itertuples(index=False, name=None))


def assert_whole_file(path: Path, points: set[tuple]) -> None:
    """The file reads back, holds exactly ``points``, each whole (one row per split and metric)."""
    frame = read_results(path)
    assert stored_points(path) == points
    assert len(frame) == len(points) * len(expected_point_rows())
    assert {key[1:5] for key in whole_points(frame)} == points


def status_text(panel: BudgetPanel) -> str:
    value = panel.status.value
    assert value.startswith('<span class="workbench-status">') and value.endswith("</span>")
    return value.removeprefix('<span class="workbench-status">').removesuffix("</span>")


# --- budget_curve's monitor --------------------------------------------------------------------------


def test_budget_curve_tells_each_point_and_passes_distills_progress(tmp_path: Path, tiny: Dataset) -> None:
    events: list[PointEvent] = []
    reports: list[DistillProgress] = []
    grid = BudgetCurveConfig(samplers=("user-rns", "distill-cf"), budgets=("10%",), models=(MODEL,), seeds=(1,), distill=SHORT)
    frame, failures = budget_curve(tiny, grid, tmp_path / "curve.csv", progress=False,
                                   monitor=CurveMonitor(on_point=events.append, on_progress=reports.append))
    assert failures == []
    assert [(event.kind, event.number, event.total, event.sampler) for event in events] == [
        ("started", 1, 2, "user-rns"), ("saved", 1, 2, "user-rns"), ("started", 2, 2, "distill-cf"), ("saved", 2, 2, "distill-cf"),
    ]
    assert [report.step for report in reports] == [0, 2, 4] and {report.steps for report in reports} == {4}
    assert_whole_file(tmp_path / "curve.csv", {("user-rns", "10%", 1, MODEL), ("distill-cf", "10%", 1, MODEL)})


def test_budget_curve_stopped_inside_distill_keeps_the_points_before_it(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    events: list[PointEvent] = []
    reports: list[DistillProgress] = []
    grid = BudgetCurveConfig(samplers=("user-rns", "distill-cf"), budgets=("10%",), models=(MODEL,), seeds=(1,), distill=LONG)
    monitor = CurveMonitor(on_point=events.append, on_progress=reports.append, should_stop=lambda: len(reports) >= 2)
    with pytest.raises(ComputationStopped, match="stopped on request at step 2 of 5000"):
        budget_curve(tiny, grid, path, progress=False, monitor=monitor)
    assert [(event.kind, event.sampler) for event in events] == [
        ("started", "user-rns"), ("saved", "user-rns"), ("started", "distill-cf"), ("stopped", "distill-cf"),
    ]
    assert "step 2 of 5000" in events[-1].message
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL)})
    assert not list(tmp_path.glob("*.tmp*"))  # no temporary file left beside it


def test_budget_curve_stopped_between_points(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    events: list[PointEvent] = []
    grid = BudgetCurveConfig(samplers=("user-rns", "head-user"), budgets=("10%",), models=(MODEL,), seeds=(1,))
    stop_after_first = CurveMonitor(on_point=events.append, should_stop=lambda: any(event.kind == "saved" for event in events))
    with pytest.raises(ComputationStopped, match="before head-user at 10%, seed 1"):
        budget_curve(tiny, grid, path, progress=False, monitor=stop_after_first)
    assert [(event.kind, event.sampler) for event in events] == [("started", "user-rns"), ("saved", "user-rns"), ("stopped", "head-user")]
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL)})
    # the next run computes what is left, the saved point is not computed again
    events.clear()
    frame, failures = budget_curve(tiny, grid, path, progress=False, monitor=CurveMonitor(on_point=events.append))
    assert failures == [] and [(event.kind, event.sampler) for event in events] == [("started", "head-user"), ("saved", "head-user")]
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL), ("head-user", "10%", 1, MODEL)})


# --- the panel: progress line and Stop ---------------------------------------------------------------


def test_the_panel_has_a_stop_button_and_a_hidden_progress_line(tmp_path: Path, tiny: Dataset) -> None:
    panel = make_panel(tmp_path / "curve.csv", tiny, ["user-rns"], SHORT)
    assert panel.stop_button.description == "Stop" and panel.stop_button.disabled is True
    assert panel.progress_row in panel.widget.children and panel.progress_row.layout.display == "none"
    assert panel.stop() is False and not panel.computing  # nothing to stop
    assert panel.outcome is None


def test_the_progress_line_shows_the_point_steps_loss_and_validation(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    panel = make_panel(path, tiny, ["distill-cf"], SHORT)
    texts: list[str] = []
    bars: list[tuple[str, int, int]] = []
    seen_while_computing: list[tuple[bool, bool, bool, str]] = []

    def on_text(change) -> None:
        texts.append(change["new"])
        bars.append((panel.progress_bar.description, panel.progress_bar.value, panel.progress_bar.max))
        seen_while_computing.append(
            (panel.computing, panel.compute_button.disabled, panel.stop_button.disabled, panel.progress_row.layout.display)
        )

    panel.progress_text.observe(on_text, names="value")
    assert panel.missing() == [("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)]
    panel.compute_button.click()

    steps = [text for text in texts if "· step" in text]
    assert len(steps) == 3  # the validations at steps 0, 2 and 4
    assert steps[0].startswith('<span class="workbench-progress">point 1 of 2: distill-cf 10% seed 1 · step 0/4, loss –, val HR@10 ')
    assert "· step 2/4, loss " in steps[1] and "· step 4/4, loss " in steps[2]
    for text in steps:
        assert ", HR@100 " in text and ", λ " in text
    assert [bar for bar in bars if bar[0] == "steps"] == [("steps", 0, 4), ("steps", 2, 4), ("steps", 4, 4)]
    assert any("point 2 of 2: full 100% seed 1" in text for text in texts)
    assert all(computing and compute_off and not stop_off and shown == "flex"
               for computing, compute_off, stop_off, shown in seen_while_computing)

    assert panel.outcome == ComputeOutcome(saved=(("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)))
    assert status_text(panel) == "every point of this selection is computed"
    assert panel.progress_row.layout.display == "none" and not panel.computing
    assert panel.compute_button.disabled is True and panel.stop_button.disabled is True
    assert_whole_file(path, {("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)})


def test_stop_during_distill_keeps_the_points_before_it(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    panel = make_panel(path, tiny, ["user-rns", "distill-cf"], LONG)
    assert panel.missing() == [("user-rns", "10%", 1, MODEL), ("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)]

    def stop_at_step_2(change) -> None:  # as a user would, once the line shows step 2 of the Distill-CF point
        if panel.progress_bar.description == "steps" and change["new"] == 2:
            panel.stop_button.click()

    panel.progress_bar.observe(stop_at_step_2, names="value")
    failures = panel.compute_missing()

    assert failures == []
    assert panel.outcome == ComputeOutcome(saved=(("user-rns", "10%", 1, MODEL),), stopped="stopped during distill-cf 10% seed 1, not saved")
    assert status_text(panel) == (
        "stopped during distill-cf 10% seed 1, not saved; 1 point computed and kept; 2 points of this selection not computed yet"
    )
    assert "stopped during distill-cf 10% seed 1" in "".join(output["text"] for output in panel.log.outputs)
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL)})  # the file reads back; no Distill-CF row
    assert panel.missing() == [("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)]
    assert not panel.computing and panel.compute_button.disabled is False and panel.stop_button.disabled is True
    assert panel.progress_row.layout.display == "none"
    # the note goes with the next change of the selection
    panel.metric_dropdown.value = "NDCG@10"
    assert status_text(panel) == "2 points of this selection not computed yet"


def test_stop_during_a_quick_sampler_stops_before_the_next_point(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    panel = make_panel(path, tiny, ["user-rns", "head-user"], SHORT)

    def stop_in_the_first_point(change) -> None:
        if "point 1 of 3" in change["new"] and not panel._stop_requested.is_set():
            assert panel.stop() is True
            assert status_text(panel) == "stopping…" and panel.stop_button.disabled is True

    panel.progress_text.observe(stop_in_the_first_point, names="value")
    panel.compute_button.click()
    assert panel.outcome.stopped == "stopped before head-user 10% seed 1"
    assert status_text(panel).startswith("stopped before head-user 10% seed 1; 1 point computed and kept; ")
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL)})


def test_the_button_computes_in_the_background_and_stop_arrives(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    panel = make_panel(path, tiny, ["user-rns", "distill-cf"], LONG, background=True)
    distilling = threading.Event()
    panel.progress_bar.observe(lambda change: distilling.set() if panel.progress_bar.description == "steps" and change["new"] >= 2 else None,
                               names="value")
    panel.compute_button.click()  # returns at once: the work is in a thread
    thread = panel._worker
    try:
        assert thread is not None and panel.computing and panel.compute_button.disabled is True
        panel.compute_button.click()  # a second click starts nothing
        assert panel._worker is thread and panel.compute_in_background() is None
        with pytest.raises(WorkbenchError, match="already computing"):
            panel.compute_missing()
        assert distilling.wait(timeout=120), "the Distill-CF point did not report step 2"
        assert panel.computing and panel.stop_button.disabled is False
        panel.stop_button.click()  # from this thread, while the other one computes
        thread.join(timeout=120)
        assert not thread.is_alive(), "the stop did not arrive"
    finally:
        panel.stop()
        thread.join(timeout=60)
    assert panel.outcome.saved == (("user-rns", "10%", 1, MODEL),)
    assert panel.outcome.stopped == "stopped during distill-cf 10% seed 1, not saved"
    assert status_text(panel).startswith("stopped during distill-cf 10% seed 1, not saved; 1 point computed and kept")
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL)})
    assert not panel.computing and panel.compute_button.disabled is False

    # the next click computes what is left in the background; nothing stops it
    quick = make_panel(path, tiny, ["user-rns", "head-user"], SHORT, background=True)
    assert quick.missing() == [("head-user", "10%", 1, MODEL), ("full", "100%", 1, MODEL)]
    started = time.monotonic()
    thread = quick.compute_in_background()
    thread.join(timeout=120)
    assert time.monotonic() - started < 120 and not thread.is_alive()
    assert quick.outcome == ComputeOutcome(saved=(("head-user", "10%", 1, MODEL), ("full", "100%", 1, MODEL)))
    assert status_text(quick) == "every point of this selection is computed"
    assert_whole_file(path, {("user-rns", "10%", 1, MODEL), ("head-user", "10%", 1, MODEL), ("full", "100%", 1, MODEL)})


def test_a_failure_is_noted_in_the_status_and_logged(tmp_path: Path, tiny: Dataset) -> None:
    def broken(name: str) -> Dataset:
        raise FileNotFoundError(name)

    panel = BudgetPanel(tmp_path / "curve.csv", datasets=["tiny"], samplers=["user-rns"], budgets=["10%"], seeds=[1],
                        models=[MODEL], load=broken, progress=False, background=False)
    assert panel.compute_missing() == ["FileNotFoundError: tiny"]
    assert panel.outcome == ComputeOutcome(failures=("FileNotFoundError: tiny",))
    assert status_text(panel) == "1 failure (see the log below); 2 points of this selection not computed yet"
    assert [output["text"] for output in panel.log.outputs] == ["failed: FileNotFoundError: tiny\n"]
    assert not panel.computing and panel.compute_button.disabled is False
