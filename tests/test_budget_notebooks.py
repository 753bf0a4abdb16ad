"""02_data_budget and 04_is_more_data_needed executed headless, asserting on what they record."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import REPOSITORY
from workbench.budget.answer import answer, compare_curves, point_sentence
from workbench.budget.curve import BudgetCurve, curve_table, full_data_value
from workbench.budget.runs import read_results
from workbench.notebooks.runs import run_notebook

pytestmark = [pytest.mark.notebook, pytest.mark.real_data, pytest.mark.slow]
NOTEBOOKS = REPOSITORY / "notebooks"
RECORDED_CURVE = REPOSITORY / "benchmarks" / "results" / "budget_curve_ml1m.csv"


@pytest.fixture
def data_environment(real_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The notebook's kernel inherits this process's environment: point it at the real data."""
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    return real_data_dir


def test_data_budget_notebook_records_the_curve_and_its_answer(data_environment: Path, tmp_path: Path) -> None:
    results = run_notebook(
        NOTEBOOKS / "02_data_budget.ipynb",
        {
            "dataset": "ml-100k", "samplers": ["distill-cf", "user-rns"], "budgets": ["5%", "20%"], "seeds": [1],
            "distill_steps": 6, "distill_draws": 30, "report_path": "report.html", "models": ["infinite-ae", "svd-ae"],
        },
        tmp_path / "02.ipynb",
    )
    assert results["failures"] == []
    # ∞-AE on all of ML-100K (seeded split): HR@10 33.26 when this test was written.
    assert results["full_value"] == pytest.approx(33.26, abs=0.5)
    curve = results["curve"]
    assert set(curve) == {"distill-cf", "user-rns", "full"}
    for sampler in ("distill-cf", "user-rns"):
        assert set(curve[sampler]) == {"5%", "20%"}
        assert 0.0 < curve[sampler]["5%"] < results["full_value"]
    # Twenty per cent of the users hold more information than five: random users must show it.
    assert curve["user-rns"]["20%"] > curve["user-rns"]["5%"]
    # The recorded answer is the package's own answer for the recorded curve.
    frame = pd.read_csv(tmp_path / "budget_curve.csv")
    table = curve_table(frame, metric="HR@10", model="infinite-ae", dataset="ml-100k")
    expected = answer(table, full_value=full_data_value(frame, metric="HR@10", model="infinite-ae"), metric="HR@10",
                      dataset="ml-100k", sampler="distill-cf")
    assert results["answer"] == expected.sentence
    # The second question: SVD-AE on the same samples against ∞-AE on all the users.
    curves = {model: BudgetCurve.from_results(frame, dataset="ml-100k", metric="HR@10", model=model) for model in ("infinite-ae", "svd-ae")}
    comparison = compare_curves(expected, curves, chosen="infinite-ae")
    assert comparison is not None and results["comparison"] == comparison.sentence
    assert "SVD-AE" in results["comparison"] and "∞-AE on all of them" in results["comparison"]
    report = (tmp_path / "report.html").read_text()
    assert expected.sentence in report and report.count("<script type=\"text/javascript\">/**\n* plotly.js") <= 1

    # Re-running reads the cached points instead of computing them again.
    rerun = run_notebook(
        NOTEBOOKS / "02_data_budget.ipynb",
        {"dataset": "ml-100k", "samplers": ["distill-cf", "user-rns"], "budgets": ["5%", "20%"], "seeds": [1],
         "distill_steps": 6, "distill_draws": 30},
        tmp_path / "02-again.ipynb",
    )
    assert rerun["curve"] == curve
    assert len(pd.read_csv(tmp_path / "budget_curve.csv")) == len(frame)


def test_panel_notebook_answers_from_the_recorded_ml1m_curve(data_environment: Path, tmp_path: Path) -> None:
    results = run_notebook(
        NOTEBOOKS / "04_is_more_data_needed.ipynb", {"initial_results": str(RECORDED_CURVE)}, tmp_path / "04.ipynb",
    )
    frame = read_results(RECORDED_CURVE)
    table = curve_table(frame, metric="HR@10", model="infinite-ae", dataset="ml-1m")
    full = full_data_value(frame, metric="HR@10", model="infinite-ae", dataset="ml-1m")
    assert results["budget"] == "2%"
    assert results["answer"].startswith(answer(table, full_value=full, metric="HR@10", dataset="ml-1m").sentence)
    assert point_sentence(table, full_value=full, metric="HR@10", sampler="user-rns", percent=2.0) in results["answer"]
    assert (tmp_path / "budget_curve_ml1m.csv").exists()  # the cache the panel computes into
