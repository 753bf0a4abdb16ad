"""Data-budget experiments: samples and summaries through one signature, a resumable budget curve,
and the CLI commands around them (distill, sample, evaluate --train-on, budget-curve)."""

from __future__ import annotations

import dataclasses

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_cli import write_interactions
from workbench.cli import main
from workbench.data import load_data_file
from workbench.distill import DistillConfig
from workbench.errors import WorkbenchError
from workbench.budget.curve import summarise_curve
from workbench.budget.runs import BudgetCurveConfig, budget_curve
from workbench.samplers import get_sampler

experiments = importlib.import_module("workbench.budget.runs")
TINY_DISTILL = DistillConfig(draws=4, steps=4, evaluate_every=2, temperature=1.0)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_interactions(tmp_path_factory.mktemp("data") / "mine.csv", n_users=90, n_items=50, seed=2)


@pytest.fixture(scope="module")
def dataset(data_file: Path):
    return load_data_file(data_file, seed=0)


@pytest.mark.parametrize("sampler", ["interaction-rns", "user-rns", "head-user", "distill-cf"])
def test_every_sampler_through_one_signature(dataset, sampler: str) -> None:
    spec = get_sampler(sampler)
    sample = spec(dataset, "20%", seed=1, config=spec.config_from((TINY_DISTILL,)), progress=False)
    assert sample.matrix.shape[1] == dataset.n_items and sample.sampler == sampler and sample.seed == 1
    if sampler == "distill-cf":
        assert sample.n_rows == 18 and (sample.row_users == -1).all() and "best_step" in sample.parameters
    elif sampler != "interaction-rns":
        assert sample.n_rows == 18 and np.isclose(sample.fraction_users, 0.2)


def test_unknown_sampler_lists_the_valid_ones(dataset) -> None:
    with pytest.raises(WorkbenchError, match="distill-cf.*user-rns"):
        get_sampler("everyone")


def small_curve() -> BudgetCurveConfig:
    return BudgetCurveConfig(samplers=("user-rns", "head-user"), budgets=("10%", "30%", "100%"), models=("poprec", "infinite-ae"), seeds=(1, 2))


def test_budget_curve_writes_tidy_rows(dataset, tmp_path: Path) -> None:
    output = tmp_path / "curve.parquet"
    frame, failures = budget_curve(dataset, small_curve(), output, progress=False)
    assert not failures
    # 2 samplers x 2 budgets x 2 seeds x 2 models + the full data x 2 seeds x 2 models = 20 points
    assert len(frame[["sampler", "budget", "seed", "model"]].drop_duplicates()) == 20
    assert set(frame["split"]) == {"validation", "test"} and {"HR@10", "NDCG@100", "AUC"} <= set(frame["metric"])
    stored = pd.read_parquet(output)
    assert len(stored) == len(frame)
    full = frame[frame["sampler"] == "full"]
    assert set(full["budget"]) == {"100%"} and (full["fraction_users"] == 1.0).all()
    summary = summarise_curve(frame)
    assert set(summary["seeds"]) == {2}
    head = frame[(frame["sampler"] == "head-user") & (frame["budget"] == "10%")]
    assert (head["fraction_interactions"] > 0.1).all()  # the most active users hold more than their share


