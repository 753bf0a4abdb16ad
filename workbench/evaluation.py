"""The paper's protocol for one model on one dataset: choose hyper-parameters on validation, test once.

For every setting of the model's grid (:meth:`Recommender.fit_grid`), score every user who has
validation items, with their training row as context (masked from the ranking), and compute the
metrics of :mod:`workbench.metrics`; keep the setting with the best ``selection_metric``
(validation HR@100, as the authors did). Then score every user who has test items with training ∪
validation as context, once, with that setting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm.auto import tqdm

from workbench.data import Dataset
from workbench.errors import WorkbenchError
from workbench.metrics import EvaluationResult, evaluate_rankings, metric_names, psp_item_weights, sample_auc_negatives
from workbench.models.base import FittedRecommender, Recommender
from workbench.samplers.sample import TrainingSample
from workbench.validation import check_seed


@dataclass(frozen=True)
class EvaluationConfig:
    """How models are evaluated.

    Attributes:
        ks: cut-offs of the ranking metrics.
        selection_metric: the validation metric that chooses hyper-parameters (higher is better).
        n_auc_negatives: sampled negatives per user for AUC (fixed per dataset and seed).
        batch_size: users scored at once.
    """

    ks: tuple[int, ...] = (10, 100)
    selection_metric: str = "HR@100"
    n_auc_negatives: int = 50
    batch_size: int = 2048

    def __post_init__(self) -> None:
        for k in self.ks:
            if not isinstance(k, (int, np.integer)) or k <= 0:
                raise WorkbenchError(f"k must be a positive integer, got {k!r} in ks={self.ks!r}")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise WorkbenchError(f"batch_size must be a positive integer, got {self.batch_size!r}")
        valid = metric_names(self.ks)
        if self.selection_metric not in valid:
            raise WorkbenchError(f"selection_metric must be one of {', '.join(valid)}, got {self.selection_metric!r}")


#: The cut-off of LightGCN's protocol (Recall@20, NDCG@20).
LIGHTGCN_K = 20


def has_lightgcn_split(dataset: Dataset) -> bool:
    """Whether ``dataset`` keeps LightGCN's train/test split (gowalla, yelp2018 as published).

    Its test context, train ∪ validation, is then LightGCN's own train.txt, so the test metrics at
    k = 20 are LightGCN's protocol: Recall@20 (hits / |test items|) and NDCG@20, all items ranked,
    train.txt masked. ``read_lightgcn`` names the split so; a seeded re-split of the same files does not.
    """
    return dataset.split_origin.startswith("LightGCN train/test split")


def config_for(dataset: Dataset, config: EvaluationConfig = EvaluationConfig()) -> EvaluationConfig:
    """``config`` with k = 20 added to its cut-offs when ``dataset`` has LightGCN's split; else ``config``.

    Adding a cut-off changes no other metric (the top max(ks) items are ranked once either way), and
    hyper-parameters are still chosen on ``config.selection_metric``.
    """
    if not has_lightgcn_split(dataset) or LIGHTGCN_K in config.ks:
        return config
    return replace(config, ks=tuple(sorted({*config.ks, LIGHTGCN_K})))


@dataclass(frozen=True)
class SelectionStep:
    """One setting of the grid and its validation metrics."""

    hyperparameters: Mapping[str, Any]
    validation: Mapping[str, float]
    seconds: float


@dataclass(frozen=True)
class ModelReport:
    """What ``workbench evaluate`` reports, JSON-serialisable through :meth:`to_json`."""

    dataset: str
    model: str
    hyperparameters: Mapping[str, Any]
    validation: Mapping[str, float]
    test: Mapping[str, float]
    selection: tuple[SelectionStep, ...]
    seconds: Mapping[str, float]
    users: Mapping[str, int]
    seed: int
    notes: tuple[str, ...] = field(default=())
    #: The fitted model of the chosen setting (scores any user; not part of the JSON, not compared).
    fitted: FittedRecommender | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Every field but ``fitted``, as JSON-serialisable values."""
        return {name: value for name, value in asdict(replace(self, fitted=None)).items() if name != "fitted"}


@dataclass(frozen=True)
class EvaluationData:
    """What the evaluation of one dataset needs besides the model, computed once per dataset and seed."""

    dataset: Dataset
    psp_weights: np.ndarray  # (n_items,) float64
    auc_negatives: np.ndarray  # (n_users, n_negatives) int32
    test_context: sp.csr_matrix  # train ∪ validation, binary

    @classmethod
    def prepare(cls, dataset: Dataset, *, seed: int, config: EvaluationConfig) -> EvaluationData:
        return cls(
            dataset=dataset,
            psp_weights=psp_item_weights(dataset.train),
            auc_negatives=sample_auc_negatives(dataset.train, dataset.test, config.n_auc_negatives, seed=seed),
            test_context=dataset.context("test"),
        )


