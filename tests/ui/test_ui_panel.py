"""04_is_more_data_needed in JupyterLab: the panel draws the recorded ML-1M curve, and the slider and the
sampler selection move the marked point and change the answer to the values the package computes."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from helpers import open_notebook, run_all_cells

from workbench.budget.answer import answer, point_sentence
from workbench.budget.curve import curve_table, full_data_value
from workbench.distill import DistillConfig
from workbench.budget.runs import read_results, rows_for_configuration

pytestmark = pytest.mark.ui

REPOSITORY = Path(__file__).resolve().parents[2]
RECORDED_CURVE = REPOSITORY / "benchmarks" / "results" / "budget_curve_ml1m.csv"
NOTEBOOK = "04_is_more_data_needed.ipynb"

# The marked points: (sampler, x, y) of each "selected" ring in the panel's figure.
SELECTED_POINTS = """() => {
    const plots = Array.from(document.querySelectorAll('.jp-NotebookPanel .widget-output .js-plotly-plot'));
    const plot = plots.find((el) => Array.isArray(el.data) && el.data.some((t) => t.meta && t.meta.panel));
    if (!plot) { return null; }
    return plot.data.filter((t) => t.meta && t.meta.panel === 'selected').map((t) => [t.meta.sampler, t.x[0], t.y[0]]);
}"""


def expected_state(results: Path, samplers: list[str], budget: str) -> tuple[str, list[str], list[tuple[str, float, float]]]:
    """(headline, point sentences, marked points) the package computes for this selection of ``results``."""
    # the settings of the recorded ML-1M curve, as notebook 04's parameters pin them
    recorded = DistillConfig(steps=100, temperature=5.0, patience=150, min_steps=0, evaluate_every=25)
    frame = rows_for_configuration(read_results(results), recorded)
    frame = frame[frame["sampler"].isin([*samplers, "full"])]
    table = curve_table(frame, metric="HR@10", model="infinite-ae", dataset="ml-1m")
    full = full_data_value(frame, metric="HR@10", model="infinite-ae", dataset="ml-1m")
    percent = float(budget.rstrip("%"))
    main = "distill-cf" if "distill-cf" in samplers else samplers[0]
    headline = answer(table, full_value=full, metric="HR@10", dataset="ml-1m", sampler=main).sentence
    sentences = [point_sentence(table, full_value=full, metric="HR@10", sampler=s, percent=percent) for s in samplers]
    at = table[table["percent_users"] == percent]
    points = [(row.sampler, row.percent_users, row.mean) for row in at.itertuples() if row.sampler in samplers]
    return headline, sentences, sorted(points)


def read_state(page) -> tuple[str, list[str], list[tuple[str, float, float]]]:
    headline = page.locator(".workbench-answer").inner_text().strip()
    sentences = [item.strip() for item in page.locator(".workbench-points li").all_inner_texts()]
    points = sorted(tuple(point) for point in page.evaluate(SELECTED_POINTS) or [])
    return headline, sentences, points


def _same_points(got: list[tuple[str, float, float]], want: list[tuple[str, float, float]]) -> bool:
    return [p[0] for p in got] == [p[0] for p in want] and all(
        x == pytest.approx(want_x) and y == pytest.approx(want_y) for (_, x, y), (_, want_x, want_y) in zip(got, want)
    )


def assert_state(page, results: Path, samplers: list[str], budget: str) -> None:
    headline, sentences, points = expected_state(results, samplers, budget)
    # The panel sets its answer text before it redraws the figure, and the browser draws both asynchronously:
    # poll until the text and the marked points show this selection (or 30 s pass), then compare exactly.
    page.locator(".workbench-points li").first.wait_for()
    deadline = time.monotonic() + 30
    while True:
        got_headline, got_sentences, got_points = read_state(page)
        if (got_headline, got_sentences) == (headline, sentences) and _same_points(got_points, points):
            break
        if time.monotonic() > deadline:
            break  # compared below, with the values in the message
        page.wait_for_timeout(200)
    assert got_headline == headline
    assert got_sentences == sentences
    assert [p[0] for p in got_points] == [p[0] for p in points]
    for (_, x, y), (_, want_x, want_y) in zip(got_points, points):
        assert x == pytest.approx(want_x) and y == pytest.approx(want_y)


def test_panel_follows_the_slider_and_the_samplers(page, lab, screenshots, console_errors):
    results = lab.root_dir / "budget_curve_ml1m.csv"
    shutil.copyfile(RECORDED_CURVE, results)
    page.set_viewport_size({"width": 1400, "height": 1500})  # the controls, the answer and the curve in one shot
    open_notebook(page, lab, NOTEBOOK)
    screenshots(page, "opened")
    run_all_cells(page)
    panel = page.locator(".jp-NotebookPanel")
    panel.locator(".widget-output .js-plotly-plot .main-svg g.trace").first.wait_for()
    all_samplers = ["distill-cf", "user-rns", "interaction-rns", "head-user", "svp-cf-user"]
    assert_state(page, results, all_samplers, "2%")
    panel.locator(".widget-select-multiple").first.evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshots(page, "panel-at-2-percent")

    handle = panel.locator(".widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")
    assert_state(page, results, all_samplers, "10%")
    screenshots(page, "slider-at-10-percent")

    panel.locator(".widget-select-multiple select").select_option(label=["User RNS", "Interaction RNS"])
    assert_state(page, results, ["user-rns", "interaction-rns"], "10%")
    screenshots(page, "two-samplers")

    assert console_errors == []
