"""NDCG@k: DCG over hits at ranks r < k, ÷ the ideal DCG of min(|P|, k) positives."""

from __future__ import annotations

import math

import numpy as np
import pytest

from workbench.errors import WorkbenchError
from workbench.metrics import ndcg_at_k

HITS = np.array(
    [
        [True, False, True, False, False],  # 3 positives
        [False, True, True, False, True],  # 10 positives
        [False, False, False, False, False],  # no positives
    ]
)
N_POSITIVES = np.array([3, 10, 0])
# discounts 1/log2(r+2): r=0 -> 1, r=1 -> 0.6309297535714575, r=2 -> 0.5, r=3 -> 0.43067655807339306,
#                        r=4 -> 0.38685280723454163


def test_hand_computed_values() -> None:
    ndcg = ndcg_at_k(HITS, N_POSITIVES, 5)
    # user 0: DCG = 1 + 0.5 = 1.5; m = min(3, 5) = 3: IDCG = 1 + 0.63093 + 0.5 = 2.13093
    #         NDCG = 1.5 / 2.1309297535714578 = 0.7039180890341347
    assert ndcg[0] == pytest.approx(1.5 / (1 + 1 / math.log2(3) + 0.5), abs=1e-15)
    assert ndcg[0] == pytest.approx(0.7039180890341347, abs=1e-15)
    # user 1: DCG = 0.63093 + 0.5 + 0.38685 = 1.51778; m = 5: IDCG = 1 + 0.63093 + 0.5 + 0.43068
    #         + 0.38685 = 2.94846; NDCG = 0.5147714448836774
    assert ndcg[1] == pytest.approx(0.5147714448836774, abs=1e-15)
    assert np.isnan(ndcg[2])


def test_m_smaller_than_k_uses_m_ideal_ranks() -> None:
    # one positive, found at rank 0: DCG = 1 = IDCG of m = min(1, 10) = 1 -> NDCG = 1 (not 1/IDCG@10)
    hits = np.zeros((1, 10), dtype=bool)
    hits[0, 0] = True
    assert ndcg_at_k(hits, np.array([1]), 10)[0] == 1.0
    # found at rank 3 instead: 1/log2(5) = 0.43067655807339306
    hits = np.roll(hits, 3, axis=1)
    assert ndcg_at_k(hits, np.array([1]), 10)[0] == pytest.approx(1 / math.log2(5), abs=1e-15)


def test_bad_parameters_raise() -> None:
    with pytest.raises(WorkbenchError, match="k must be a positive integer"):
        ndcg_at_k(HITS, N_POSITIVES, 0)
