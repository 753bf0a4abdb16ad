"""Notebook 03 (what a Distill-CF summary looks like) runs end to end on ML-1M with small settings,
and what it records holds together."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.notebooks.runs import run_notebook

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_synthetic_users.ipynb"
SMALL = {
    "budget": 40,
    "steps": 10,
    "evaluate_every": 10,
    "draws": 20,
    "temperatures": [0.1, 1.0, 10.0],
    "map_users": 300,
    "heatmap_items": 200,
    "table_users": 5,
    "seed": 3,
}


@pytest.mark.notebook
@pytest.mark.real_data
def test_synthetic_users_notebook_records_consistent_results(real_data_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    results = run_notebook(NOTEBOOK, SMALL, tmp_path / "03.ipynb")

    assert results["dataset"] == "ml-1m" and results["budget"] == 40
    assert results["budget_share_of_users"] == pytest.approx(40 / 6040)
    assert results["best_step"] in (0, 10)
    assert 0 < results["validation_hr10"] <= results["validation_hr100"] <= 100

    # ML-1M's training split touches 3,678 of its 3,706 items; 40 users cannot hold them all.
    assert results["real_coverage"] == pytest.approx(3678 / 3706)
    assert 0 < results["summary_coverage"] < results["real_coverage"]
    assert 0.2 < results["popularity_rank_correlation"] <= 1
    assert results["real_mean_size"] == pytest.approx(791_718 / 6040)

    if results["best_step"] == 0:  # the summary is 40 real users' rows
        assert results["mean_cosine_to_nearest"] == pytest.approx(1.0)
        assert 0.3 * results["real_mean_size"] < results["summary_mean_size"] < 3 * results["real_mean_size"]
    else:  # a drawn summary: each of its γ draws sums to 1
        assert 0 < results["mean_cosine_to_nearest"] < 1
        assert 1 <= results["summary_mean_size"] <= SMALL["draws"] + 1e-3

    first, second = results["explained_variance"]
    assert 0 < second <= first < 1

    # Lower τ, more discrete: more of the mass in entries near 1, less entropy.
    assert results["temperatures"] == SMALL["temperatures"]
    near_one, entropy = np.array(results["mass_near_one"]), np.array(results["mean_entropy"])
    assert np.all(np.diff(near_one) <= 0) and near_one[0] > 0.5
    assert np.all(np.diff(entropy) >= 0) and entropy[0] < entropy[-1]
    assert all(0 <= value <= 1 for value in results["near_binary"] + results["mass_near_zero"])
