"""The paper's numbers (workbench/reference.py), reproduced on the real data with the authors' split.

Skipped, saying why, when the datasets are not there. The tolerances are the issue's: ∞-AE on ML-1M
within ±1.0 of each published metric (±0.3 for PSP@10), PopRec within ±1.5, ∞-AE on Amazon
Magazine within ±1.5. EASE is reported as measured: its λ is chosen on validation over a wide grid,
and the test checks the choice lies inside the grid, not that it meets a published figure.
"""

from __future__ import annotations

import pytest

from workbench.data import load_dataset
from workbench.evaluation import ModelReport, evaluate_model
from workbench.models import EASE, InfiniteAE, PopRec
from workbench.reference import paper_metrics

pytestmark = [pytest.mark.real_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def ml1m(real_data_dir):
    return load_dataset("ml-1m", data_dir=real_data_dir)


@pytest.fixture(scope="module")
def infinite_ae_ml1m(ml1m) -> ModelReport:
    return evaluate_model(InfiniteAE(), ml1m, seed=0, progress=False)


@pytest.mark.parametrize(
    ("metric", "tolerance"),
    [("HR@10", 1.0), ("HR@100", 1.0), ("NDCG@10", 1.0), ("NDCG@100", 1.0), ("PSP@10", 0.3)],
)
def test_infinite_ae_ml1m_matches_paper(infinite_ae_ml1m: ModelReport, metric: str, tolerance: float) -> None:
    published = paper_metrics("ml-1m", "infinite-ae")[metric]
    assert infinite_ae_ml1m.test[metric] == pytest.approx(published, abs=tolerance)


def test_infinite_ae_ml1m_lambda_curve(infinite_ae_ml1m: ModelReport) -> None:
    curve = {step.hyperparameters["lambda"]: step.validation["HR@100"] for step in infinite_ae_ml1m.selection}
    assert list(curve) == [1.0, 5.0, 20.0, 50.0, 100.0]
    chosen = infinite_ae_ml1m.hyperparameters["lambda"]
    assert curve[chosen] == max(curve.values())
    assert chosen not in (1.0, 100.0), f"best λ on the edge of the grid: {curve}"
    assert infinite_ae_ml1m.users["test_evaluated"] == 6040


def test_poprec_ml1m_matches_paper(ml1m) -> None:
    report = evaluate_model(PopRec(), ml1m, seed=0, progress=False)
    assert report.test["NDCG@10"] == pytest.approx(13.84, abs=1.5)


def test_ease_ml1m_lambda_is_chosen_inside_a_wide_grid(ml1m) -> None:
    report = evaluate_model(EASE(), ml1m, seed=0, progress=False)
    lambdas = [step.hyperparameters["lambda"] for step in report.selection]
    chosen = report.hyperparameters["lambda"]
    assert min(lambdas) < chosen < max(lambdas), report.selection
    assert not report.notes
    # Measured, not tuned: with λ chosen on validation EASE beats the paper's weaker tuning (29.88).
    assert report.test["NDCG@10"] > paper_metrics("ml-1m", "ease")["NDCG@10"]


def test_infinite_ae_amazon_magazine_matches_paper(real_data_dir) -> None:
    magazine = load_dataset("amazon-magazine", data_dir=real_data_dir)
    report = evaluate_model(InfiniteAE(), magazine, seed=0, progress=False)
    assert report.test["NDCG@10"] == pytest.approx(23.06, abs=1.5)
    assert report.users["validation_skipped"] == magazine.n_users - report.users["validation_evaluated"] > 0
