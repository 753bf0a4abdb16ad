"""`workbench.denoising.study`: noisy datasets, the experiment's rows against direct evaluations, summaries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.data import Dataset
from workbench.data.dataset import binary_csr
from workbench.denoising import study as denoising
from workbench.denoising.study import (
    COLUMNS,
    NOISE_KINDS,
    denoising_experiment,
    denoising_results,
    denoising_sentence,
    noise_rates,
    noisy_dataset,
    summarise_denoising,
)
from workbench.distill import DistillConfig
from workbench.samplers import SUMMARY_LAMBDAS
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import InfiniteAE
from workbench.denoising.noise import noise_count
from workbench.samplers import TrainingSample, parse_budget, run_sampler

TINY_DISTILL = DistillConfig(steps=2, draws=4, evaluate_every=2)
RATES = (0.0, 0.3)


def small_dataset(n_users: int = 60, n_items: int = 40, seed: int = 0) -> Dataset:
    """A disjoint split of a generated matrix: per user one test item, one validation item, the rest train."""
    matrix = random_binary_matrix(n_users, n_items, 0.2, seed=seed)
    rng = np.random.default_rng(seed)
    split_rows: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    split_cols: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for user in range(n_users):
        items = rng.permutation(matrix.indices[matrix.indptr[user] : matrix.indptr[user + 1]])
        for split, chosen in (("test", items[:1]), ("validation", items[1:2]), ("train", items[2:])):
            split_rows[split].extend([user] * len(chosen))
            split_cols[split].extend(chosen.tolist())
    matrices = {
        split: binary_csr(np.array(split_rows[split]), np.array(split_cols[split]), (n_users, n_items))
        for split in split_rows
    }
    return Dataset(
        name="tiny", user_ids=np.arange(n_users), item_ids=np.arange(n_items), source="generated",
        split_origin="generated split", **matrices,
    )


def pairs(matrix: sp.csr_matrix) -> set[tuple[int, int]]:
    coo = matrix.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist()))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return small_dataset()


def fake_summary(dataset: Dataset, sampler: str, budget: object, seed: int) -> TrainingSample:
    """Stands in for Distill-CF (each real distillation compiles its step: seconds): random real users,
    labelled as the sampler's (so that ∞-AE searches its downstream λ grid)."""
    sample = run_sampler("user-rns", dataset.train, parse_budget(budget), seed)
    return dataclasses.replace(sample, sampler=sampler).for_dataset(dataset)


class RecordingSampler:
    """A registry entry that records each call and returns :func:`fake_summary`."""

    def __init__(self, name: str, calls: list) -> None:
        self.name, self.calls = name, calls

    def config_from(self, candidates: tuple) -> object:
        return candidates[0]

    def __call__(self, dataset: Dataset, budget: object, seed: int, *, config: object, progress: bool) -> TrainingSample:
        self.calls.append((dataset, self.name, budget, seed, config))
        return fake_summary(dataset, self.name, budget, seed)


@pytest.fixture(scope="module")
def calls(dataset: Dataset) -> list[tuple[Dataset, str, object, int, DistillConfig]]:
    return []


@pytest.fixture(scope="module")
def frame(dataset: Dataset, calls: list) -> pd.DataFrame:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(denoising, "get_sampler", lambda name: RecordingSampler(name, calls))
        return denoising_experiment(dataset, rates=RATES, budget=8, seed=3, distill_config=TINY_DISTILL, progress=False)


def test_noise_rates_maps_a_kind_to_add_noise_rates() -> None:
    assert noise_rates("removal", 0.2) == (0.2, 0.0)
    assert noise_rates("false-positive", 0.2) == (0.0, 0.2)
    with pytest.raises(WorkbenchError, match="unknown noise kind 'flip'.*removal, false-positive"):
        noise_rates("flip", 0.1)


def test_noisy_dataset_changes_only_train(dataset: Dataset) -> None:
    noisy = noisy_dataset(dataset, "removal", 0.25, seed=0)
    assert noisy.validation is dataset.validation and noisy.test is dataset.test
    assert noisy.train.nnz == dataset.train.nnz - noise_count(0.25, dataset.train.nnz)
    assert pairs(noisy.train) <= pairs(dataset.train)
    assert "removal noise at rate 0.25 (seed 0)" in noisy.split_origin
    assert noisy.name == dataset.name


def test_false_positives_never_land_on_held_out_positives(dataset: Dataset) -> None:
    noisy = noisy_dataset(dataset, "false-positive", 2.0, seed=1)  # 2 × nnz: a third of the free pairs
    added = pairs(noisy.train) - pairs(dataset.train)
    assert len(added) == noise_count(2.0, dataset.train.nnz)
    assert not added & (pairs(dataset.validation) | pairs(dataset.test))


def test_rate_zero_is_the_clean_training_data(dataset: Dataset) -> None:
    for noise in NOISE_KINDS:
        assert (noisy_dataset(dataset, noise, 0.0, seed=0).train != dataset.train).nnz == 0


