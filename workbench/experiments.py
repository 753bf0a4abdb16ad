"""Data-budget experiments: train models on samples or summaries of a dataset, evaluate on its split.

:func:`make_training_sample` gives any sampler one signature, Distill-CF included (it needs the
whole dataset: its inner λ is chosen on validation). :func:`budget_curve` runs the grid
dataset × sampler × budget × seed × model and writes one tidy row per split and metric to a
parquet or CSV file after every point, so that re-running the same command skips what is done, an
interruption loses at most the point in progress, and a point that fails is reported while the
others still run. The budget "100%" is the full training data, run once per seed and model under
the sampler name ``full``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.distill import SUMMARY_LAMBDAS, DistillConfig, distill
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import MODEL_NAMES, make_model
from workbench.samplers import SAMPLER_NAMES, Budget, TrainingSample, build_sample, parse_budget, run_sampler

EXPERIMENT_SAMPLERS: tuple[str, ...] = (*SAMPLER_NAMES, "distill-cf")
FULL_DATA = "full"
POINT_COLUMNS = ("dataset", "sampler", "budget", "seed", "model", "settings")
COLUMN_TYPES = {
    "dataset": "string", "sampler": "string", "budget": "string", "seed": "int64", "model": "string",
    "settings": "string", "split": "string",
    "metric": "string", "value": "float64", "fraction_users": "float64", "fraction_interactions": "float64", "seconds": "float64",
}
COLUMNS = tuple(COLUMN_TYPES)


def check_sampler(name: str) -> str:
    if name not in EXPERIMENT_SAMPLERS:
        raise WorkbenchError(f"unknown sampler {name!r}; valid samplers: {', '.join(EXPERIMENT_SAMPLERS)}")
    return name


def make_training_sample(
    dataset: Dataset,
    sampler: str,
    budget: Budget | str | int | float,
    seed: int,
    *,
    distill_config: DistillConfig = DistillConfig(),
    progress: bool = True,
) -> TrainingSample:
    """The training data a sampler gives at a budget: a real-user sample or a Distill-CF summary.

    For ``distill-cf`` the budget's number of users is μ, and ``distill_config`` gives the rest.
    """
    check_sampler(sampler)
    budget = parse_budget(budget)
    if sampler != "distill-cf":
        return run_sampler(sampler, dataset.train, budget, seed)
    size = budget.n_users(dataset.n_users)
    result = distill(dataset, dataclasses.replace(distill_config, budget=size), seed=seed, progress=progress)
    parameters = {
        **{key: value for key, value in dataclasses.asdict(result.config).items() if key != "ntk"},
        "ntk": dataclasses.asdict(result.config.ntk),
        "best_step": result.best_step,
        "inner_lambda": result.lam,
        "best_validation_hr100": result.best_validation_hr100,
        "stopped": result.stopped,
    }
    return build_sample(
        result.summary, np.full(size, -1), train=dataset.train, sampler="distill-cf", budget=budget.label, seed=seed,
        parameters=parameters,
    )


@dataclass(frozen=True)
class BudgetCurveConfig:
    """The grid of a budget curve (each list non-empty)."""

    samplers: tuple[str, ...]
    budgets: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]
    distill: DistillConfig = field(default_factory=DistillConfig)

    def __post_init__(self) -> None:
        for name in ("samplers", "budgets", "models", "seeds"):
            if not getattr(self, name):
                raise WorkbenchError(f"{name}: give at least one")
        for sampler in self.samplers:
            check_sampler(sampler)
        for model in self.models:
            if model not in MODEL_NAMES:
                raise WorkbenchError(f"unknown model {model!r}; valid models: {', '.join(MODEL_NAMES)}")
        object.__setattr__(self, "budgets", tuple(parse_budget(budget).label for budget in self.budgets))

    def points(self) -> list[tuple[str, str, int, str]]:
        """(sampler, budget label, seed, model) in run order; 100 % once, as sampler ``full``."""
        points: list[tuple[str, str, int, str]] = []
        for budget in self.budgets:
            full = parse_budget(budget).proportion == 1.0
            for sampler in (FULL_DATA,) if full else self.samplers:
                for seed in self.seeds:
                    for model in self.models:
                        if (sampler, budget, seed, model) not in points:
                            points.append((sampler, budget, seed, model))
        return points


def read_results(path: Path) -> pd.DataFrame:
    """The rows already in ``path`` (parquet or CSV by extension); empty when it does not exist."""
    if not path.exists():
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in COLUMN_TYPES.items()})
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as error:  # a file we cannot read must not be overwritten
        raise WorkbenchError(f"{path}: cannot read the results already there ({error}); move it away or fix it") from None
    if "settings" not in frame.columns:  # files written before the column existed: no Distill-CF settings
        frame["settings"] = ""
    frame["settings"] = frame["settings"].astype("string").fillna("")
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise WorkbenchError(f"{path} is not a budget-curve file: it lacks the columns {', '.join(missing)}; use another --output")
    return frame.astype(COLUMN_TYPES)


def write_results(frame: pd.DataFrame, path: Path) -> None:
    """Write atomically (a temporary file renamed over ``path``), so an interruption never truncates it."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".parquet":
            frame.to_parquet(temporary, index=False)
        else:
            frame.to_csv(temporary, index=False)
        os.replace(temporary, path)
    except OSError as error:
        raise WorkbenchError(f"--output {path}: cannot write the results ({error.strerror or error})") from None


