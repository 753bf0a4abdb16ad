"""The budget panel in JupyterLab computes in the background: while a Distill-CF point runs, the progress
line shows its steps and the Stop button is answered; the point before it stays, the figure is redrawn
from the computing thread, and the status says what was stopped. A tiny generated dataset, no real data."""

from __future__ import annotations

import re

import nbformat
import pytest
from helpers import open_notebook, run_all_cells

from workbench.budget.runs import read_results

pytestmark = pytest.mark.ui

NOTEBOOK = "panel_stop.ipynb"
SOURCE = '''\
import numpy as np
import scipy.sparse as sp

from workbench.budget.panel import BudgetPanel
from workbench.data import Interactions, build_dataset
from workbench.distill import DistillConfig

rng = np.random.default_rng(5)
matrix = sp.random(60, 40, density=0.15, random_state=rng, format="csr")
users, items = matrix.nonzero()
tiny = build_dataset("tiny", Interactions(users=users.astype(np.int64), items=items.astype(np.int64), source="generated"), seed=0)
panel = BudgetPanel(
    "curve.csv", datasets=["tiny"], samplers=["user-rns", "distill-cf"], budgets=["10%"], seeds=[1], models=["infinite-ae"],
    distill_config=DistillConfig(steps=100000, draws=4, evaluate_every=2, patience=1000000), load=lambda name: tiny,
)
panel
'''

PLOTTED_SAMPLERS = """() => {
    const plots = Array.from(document.querySelectorAll('.jp-NotebookPanel .widget-output .js-plotly-plot'));
    const plot = plots.find((el) => Array.isArray(el.data) && el.data.some((t) => t.meta && t.meta.panel));
    if (!plot) { return null; }
    return plot.data.filter((t) => t.meta && t.meta.panel === 'absolute').map((t) => t.meta.sampler);
}"""


def test_stop_button_stops_a_distill_point_computed_in_the_background(page, lab, screenshots, console_errors):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(SOURCE)]
    notebook.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nbformat.write(notebook, lab.root_dir / NOTEBOOK)
    page.set_viewport_size({"width": 1400, "height": 1200})
    open_notebook(page, lab, NOTEBOOK)
    run_all_cells(page)
    panel = page.locator(".jp-NotebookPanel")
    status = panel.locator(".workbench-status")
    assert status.inner_text().strip() == "3 points of this selection not computed yet"

    panel.get_by_role("button", name="Compute missing points").click()
    progress = panel.locator(".workbench-progress")
    # the line moves on every 2 steps: wait for any step from 4 on (a busy machine may skip past step 4)
    past_step_4 = re.compile(r"point 2 of 3: distill-cf 10% seed 1 · step ([4-9]|\d{2,})/100000")
    progress.filter(has_text=past_step_4).wait_for(timeout=180_000)
    assert "val HR@10" in progress.inner_text() and "loss" in progress.inner_text()
    screenshots(page, "distilling")
    panel.get_by_role("button", name="Stop").click()

    status.filter(has_text="stopped during distill-cf 10% seed 1, not saved; 1 point computed and kept").wait_for(timeout=60_000)
    screenshots(page, "stopped")
    page.wait_for_function(f"() => JSON.stringify(({PLOTTED_SAMPLERS})()) === JSON.stringify(['user-rns'])", timeout=60_000)
    assert panel.get_by_role("button", name="Compute missing points").is_enabled()
    assert not panel.get_by_role("button", name="Stop").is_enabled()
    assert not progress.is_visible()
    frame = read_results(lab.root_dir / "curve.csv")
    assert set(frame["sampler"]) == {"user-rns"} and len(frame) == 20
    assert console_errors == []
