"""Headless notebook runs that fail loudly (issue 11).

`workbench run notebooks/02_data_budget.ipynb -p dataset ml-100k -p seeds a,b` used to exit 0 and print
"No full-data point: add 100% to the budgets.": every point had failed inside the notebook and nothing
outside said so. Now parameters the package can check are refused before the notebook runs, a run whose
notebook recorded failures or no answer exits 1 printing them, and Ctrl-C stops `run`/`sweep` without
the kernel's ZMQ tracebacks and without leaving `*.running.ipynb` files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from conftest import REPOSITORY
from workbench.cli import main

pytestmark = pytest.mark.notebook
DATA_BUDGET = REPOSITORY / "notebooks" / "02_data_budget.ipynb"


def _write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    parameter_cell = new_code_cell(parameters)
    parameter_cell.metadata["tags"] = ["parameters"]
    notebook = new_notebook(cells=[parameter_cell, *(new_code_cell(cell) for cell in cells)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


@pytest.fixture
def answering_notebook(tmp_path: Path) -> Path:
    """Records what its parameters say: its failures and its answer, the way notebook 02 records them."""
    return _write_notebook(
        tmp_path / "answering.ipynb",
        'failures = []  # what failed on the way\nanswer = "yes"  # the answer ("" for none)',
        "from workbench.notebooks.results import record_results\n"
        "record_results({'failures': failures, 'answer': answer, 'full_value': 1.0})",
    )


@pytest.fixture
def sleepy_notebook(tmp_path: Path) -> Path:
    """Writes ``started-<x>.pid`` (its kernel's pid) in its folder, then sleeps far longer than any test."""
    return _write_notebook(
        tmp_path / "sleepy.ipynb",
        "x = 1  # an id\nsleep = 600  # seconds",
        "import os, time\nfrom pathlib import Path\n"
        "Path(f'started-{x}.pid').write_text(str(os.getpid()))\ntime.sleep(sleep)",
        "from workbench.notebooks.results import record_results\nrecord_results({'x': x})",
    )


@pytest.fixture
def no_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any notebook is executed: the refusals below must come before."""
    import papermill

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the notebook was executed although its parameters are invalid")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


# --- parameters refused before the notebook runs --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("seeds", "a,b", "parameter 'seeds' expects a list of integers (default [1]), got ['a', 'b']: 'a' is a string"),
        ("seeds", "{a: 1}", "parameter 'seeds' expects a list of integers (default [1]), got {'a': 1} (a mapping)"),
        ("seeds", "1,-1", "parameter 'seeds' expects integers from 0 to 4294967295, got -1"),
        ("seeds", "4294967296", "parameter 'seeds' expects integers from 0 to 4294967295, got 4294967296"),
        ("metric", "HR@11", "parameter 'metric': unknown metric 'HR@11'; valid metrics: HR@10,"),
        ("models", "ease,EASE", "parameter 'models': unknown model 'EASE'; valid models: infinite-ae, ease, poprec"),
    ],
)
def test_bad_parameter_is_refused_before_the_notebook_runs(
    no_execution: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, value: str, message: str
) -> None:
    code = main(["run", str(DATA_BUDGET), "-p", "dataset", "ml-100k", "-p", name, value, "--output-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2
    assert error.startswith("error: notebook 02_data_budget.ipynb: ") and message in error
    assert len(error.strip().splitlines()) == 1


def test_bad_value_in_a_sweep_grid_is_refused_before_any_run(no_execution: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("dataset: [ml-100k]\nseeds: [[1], [a]]\n")  # a valid dataset, so the check that fires is the seeds one
    assert main(["sweep", str(DATA_BUDGET), "--grid", str(grid), "--output-dir", str(tmp_path), "--no-progress"]) == 2
    assert "parameter 'seeds' expects a list of integers" in capsys.readouterr().err


# --- runs whose notebook recorded failures or no answer -------------------------------------------


def test_recorded_problems_are_the_failures_and_a_missing_answer() -> None:
    from workbench.notebooks.runs import recorded_problems

    assert recorded_problems({"failures": [], "answer": "yes", "full_value": 33.0}) == []
    assert recorded_problems({"double": 4}) == []  # a notebook that answers no question
    assert recorded_problems({"failures": ["point a: boom", "point b: boom"]}) == ["point a: boom", "point b: boom"]
    assert recorded_problems({"answer": None}) == ["the notebook recorded no answer"]
    (problem,) = recorded_problems({"answer": "No full-data point: add 100% to the budgets.", "full_value": None, "metric": "HR@11"})
    assert "no full-data value of HR@11" in problem and "No full-data point" in problem


def test_run_that_recorded_failures_exits_non_zero_and_prints_them(
    answering_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", str(answering_notebook), "-p", "failures", "point 1 broke,point 2 broke", "--output-dir", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 1
    assert "failed: point 1 broke" in error and "failed: point 2 broke" in error
    assert "recorded 2 problem(s)" in error


def test_run_that_recorded_no_answer_exits_non_zero(answering_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(answering_notebook), "-p", "answer", "", "--output-dir", str(tmp_path / "out")]) == 1
    assert "failed: the notebook recorded no answer" in capsys.readouterr().err
    assert main(["run", str(answering_notebook), "--output-dir", str(tmp_path / "out")]) == 0


def test_sweep_counts_a_run_with_recorded_failures_as_failed(
    answering_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("failures: [[], [point broke]]\n")
    out = tmp_path / "sweep"
    assert main(["sweep", str(answering_notebook), "--grid", str(grid), "--output-dir", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "1 run, 0 already complete, 1 failed" in captured.out
    assert "point broke" in captured.err
    assert len(list((out / "answering").glob("*.failed.ipynb"))) == 1
    # Re-running skips the answered run and tries the failed one again (still failing).
    assert main(["sweep", str(answering_notebook), "--grid", str(grid), "--output-dir", str(out), "--no-progress"]) == 1
    assert "0 run, 1 already complete, 1 failed" in capsys.readouterr().out


@pytest.fixture(scope="module")
def data_budget_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the notebook-02 runs below: the second reuses the first's cached full-data point."""
    return tmp_path_factory.mktemp("data-budget")


TINY_DATA_BUDGET = ["-p", "dataset", "ml-100k", "-p", "samplers", "user-rns", "-p", "models", "poprec", "-p", "seeds", "1"]


@pytest.mark.real_data
@pytest.mark.slow
def test_data_budget_run_whose_points_all_fail_exits_non_zero(
    real_data_dir: Path, monkeypatch: pytest.MonkeyPatch, data_budget_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 5,000 users is more than ML-100K has: every sampled point fails inside the notebook.
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    code = main(["run", str(DATA_BUDGET), *TINY_DATA_BUDGET, "-p", "budgets", "5000", "--output-dir", str(data_budget_output)])
    error = capsys.readouterr().err
    assert code == 1
    assert "failed: user-rns" in error and "5000 users is more than the 943 users" in error


@pytest.mark.real_data
@pytest.mark.slow
def test_data_budget_run_without_a_full_data_value_exits_non_zero(
    real_data_dir: Path, monkeypatch: pytest.MonkeyPatch, data_budget_output: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Recall@20 is a metric of the package (LightGCN's protocol), but not one a budget curve on ML-100K computes:
    # the notebook answers "No full-data point", which used to exit 0.
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    code = main(["run", str(DATA_BUDGET), *TINY_DATA_BUDGET, "-p", "budgets", "5%", "-p", "metric", "Recall@20",
                 "--output-dir", str(data_budget_output)])
    error = capsys.readouterr().err
    assert code == 1
    assert "failed: the notebook recorded no full-data value of Recall@20" in error


# --- Ctrl-C ---------------------------------------------------------------------------------------


def test_interrupted_sweep_leaves_no_running_notebook(
    answering_notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import papermill

    def interrupted(source: str, output: str, **kwargs: object) -> None:
        Path(output).write_text("{}")  # papermill writes the output notebook as soon as it starts
        raise KeyboardInterrupt

    monkeypatch.setattr(papermill, "execute_notebook", interrupted)
    grid = tmp_path / "grid.yaml"
    grid.write_text("answer: [a, b]\n")
    out = tmp_path / "sweep"
    assert main(["sweep", str(answering_notebook), "--grid", str(grid), "--output-dir", str(out), "--no-progress"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted"
    assert list(out.rglob("*.running.ipynb")) == []
    assert list(out.rglob("*.ipynb")) == []  # neither run was completed, nor counted as failed


def _wait_for(paths: Callable[[], list[Path]], count: int, process: subprocess.Popen[str], timeout_s: float) -> list[Path]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = paths()
        if len(found) >= count:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    output, error = process.communicate()
    pytest.fail(f"the notebooks did not start within {timeout_s:.0f} s:\n{output}\n{error}")


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie not yet reaped has ended too)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["sweep", "run"])
def test_ctrl_c_stops_cleanly(sleepy_notebook: Path, tmp_path: Path, command: str) -> None:
    out = tmp_path / "out"
    if command == "sweep":
        grid = tmp_path / "grid.yaml"
        grid.write_text("x: [1, 2, 3]\n")
        arguments, started = ["sweep", str(sleepy_notebook), "--grid", str(grid), "--jobs", "2", "--no-progress"], 2
    else:
        arguments, started = ["run", str(sleepy_notebook)], 1
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", *arguments, "--output-dir", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, which gets the SIGINT as a terminal's would
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    markers = _wait_for(lambda: list(out.rglob("started-*.pid")), started, process, timeout_s=240)
    kernels = [int(marker.read_text()) for marker in markers]
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
    try:
        _, error = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("still running 60 s after Ctrl-C")
    assert process.returncode == 130
    assert "Traceback" not in error and "ZMQError" not in error and "Kernel died" not in error, error
    assert error.strip().endswith("interrupted")
    assert list(out.rglob("*.running.ipynb")) == []
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(_gone(pid) for pid in kernels), "a kernel outlived the interrupted run"
