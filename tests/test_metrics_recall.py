"""Recall@k = |T∩P| / |P| (plain, not the paper's truncated HR@k)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import WorkbenchError
from workbench.metrics import hit_rate_at_k, recall_at_k

HITS = np.array(
    [
        [True, False, True, False, False],  # 3 positives, 2 hits
        [False, True, True, False, True],  # 10 positives, 3 hits
        [False, False, False, False, False],  # no positives
    ]
)
N_POSITIVES = np.array([3, 10, 0])


def test_hand_computed_values() -> None:
    recall = recall_at_k(HITS, N_POSITIVES, 5)
    assert recall[0] == pytest.approx(2 / 3, abs=1e-15)  # 2 / 3, same as HR@5 since |P| ≤ k
    assert recall[1] == pytest.approx(3 / 10, abs=1e-15)  # 3 / 10, where HR@5 says 3 / 5
    assert np.isnan(recall[2])


def test_equals_hit_rate_when_positives_fit_in_k() -> None:
    hr, recall = hit_rate_at_k(HITS, N_POSITIVES, 5), recall_at_k(HITS, N_POSITIVES, 5)
    assert hr[0] == recall[0] and hr[1] > recall[1]


def test_bad_parameters_raise() -> None:
    with pytest.raises(WorkbenchError, match="k must be a positive integer"):
        recall_at_k(HITS, N_POSITIVES, 0)
    with pytest.raises(WorkbenchError, match="boolean"):
        recall_at_k(HITS.astype(int), N_POSITIVES, 5)