def point_settings(sampler: str, distill_config: DistillConfig) -> str:
    """What else made a point, beyond its key: Distill-CF's settings as JSON ("" for other samplers).

    Part of the resume key, so that re-running with other Distill-CF settings recomputes those points
    instead of mixing two configurations in one file.
    """
    if sampler != "distill-cf":
        return ""
    settings = dataclasses.asdict(distill_config)
    settings.pop("budget")  # the budget is its own column
    return json.dumps(settings, sort_keys=True)


def model_for(model_name: str, sampler: str, **options: Any) -> Any:
    """The model trained on a sampler's output: ∞-AE on a Distill-CF summary searches ``SUMMARY_LAMBDAS``."""
    if model_name == "infinite-ae" and sampler == "distill-cf" and "lambdas" not in options:
        options["lambdas"] = SUMMARY_LAMBDAS
    return make_model(model_name, **options)


def evaluate_point(
    dataset: Dataset, sampler: str, budget: str, seed: int, model_name: str, distill_config: DistillConfig, progress: bool
) -> list[dict[str, Any]]:
    """Tidy rows (validation and test, every metric) for one point of the grid."""
    started = time.perf_counter()
    if sampler == FULL_DATA:
        train, row_users = dataset.train, None
        fraction_users = fraction_interactions = 1.0
    else:
        sample = make_training_sample(dataset, sampler, budget, seed, distill_config=distill_config, progress=progress)
        train, row_users = sample.matrix, sample.row_users
        fraction_users, fraction_interactions = sample.fraction_users, sample.fraction_interactions
    report = evaluate_model(model_for(model_name, sampler), dataset, seed=seed, train=train, row_users=row_users, progress=False)
    seconds = time.perf_counter() - started
    rows = []
    for split, metrics in (("validation", report.validation), ("test", report.test)):
        for metric, value in metrics.items():
            rows.append({
                "dataset": dataset.name, "sampler": sampler, "budget": budget, "seed": seed, "model": model_name,
                "settings": point_settings(sampler, distill_config),
                "split": split, "metric": metric, "value": float(value), "fraction_users": float(fraction_users),
                "fraction_interactions": float(fraction_interactions), "seconds": seconds,
            })
    return rows


