"""LightGCN's protocol on datasets with LightGCN's split: Recall@20 and NDCG@20 next to the paper's metrics.

On a small generated LightGCN-format folder (``train.txt`` / ``test.txt``, ``user item item ...``):
the workbench's test Recall@20 and NDCG@20 equal an independent implementation of LightGCN's
formulas (``RecallPrecision_ATk`` and ``NDCGatK_r`` of LightGCN-PyTorch's ``code/utils.py``), and the
CLI prints and writes them next to LightGCN's published figures.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.data import load_data_file, load_dataset
from workbench.evaluation import (
    EvaluationConfig,
    EvaluationData,
    config_for,
    evaluate_fitted,
    has_lightgcn_split,
)
from workbench.reference import LIGHTGCN_PUBLISHED, lightgcn_split_metrics

N_USERS, N_ITEMS = 50, 120


def write_lightgcn_folder(folder: Path, seed: int = 0) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """``train.txt`` and ``test.txt`` in ``folder``; returns (train, test) as {user: items}.

    Every third user has 25..40 test items (more than k = 20), the others 1..12; 15..40 train items
    each, disjoint from the test items; every item id 0 .. N_ITEMS − 1 occurs somewhere, so the
    workbench's item set is LightGCN's 0 .. m_items − 1.
    """
    rng = np.random.default_rng(seed)
    train: dict[int, list[int]] = {}
    test: dict[int, list[int]] = {}
    for user in range(N_USERS):
        n_test = int(rng.integers(25, 41)) if user % 3 == 0 else int(rng.integers(1, 13))
        items = rng.permutation(N_ITEMS)
        test[user] = sorted(items[:n_test].tolist())
        train[user] = sorted(items[n_test : n_test + int(rng.integers(15, 41))].tolist())
    seen = {item for items in (*train.values(), *test.values()) for item in items}
    for item in sorted(set(range(N_ITEMS)) - seen):  # make every id occur (in a user's train, not test)
        user = next(u for u in range(N_USERS) if item not in test[u])
        train[user] = sorted({*train[user], item})
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in (("train.txt", train), ("test.txt", test)):
        (folder / name).write_text("".join(f"{user} {' '.join(map(str, items))}\n" for user, items in rows.items()))
    return train, test


def lightgcn_recall_ndcg(
    scores: np.ndarray, train: dict[int, list[int]], test: dict[int, list[int]], k: int = 20
) -> tuple[float, float]:
    """LightGCN's Recall@k and NDCG@k (×100), from its definitions, user by user.

    Per test user: all items ranked by score with the user's train.txt items excluded; r = hits of
    the top k; Recall = Σr / |test items| (not min(|test items|, k)); NDCG = Σ r_i / log2(i + 2)
    over the ideal Σ_{i < min(|test items|, k)} 1 / log2(i + 2). Both averaged over test users.
    """
    recalls, ndcgs = [], []
    for user, positives in test.items():
        row = scores[user].astype(np.float64).copy()
        row[train[user]] = -np.inf
        ranked = [int(item) for item in np.argsort(-row, kind="stable")[:k]]
        relevant = set(positives)
        r = [1.0 if item in relevant else 0.0 for item in ranked]
        recalls.append(sum(r) / len(positives))
        dcg = sum(hit / math.log2(i + 2) for i, hit in enumerate(r))
        idcg = sum(1.0 / math.log2(i + 2) for i in range(min(len(positives), k)))
        ndcgs.append(dcg / idcg)
    return 100.0 * float(np.mean(recalls)), 100.0 * float(np.mean(ndcgs))


class FixedScores:
    """A fitted model whose scores are a fixed (raw user × raw item) matrix, read through the dataset's ids."""

    hyperparameters: dict[str, float] = {}

    def __init__(self, raw_scores: np.ndarray, user_ids: np.ndarray, item_ids: np.ndarray) -> None:
        self.raw_scores, self.user_ids, self.item_ids = raw_scores, np.asarray(user_ids), np.asarray(item_ids)

    def score(self, users: np.ndarray, context: object) -> np.ndarray:
        return self.raw_scores[np.ix_(self.user_ids[users], self.item_ids)]


@pytest.fixture
def lightgcn_dir(tmp_path: Path) -> tuple[Path, dict[int, list[int]], dict[int, list[int]]]:
    train, test = write_lightgcn_folder(tmp_path / "data" / "lightgcn-gowalla")
    return tmp_path / "data", train, test


def test_generated_users_straddle_k(lightgcn_dir: tuple[Path, dict, dict]) -> None:
    _, _, test = lightgcn_dir
    sizes = [len(items) for items in test.values()]
    assert min(sizes) < 20 < max(sizes)