def _score_batches(
    fitted: FittedRecommender,
    context: sp.csr_matrix,
    positives: sp.csr_matrix,
    batch_size: int,
    users: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Scores of the users who have positives (among ``users`` when given), ``batch_size`` users at a time."""
    with_positives = np.flatnonzero(np.diff(positives.indptr) > 0)
    if users is not None:
        with_positives = np.intersect1d(with_positives, users)
    for start in range(0, len(with_positives), batch_size):
        batch = with_positives[start : start + batch_size]
        yield batch, fitted.score(batch, context[batch])


def evaluate_fitted(
    fitted: FittedRecommender,
    data: EvaluationData,
    split: str,
    config: EvaluationConfig,
    users: np.ndarray | None = None,
) -> EvaluationResult:
    """Metrics of one fitted model on ``split`` ("validation" or "test"), over ``users`` (default all)."""
    dataset = data.dataset
    if split == "validation":
        context, positives = dataset.train, dataset.validation
    elif split == "test":
        context, positives = data.test_context, dataset.test
    else:
        raise WorkbenchError(f"split must be 'validation' or 'test', got {split!r}")
    result = evaluate_rankings(
        _score_batches(fitted, context, positives, config.batch_size, users),
        context,
        positives,
        data.psp_weights,
        data.auc_negatives,
        ks=config.ks,
    )
    # Only users with positives are scored (see _score_batches); the others are skipped here.
    considered = dataset.n_users if users is None else len(users)
    return replace(result, n_users_skipped=considered - result.n_users_evaluated)


@dataclass
class _GridSearch:
    """The validation of each setting of a grid, keeping the best fitted model."""

    data: EvaluationData
    config: EvaluationConfig
    users: np.ndarray | None = None  # validate on these users only (None: all)
    steps: list[SelectionStep] = field(default_factory=list)
    best: tuple[float, FittedRecommender, EvaluationResult] | None = None

    def run(self, fits: Iterator[FittedRecommender], bar: Any) -> None:
        step_started = time.perf_counter()
        for fitted in fits:
            result = evaluate_fitted(fitted, self.data, "validation", self.config, self.users)
            if self.config.selection_metric not in result.metrics:
                raise WorkbenchError(
                    f"selection metric {self.config.selection_metric!r} is not computed; available: {', '.join(result.metrics)}"
                )
            value = result.metrics[self.config.selection_metric]
            self.steps.append(SelectionStep(dict(fitted.hyperparameters), dict(result.metrics), time.perf_counter() - step_started))
            if self.best is None or value > self.best[0]:
                self.best = (value, fitted, result)
            postfix = {k: v for k, v in fitted.hyperparameters.items() if k == "lambda"}
            bar.set_postfix({f"val {self.config.selection_metric}": f"{value:.2f}", **postfix})
            bar.update(1)
            del fitted
            step_started = time.perf_counter()


def evaluate_model(
    model: Recommender,
    dataset: Dataset,
    *,
    seed: int = 0,
    config: EvaluationConfig = EvaluationConfig(),
    train: sp.csr_matrix | None = None,
    row_users: np.ndarray | None = None,
    progress: bool = True,
) -> ModelReport:
    """Choose the model's hyper-parameters on validation and evaluate the chosen setting on test.

    Args:
        model: the model family and its grid.
        dataset: the data and its split.
        seed: seeds the AUC negatives and anything random in the model (e.g. its user support).
        config: metrics, cut-offs and the selection metric.
        train: fit on this matrix instead of ``dataset.train`` (a sample or a summary); the
            evaluation still uses the dataset's own split and contexts.
        row_users: with ``train``, the dataset user of each of its rows (−1 for synthetic rows).
        progress: show a progress bar over the grid.

    Returns:
        The report: the chosen hyper-parameters, validation and test metrics, every setting's
        validation, seconds, and ``fitted``, the chosen setting's fitted model (no refit needed to
        score users with it).

    Raises:
        WorkbenchError: ``seed`` is not an integer from 0 to 2³²−1, the dataset has no validation
            interactions, or ``train`` has another item count.
    """
    seed = check_seed(seed, "seed")
    if dataset.validation.nnz == 0:
        raise WorkbenchError(
            f"dataset {dataset.name!r} has no validation interactions, so hyper-parameters cannot be chosen "
            "(under the paper's split a user needs at least 6 interactions to get one)"
        )
    started = time.perf_counter()
    data = EvaluationData.prepare(dataset, seed=seed, config=config)
    fit_on = dataset.train if train is None else train
    if fit_on.shape[1] != dataset.n_items:
        raise WorkbenchError(
            f"the training matrix has {fit_on.shape[1]} items but dataset {dataset.name!r} has {dataset.n_items}"
        )
    grid = getattr(model, "lambdas", None)
    if train is not None and row_users is None:
        row_users = np.full(train.shape[0], -1, dtype=np.int64)  # rows of an arbitrary matrix: no owners
    chooser = getattr(model, "selection_subset", None)
    subset = chooser(dataset.n_users, seed) if chooser is not None and train is None else None
    bar = tqdm(
        total=(len(grid) + (subset is not None)) if grid is not None else None,
        desc=f"{model.name} on {dataset.name}",
        disable=not progress,
        unit="setting",
    )
    notes: list[str] = []
    if subset is None:
        search = _GridSearch(data, config)
        search.run(model.fit_grid(fit_on, seed=seed, row_users=row_users), bar)
    else:
        # Choose λ on a random subset of users (their rows are the support, their validation
        # items the target), then fit the chosen λ once on everyone and validate everyone.
        search = _GridSearch(data, config, users=subset)
        search.run(model.fit_grid(fit_on[subset], seed=seed, row_users=subset), bar)
        if search.best is not None:
            lam = search.best[1].hyperparameters["lambda"]
            search.best = None
            refit = _GridSearch(data, config)
            refit.run(model.with_lambda(lam).fit_grid(fit_on, seed=seed, row_users=row_users), bar)
            search.best = refit.best
            notes.append(
                f"λ was chosen on the validation items of {len(subset):,} random users of {dataset.n_users:,} "
                f"(the λ curve is theirs), then refitted once on all users; the validation metrics are all users' "
                f"at λ = {lam:g}"
            )
    bar.close()
    steps, best = search.steps, search.best
    if best is None:
        raise WorkbenchError(f"model {model.name!r} produced no fitted setting")
    _, chosen, validation = best
    selected = time.perf_counter()
    test = evaluate_fitted(chosen, data, "test", config)
    finished = time.perf_counter()
    notes += _edge_notes(steps, chosen)
    return ModelReport(
        dataset=dataset.name,
        model=model.name,
        hyperparameters=dict(chosen.hyperparameters),
        validation=dict(validation.metrics),
        test=dict(test.metrics),
        selection=tuple(steps),
        seconds={
            "select_on_validation": selected - started,
            "test": finished - selected,
            "total": finished - started,
            **{f"chosen_fit_{stage}": value for stage, value in getattr(chosen, "stage_seconds", {}).items()},
        },
        users={
            "validation_evaluated": validation.n_users_evaluated,
            "validation_skipped": validation.n_users_skipped,
            "test_evaluated": test.n_users_evaluated,
            "test_skipped": test.n_users_skipped,
        },
        seed=seed,
        notes=tuple(notes),
        fitted=chosen,
    )


#: How the grids' hyper-parameters are written in notes and tables.
HYPERPARAMETER_SYMBOLS: Mapping[str, str] = {"lambda": "λ", "alpha": "α", "rank": "k"}


def _edge_notes(steps: list[SelectionStep], chosen: FittedRecommender) -> tuple[str, ...]:
    """A note for each grid hyper-parameter (λ, α, rank k) whose chosen value is the smallest or the
    largest of the values tried, when more than one was tried."""
    notes = []
    for key, symbol in HYPERPARAMETER_SYMBOLS.items():
        values = [step.hyperparameters.get(key) for step in steps]
        value = chosen.hyperparameters.get(key)
        if value is None or None in values or len(set(values)) < 2:
            continue
        if value == min(values) or value == max(values):
            notes.append(
                f"the chosen {symbol} = {value:g} is at the edge of the grid {sorted(set(values))}: "
                f"widen the grid to be sure the best {symbol} is inside it"
            )
    return tuple(notes)


def evaluate_on_sample(
    model_name: str,
    dataset: Dataset,
    sample: TrainingSample | None,
    *,
    seed: int = 0,
    config: EvaluationConfig = EvaluationConfig(),
    progress: bool = False,
    **model_options: Any,
) -> ModelReport:
    """Fit the model ``model_name`` on ``sample`` (None: all of ``dataset.train``) and evaluate it.

    The one way a model meets a sample, for the budget curve, the denoising study and the CLI:
    hyper-parameters chosen on ``dataset``'s validation split, test once (:func:`evaluate_model`).
    ∞-AE on a sampler's output searches that sampler's registered ``downstream_lambdas`` unless
    ``lambdas`` is given (a Distill-CF summary's best λ lies far below real data's).

    Args:
        model_name: a registered model (:data:`workbench.models.MODEL_NAMES`).
        sample: rows to train on, made on ``dataset`` (its ``row_users`` say whose rows they are).
        model_options: passed to :func:`workbench.models.make_model`.
    """
    from workbench.models import make_model
    from workbench.samplers.registry import SAMPLERS

    if sample is None:
        return evaluate_model(make_model(model_name, **model_options), dataset, seed=seed, config=config, progress=progress)
    spec = SAMPLERS.get(sample.sampler)
    if model_name == "infinite-ae" and "lambdas" not in model_options and spec is not None and spec.downstream_lambdas:
        model_options["lambdas"] = spec.downstream_lambdas
    return evaluate_model(
        make_model(model_name, **model_options), dataset, seed=seed, config=config, train=sample.matrix,
        row_users=sample.row_users, progress=progress,
    )