def test_the_frame_has_one_row_per_noise_rate_training_split_metric(frame: pd.DataFrame) -> None:
    assert tuple(frame.columns) == COLUMNS
    metrics = frame["metric"].nunique()
    assert len(frame) == len(NOISE_KINDS) * len(RATES) * 2 * 2 * metrics
    assert list(dict.fromkeys(frame["noise"])) == list(NOISE_KINDS)
    assert set(frame["training"]) == {"full", "distill-cf"}
    assert set(frame["budget"]) == {"100%", "8 users"}
    assert frame["value"].notna().all() and (frame["seed"] == 3).all()
    assert frame.groupby(["noise", "rate", "training", "split", "metric"]).size().eq(1).all()


def test_rate_zero_is_computed_once_and_shared_by_every_kind(frame: pd.DataFrame) -> None:
    clean = frame[frame["rate"] == 0.0]
    removal = clean[clean["noise"] == "removal"].drop(columns="noise").reset_index(drop=True)
    false_positive = clean[clean["noise"] == "false-positive"].drop(columns="noise").reset_index(drop=True)
    pd.testing.assert_frame_equal(removal, false_positive)


def test_interaction_counts_are_those_of_the_noise(frame: pd.DataFrame, dataset: Dataset) -> None:
    nnz = dataset.train.nnz
    counts = frame.groupby(["noise", "rate"])[["train_interactions", "interactions_removed", "interactions_added"]].first()
    assert tuple(counts.loc[("removal", 0.0)]) == (nnz, 0, 0)
    assert tuple(counts.loc[("removal", 0.3)]) == (nnz - noise_count(0.3, nnz), noise_count(0.3, nnz), 0)
    assert tuple(counts.loc[("false-positive", 0.3)]) == (nnz + noise_count(0.3, nnz), 0, noise_count(0.3, nnz))


def values(frame: pd.DataFrame, noise: str, rate: float, training: str, split: str) -> dict[str, float]:
    chosen = (frame["noise"] == noise) & (frame["rate"] == rate) & (frame["training"] == training)
    rows = frame[chosen & (frame["split"] == split)]
    return dict(zip(rows["metric"], rows["value"]))


def test_full_rows_are_infinite_ae_evaluated_on_the_noisy_dataset(frame: pd.DataFrame, dataset: Dataset) -> None:
    for noise, rate in (("removal", 0.0), ("removal", 0.3), ("false-positive", 0.3)):
        noisy = noisy_dataset(dataset, noise, rate, seed=3)
        report = evaluate_model(InfiniteAE(), noisy, seed=3, progress=False)
        assert values(frame, noise, rate, "full", "test") == pytest.approx(report.test, rel=1e-9, abs=1e-12)
        assert values(frame, noise, rate, "full", "validation") == pytest.approx(report.validation, rel=1e-9, abs=1e-12)
        chosen = frame[(frame["noise"] == noise) & (frame["rate"] == rate) & (frame["training"] == "full")]["lambda"]
        assert (chosen == report.hyperparameters["lambda"]).all()


def test_a_summary_is_made_once_per_distinct_setting_from_the_noisy_data(
    calls: list, frame: pd.DataFrame, dataset: Dataset
) -> None:
    assert len(calls) == 3  # clean (shared by both kinds), removal 0.3, false-positive 0.3
    made_from = [(call[0].train.nnz, call[1:]) for call in calls]
    nnz, removed = dataset.train.nnz, noise_count(0.3, dataset.train.nnz)
    assert made_from == [
        (nnz, ("distill-cf", parse_budget(8), 3, TINY_DISTILL)),
        (nnz - removed, ("distill-cf", parse_budget(8), 3, TINY_DISTILL)),
        (nnz + removed, ("distill-cf", parse_budget(8), 3, TINY_DISTILL)),
    ]
    assert calls[0][0].validation is dataset.validation and calls[1][0].test is dataset.test


def test_distill_cf_rows_are_infinite_ae_on_the_summary_with_the_summary_grid(frame: pd.DataFrame, dataset: Dataset) -> None:
    for noise in NOISE_KINDS:
        noisy = noisy_dataset(dataset, noise, 0.3, seed=3)
        sample = fake_summary(noisy, "distill-cf", 8, 3)
        report = evaluate_model(
            InfiniteAE(lambdas=SUMMARY_LAMBDAS), noisy, seed=3, train=sample.matrix, row_users=sample.row_users,
            progress=False,
        )
        assert values(frame, noise, 0.3, "distill-cf", "test") == pytest.approx(report.test, rel=1e-9, abs=1e-12)
        assert values(frame, noise, 0.3, "distill-cf", "validation") == pytest.approx(report.validation, rel=1e-9, abs=1e-12)


