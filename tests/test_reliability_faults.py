"""Issue 11, caches under concurrency and kills: several processes adding points to one results file
(defect 3) lose nothing, and runs killed with SIGKILL at random moments resume to the table an
uninterrupted run makes, with no point lost or partial."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPOSITORY
from test_cli import write_interactions
from workbench.data import load_data_file
from workbench.distill import DistillConfig
from workbench.budget.runs import BudgetCurveConfig, budget_curve, expected_point_rows, read_results, whole_points

KEY = ["dataset", "fingerprint", "sampler", "budget", "seed", "model", "settings", "split", "metric"]
MARK = "WORKBENCH_FAULT_TEST"


def sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows without their timing, in a fixed order."""
    return frame.drop(columns="seconds").sort_values(KEY).reset_index(drop=True)


def assert_whole(frame: pd.DataFrame, points: int) -> None:
    """``points`` points, each whole (one finite row per split and metric), nothing else."""
    assert len(whole_points(frame)) == points
    assert len(frame) == points * len(expected_point_rows())


def start(arguments: list[str], token: str, **environment: str) -> subprocess.Popen:
    """A command in its own process group, its environment marked with ``token`` (inherited by its children)."""
    return subprocess.Popen(
        arguments, cwd=REPOSITORY, env={**os.environ, MARK: token, **environment}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def marked_processes(token: str) -> list[int]:
    """Processes whose environment carries ``token``: the ones a test started, and their children."""
    mark = f"{MARK}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def kill_everything(process: subprocess.Popen, token: str) -> bool:
    """SIGKILL the command's process group, then every process it started elsewhere (notebook kernels
    run in sessions of their own), as a power cut would. Returns whether the command was still running."""
    running = process.poll() is None
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
    deadline = time.monotonic() + 20
    while (left := marked_processes(token)) and time.monotonic() < deadline:
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    assert not marked_processes(token), "a process of the test survived SIGKILL"
    return running


def wait_for_more_points(cache: Path, process: subprocess.Popen, timeout: float) -> None:
    """Until ``cache`` holds one more whole point than now, or the command ends."""
    before = len(whole_points(read_results(cache))) if cache.exists() else 0
    deadline = time.monotonic() + timeout
    seen = None
    while process.poll() is None and time.monotonic() < deadline:
        stamp = cache.stat().st_mtime_ns if cache.exists() else None
        if stamp != seen:
            seen = stamp
            if stamp is not None and len(whole_points(read_results(cache))) > before:
                return
        time.sleep(0.1)


# --- defect 3: two processes, one results file --------------------------------------------------------


def test_two_processes_adding_points_to_one_file_lose_nothing(tmp_path: Path) -> None:
    """Before: each process kept the rows it had read at its start and wrote them all back through one
    fixed temporary name, so the last to write dropped the other's points (or the rename failed)."""
    data = write_interactions(tmp_path / "mine.csv", n_users=90, n_items=50, seed=2)
    output = tmp_path / "curve.csv"
    grid = ["--samplers", "user-rns,head-user,interaction-rns", "--budgets", "10%,20%,30%,40%,50%,60%,100%",
            "--models", "poprec", "--output", str(output), "--no-progress"]
    token = uuid.uuid4().hex
    processes = [
        start([sys.executable, "-m", "workbench", "budget-curve", "--data-file", str(data), *grid, "--seeds", seed], token)
        for seed in ("1", "2")
    ]
    for process in processes:
        _, error = process.communicate(timeout=300)
        assert process.returncode == 0, error
    frame = read_results(output)
    assert_whole(frame, 2 * (3 * 6 + 1))
    assert set(frame["seed"]) == {1, 2}
    assert sorted(path.name for path in tmp_path.iterdir()) == [".curve.csv.lock", "curve.csv", "mine.csv"]


# --- kills at random moments ----------------------------------------------------------------------------


@pytest.mark.slow
def test_budget_curve_killed_at_random_moments_resumes_to_the_uninterrupted_table(tmp_path: Path) -> None:
    data = write_interactions(tmp_path / "generated.csv", n_users=3000, n_items=300, seed=5)
    output = tmp_path / "curve.csv"
    grid = dict(samplers=("user-rns", "head-user"), budgets=("5%", "10%", "20%", "100%"), models=("poprec",), seeds=(1, 2))
    arguments = [
        sys.executable, "-m", "workbench", "budget-curve", "--data-file", str(data), "--samplers", ",".join(grid["samplers"]),
        "--budgets", ",".join(grid["budgets"]), "--models", "poprec", "--seeds", "1,2", "--output", str(output), "--no-progress",
    ]
    points = (2 * 3 + 1) * 2
    rng = random.Random(11)
    token = uuid.uuid4().hex
    killed_running = 0
    done_after_kill = []
    for _ in range(3):
        process = start(arguments, token)
        time.sleep(rng.uniform(1.5, 5.0))
        killed_running += kill_everything(process, token)
        if output.exists():  # never half-written: it reads, and holds whole points only
            frame = read_results(output)
            done = len(whole_points(frame))
            assert_whole(frame, done)
            done_after_kill.append(done)
    assert killed_running >= 1, "no kill landed while the command ran: lengthen the run or shorten the delays"
    finished = subprocess.run(arguments, cwd=REPOSITORY, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    frame = read_results(output)
    assert_whole(frame, points)
    reference, failures = budget_curve(load_data_file(data, seed=0), BudgetCurveConfig(**grid), tmp_path / "reference.csv",
                                       progress=False)
    assert failures == []
    pd.testing.assert_frame_equal(sorted_rows(frame), sorted_rows(reference))
    assert list(tmp_path.glob(".curve.csv.*.tmp")) == []  # temporaries of killed writers were cleared
    print(f"points saved after each kill: {done_after_kill}; kills that landed mid-run: {killed_running}")


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.real_data
def test_sweep_with_two_jobs_killed_at_random_moments_resumes_to_the_uninterrupted_table(real_data_dir: Path,
                                                                                          tmp_path: Path) -> None:
    """`workbench sweep --jobs 2` over notebook 02: two runs (seeds 1 and 2) add points to one shared
    budget_curve.csv; the sweep, its workers and their kernels are killed together, then resumed."""
    from workbench.data import load_dataset

    grid = tmp_path / "grid.yaml"
    grid.write_text(
        "dataset: ml-100k\nsamplers: [[user-rns, head-user]]\nbudgets: [['2%', '5%', '10%', '20%']]\nmodels: [[poprec]]\n"
        "seeds: [[1], [2]]\n"
    )
    runs = tmp_path / "runs"
    arguments = [sys.executable, "-m", "workbench", "sweep", str(REPOSITORY / "notebooks" / "02_data_budget.ipynb"),
                 "--grid", str(grid), "--jobs", "2", "--output-dir", str(runs), "--no-progress"]
    environment = {"WORKBENCH_DATA": str(real_data_dir)}
    cache = runs / "02_data_budget" / "budget_curve.csv"
    rng = random.Random(5)
    token = uuid.uuid4().hex
    killed_running = 0
    done_after_kill = []
    for attempt in range(3):
        process = start(arguments, token, **environment)
        if attempt == 0:  # while the kernels start
            time.sleep(rng.uniform(1.0, 3.0))
        else:  # while points are computed and written: after the next point lands, at a random moment
            wait_for_more_points(cache, process, timeout=120)
            time.sleep(rng.uniform(0.0, 0.5))
        killed_running += kill_everything(process, token)
        if cache.exists():
            frame = read_results(cache)
            done_after_kill.append(len(whole_points(frame)))
            assert_whole(frame, done_after_kill[-1])
    assert killed_running >= 1, "no kill landed while the sweep ran"
    finished = subprocess.run(arguments, cwd=REPOSITORY, capture_output=True, text=True, timeout=400,
                              env={**os.environ, **environment})
    assert finished.returncode == 0, finished.stdout + finished.stderr
    frame = read_results(cache)
    assert_whole(frame, 2 * (2 * 4 + 1))
    config = BudgetCurveConfig(samplers=("user-rns", "head-user"), budgets=("2%", "5%", "10%", "20%", "100%"), models=("poprec",),
                               seeds=(1, 2), distill=DistillConfig(steps=50, draws=200))
    reference, failures = budget_curve(load_dataset("ml-100k", data_dir=real_data_dir), config, tmp_path / "reference.csv",
                                       progress=False)
    assert failures == []
    pd.testing.assert_frame_equal(sorted_rows(frame), sorted_rows(reference))
    table = pd.read_csv(runs / "02_data_budget" / "results.csv")
    assert len(table) == 2 and set(table["status"]) <= {"done", "skipped"}
    print(f"points saved after each kill: {done_after_kill}; kills that landed mid-run: {killed_running}")
