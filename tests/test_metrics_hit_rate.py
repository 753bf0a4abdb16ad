"""HR@k, the paper's truncated recall |T∩P| / min(|P|, k)."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.errors import WorkbenchError
from workbench.metrics import hit_rate_at_k

# Three users ranked to depth 5:
#   user 0: 3 positives, hits at ranks 0 and 2     (m = min(3, 5) = 3 < k)
#   user 1: 10 positives, hits at ranks 1, 2 and 4 (m = min(10, 5) = 5 = k)
#   user 2: no positives                           (m = 0: NaN)
HITS = np.array(
    [
        [True, False, True, False, False],
        [False, True, True, False, True],
        [False, False, False, False, False],
    ]
)
N_POSITIVES = np.array([3, 10, 0])


def test_hand_computed_values() -> None:
    hr = hit_rate_at_k(HITS, N_POSITIVES, 5)
    assert hr.dtype == np.float64 and hr.shape == (3,)
    assert hr[0] == pytest.approx(2 / 3, abs=1e-15)  # 2 hits / min(3, 5) = 2/3
    assert hr[1] == pytest.approx(3 / 5, abs=1e-15)  # 3 hits / min(10, 5) = 3/5
    assert np.isnan(hr[2])  # no positives


def test_a_smaller_k_reads_only_the_first_k_ranks() -> None:
    hr = hit_rate_at_k(HITS, N_POSITIVES, 2)
    # user 0: ranks 0-1 hold 1 hit; min(3, 2) = 2 -> 1/2. user 1: 1 hit / min(10, 2) -> 1/2
    np.testing.assert_allclose(hr[:2], [0.5, 0.5], rtol=0, atol=1e-15)


def test_all_positives_found_gives_one() -> None:
    # 2 positives, both in the top 4: 2 / min(2, 4) = 1 (plain recall would also say 1)
    assert hit_rate_at_k(np.array([[False, True, True, False]]), np.array([2]), 4)[0] == 1.0


def test_bad_parameters_raise() -> None:
    for k in (0, -3):
        with pytest.raises(WorkbenchError, match="k must be a positive integer"):
            hit_rate_at_k(HITS, N_POSITIVES, k)
    with pytest.raises(WorkbenchError, match="fewer than k = 6"):
        hit_rate_at_k(HITS, N_POSITIVES, 6)
    with pytest.raises(WorkbenchError, match=r"n_positives must have shape \(3,\)"):
        hit_rate_at_k(HITS, np.array([1, 2]), 5)
