"""Model inputs that must be refused, naming what is wrong, instead of giving numbers (issue 11).

EASE and PopRec ignore ``users`` when scoring, so negative indices and a users/context length mismatch
went through; EASE at an absurd λ gave all-zero or NaN weights and failed later without naming λ (or not
at all); ``--lambdas`` for PopRec was ignored; ``evaluate_model(seed=-1)`` raised numpy's ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.cli import _model_options, build_parser, main
from workbench.data import Dataset, Interactions, build_dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import evaluate_model
from workbench.models import EASE, MODEL_NAMES, PopRec


@pytest.fixture(scope="module")
def train() -> sp.csr_matrix:
    return random_binary_matrix(60, 25, 0.2, seed=11)


FITTERS: dict[str, Callable[[sp.csr_matrix], object]] = {
    "ease": lambda train: next(EASE(lambdas=(10.0,)).fit_grid(train)),
    "poprec": lambda train: next(PopRec().fit_grid(train)),
}


@pytest.mark.parametrize("model", sorted(FITTERS))
def test_negative_user_indices_are_refused(model: str, train: sp.csr_matrix) -> None:
    fitted = FITTERS[model](train)
    with pytest.raises(WorkbenchError, match="user indices must be ≥ 0, got -1"):
        fitted.score(np.array([-1, 0]), train[[0, 1]])  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", sorted(FITTERS))
def test_users_and_context_of_different_lengths_are_refused(model: str, train: sp.csr_matrix) -> None:
    fitted = FITTERS[model](train)
    with pytest.raises(WorkbenchError, match="users has 3 entries but context has 2 rows"):
        fitted.score(np.array([0, 1, 2]), train[[0, 1]])  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", sorted(FITTERS))
def test_valid_inputs_still_score(model: str, train: sp.csr_matrix) -> None:
    fitted = FITTERS[model](train)
    scores = fitted.score(np.array([3, 4]), train[[3, 4]])  # type: ignore[attr-defined]
    assert scores.shape == (2, 25) and np.all(np.isfinite(scores))


def test_poprec_refuses_a_context_with_another_item_count(train: sp.csr_matrix) -> None:
    fitted = FITTERS["poprec"](train)
    with pytest.raises(WorkbenchError, match="context has 24 items but PopRec was fitted on 25"):
        fitted.score(np.array([0]), train[[0]][:, :24])  # type: ignore[attr-defined]


def test_shared_check_refuses_float_user_indices(train: sp.csr_matrix) -> None:
    from workbench.models.base import check_score_inputs

    with pytest.raises(WorkbenchError, match="integer row indices"):
        check_score_inputs(np.array([0.5]), train[[0]], 25, "EASE")


@pytest.mark.parametrize(
    ("lam", "problem"),
    [(1e30, "every weight underflows to 0 at λ = 1e\\+30"), (1e39, "weights are not finite at λ = 1e\\+39")],
)
def test_ease_at_an_absurd_lambda_names_lambda(train: sp.csr_matrix, lam: float, problem: str) -> None:
    # float32: at 1e30 every weight is 0 (all items tie, silently); 1e39 is beyond float32, the weights NaN.
    with pytest.raises(WorkbenchError, match=problem):
        list(EASE(lambdas=(lam,)).fit_grid(train))


def test_ease_at_a_large_lambda_in_float64_still_fits(train: sp.csr_matrix) -> None:
    # Tiny weights are still weights: float64 keeps them at 1e30 and the ranking is EASE's.
    (fitted,) = EASE(lambdas=(1e30,), dtype="float64").fit_grid(train)
    assert np.any(np.asarray(fitted.weights))


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    coo = random_binary_matrix(60, 30, 0.2, seed=5).tocoo()
    rows = Interactions(users=coo.row.astype(np.int64), items=coo.col.astype(np.int64), source="generated")
    return build_dataset("generated", rows, seed=0)


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "x"])
def test_evaluate_model_refuses_a_bad_seed_naming_it(dataset: Dataset, seed: object) -> None:
    with pytest.raises(WorkbenchError, match=r"^seed: expected an integer from 0 to 4294967295"):
        evaluate_model(PopRec(), dataset, seed=seed, progress=False)  # type: ignore[arg-type]


def test_lambdas_for_poprec_are_refused_naming_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Refused before any data is loaded: the --data-file, which does not exist, is never read.
    missing = str(tmp_path / "missing.csv")
    assert main(["evaluate", "--model", "poprec", "--lambdas", "5", "--data-file", missing]) == 2
    assert "error: --lambdas does not apply to poprec" in capsys.readouterr().err
    assert main(["reproduce", "--models", "poprec", "--lambdas", "5", "--data-file", missing]) == 2
    assert "error: --lambdas does not apply to poprec" in capsys.readouterr().err


def test_default_grids_of_every_model_are_accepted() -> None:
    # `reproduce` with several models and no --lambdas builds every model's options: none may refuse.
    args = build_parser().parse_args(["reproduce"])
    for model in MODEL_NAMES:
        _model_options(args, model)
    args = build_parser().parse_args(["evaluate", "--model", "ease", "--lambdas", "5,50"])
    assert _model_options(args, "ease")["lambdas"] == (5.0, 50.0)
