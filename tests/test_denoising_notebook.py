"""05_denoising executed headless on ML-100K with a tiny distillation, asserting on what it records."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import REPOSITORY
from workbench.data import load_dataset
from workbench.evaluation import evaluate_model
from workbench.models import InfiniteAE
from workbench.denoising.noise import noise_count
from workbench.notebooks.runs import run_notebook

pytestmark = [pytest.mark.notebook, pytest.mark.real_data, pytest.mark.slow]
NOTEBOOK = REPOSITORY / "notebooks" / "05_denoising.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"
# Small enough for a CPU test: 3 settings (clean, 30 % removed, 30 % false positives) × (full, Distill-CF).
PARAMETERS = {
    "dataset": "ml-100k", "noise_rates": [0.0, 0.3], "budget": 50, "steps": 5, "draws": 20, "evaluate_every": 5,
    "seed": 0,
}


def test_denoising_notebook_records_each_setting(
    real_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))  # the kernel inherits this environment
    results = run_notebook(NOTEBOOK, PARAMETERS, tmp_path / "05.ipynb")
    assert (results["dataset"], results["metric"], results["split"], results["budget"]) == ("ml-100k", "HR@10", "test", 50)

    # Rate 0 is the clean data, shared by both kinds: the full-data value is ∞-AE on ML-100K itself.
    clean = load_dataset("ml-100k", data_dir=real_data_dir)
    reference = evaluate_model(InfiniteAE(), clean, seed=0, progress=False).test["HR@10"]
    assert results["removal 0 full"] == pytest.approx(reference, abs=1e-6)
    assert results["removal 0 full"] == pytest.approx(33.26, abs=0.5)  # measured when this test was written
    assert results["false-positive 0 full"] == results["removal 0 full"]
    assert results["false-positive 0 distill-cf"] == results["removal 0 distill-cf"]

    # The noise is what was asked for: exact interaction counts.
    nnz = clean.train.nnz
    assert results["clean_train_interactions"] == nnz
    assert results["removal 0 train_interactions"] == nnz
    assert results["removal 0.3 train_interactions"] == nnz - noise_count(0.3, nnz)
    assert results["false-positive 0.3 train_interactions"] == nnz + noise_count(0.3, nnz)

    # Removing 30 % of the interactions costs both a lot (measured: 33.3 → 23.0 full, 24.0 → 16.8 Distill-CF).
    assert results["removal 0.3 full"] < 0.85 * results["removal 0 full"]
    assert results["removal 0.3 distill-cf"] < 0.85 * results["removal 0 distill-cf"]
    # Uniform false positives cost little but something (measured: 33.3 → 31.9 full, 24.0 → 22.7 Distill-CF):
    # no cost would mean none were added; a large one, that they hid held-out positives.
    assert 0.85 * results["false-positive 0 full"] < results["false-positive 0.3 full"] < results["false-positive 0 full"]
    assert 0.8 * results["false-positive 0 distill-cf"] < results["false-positive 0.3 distill-cf"]

    # 50 synthetic users (5 % of the users) after 5 steps: well above nothing, below all the data.
    for setting in ("removal 0", "removal 0.3", "false-positive 0.3"):
        assert 0.4 * results[f"{setting} full"] < results[f"{setting} distill-cf"] < results[f"{setting} full"]

    assert "With 30 % of the interactions removed" in results["summary"]
    assert "With 30 % false positives added" in results["summary"]

    # The figure was drawn: one line per training data, per noise kind and panel.
    executed = nbformat.read(tmp_path / "05.ipynb", as_version=4)
    figures = [
        output["data"][PLOTLY] for cell in executed.cells for output in cell.get("outputs", [])
        if PLOTLY in output.get("data", {})
    ]
    assert len(figures) == 1 and len(figures[0]["data"]) == 2 * 2 * 2
