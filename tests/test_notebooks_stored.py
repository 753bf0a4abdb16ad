"""Notebooks are stored small and reviewable: no outputs, one parameters cell, results recorded last."""

from __future__ import annotations

import nbformat
import pytest

from conftest import REPOSITORY

NOTEBOOKS = REPOSITORY / "notebooks"


def test_the_notebooks_are_there() -> None:
    names = {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert {"02_data_budget", "04_is_more_data_needed"} <= names


@pytest.mark.parametrize("name", sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")))
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    tagged = [cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs are stored"
    assert "record_results" in notebook.cells[-1].source, f"{name}: the last cell must record results"
