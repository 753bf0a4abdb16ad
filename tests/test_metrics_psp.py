"""PSP@k and the item propensity weights w_i = 1 + C·(n_i + B)^(−A)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.metrics import hits, psp_at_k, psp_item_weights, psp_normaliser

# Train matrix: 3 users × 4 items; item counts n = [3, 1, 0, 2], N = nnz = 6.
TRAIN = sp.csr_matrix(
    np.array(
        [
            [1, 1, 0, 1],
            [1, 0, 0, 1],
            [1, 0, 0, 0],
        ],
        dtype=np.float32,
    )
)
# C = (ln 6 − 1) · 2.5^0.55 = 0.7917595 · 1.6552713 = 1.3105701463711603
# w_0 = 1 + C · 4.5^−0.55 = 1.5730511498715922
# w_1 = 1 + C · 2.5^−0.55 = 1 + (ln 6 − 1) = ln 6 = 1.791759469228055
# w_2 = 1 + C · 1.5^−0.55 = 2.0486005433336296
# w_3 = 1 + C · 3.5^−0.55 = 1.6579953833246743
W = np.array([1.5730511498715922, 1.791759469228055, 2.0486005433336296, 1.6579953833246743])


def test_item_weights_by_hand() -> None:
    weights = psp_item_weights(TRAIN)
    assert weights.dtype == np.float64 and weights.shape == (4,)
    np.testing.assert_allclose(weights, W, rtol=1e-14, atol=0)
    assert weights[1] == pytest.approx(math.log(6), abs=1e-14)  # n_i = 1 gives exactly ln N
    # rarer items weigh more
    assert weights[2] > weights[1] > weights[3] > weights[0]
    # N can be overridden
    c = (math.log(100) - 1) * 2.5**0.55
    assert psp_item_weights(TRAIN, n_interactions=100)[2] == pytest.approx(1 + c * 1.5**-0.55)


def test_psp_by_hand() -> None:
    positives = sp.csr_matrix(
        np.array(
            [
                [0, 1, 1, 1],  # user 0: P = {1, 2, 3}
                [1, 0, 0, 0],  # user 1: P = {0}
                [0, 0, 0, 0],  # user 2: no positives
            ],
            dtype=np.float32,
        )
    )
    top = np.array([[2, 0, 1], [1, 0, 3], [0, 1, 2]], dtype=np.int32)
    hit = hits(top, positives)
    psp = psp_at_k(top, hit, positives, W, 2)
    # user 0, k = 2: top 2 = [2, 0], hits {2}; m = min(3, 2) = 2
    #   numerator = w_2 / m = 2.0486005433336296 / 2 = 1.0243002716668148
    #   normaliser = the 2 largest of w_1, w_2, w_3 = w_2 + w_1 = 3.8403600125616846
    #   PSP = 1.0243002716668148 / 3.8403600125616846 = 0.26671985655416786
    assert psp[0] == pytest.approx((W[2] / 2) / (W[2] + W[1]), abs=1e-15)
    assert psp[0] == pytest.approx(0.26671985655416786, abs=1e-15)
    # user 1, k = 2: top 2 = [1, 0], hits {0}; m = min(1, 2) = 1 -> (w_0 / 1) / w_0 = 1
    assert psp[1] == pytest.approx(1.0, abs=1e-15)
    assert np.isnan(psp[2])
    # k = 3, user 0: hits {2, 1}; m = 3; (w_2 + w_1) / 3 = 1.2801200041872283, normaliser
    #   w_2 + w_1 + w_3 = 5.4983553958863585 -> PSP = 0.2328187088715584
    psp3 = psp_at_k(top, hit, positives, W, 3)
    assert psp3[0] == pytest.approx((W[2] + W[1]) / 3 / (W[2] + W[1] + W[3]), abs=1e-15)
    assert psp3[0] == pytest.approx(0.2328187088715584, abs=1e-15)
    np.testing.assert_allclose(
        psp_normaliser(positives, W, 2), [W[2] + W[1], W[0], 0.0], rtol=0, atol=1e-15
    )


def test_bad_parameters_raise() -> None:
    with pytest.raises(WorkbenchError, match=r"b \(the propensity offset B\)"):
        psp_item_weights(TRAIN, b=0.0)
    with pytest.raises(WorkbenchError, match=r"a \(the propensity exponent A\)"):
        psp_item_weights(TRAIN, a=-1.0)
    with pytest.raises(WorkbenchError, match="n_interactions"):
        psp_item_weights(sp.csr_matrix((3, 4)))
    top = np.zeros((1, 2), dtype=np.int32)
    positives = sp.csr_matrix(np.ones((1, 4)))
    with pytest.raises(WorkbenchError, match="k must be a positive integer"):
        psp_at_k(top, hits(top, positives), positives, W, 0)
    with pytest.raises(WorkbenchError, match=r"item_weights must have shape \(4,\)"):
        psp_at_k(top, hits(top, positives), positives, W[:3], 1)