@pytest.mark.parametrize("seed", [0, 1])
def test_recall_and_ndcg_at_20_match_lightgcn_formulas(lightgcn_dir: tuple[Path, dict, dict], seed: int) -> None:
    data_dir, train, test = lightgcn_dir
    dataset = load_dataset("gowalla", data_dir=data_dir, seed=seed)
    assert has_lightgcn_split(dataset) and dataset.n_items == N_ITEMS
    config = config_for(dataset)
    assert config.ks == (10, 20, 100) and config.selection_metric == "HR@100"

    raw_scores = np.random.default_rng(seed + 10).random((N_USERS, N_ITEMS))  # continuous: no ties
    fitted = FixedScores(raw_scores, dataset.user_ids, dataset.item_ids)
    data = EvaluationData.prepare(dataset, seed=seed, config=config)
    result = evaluate_fitted(fitted, data, "test", config)

    expected_recall, expected_ndcg = lightgcn_recall_ndcg(raw_scores, train, test)
    assert result.n_users_evaluated == len(test)
    assert result.metrics["Recall@20"] == pytest.approx(expected_recall, rel=1e-12)
    assert result.metrics["NDCG@20"] == pytest.approx(expected_ndcg, rel=1e-12)
    # The paper's HR@20 (denominator min(|P|, 20)) differs from LightGCN's Recall@20 here, since some
    # users have more than 20 test items: the two are not interchangeable.
    assert result.metrics["HR@20"] > result.metrics["Recall@20"]


def test_adding_k_20_changes_no_other_metric(lightgcn_dir: tuple[Path, dict, dict]) -> None:
    data_dir, _, _ = lightgcn_dir
    dataset = load_dataset("gowalla", data_dir=data_dir)
    raw_scores = np.random.default_rng(3).random((N_USERS, N_ITEMS))
    fitted = FixedScores(raw_scores, dataset.user_ids, dataset.item_ids)
    plain, extended = EvaluationConfig(), config_for(dataset)
    data = EvaluationData.prepare(dataset, seed=0, config=plain)
    for split in ("validation", "test"):
        before = evaluate_fitted(fitted, data, split, plain).metrics
        after = evaluate_fitted(fitted, data, split, extended).metrics
        assert {name: after[name] for name in before} == before


def test_datasets_without_lightgcn_split_keep_their_config(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    rng = np.random.default_rng(0)
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in range(30) for i in rng.choice(40, 8, replace=False)))
    dataset = load_data_file(path)
    assert not has_lightgcn_split(dataset)
    assert config_for(dataset) == EvaluationConfig()


@pytest.mark.parametrize(("dataset", "models"), [
    ("gowalla", ["--models", "poprec"]),
    ("yelp2018", ["--models", "ease", "--lambdas", "10"]),
    ("gowalla", ["--models", "gf-cf"]),
])
def test_reproduce_shows_both_protocols(
    tmp_path: Path, dataset: str, models: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    write_lightgcn_folder(tmp_path / "data" / f"lightgcn-{dataset}")
    output = tmp_path / "results.json"
    status = main(["reproduce", "--dataset", dataset, "--data-dir", str(tmp_path / "data"), *models,
                   "--no-progress", "--output", str(output)])
    assert status == 0
    printed = capsys.readouterr().out
    published = LIGHTGCN_PUBLISHED[dataset]
    assert "∞-AE paper's protocol" in printed and "HR@10" in printed and "NDCG@10" in printed
    assert "LightGCN protocol: Recall@20, NDCG@20" in printed and "published LightGCN" in printed
    assert f"{published['Recall@20']:.2f}" in printed and f"{published['NDCG@20']:.2f}" in printed

    (report,) = json.loads(output.read_text())
    test = report["test"]
    for metric in ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "AUC", "Recall@20", "NDCG@20"):
        assert np.isfinite(test[metric])
    protocol = report["lightgcn_protocol"]
    assert protocol["test"] == {"Recall@20": test["Recall@20"], "NDCG@20": test["NDCG@20"]}
    assert protocol["published_lightgcn"] == dict(published)
    summary = printed[printed.rindex("LightGCN protocol: Recall@20, NDCG@20, test"):]
    row = next(line for line in summary.splitlines() if line.startswith(report["model"]))
    own = lightgcn_split_metrics(dataset, report["model"])  # the model's own published figures (GF-CF's)
    assert row.split()[1:] == [
        f"{test['Recall@20']:.2f}", f"{published['Recall@20']:.2f}", f"{test['Recall@20'] - published['Recall@20']:+.2f}",
        f"{own['Recall@20']:.2f}" if own else "—",
        f"{test['NDCG@20']:.2f}", f"{published['NDCG@20']:.2f}", f"{test['NDCG@20'] - published['NDCG@20']:+.2f}",
        f"{own['NDCG@20']:.2f}" if own else "—",
    ]
    if own:
        assert "own: Shen et al., GF-CF, CIKM 2021 (gf-cf)" in summary
        assert f"{own['Recall@20']:>11.2f}" in printed and "own paper: Shen et al., GF-CF, CIKM 2021" in printed


def test_reproduce_elsewhere_has_no_lightgcn_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.csv"
    rng = np.random.default_rng(0)
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in range(30) for i in rng.choice(40, 8, replace=False)))
    output = tmp_path / "results.json"
    assert main(["reproduce", "--data-file", str(path), "--models", "poprec", "--no-progress", "--output", str(output)]) == 0
    assert "LightGCN" not in capsys.readouterr().out
    (report,) = json.loads(output.read_text())
    assert "lightgcn_protocol" not in report and "Recall@20" not in report["test"]
