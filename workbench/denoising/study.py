"""Denoising: ∞-AE on noisy training data, against ∞-AE on a Distill-CF summary of the same noisy data.

Not in the paper's code. For each noise kind and rate, :func:`noisy_dataset` corrupts the training
matrix with :func:`workbench.denoising.noise.add_noise` (``removal``: interactions removed; ``false-positive``:
random non-interactions added) and keeps the dataset's validation and test splits clean. Then, on
that noisy dataset, :func:`denoising_experiment` evaluates

* ``full``: ∞-AE fitted on all of the noisy training data, and
* ``distill-cf``: ∞-AE fitted on a Distill-CF summary of μ synthetic users distilled from it,

each with its λ chosen on validation HR@100 and test evaluated once (the paper's protocol,
:func:`workbench.evaluation.evaluate_model`), exactly as a point of a budget curve is evaluated
(:func:`workbench.budget.runs.evaluate_point`). What a model sees of a user when scoring (and what is
masked from its ranking) is the user's *noisy* training row: the noise is in the data the system
observes, the held-out interactions it is judged on are not noisy. False positives are never drawn
on a validation or test positive (they would mask it).

The rate-0 setting is the clean data: computed once and reported under every noise kind. One seed
drives the noise, the distillation and the evaluation, and for one seed a lower rate's noise is a
subset of a higher rate's (:mod:`workbench.denoising.noise`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.distill import DistillConfig
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_on_sample
from workbench.budget.runs import FULL_DATA
from workbench.denoising.noise import add_noise, interaction_changes, noise_count, noise_limits
from workbench.samplers import DISTILL_CF, SAMPLER_NAMES, Budget, get_sampler, parse_budget

#: Noise kinds: interactions removed, or random non-interactions added as false positives.
NOISE_KINDS: tuple[str, ...] = ("removal", "false-positive")
#: What ∞-AE is fitted on by default: all of the (noisy) training data, or a Distill-CF summary of it.
#: Any registered sampler may stand in for Distill-CF (``training=("full", "user-rns")``).
TRAINING_DATA: tuple[str, ...] = (FULL_DATA, DISTILL_CF)
MODEL = "infinite-ae"

COLUMN_TYPES: dict[str, str] = {
    "dataset": "string", "noise": "string", "rate": "float64", "training": "string", "budget": "string",
    "seed": "int64", "split": "string", "metric": "string", "value": "float64", "lambda": "float64",
    "train_interactions": "int64", "interactions_removed": "int64", "interactions_added": "int64",
    "seconds": "float64",
}
COLUMNS: tuple[str, ...] = tuple(COLUMN_TYPES)


def check_noise(noise: str) -> str:
    """``noise`` if it is one of :data:`NOISE_KINDS`; else a :class:`WorkbenchError` listing them."""
    if noise not in NOISE_KINDS:
        raise WorkbenchError(f"unknown noise kind {noise!r}; valid kinds: {', '.join(NOISE_KINDS)}")
    return noise


def noise_rates(noise: str, rate: float) -> tuple[float, float]:
    """(removal_rate, false_positive_rate) of :func:`workbench.denoising.noise.add_noise` for one noise setting."""
    check_noise(noise)
    return (rate, 0.0) if noise == "removal" else (0.0, rate)


def noisy_dataset(dataset: Dataset, noise: str, rate: float, seed: int) -> Dataset:
    """``dataset`` with noisy training data and its clean validation and test splits.

    ``removal``: ``round(rate × nnz)`` training interactions removed (every user keeps at least one);
    ``false-positive``: ``round(rate × nnz)`` random pairs that are in none of train, validation and
    test added to train. See :func:`workbench.denoising.noise.add_noise`. At rate 0 the training matrix is
    unchanged. The returned dataset's ``split_origin`` says what was done.
    """
    removal_rate, false_positive_rate = noise_rates(noise, rate)
    held_out = dataset.validation + dataset.test
    train = add_noise(
        dataset.train, removal_rate=removal_rate, false_positive_rate=false_positive_rate, seed=seed, exclude=held_out
    )
    origin = f"{dataset.split_origin}; training data with {noise} noise at rate {rate:g} (seed {seed})"
    return dataclasses.replace(dataset, train=train, split_origin=origin)


def _check_rates(rates: Sequence[float]) -> tuple[float, ...]:
    if isinstance(rates, (str, bytes)) or not isinstance(rates, Sequence) or len(rates) == 0:
        raise WorkbenchError(f"rates: expected a non-empty list of noise rates such as [0.0, 0.1, 0.3], got {rates!r}")
    checked = []
    for rate in rates:
        number = not isinstance(rate, bool) and isinstance(rate, (int, float, np.integer, np.floating))
        if not number or not np.isfinite(rate) or rate < 0:
            raise WorkbenchError(
                f"rates: expected finite numbers ≥ 0 (fractions of the training interactions), got {rate!r}"
            )
        checked.append(float(rate))
    if len(set(checked)) != len(checked):
        raise WorkbenchError(f"rates: each rate once, got {list(checked)}")
    return tuple(checked)


def _check_names(values: Sequence[str], valid: Sequence[str], parameter: str) -> tuple[str, ...]:
    if isinstance(values, str) or len(values) == 0:
        raise WorkbenchError(f"{parameter}: expected a non-empty list from {', '.join(valid)}, got {values!r}")
    for value in values:
        if value not in valid:
            raise WorkbenchError(f"{parameter}: unknown {value!r}; valid: {', '.join(valid)}")
    if len(set(values)) != len(values):
        raise WorkbenchError(f"{parameter}: each name once, got {list(values)}")
    return tuple(values)


def _evaluate(
    dataset: Dataset, training: str, budget: Budget, seed: int, distill_config: DistillConfig
) -> list[dict[str, Any]]:
    """Rows (split, metric, value, budget, lambda) of ∞-AE trained on ``training`` of ``dataset``."""
    if training == FULL_DATA:
        sample, budget_label = None, "100%"
    else:
        spec = get_sampler(training)
        sample = spec(dataset, budget, seed, config=spec.config_from((distill_config,)), progress=False)
        budget_label = budget.label
    report = evaluate_on_sample(MODEL, dataset, sample, seed=seed)
    lam = float(report.hyperparameters.get("lambda", np.nan))
    return [
        {"budget": budget_label, "split": split, "metric": metric, "value": float(value), "lambda": lam}
        for split, metrics in (("validation", report.validation), ("test", report.test))
        for metric, value in metrics.items()
    ]


def denoising_experiment(
    dataset: Dataset,
    *,
    noises: Sequence[str] = NOISE_KINDS,
    rates: Sequence[float] = (0.0, 0.1, 0.3),
    budget: Budget | str | int | float = 500,
    seed: int = 0,
    distill_config: DistillConfig = DistillConfig(),
    training: Sequence[str] = TRAINING_DATA,
    progress: bool = True,
) -> pd.DataFrame:
    """∞-AE on noisy full data and on a Distill-CF summary of it, for every noise kind and rate.

    Args:
        dataset: the clean dataset; its validation and test splits are used as they are.
        noises: noise kinds, from :data:`NOISE_KINDS`.
        rates: noise rates, fractions of the clean training interactions (removal: removed, ≤ 1;
            false-positive: added); 0 is the clean data, run once whatever the number of kinds.
        budget: Distill-CF's μ, a number of synthetic users (``500``) or a share of users (``"2%"``).
        seed: seeds the noise, the distillation and the evaluation (AUC negatives).
        distill_config: Distill-CF's other settings (its ``budget`` is replaced by ``budget``).
        training: what ∞-AE is fitted on: ``"full"`` and registered sampler names (default :data:`TRAINING_DATA`).
        progress: show a progress bar over the (setting, training data) points.

    Returns:
        A tidy frame, one row per noise kind × rate × training data × split × metric, columns
        :data:`COLUMNS`: ``dataset``; ``noise``; ``rate``; ``training`` ("full" or a sampler's name);
        ``budget`` ("100%" for full, else the budget's label); ``seed``; ``split`` ("validation",
        "test"); ``metric`` (HR@10 … UserAUC, ranking metrics ×100, AUC in [0, 1]); ``value``;
        ``lambda`` (the λ chosen on validation); ``train_interactions`` (nnz of the noisy training
        matrix); ``interactions_removed`` / ``interactions_added`` (against the clean one);
        ``seconds`` (distillation and evaluation of that point). Rows are in the order of
        ``noises`` × ``rates`` × ``training``.

    Raises:
        WorkbenchError: an unknown noise kind or training data, a bad rate or budget, or noise the
            data cannot take (see :func:`workbench.denoising.noise.add_noise`), before any model is fitted.
    """
    noises = _check_names(noises, NOISE_KINDS, "noises")
    training = _check_names(training, (FULL_DATA, *SAMPLER_NAMES), "training")
    rates = _check_rates(rates)
    budget = parse_budget(budget)
    if set(training) - {FULL_DATA}:
        budget.n_users(dataset.n_users)  # a count above the number of users fails now
    # One noise setting per distinct (removal_rate, false_positive_rate): rate 0 is shared by every kind.
    settings = {(noise, rate): noise_rates(noise, rate) for noise in noises for rate in rates}
    most_removed, most_added = noise_limits(dataset.train, exclude=dataset.validation + dataset.test)
    nnz = int(dataset.train.nnz)
    for (noise, rate), (removal_rate, false_positive_rate) in settings.items():
        if removal_rate > 1.0:
            raise WorkbenchError(f"rates: a removal rate is a fraction of the interactions in [0, 1], got {rate:g}")
        if noise_count(removal_rate, nnz) > most_removed:
            raise WorkbenchError(
                f"rates: removing {rate:g} of the {nnz} training interactions would leave a user with none "
                f"(at most {most_removed / nnz:.4g} can be removed while every user keeps one)"
            )
        if noise_count(false_positive_rate, nnz) > most_added:
            raise WorkbenchError(
                f"rates: {rate:g} × {nnz} false positives are more than the {most_added} free (user, item) pairs"
            )
    distinct = list(dict.fromkeys(settings.values()))
    names = {key: next(setting for setting, rates_ in settings.items() if rates_ == key) for key in distinct}

    computed: dict[tuple[float, float], list[dict[str, Any]]] = {}
    bar = tqdm(total=len(distinct) * len(training), desc=f"denoising on {dataset.name}", disable=not progress, unit="point")
    for key in distinct:
        noise, rate = names[key]
        noisy = noisy_dataset(dataset, noise, rate, seed)
        removed, added = interaction_changes(dataset.train, noisy.train)
        rows: list[dict[str, Any]] = []
        for data in training:
            bar.set_postfix({"noise": "none" if rate == 0 else noise, "rate": f"{rate:g}", "training": data})
            started = time.perf_counter()
            point = _evaluate(noisy, data, budget, seed, distill_config)
            seconds = time.perf_counter() - started
            rows.extend(
                {**row, "training": data, "train_interactions": int(noisy.train.nnz), "interactions_removed": removed,
                 "interactions_added": added, "seconds": seconds}
                for row in point
            )
            bar.update(1)
        computed[key] = rows
    bar.close()

    frame = pd.DataFrame(
        [
            {"dataset": dataset.name, "noise": noise, "rate": rate, "seed": seed, **row}
            for (noise, rate), key in settings.items()
            for row in computed[key]
        ],
        columns=list(COLUMNS),
    )
    return frame.astype(COLUMN_TYPES)


def _select(frame: pd.DataFrame, metric: str, split: str) -> pd.DataFrame:
    missing = [column for column in ("noise", "rate", "training", "split", "metric", "value") if column not in frame.columns]
    if missing:
        raise WorkbenchError(f"not a denoising frame: it lacks the columns {', '.join(missing)}")
    selected = frame[(frame["metric"] == metric) & (frame["split"] == split)]
    if selected.empty:
        raise WorkbenchError(
            f"no {split} {metric} in the frame; metrics: {', '.join(map(str, frame['metric'].unique()))}; "
            f"splits: {', '.join(map(str, frame['split'].unique()))}"
        )
    return selected


def summarise_denoising(frame: pd.DataFrame, metric: str = "HR@10", split: str = "test") -> pd.DataFrame:
    """A table: one row per noise kind and rate; for each training data the metric, and the metric as
    a percentage of its value at rate 0 of the same kind (``"<training> % of clean"``; NaN without rate 0).

    Args:
        frame: from :func:`denoising_experiment`.
        metric, split: which value to show.
    """
    selected = _select(frame, metric, split)
    table = selected.pivot_table(index=["noise", "rate"], columns="training", values="value", aggfunc="mean", sort=False)
    table.columns = [str(column) for column in table.columns]
    trainings = list(table.columns)
    table = table.reset_index()
    for data in trainings:
        clean = table[table["rate"] == 0.0].set_index("noise")[data]
        table[f"{data} % of clean"] = 100.0 * table[data] / table["noise"].map(clean).astype("float64")
    return table


def denoising_results(frame: pd.DataFrame, metric: str = "HR@10", split: str = "test") -> dict[str, float | int]:
    """Flat key numbers for a notebook to record (rates written with ``:g``):

    * ``"<noise> <rate> <training>"`` → the metric, e.g. ``"removal 0.3 distill-cf": 27.1``;
    * ``"<noise> <rate> train_interactions"`` → nnz of that noisy training matrix (when the frame has it).
    """
    selected = _select(frame, metric, split)
    results: dict[str, float | int] = {}
    for row in selected.itertuples(index=False):
        results[f"{row.noise} {row.rate:g} {row.training}"] = float(row.value)
        if "train_interactions" in selected.columns:
            results[f"{row.noise} {row.rate:g} train_interactions"] = int(getattr(row, "train_interactions"))
    return results


def _training_name(training: str) -> str:
    """How a sentence names what ∞-AE was fitted on: "the full data", "the Distill-CF summary", "the User RNS sample"."""
    if training == FULL_DATA:
        return "the full data"
    spec = get_sampler(training)
    return f"the {spec.label} {'summary' if spec.synthetic else 'sample'}"


def denoising_sentence(frame: pd.DataFrame, metric: str = "HR@10", split: str = "test") -> str:
    """One sentence per noise kind, at its highest rate: how much of its clean-data ``metric`` each
    training data keeps, and which keeps more. Needs rate 0 in the frame (else says so)."""
    table = summarise_denoising(frame, metric, split)
    trainings = [column for column in (FULL_DATA, *SAMPLER_NAMES) if column in table.columns]
    sentences = []
    for noise, rows in table.groupby("noise", sort=False):
        clean = rows[rows["rate"] == 0.0]
        noisy = rows[rows["rate"] > 0.0]
        if clean.empty or noisy.empty:
            sentences.append(f"{noise}: rate 0 and a rate above 0 are both needed for a comparison.")
            continue
        worst = noisy.loc[noisy["rate"].idxmax()]
        what = "of the interactions removed" if noise == "removal" else "false positives added"
        parts = [
            f"∞-AE on {_training_name(data)} keeps "
            f"{worst[f'{data} % of clean']:.1f} % of its clean {split} {metric} "
            f"({clean.iloc[0][data]:.2f} → {worst[data]:.2f})"
            for data in trainings
        ]
        sentence = f"With {worst['rate'] * 100:g} % {what}, " + ", and ".join(parts) + "."
        if len(trainings) == 2:
            retained = {data: worst[f"{data} % of clean"] for data in trainings}
            better = max(retained, key=retained.__getitem__)
            gap = abs(retained[trainings[0]] - retained[trainings[1]])
            name = _training_name(better)
            sentence += (
                f" The two degrade alike (within {gap:.1f} points)." if gap < 1.0
                else f" Relative to its own clean value, {name} degrades less ({gap:.1f} points)."
            )
        sentences.append(sentence)
    return " ".join(sentences)


__all__: Sequence[str] = (
    "COLUMNS", "NOISE_KINDS", "TRAINING_DATA", "denoising_experiment", "denoising_results", "denoising_sentence",
    "noise_rates", "noisy_dataset", "summarise_denoising",
)
