"""How much of ∞-AE's quality does a support of m users keep? Nyström landmarks against a random sample.

For each fraction f of the users and each support method, ∞-AE is fitted with m = round(f·n)
users carrying the model, λ is chosen on validation (all users), and test is evaluated once:

* "sample" — fit on m random users only and discard the others' rows (the authors' choice on
  Netflix, where they kept 5 %);
* "nystrom" — the same m users as landmarks, every user still a regression target
  (``workbench.models.nystrom``).

Both methods draw the same m users for a given seed, so the comparison isolates what the other
users' rows are worth. One more row, method "full", is the model on all users (or a given report of it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import ModelReport, config_for, evaluate_model
from workbench.models import InfiniteAE

SUPPORT_METHODS: tuple[str, ...] = ("sample", "nystrom")


@dataclass(frozen=True)
class SupportStudyConfig:
    """The grid of the study.

    Attributes:
        fractions: shares of the users that carry the model, each in (0, 1].
        methods: among "sample" and "nystrom".
        model: the ∞-AE configuration (its λ grid, dtype, ...); user_support and support_method are set per point.
    """

    fractions: tuple[float, ...] = (0.01, 0.05, 0.2)
    methods: tuple[str, ...] = SUPPORT_METHODS
    model: InfiniteAE = InfiniteAE()

    def __post_init__(self) -> None:
        if not self.fractions:
            raise WorkbenchError("fractions: give at least one share of the users, e.g. 0.05")
        for fraction in self.fractions:
            if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
                raise WorkbenchError(f"fractions: each must be a number in (0, 1], got {fraction!r}")
        for method in self.methods:
            if method not in SUPPORT_METHODS:
                raise WorkbenchError(f"methods: each must be one of {', '.join(SUPPORT_METHODS)}, got {method!r}")


def _row(report: ModelReport, dataset: Dataset, method: str, fraction: float, users: int, seconds: float) -> dict:
    return {
        "dataset": dataset.name,
        "split": dataset.split_origin,
        "seed": report.seed,
        "method": method,
        "fraction": fraction,
        "support_users": users,
        "lambda": report.hyperparameters.get("lambda"),
        "seconds": seconds,
        **{f"test {name}": value for name, value in report.test.items()},
        **{f"validation {name}": value for name, value in report.validation.items()},
    }


def support_curve(
    dataset: Dataset,
    config: SupportStudyConfig = SupportStudyConfig(),
    *,
    seed: int = 0,
    full: ModelReport | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """One row per (method, fraction), plus the full model's: test and validation metrics, λ, seconds.

    Args:
        dataset: the data and its split.
        config: fractions, methods and the ∞-AE configuration.
        seed: draws the support users (the same for both methods) and the AUC negatives.
        full: the full model's report, when already computed; otherwise it is evaluated here.
        progress: show a progress bar over the points.

    Returns:
        A frame with columns dataset, split, seed, method, fraction, support_users, lambda,
        seconds, "test <metric>" and "validation <metric>" for every metric.
    """
    evaluation = config_for(dataset)
    points = [(method, fraction) for fraction in config.fractions for method in config.methods]
    rows = []
    if full is None:
        started = time.perf_counter()
        full = evaluate_model(config.model, dataset, seed=seed, config=evaluation, progress=False)
        full_seconds = time.perf_counter() - started
    else:
        full_seconds = full.seconds["total"]
    rows.append(_row(full, dataset, "full", 1.0, dataset.n_users, full_seconds))
    for method, fraction in tqdm(points, desc=f"support study on {dataset.name}", disable=not progress, unit="point"):
        users = max(1, min(dataset.n_users, round(fraction * dataset.n_users)))
        model = replace(config.model, user_support=users, support_method=method)
        started = time.perf_counter()
        report = evaluate_model(model, dataset, seed=seed, config=evaluation, progress=False)
        rows.append(_row(report, dataset, method, fraction, users, time.perf_counter() - started))
    return pd.DataFrame(rows)


def support_table(frame: pd.DataFrame, metric: str = "NDCG@10") -> pd.DataFrame:
    """The test ``metric`` per fraction (rows) and method (columns), with the full model's value beside."""
    column = f"test {metric}"
    if column not in frame:
        raise WorkbenchError(f"metric: {metric!r} is not in the study's results; available: "
                             + ", ".join(name.removeprefix("test ") for name in frame if name.startswith("test ")))
    parts = frame[frame["method"] != "full"]
    table = parts.pivot_table(index=["fraction", "support_users"], columns="method", values=column).reset_index()
    full = frame.loc[frame["method"] == "full", column]
    table["full"] = float(full.iloc[0]) if len(full) else float("nan")
    return table


def support_results(frame: pd.DataFrame, metric: str = "NDCG@10") -> dict:
    """JSON-ready results for a notebook: the table's cells keyed by method and fraction."""
    table = support_table(frame, metric)
    results: dict = {"metric": metric, "full": float(table["full"].iloc[0])}
    for method in (name for name in SUPPORT_METHODS if name in table):
        results[method] = {f"{fraction:g}": float(value) for fraction, value in zip(table["fraction"], table[method], strict=True)}
    return results


def support_methods_in(frame: pd.DataFrame) -> Sequence[str]:
    return [method for method in SUPPORT_METHODS if method in set(frame["method"])]
