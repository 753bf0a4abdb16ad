"""Distill-CF end to end on small generated data: the loss's reconstruction is ∞-AE's, the run is
deterministic for a seed, and bad input is refused or reported."""

from __future__ import annotations

import dataclasses
import importlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from conftest import generated_dataset
from workbench.distill import DistillConfig, binarise, distill, reconstruction
from workbench.errors import WorkbenchError
from workbench.models import InfiniteAE
from workbench.kernels.ntk import NTKConfig

SMALL = DistillConfig(budget=12, draws=8, steps=12, evaluate_every=4, temperature=1.0, patience=50)


@pytest.fixture(scope="module")
def dataset():
    return generated_dataset(150, 60, 0.12, seed=11)


def test_reconstruction_is_infinite_ae_fitted_on_the_summary(dataset) -> None:
    rng = np.random.default_rng(0)
    summary = rng.random((10, dataset.n_items))
    targets = dataset.train[:25].toarray().astype(np.float64)
    with jax.enable_x64(True):
        predicted = np.asarray(reconstruction(jnp.asarray(targets), jnp.asarray(summary), jnp.asarray(5.0), NTKConfig()))
    import scipy.sparse as sp

    fitted = next(InfiniteAE(lambdas=(5.0,), dtype="float64").fit_grid(sp.csr_matrix(summary), row_users=np.full(10, -1)))
    np.testing.assert_allclose(predicted, fitted.score(np.arange(25), dataset.train[:25]), rtol=1e-5, atol=1e-8)


def test_distill_returns_a_summary_and_a_history(dataset) -> None:
    result = distill(dataset, SMALL, seed=3, progress=False)
    assert result.summary.shape == (12, dataset.n_items) and result.summary.dtype == np.float32
    assert 0.0 <= result.summary.min() and result.summary.max() <= 1.0
    assert set(np.unique(result.binary)) <= {0.0, 1.0}
    assert result.history.step == (0, 4, 8, 12)
    assert len(result.history.loss) == len(result.history.validation_hr10) == 4
    assert all(np.isfinite(result.history.loss[1:]))
    assert result.lam in SMALL.lambdas and result.best_step in result.history.step
    assert result.best_validation_hr100 == max(result.history.validation_hr100)


def test_same_seed_same_summary(dataset) -> None:
    first = distill(dataset, SMALL, seed=5, progress=False)
    second = distill(dataset, SMALL, seed=5, progress=False)
    np.testing.assert_array_equal(first.summary, second.summary)
    np.testing.assert_array_equal(first.history.loss, second.history.loss)  # NaN at step 0 in both
    third = distill(dataset, dataclasses.replace(SMALL, evaluate_every=12), seed=6, progress=False)
    assert not np.array_equal(first.summary, third.summary)


def test_binarise_keeps_each_rows_rounded_size() -> None:
    summary = np.array([[0.9, 0.8, 0.1, 0.05], [0.2, 0.1, 0.15, 0.1]], dtype=np.float32)
    # row sums 1.85 -> 2 items, 0.55 -> 1 item
    np.testing.assert_array_equal(binarise(summary), [[1, 1, 0, 0], [1, 0, 0, 0]])


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"budget": 0}, "budget"),
        ({"temperature": 0.0}, "temperature"),
        ({"temperature": -1.0}, "temperature"),
        ({"draws": 0}, "draws"),
        ({"lambdas": (0.0,)}, "λ"),
        ({"target_batch": 0}, "target_batch"),
        ({"start_logit": 0.0}, "^start_logit must be a finite number > 0"),
        ({"start_logit": float("inf")}, "^start_logit must be a finite number > 0"),
        ({"start_logit": "3"}, "^start_logit must be a finite number > 0"),
    ],
)
def test_bad_settings_are_refused(options: dict, expected: str) -> None:
    with pytest.raises(WorkbenchError, match=expected):
        DistillConfig(**options)


def test_budget_larger_than_the_dataset_is_refused(dataset) -> None:
    with pytest.raises(WorkbenchError, match="larger than dataset"):
        distill(dataset, dataclasses.replace(SMALL, budget=10_000), progress=False)


def test_a_non_finite_loss_stops_and_keeps_the_best_summary(dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    distill_module = importlib.import_module("workbench.distill.distill")  # the module, not the function
    real_choice = distill_module.choose_inner_lambda
    calls = {"n": 0}

    def choice_that_diverges(*args, **kwargs):
        lam, hr10, hr100 = real_choice(*args, **kwargs)
        calls["n"] += 1
        return (float("nan"), hr10, -0.5) if calls["n"] == 2 else (lam, hr10, hr100)  # the validation at step 4

    monkeypatch.setattr(distill_module, "choose_inner_lambda", choice_that_diverges)
    result = distill(dataset, SMALL, seed=1, progress=False)  # λ = NaN makes the next update's loss NaN
    assert result.stopped is not None and "step 5" in result.stopped
    assert result.history.step == (0, 4)
    assert np.isfinite(result.summary).all() and result.best_step == 0


def test_a_second_distillation_reuses_the_compiled_step(dataset) -> None:
    from workbench.distill.distill import adam, step

    config = DistillConfig(budget=4, draws=3, steps=2, evaluate_every=1)
    distill(dataset, config, seed=0, progress=False)
    compiled = step._cache_size()
    distill(dataset, config, seed=1, progress=False)
    assert step._cache_size() == compiled
    assert adam(0.04) is adam(0.04)