def test_budget_curve_resumes_after_an_interruption(dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "curve.csv"
    real = experiments.evaluate_point
    calls: list[tuple] = []

    def interrupted_after_three(dataset, sampler, budget, seed, model, *rest):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append((sampler, budget, seed, model))
        return real(dataset, sampler, budget, seed, model, *rest)

    monkeypatch.setattr(experiments, "evaluate_point", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        budget_curve(dataset, small_curve(), output, progress=False)
    assert len(pd.read_csv(output)[["sampler", "budget", "seed", "model"]].drop_duplicates()) == 3

    recomputed: list[tuple] = []

    def counting(dataset, sampler, budget, seed, model, *rest):
        recomputed.append((sampler, budget, seed, model))
        return real(dataset, sampler, budget, seed, model, *rest)

    monkeypatch.setattr(experiments, "evaluate_point", counting)
    frame, _ = budget_curve(dataset, small_curve(), output, progress=False)
    assert len(recomputed) == 17 and not set(recomputed) & set(calls)
    assert len(frame[["sampler", "budget", "seed", "model"]].drop_duplicates()) == 20
    recomputed.clear()
    budget_curve(dataset, small_curve(), output, progress=False)
    assert recomputed == []  # everything done: nothing recomputed


def test_a_failing_point_is_reported_and_the_others_run(dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = experiments.evaluate_point

    def failing_for_head_user(dataset, sampler, *rest):
        if sampler == "head-user":
            raise RuntimeError("proxy exploded")
        return real(dataset, sampler, *rest)

    monkeypatch.setattr(experiments, "evaluate_point", failing_for_head_user)
    frame, failures = budget_curve(dataset, small_curve(), tmp_path / "curve.parquet", progress=False)
    assert len(failures) == 8 and all("proxy exploded" in failure for failure in failures)
    assert set(frame["sampler"]) == {"user-rns", "full"}


@pytest.mark.parametrize(
    ("options", "expected"),
    [({"samplers": ("nope",)}, "valid samplers"), ({"models": ("svd",)}, "valid models"), ({"budgets": ("0%",)}, "budget"), ({"seeds": ()}, "seeds")],
)
def test_bad_curve_settings_are_refused(options: dict, expected: str) -> None:
    settings = {"samplers": ("user-rns",), "budgets": ("1%",), "models": ("poprec",), "seeds": (1,), **options}
    with pytest.raises(WorkbenchError, match=expected):
        BudgetCurveConfig(**settings)


def test_cli_distill_then_evaluate_on_the_summary(data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.npz"
    assert main(["distill", "--data-file", str(data_file), "--budget", "15", "--tau", "1", "--draws", "4", "--steps", "4",
                 "--evaluate-every", "2", "--seed", "4", "--output", str(summary), "--no-progress"]) == 0
    assert "15 synthetic users" in capsys.readouterr().out and summary.exists()
    results = tmp_path / "r.json"
    assert main(["evaluate", "--data-file", str(data_file), "--model", "infinite-ae", "--train-on", str(summary),
                 "--seed", "4", "--output", str(results), "--no-progress"]) == 0  # the summary's split
    assert "distill-cf at 15 users" in capsys.readouterr().out


def test_cli_sample_then_evaluate_and_a_mismatched_summary(data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = tmp_path / "sample.npz"
    assert main(["sample", "--data-file", str(data_file), "--sampler", "user-rns", "--budget", "30%", "--output", str(sample)]) == 0
    assert main(["evaluate", "--data-file", str(data_file), "--model", "ease", "--train-on", str(sample), "--no-progress"]) == 0
    other = write_interactions(tmp_path / "other.csv", n_users=40, n_items=20, seed=9)
    assert main(["evaluate", "--data-file", str(other), "--train-on", str(sample), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "sample.npz" in error and str(load_data_file(data_file).n_items) in error


@pytest.mark.parametrize(("arguments", "expected"), [(["--tau", "0"], "--tau"), (["--budget", "0"], "budget"), (["--budget", "100000"], "budget")])
def test_cli_distill_refuses_bad_settings(data_file: Path, tmp_path: Path, arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["distill", "--data-file", str(data_file), "--output", str(tmp_path / "s.npz"), "--no-progress", *arguments])
    assert status == 2 and expected in capsys.readouterr().err


def test_cli_budget_curve(data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "curve.csv"
    arguments = ["budget-curve", "--data-file", str(data_file), "--samplers", "user-rns,interaction-rns", "--budgets", "20%,100%",
                 "--models", "poprec", "--seeds", "1,2", "--output", str(output), "--no-progress"]
    assert main(arguments) == 0
    printed = capsys.readouterr().out
    assert "user-rns" in printed and "rows in" in printed
    assert main(["budget-curve", "--data-file", str(data_file), "--samplers", "user-rns", "--output", str(tmp_path / "x.txt")]) == 2


def test_a_foreign_output_file_is_refused_not_overwritten(dataset, tmp_path: Path) -> None:
    output = tmp_path / "mine.csv"
    output.write_text("a,b\n1,2\n")
    with pytest.raises(WorkbenchError, match="not a budget-curve file"):
        budget_curve(dataset, small_curve(), output, progress=False)
    assert output.read_text() == "a,b\n1,2\n"


def test_negative_seeds_are_refused() -> None:
    from workbench.cli import parse_seeds

    with pytest.raises(WorkbenchError, match="≥ 0"):
        parse_seeds("1,-2")


def test_other_distill_settings_recompute_only_distill_points(dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output = tmp_path / "curve.parquet"
    config = BudgetCurveConfig(samplers=("user-rns", "distill-cf"), budgets=("20%",), models=("poprec",), seeds=(1,), distill=TINY_DISTILL)
    budget_curve(dataset, config, output, progress=False)
    real = experiments.evaluate_point
    recomputed: list[str] = []

    def counting(dataset, sampler, *rest):
        recomputed.append(sampler)
        return real(dataset, sampler, *rest)

    monkeypatch.setattr(experiments, "evaluate_point", counting)
    budget_curve(dataset, config, output, progress=False)
    assert recomputed == []
    hotter = BudgetCurveConfig(samplers=config.samplers, budgets=config.budgets, models=config.models, seeds=config.seeds,
                               distill=DistillConfig(draws=4, steps=4, evaluate_every=2, temperature=2.0))
    frame, _ = budget_curve(dataset, hotter, output, progress=False)
    assert recomputed == ["distill-cf"]
    assert frame[frame["sampler"] == "distill-cf"]["settings"].nunique() == 2


def test_rows_written_before_a_settings_field_existed_keep_their_configuration(tmp_path: Path) -> None:
    """The recorded ML-1M curve's Distill-CF rows predate ``min_steps`` and ``store_draws``: read
    back, they say ``min_steps: 0`` and ``store_draws: false`` (what they ran: patience counted from
    step 0, the draws made again), so they match the configuration that made them and no other (which
    also names ``evaluate_every=25``, the default when they were made)."""
    from workbench.budget.runs import read_results, rows_for_configuration, write_results

    recorded = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "budget_curve_ml1m.csv"
    assert '\\"min_steps\\"' not in recorded.read_text() and '"min_steps"' not in recorded.read_text()
    frame = read_results(recorded)
    distilled = frame[frame["sampler"] == "distill-cf"]
    assert len(distilled) == 180 and distilled["settings"].str.contains('"min_steps": 0').all()
    assert distilled["settings"].str.contains('"store_draws": false').all()
    assert distilled["settings"].str.contains('"start_logit": 1.0').all()
    made_with = DistillConfig(steps=100, temperature=5.0, patience=150, min_steps=0, evaluate_every=25)
    kept = rows_for_configuration(frame, made_with)
    assert (kept["sampler"] == "distill-cf").sum() == 180 and len(kept) == len(frame)
    assert (rows_for_configuration(frame, DistillConfig(steps=100))["sampler"] == "distill-cf").sum() == 0
    stored = dataclasses.replace(made_with, store_draws=True)
    assert (rows_for_configuration(frame, stored)["sampler"] == "distill-cf").sum() == 0
    sharper = dataclasses.replace(made_with, start_logit=3.0)
    assert (rows_for_configuration(frame, sharper)["sampler"] == "distill-cf").sum() == 0
    # written back and read again, nothing changes
    copy = tmp_path / "curve.csv"
    write_results(frame, copy)
    pd.testing.assert_frame_equal(read_results(copy), frame)