@pytest.mark.slow
def test_a_real_distillation_of_noisy_data(dataset: Dataset) -> None:
    frame = denoising_experiment(
        dataset, noises=["false-positive"], rates=[0.3], training=["distill-cf"], budget=8, seed=1,
        distill_config=TINY_DISTILL, progress=False,
    )
    assert len(frame) == 2 * frame["metric"].nunique() and set(frame["budget"]) == {"8 users"}
    ranking = frame[~frame["metric"].isin(["AUC", "UserAUC"])]["value"]
    assert ranking.between(0.0, 100.0).all() and ranking.max() > 0.0
    assert frame[frame["metric"].isin(["AUC", "UserAUC"])]["value"].between(0.0, 1.0).all()
    assert frame["lambda"].iloc[0] in SUMMARY_LAMBDAS


def test_heavy_removal_hurts_full_data_infinite_ae() -> None:
    dataset = small_dataset(150, 60, seed=1)
    frame = denoising_experiment(
        dataset, noises=["removal"], rates=[0.0, 0.8], training=["full"], seed=0, progress=False
    )
    test = frame[(frame["split"] == "test") & (frame["metric"] == "HR@10")].set_index("rate")["value"]
    assert test[0.8] < test[0.0]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"noises": ["flip"]}, "noises: unknown 'flip'"),
        ({"noises": []}, "noises: expected a non-empty list"),
        ({"noises": "removal"}, "noises: expected a non-empty list"),
        ({"training": ["ease"]}, "training: unknown 'ease'"),
        ({"rates": []}, "rates: expected a non-empty list"),
        ({"rates": [0.1, 0.1]}, "rates: each rate once"),
        ({"rates": [-0.1]}, "rates: expected finite numbers ≥ 0"),
        ({"rates": [float("nan")]}, "rates: expected finite numbers ≥ 0"),
        ({"rates": [1.5]}, "removal rate .* \\[0, 1\\]"),
        ({"rates": [0.0, 0.99]}, "rates: removing 0.99 .* would leave a user with none"),
        ({"rates": [0.0, 6.0], "noises": ["false-positive"]}, "rates: 6 × .* false positives are more than"),
        ({"budget": 1000}, "budget"),
        ({"budget": "0%"}, "budget"),
    ],
)
def test_bad_arguments_are_refused_before_any_work(
    dataset: Dataset, arguments: dict, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(denoising, "_evaluate", lambda *args: pytest.fail("a model was fitted before the check"))
    with pytest.raises(WorkbenchError, match=message):
        denoising_experiment(dataset, **{"rates": RATES, "budget": 8, "progress": False, **arguments})


def hand_frame() -> pd.DataFrame:
    rows = []
    numbers = {
        ("removal", 0.0): (30.0, 28.0), ("removal", 0.5): (15.0, 21.0),
        ("false-positive", 0.0): (30.0, 28.0), ("false-positive", 0.5): (27.0, 25.2),
    }
    for (noise, rate), (full, distilled) in numbers.items():
        for training, value in (("full", full), ("distill-cf", distilled)):
            for split in ("validation", "test"):
                rows.append({"noise": noise, "rate": rate, "training": training, "split": split, "metric": "HR@10",
                             "value": value if split == "test" else value + 1, "train_interactions": 1000 + int(rate * 100)})
    return pd.DataFrame(rows)


def test_summarise_gives_values_and_shares_of_the_clean_value() -> None:
    table = summarise_denoising(hand_frame(), "HR@10", "test").set_index(["noise", "rate"])
    assert table.loc[("removal", 0.5), "full"] == 15.0
    assert table.loc[("removal", 0.5), "full % of clean"] == pytest.approx(50.0)
    assert table.loc[("removal", 0.5), "distill-cf % of clean"] == pytest.approx(75.0)
    assert table.loc[("false-positive", 0.5), "distill-cf % of clean"] == pytest.approx(90.0)
    assert table.loc[("false-positive", 0.0), "full % of clean"] == pytest.approx(100.0)


def test_results_are_flat_keys_per_setting() -> None:
    results = denoising_results(hand_frame(), "HR@10", "test")
    assert results["removal 0 full"] == 30.0
    assert results["removal 0.5 distill-cf"] == 21.0
    assert results["false-positive 0.5 full"] == 27.0
    assert results["removal 0.5 train_interactions"] == 1050
    assert denoising_results(hand_frame(), "HR@10", "validation")["removal 0 full"] == 31.0


def test_sentence_says_which_degrades_less() -> None:
    sentence = denoising_sentence(hand_frame(), "HR@10", "test")
    assert "With 50 % of the interactions removed" in sentence
    assert "keeps 50.0 % of its clean test HR@10 (30.00 → 15.00)" in sentence
    assert "the Distill-CF summary degrades less (25.0 points)" in sentence
    assert "With 50 % false positives added" in sentence and "The two degrade alike (within 0.0 points)" in sentence


def test_summaries_refuse_what_is_not_in_the_frame() -> None:
    with pytest.raises(WorkbenchError, match="no test NDCG@10.*metrics: HR@10"):
        summarise_denoising(hand_frame(), "NDCG@10", "test")
    with pytest.raises(WorkbenchError, match="lacks the columns noise"):
        denoising_results(hand_frame().drop(columns="noise"))
