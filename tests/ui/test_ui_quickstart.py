"""01_quickstart, executed, opened in JupyterLab: the top-10 recommendations table renders with its
caption, ten rows and titles."""

from __future__ import annotations

import os

import pytest
from helpers import open_notebook

from workbench.notebooks.results import read_recorded_results
from workbench.notebooks.runs import run_notebook

pytestmark = pytest.mark.ui

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.real_data
def test_executed_quickstart_shows_the_recommendations_table(page, lab, screenshots, console_errors, real_data_dir, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    executed = lab.root_dir / "01_quickstart.executed.ipynb"
    # ML-100K keeps this quick; the notebook is the same one the tutorial uses on ML-1M.
    run_notebook(lab.root_dir / "01_quickstart.ipynb", {"dataset": "ml-100k", "user": 4}, executed)
    recorded = read_recorded_results(executed)

    open_notebook(page, lab, executed.name)
    caption = page.locator(".jp-NotebookPanel .jp-OutputArea-output table caption").filter(has_text="recommendations for user")
    caption.first.wait_for()
    table = caption.first.locator("xpath=..")
    table.scroll_into_view_if_needed()
    screenshots(page, "recommendations")
    assert "Top-10 recommendations for user" in caption.first.inner_text()
    rows = table.locator("tbody tr")
    assert rows.count() == 10
    text = table.inner_text()
    assert "title" in text.lower() and "genres" in text.lower()
    assert len(recorded) > 0
    assert console_errors == []
