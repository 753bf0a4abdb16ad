"""JupyterLab in a headless Chromium: a notebook with a plotly figure and a slider runs, and the slider works."""

from __future__ import annotations

import pytest
from helpers import open_notebook, run_all_cells

pytestmark = pytest.mark.ui

SETUP = """\
import ipywidgets as widgets
import plotly.graph_objects as go
from IPython.display import display

figure = go.Figure(go.Scatter(x=[1, 2, 3, 4], y=[4, 1, 3, 2], mode="lines+markers"))
figure.update_layout(title="smoke figure", width=600, height=350)
figure.show()
"""

SLIDER = """\
slider = widgets.IntSlider(value=3, min=0, max=10, description="k")
output = widgets.Output()

def redraw(change):
    k = change["new"]
    output.clear_output(wait=True)
    with output:
        print(f"k = {k}")
        go.Figure(go.Bar(x=list(range(k)), y=list(range(k)))).update_layout(height=250).show()

slider.observe(redraw, names="value")
redraw({"new": slider.value})
display(widgets.VBox([slider, output]))
"""


def test_notebook_with_plotly_and_a_slider(page, lab, write_notebook, screenshots, console_errors):
    write_notebook("ui-smoke.ipynb", [SETUP, SLIDER])

    open_notebook(page, lab, "ui-smoke.ipynb")
    screenshots(page, "opened")

    run_all_cells(page)
    notebook = page.locator(".jp-NotebookPanel")
    figure = notebook.locator(".jp-Cell").nth(0).locator(".js-plotly-plot")
    figure.locator(".main-svg g.trace").first.wait_for()  # drawn, not only an empty div
    assert figure.evaluate("el => el.data.length") == 1
    slider = notebook.locator(".widget-slider")
    slider.wait_for()
    text = notebook.locator(".jp-Cell").nth(1).locator(".widget-output")
    text.get_by_text("k = 3").wait_for()
    screenshots(page, "ran")

    handle = slider.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    text.get_by_text("k = 5").wait_for()
    # The figure redrawn by the callback: five bars (a condition on the page, whichever element holds it).
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .widget-output .js-plotly-plot'))
                 .some((el) => el.data && el.data.length === 1 && el.data[0].x.length === 5)"""
    )
    assert slider.locator(".widget-readout").inner_text().strip() == "5"
    screenshots(page, "slider-moved")

    assert console_errors == []


def test_run_all_cells_reports_a_failing_cell(page, lab, write_notebook, screenshots):
    write_notebook("ui-error.ipynb", ["x = 1", "raise ValueError('broken on purpose')", "y = 2"])
    open_notebook(page, lab, "ui-error.ipynb")
    with pytest.raises(AssertionError, match=r"cell 1: ValueError: broken on purpose"):
        run_all_cells(page)
    screenshots(page, "error")
