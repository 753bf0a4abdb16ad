"""`notebooks/01_quickstart.ipynb` runs headless on real data and records the paper's ML-1M numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest

from conftest import REPOSITORY
from workbench.data import load_dataset
from workbench.errors import WorkbenchError
from workbench.notebooks.runs import notebook_parameters, run_notebook

NOTEBOOK = REPOSITORY / "notebooks" / "01_quickstart.ipynb"

pytestmark = pytest.mark.notebook


def test_every_parameter_is_read_with_its_default() -> None:
    """papermill silently drops a parameter line it cannot parse (e.g. '<=' in its comment)."""
    parameters = notebook_parameters(NOTEBOOK)
    assert {name: parameter.default for name, parameter in parameters.items()} == {
        "dataset": "ml-1m",
        "user": 0,
        "k": 10,
        "seed": 42,
        "infinite_ae_lambdas": [1.0, 5.0, 20.0, 50.0, 100.0],
        "ease_lambdas": [200.0, 500.0, 1000.0, 2000.0],
    }
    assert all(parameter.help for parameter in parameters.values())


def test_notebook_is_a_tutorial_calling_the_package() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# Quickstart")
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    for name in ("open_dataset", "evaluate_model", "metrics_table", "user_history", "recommend(", "compare_recommendations"):
        assert name in code
    assert "def " not in code and "class " not in code  # the computations live in workbench


@pytest.fixture(scope="module")
def with_real_data(real_data_dir: Path) -> Iterator[Path]:
    """WORKBENCH_DATA pointing at the real datasets, inherited by the notebook's kernel."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKBENCH_DATA", str(real_data_dir))
        yield real_data_dir


@pytest.fixture(scope="module")
def default_run(with_real_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_notebook(NOTEBOOK, {}, tmp_path_factory.mktemp("quickstart") / "01.ipynb", timeout_s=900)


@pytest.mark.real_data
@pytest.mark.slow
def test_defaults_reproduce_the_ml1m_numbers(default_run: dict[str, Any]) -> None:
    results = default_run
    assert results["dataset"] == "ml-1m" and results["user"] == 0 and results["user_id"] == 1
    assert results["infinite_ae_ndcg10"] == pytest.approx(33.39, abs=0.5)
    assert results["infinite_ae_hr10"] == pytest.approx(31.91, abs=0.5)
    assert results["infinite_ae_hr100"] == pytest.approx(60.91, abs=0.5)
    assert results["infinite_ae_lambda"] == 5.0
    assert results["ease_ndcg10"] == pytest.approx(34.07, abs=0.5)
    assert results["ease_lambda"] == 1000.0
    assert results["poprec_ndcg10"] == pytest.approx(14.35, abs=0.5)
    assert results["poprec_hr10"] == pytest.approx(13.51, abs=0.5)


@pytest.mark.real_data
@pytest.mark.slow
def test_defaults_recommend_unseen_items_with_titles(default_run: dict[str, Any], with_real_data: Path) -> None:
    results = default_run
    data = load_dataset("ml-1m", data_dir=with_real_data)
    items = results["recommended_items"]
    assert len(items) == 10 and len(set(items)) == 10
    assert results["recommended_item_ids"] == data.item_ids[items].tolist()
    assert results["recommended_titles"] == [data.item_titles[item] for item in items]
    assert all(results["recommended_titles"])
    train, validation, test = (set(data.matrix(split)[0].indices.tolist()) for split in ("train", "validation", "test"))
    assert not set(items) & train and not set(items) & validation  # what the user had seen is never recommended
    assert results["recommended_hits"] == len(set(items) & test)
    history = results["history_items"]
    assert (set(history["train"]), set(history["validation"]), set(history["test"])) == (train, validation, test)


@pytest.mark.real_data
@pytest.mark.slow
def test_parameters_reach_the_notebook(with_real_data: Path, tmp_path: Path) -> None:
    """ML-100K (the seeded protocol split), another user, top-5: fast, and the parameters are used."""
    results = run_notebook(
        NOTEBOOK, {"dataset": "ml-100k", "user": 17, "k": 5, "ease_lambdas": [100.0, 500.0]}, tmp_path / "01.ipynb",
        timeout_s=600,
    )
    data = load_dataset("ml-100k", data_dir=with_real_data)
    assert results["dataset"] == "ml-100k" and results["k"] == 5
    assert results["user_id"] == int(data.user_ids[17])
    assert len(results["recommended_items"]) == 5
    seen = set(data.context("test")[17].indices.tolist())
    assert not set(results["recommended_items"]) & seen
    assert results["ease_lambda"] in (100.0, 500.0)
    assert np.isfinite([results["infinite_ae_ndcg10"], results["ease_ndcg10"], results["poprec_ndcg10"]]).all()


@pytest.mark.real_data
def test_a_user_out_of_range_fails_before_fitting(with_real_data: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"WorkbenchError: user: expected a user index in \[0, 942\]"):
        run_notebook(NOTEBOOK, {"dataset": "ml-100k", "user": 943}, tmp_path / "01.ipynb", timeout_s=300)
