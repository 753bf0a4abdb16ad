"""The command line, end to end on a small generated file: tables, JSON, and user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main


def write_interactions(path: Path, n_users: int = 60, n_items: int = 40, seed: int = 0) -> Path:
    """A CSV with a header; users have 5..15 items with a popularity skew."""
    rng = np.random.default_rng(seed)
    popularity = np.linspace(2.0, 0.2, n_items)
    popularity /= popularity.sum()
    lines = ["user,item,rating"]
    for user in range(n_users):
        for item in rng.choice(n_items, size=rng.integers(5, 16), replace=False, p=popularity):
            lines.append(f"u{user},i{item},{rng.integers(1, 6)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    return write_interactions(tmp_path / "mine.csv")


def test_evaluate_prints_a_table_and_writes_json(data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "out" / "results.json"
    status = main(["evaluate", "--data-file", str(data_file), "--model", "infinite-ae", "--lambdas", "1,5,20",
                   "--seed", "3", "--output", str(output), "--no-progress"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "infinite-ae on mine" in printed and "λ curve" in printed and "HR@100" in printed
    result = json.loads(output.read_text())
    assert {"dataset", "model", "hyperparameters", "validation", "test", "seconds"} <= set(result)
    assert result["dataset"] == "mine" and result["model"] == "infinite-ae" and result["seed"] == 3
    assert result["hyperparameters"]["lambda"] in (1.0, 5.0, 20.0)
    for metric in ("HR@10", "HR@100", "NDCG@10", "NDCG@100", "PSP@10", "PSP@100", "AUC"):
        assert metric in result["test"] and metric in result["validation"]
        assert np.isfinite(result["test"][metric])
    assert 0 <= result["test"]["HR@10"] <= 100 and 0 <= result["test"]["AUC"] <= 1
    assert [step["hyperparameters"]["lambda"] for step in result["selection"]] == [1.0, 5.0, 20.0]
    chosen = max(result["selection"], key=lambda step: step["validation"]["HR@100"])
    assert chosen["hyperparameters"]["lambda"] == result["hyperparameters"]["lambda"]


@pytest.mark.parametrize("model", ["ease", "poprec"])
def test_evaluate_baselines(data_file: Path, model: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--data-file", str(data_file), "--model", model, "--no-progress"]) == 0
    assert f"{model} on mine" in capsys.readouterr().out


def test_same_seed_same_result(data_file: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("a.json", "b.json"):
        main(["evaluate", "--data-file", str(data_file), "--lambdas", "5", "--user-support", "30",
              "--output", str(tmp_path / name), "--no-progress"])
        outputs.append(json.loads((tmp_path / name).read_text())["test"])
    assert outputs[0] == outputs[1]


def test_reproduce_prints_paper_vs_measured(data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "--data-file", str(data_file), "--models", "poprec,infinite-ae", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "NDCG@10" in printed and "paper" in printed


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--model", "svd"], "valid models: infinite-ae, ease, poprec"),
        (["--lambdas", "0"], "λ"),
        (["--lambdas=-1,5"], "λ"),
        (["--dataset", "movielens-99"], "ml-1m"),
    ],
)
def test_user_errors_exit_non_zero_with_one_line(
    data_file: Path, arguments: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["evaluate", "--no-progress"] if "--dataset" in arguments else ["evaluate", "--data-file", str(data_file), "--no-progress"]
    assert main(base + arguments) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and expected in error and "Traceback" not in error


def test_missing_file_names_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--data-file", str(tmp_path / "absent.csv"), "--no-progress"]) == 2
    assert "absent.csv" in capsys.readouterr().err


def test_malformed_line_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_interactions(tmp_path / "broken.csv")
    lines = path.read_text().splitlines()
    lines[7] = "u1"  # line 8: one field instead of 2-3
    path.write_text("\n".join(lines) + "\n")
    assert main(["evaluate", "--data-file", str(path), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert "broken.csv" in error and "line 8" in error


def test_dataset_empty_after_filtering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tiny.csv"
    path.write_text("user,item\n1,1\n1,2\n2,1\n")  # nobody has 3 interactions
    assert main(["evaluate", "--data-file", str(path), "--no-progress"]) == 2
    assert "empty" in capsys.readouterr().err


def test_bad_argument_types_are_refused_by_argparse(data_file: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "--data-file", str(data_file), "--lambdas", "one,two"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        main(["evaluate", "--data-file", str(data_file), "--user-support", "0"])


def test_datasets_lists_every_dataset_and_where(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("1\t1\t5\t0\n")
    assert main(["datasets", "--data-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    for name in ("ml-1m", "amazon-magazine", "ml-100k", "gowalla", "yelp2018", "netflix"):
        assert name in printed
    assert "available" in next(line for line in printed.splitlines() if line.startswith("ml-100k"))


def test_python_dash_m_runs_without_a_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "workbench", "evaluate", "--data-file", str(tmp_path / "none.csv")],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.startswith("error:") and "Traceback" not in completed.stderr


def test_negative_seed_is_refused(data_file: Path) -> None:
    with pytest.raises(SystemExit):
        main(["evaluate", "--data-file", str(data_file), "--seed", "-1"])


def test_a_dataset_without_validation_interactions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "short.csv"
    path.write_text("user,item\n" + "".join(f"{u},{i}\n" for u in range(30) for i in range(u % 5, u % 5 + 5)))
    assert main(["evaluate", "--data-file", str(path), "--no-progress"]) == 2
    assert "no validation interactions" in capsys.readouterr().err


def test_output_into_an_unwritable_place_is_refused_before_work(data_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--data-file", str(data_file), "--output", str(tmp_path), "--no-progress"]) == 2
    assert "is a folder" in capsys.readouterr().err
