"""evaluate_rankings: hand-computed case, a per-user reference on random data, batching invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.metrics import EvaluationResult, evaluate_rankings, metric_names, psp_item_weights
from workbench.metrics import evaluate as evaluate_module
from workbench.metrics import sample_auc_negatives

L2, L3 = 1 / math.log2(3), 0.5  # discounts of ranks 1 and 2 (rank 0: 1)


def _csr(rows: list[list[int]], n_items: int) -> sp.csr_matrix:
    dense = np.zeros((len(rows), n_items), dtype=np.float32)
    for user, items in enumerate(rows):
        dense[user, items] = 1.0
    return sp.csr_matrix(dense)


# 4 users × 6 items.
CONTEXT = _csr([[0], [1, 2], [], [0]], 6)
POSITIVES = _csr([[3, 4], [3], [], [2, 4, 5]], 6)
SCORES = np.array(
    [
        [9, 5, 1, 4, 0, 2],  # item 0 is context and scores highest: masked. Top 3 = [1, 3, 5]
        [3, 8, 8, 3, 1, 0],  # items 1, 2 masked; items 0 and 3 tie at 3: item 0 first. Top 3 = [0, 3, 4]
        [1, 2, 3, 4, 5, 6],  # no positives: skipped
        [7, 1, 2, 3, 4, 5],  # item 0 masked. Top 3 = [5, 4, 3]
    ],
    dtype=np.float64,
)
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
NEGATIVES = np.array([[2, 5], [4, 5], [0, 1], [1, 3]], dtype=np.int32)


def test_hand_computed_case() -> None:
    result = evaluate_rankings(
        [(np.arange(4), SCORES)], CONTEXT, POSITIVES, WEIGHTS, NEGATIVES, ks=(2, 3)
    )
    assert isinstance(result, EvaluationResult)
    assert result.n_users_evaluated == 3 and result.n_users_skipped == 1  # user 2 has no positives
    assert list(result.metrics) == metric_names((2, 3))
    # hits: user 0 [F, T, F] (|P| = 2); user 1 [F, T, F] (|P| = 1, tie rule puts item 3 at rank 1);
    #       user 3 [T, T, F] (|P| = 3)
    expected = {
        # HR@2: 1/min(2,2), 1/min(1,2), 2/min(3,2)            HR@3: 1/2, 1/1, 2/min(3,3)
        "HR@2": (0.5 + 1 + 1) / 3,
        "HR@3": (0.5 + 1 + 2 / 3) / 3,
        # NDCG@2: L2/(1+L2), L2/1, (1+L2)/(1+L2)                NDCG@3: same, same, (1+L2)/(1+L2+L3)
        "NDCG@2": (L2 / (1 + L2) + L2 + 1) / 3,
        "NDCG@3": (L2 / (1 + L2) + L2 + (1 + L2) / (1 + L2 + L3)) / 3,
        # PSP@2: user 0 hit item 3: (4/2)/(w3+w4 = 9); user 1: (4/1)/4; user 3 hits 5, 4: (11/2)/(6+5)
        "PSP@2": (2 / 9 + 1 + 0.5) / 3,
        # PSP@3: user 3: (11/3)/(6+5+3 = 14) = 11/42
        "PSP@3": (2 / 9 + 1 + 11 / 42) / 3,
        # Recall: 1/2, 1/1, 2/3 at k = 2 and 3
        "Recall@2": (0.5 + 1 + 2 / 3) / 3,
        "Recall@3": (0.5 + 1 + 2 / 3) / 3,
    }
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(100 * value, abs=1e-12), name
    # AUC, unmasked scores of users 0, 1, 3 (user 2's negatives are skipped with it):
    #   positives [4, 0 | 3 | 5, 4, 2], negatives [1, 2 | 1, 0 | 1, 3]
    #   wins: 4 -> 6; 0 -> ½ (ties 0); 3 -> 5 + ½; 5 -> 6; 4 -> 6; 2 -> 4 + ½  = 28.5 of 6·6 = 36
    assert result.metrics["AUC"] == pytest.approx(28.5 / 36, abs=1e-15)
    # UserAUC: user 0: [4, 0] vs [1, 2] -> 2/4; user 1: 3 vs [1, 0] -> 1; user 3: [5, 4, 2] vs [1, 3] -> 5/6
    assert result.metrics["UserAUC"] == pytest.approx((0.5 + 1 + 5 / 6) / 3, abs=1e-15)


def test_without_negatives_there_are_no_auc_keys() -> None:
    result = evaluate_rankings([(np.arange(4), SCORES)], CONTEXT, POSITIVES, WEIGHTS, None, ks=(2,))
    assert list(result.metrics) == ["HR@2", "NDCG@2", "PSP@2", "Recall@2"]


def test_metric_names_default() -> None:
    assert metric_names((10, 100)) == [
        "HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "PSP@100",
        "Recall@10", "Recall@100", "AUC", "UserAUC",
    ]  # fmt: skip


def test_no_evaluated_user_gives_nan() -> None:
    result = evaluate_rankings([(np.array([2]), SCORES[2:3])], CONTEXT, POSITIVES, WEIGHTS, NEGATIVES)
    assert result.n_users_evaluated == 0 and result.n_users_skipped == 1
    assert all(math.isnan(value) for value in result.metrics.values())


def test_ranks_once_per_batch_at_the_largest_k(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    original = evaluate_module.top_k_items

    def spy(scores: np.ndarray, exclude: sp.csr_matrix, k: int) -> np.ndarray:
        calls.append((scores.shape[0], k))
        return original(scores, exclude, k)

    monkeypatch.setattr(evaluate_module, "top_k_items", spy)
    batches = [(np.array([0, 2]), SCORES[[0, 2]]), (np.array([3, 1]), SCORES[[3, 1]])]
    evaluate_rankings(batches, CONTEXT, POSITIVES, WEIGHTS, None, ks=(3, 1, 2))
    assert calls == [(1, 3), (2, 3)]  # user 2 (no positives) is never ranked


# --------------------------------------------------------------------------- random data vs reference


def _reference(
    scores: np.ndarray,
    context: sp.csr_matrix,
    positives: sp.csr_matrix,
    weights: np.ndarray,
    negatives: np.ndarray,
    ks: tuple[int, ...],
) -> tuple[dict[str, float], int, int]:
    """Per-user loops, straight from the formulas of docs/metrics.md."""
    n_users, n_items = scores.shape
    totals: dict[str, float] = {f"{m}@{k}": 0.0 for m in ("HR", "NDCG", "PSP", "Recall") for k in ks}
    pooled_pos: list[float] = []
    pooled_neg: list[float] = []
    user_aucs: list[float] = []
    evaluated = skipped = 0
    for u in range(n_users):
        pos = set(positives[u].indices.tolist())
        if not pos:
            skipped += 1
            continue
        evaluated += 1
        ctx = set(context[u].indices.tolist())
        ranking = sorted((i for i in range(n_items) if i not in ctx), key=lambda i: (-scores[u, i], i))
        for k in ks:
            top = ranking[:k]
            m = min(len(pos), k)
            found = [i for i in top if i in pos]
            totals[f"HR@{k}"] += len(found) / m
            totals[f"Recall@{k}"] += len(found) / len(pos)
            dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(top) if i in pos)
            idcg = sum(1 / math.log2(r + 2) for r in range(m))
            totals[f"NDCG@{k}"] += dcg / idcg
            best = sorted((weights[i] for i in pos), reverse=True)[:m]
            totals[f"PSP@{k}"] += (sum(weights[i] for i in found) / m) / sum(best)
        neg = [scores[u, i] for i in negatives[u] if i >= 0]
        ps = [scores[u, i] for i in sorted(pos)]
        pooled_pos += ps
        pooled_neg += neg
        if neg:
            wins = sum(1.0 if p > q else 0.5 if p == q else 0.0 for p in ps for q in neg)
            user_aucs.append(wins / (len(ps) * len(neg)))
    metrics = {name: 100 * total / evaluated for name, total in totals.items()}
    p, q = np.array(pooled_pos)[:, None], np.array(pooled_neg)[None, :]
    metrics["AUC"] = float(((p > q).sum() + 0.5 * (p == q).sum()) / (p.size * q.size))
    metrics["UserAUC"] = sum(user_aucs) / len(user_aucs)
    return metrics, evaluated, skipped


def _random_problem(seed: int) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_users, n_items = 64, 40
    draw = rng.random((n_users, n_items))
    context = draw < 0.25
    context[0, :35] = True  # user 0: 5 candidates only, fewer than k = 10
    positives = (draw >= 0.25) & (draw < 0.4)
    positives[0] = False
    positives[0, 36] = True
    positives[rng.random(n_users) < 0.1] = False  # some users without positives
    positives[1, 3] = context[1, 3] = True  # a positive that is also context: masked, never a hit
    scores = rng.integers(0, 6, (n_users, n_items)).astype(np.float32)  # heavy ties
    scores[::2] += rng.standard_normal((n_users // 2 + n_users % 2, n_items)).astype(np.float32)
    train = sp.csr_matrix(context)
    positives_csr = sp.csr_matrix(positives)
    weights = psp_item_weights(train)
    negatives = sample_auc_negatives(train, positives_csr, 12, seed=seed)
    return scores, train, positives_csr, weights, negatives


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_a_per_user_reference(seed: int) -> None:
    scores, context, positives, weights, negatives = _random_problem(seed)
    expected, evaluated, skipped = _reference(scores, context, positives, weights, negatives, (5, 10))
    result = evaluate_rankings(
        [(np.arange(len(scores)), scores)], context, positives, weights, negatives, ks=(5, 10)
    )
    assert (result.n_users_evaluated, result.n_users_skipped) == (evaluated, skipped)
    assert skipped > 0
    assert list(result.metrics) == list(expected)
    for name, value in expected.items():
        assert result.metrics[name] == pytest.approx(value, rel=0, abs=1e-12), name


def test_batching_does_not_change_the_result() -> None:
    scores, context, positives, weights, negatives = _random_problem(5)
    users = np.arange(len(scores))
    whole = evaluate_rankings([(users, scores)], context, positives, weights, negatives, ks=(5, 10))
    order = np.random.default_rng(0).permutation(len(scores))
    cuts = [0, 1, 8, 9, 30, 51, len(scores)]  # uneven batches, shuffled users
    batches = [(order[a:b], scores[order[a:b]]) for a, b in zip(cuts[:-1], cuts[1:])]
    split = evaluate_rankings(batches[::-1], context, positives, weights, negatives, ks=(10, 5))
    assert (split.n_users_evaluated, split.n_users_skipped) == (
        whole.n_users_evaluated,
        whole.n_users_skipped,
    )
    assert list(split.metrics) == list(whole.metrics)
    for name, value in whole.metrics.items():
        assert split.metrics[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


# --------------------------------------------------------------------------------------- errors


def _run(**overrides: object) -> EvaluationResult:
    arguments: dict[str, object] = {
        "score_batches": [(np.arange(4), SCORES)],
        "context": CONTEXT,
        "positives": POSITIVES,
        "psp_weights": WEIGHTS,
        "auc_negatives": NEGATIVES,
        "ks": (2, 3),
    }
    arguments.update(overrides)
    return evaluate_rankings(**arguments)  # type: ignore[arg-type]


def test_bad_k_raises() -> None:
    for ks in [(0,), (10, -1), ()]:
        with pytest.raises(WorkbenchError, match="k"):
            _run(ks=ks)
    with pytest.raises(WorkbenchError, match="k must be a positive integer"):
        _run(ks=(10, 0))


def test_shape_mismatches_raise_with_both_shapes() -> None:
    with pytest.raises(WorkbenchError, match=r"\(4, 6\).*\(4, 5\)"):
        _run(score_batches=[(np.arange(4), SCORES[:, :5])])
    with pytest.raises(WorkbenchError, match=r"\(4, 6\).*\(4, 7\)"):
        _run(positives=_csr([[0], [], [], []], 7))
    with pytest.raises(WorkbenchError, match=r"psp_weights must have shape \(6,\)"):
        _run(psp_weights=WEIGHTS[:5])
    with pytest.raises(WorkbenchError, match=r"auc_negatives must have shape \(4, n_negatives\)"):
        _run(auc_negatives=NEGATIVES[:3])


def test_bad_users_raise() -> None:
    with pytest.raises(WorkbenchError, match="more than one batch"):
        _run(score_batches=[(np.array([0, 1]), SCORES[:2]), (np.array([1]), SCORES[1:2])])
    with pytest.raises(WorkbenchError, match="repeat a user"):
        _run(score_batches=[(np.array([0, 0]), SCORES[:2])])
    with pytest.raises(WorkbenchError, match=r"must lie in 0 \.\. 3"):
        _run(score_batches=[(np.array([4]), SCORES[:1])])