def rows_for_configuration(frame: pd.DataFrame, distill_config: DistillConfig) -> pd.DataFrame:
    """The rows of ``frame`` made with ``distill_config`` (rows of other samplers are all kept)."""
    if frame.empty:
        return frame
    wanted = frame["sampler"].map(lambda sampler: point_settings(str(sampler), distill_config))
    return frame[frame["settings"].fillna("") == wanted]


def missing_points(frame: pd.DataFrame, dataset_name: str, config: BudgetCurveConfig) -> list[tuple[str, str, int, str]]:
    """The points of ``config`` (sampler, budget, seed, model) that ``frame`` has no rows for."""
    done = set(frame[list(POINT_COLUMNS)].itertuples(index=False, name=None))
    return [
        point for point in config.points()
        if (dataset_name, *point, point_settings(point[0], config.distill)) not in done
    ]


def budget_curve(
    dataset: Dataset, config: BudgetCurveConfig, output: str | os.PathLike[str], *, progress: bool = True
) -> tuple[pd.DataFrame, list[str]]:
    """Run every point of the grid not yet in ``output``; returns (all rows, failures)."""
    output = Path(output)
    if output.suffix not in (".parquet", ".csv"):
        raise WorkbenchError(f"--output {output}: expected a .parquet or .csv file")
    frame = read_results(output)
    write_results(frame, output)  # fail now, not after the first (possibly hour-long) point
    todo = missing_points(frame, dataset.name, config)
    failures: list[str] = []
    bar = tqdm(todo, desc=f"budget curve on {dataset.name}", disable=not progress, unit="point")
    for number, (sampler, budget, seed, model) in enumerate(bar, start=1):
        bar.set_postfix({"sampler": sampler, "budget": budget, "seed": seed, "model": model})
        try:
            rows = evaluate_point(dataset, sampler, budget, seed, model, config.distill, progress)
        except KeyboardInterrupt:
            raise
        except Exception as error:  # one failed point must not stop the others
            message = f"{sampler} at {budget}, seed {seed}, {model}: {type(error).__name__}: {error}"
            failures.append(message)
            tqdm.write(f"failed: {message}")
            if not isinstance(error, WorkbenchError):
                tqdm.write(traceback.format_exc(limit=3))
            continue
        frame = pd.concat([frame, pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMN_TYPES)], ignore_index=True)
        write_results(frame, output)
        if progress:  # one line per point: also readable where the bar is not (papermill's streamed log)
            tqdm.write(f"point {number}/{len(todo)} done: {sampler} at {budget}, seed {seed}, {model} ({rows[0]['seconds']:.1f} s)")
    return frame, failures


def summarise_curve(frame: pd.DataFrame, metric: str = "HR@10", split: str = "test") -> pd.DataFrame:
    """Mean and standard deviation over seeds of ``metric`` per sampler, budget and model."""
    selected = frame[(frame["metric"] == metric) & (frame["split"] == split)]
    grouped = selected.groupby(["model", "sampler", "budget"], sort=False)
    return grouped.agg(
        mean=("value", "mean"), std=("value", "std"), seeds=("seed", "nunique"), fraction_users=("fraction_users", "mean")
    ).reset_index()


def parse_list(text: str, parameter: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in text.split(",") if part.strip())
    if not values:
        raise WorkbenchError(f"{parameter}: expected a comma-separated list, got {text!r}")
    return values


def parse_seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in parse_list(text, "--seeds"))
    except ValueError:
        raise WorkbenchError(f"--seeds: expected comma-separated integers such as 1,2,3, got {text!r}") from None
    if min(seeds) < 0:
        raise WorkbenchError(f"--seeds: seeds must be ≥ 0, got {min(seeds)}")
    return seeds


__all__: Sequence[str] = (
    "BudgetCurveConfig", "EXPERIMENT_SAMPLERS", "FULL_DATA", "budget_curve", "make_training_sample", "missing_points",
    "read_results", "rows_for_configuration", "summarise_curve",
)
