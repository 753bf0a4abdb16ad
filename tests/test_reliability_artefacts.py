"""Issue 11, artefacts: provenance on every artefact, atomic writes, whole cached points, numbers in range.

One test (or more) per defect: 1 (a sample or summary of another split or dataset is refused), 2 (a
failed JSON write leaves the previous file whole), 7 (a results file of several datasets is
summarised per dataset), 8 (a partial point is recomputed; a damaged file is refused naming its
line, and left untouched), 9 (seeds beyond 2**32 - 1 are refused where parsed) and 10 (an .npz whose
``row_users`` is out of range is refused at load). Concurrency (defect 3) and kills are in
test_reliability_faults.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPOSITORY
from test_cli import write_interactions
from workbench.cli import main
from workbench.data import load_data_file
from workbench.errors import WorkbenchError
from workbench.budget.curve import summarise_curve
from workbench.budget.runs import BudgetCurveConfig, budget_curve, read_results
from workbench.cli import parse_seeds
from workbench.samplers import get_sampler, load_sample

TINY = dict(samplers=("user-rns", "head-user"), budgets=("20%", "100%"), models=("poprec",), seeds=(1, 2))
POINT = ["dataset", "sampler", "budget", "seed", "model", "settings"]


from test_experiments import data_file, dataset  # noqa: E402,F401  (the same generated file and dataset)


@pytest.fixture(scope="module")
def curve_csv(dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A whole tiny curve (6 points of 20 rows), computed once; tests copy it."""
    output = tmp_path_factory.mktemp("curve") / "curve.csv"
    _, failures = budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert failures == []
    return output


def copy_of(path: Path, folder: Path) -> Path:
    target = folder / path.name
    target.write_bytes(path.read_bytes())
    return target


# --- defect 1: provenance ----------------------------------------------------------------------------


def test_a_sample_made_on_another_split_is_refused_naming_both(data_file: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`sample --seed 1` then `evaluate --train-on` with the default seed 0 leaked test data."""
    sample = tmp_path / "s.npz"
    assert main(["sample", "--data-file", str(data_file), "--sampler", "user-rns", "--budget", "100%", "--seed", "1",
                 "--output", str(sample)]) == 0
    capsys.readouterr()
    evaluate = ["evaluate", "--data-file", str(data_file), "--model", "ease", "--lambdas", "100", "--train-on", str(sample),
                "--no-progress"]
    assert main(evaluate) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith("error: sample file") and str(sample) in error
    seed0, seed1 = load_data_file(data_file, seed=0), load_data_file(data_file, seed=1)
    from workbench.provenance import dataset_fingerprint

    for made in (seed0, seed1):  # both fingerprints and both splits are named
        assert dataset_fingerprint(made).digest in error and made.split_origin in error
    assert main([*evaluate, "--seed", "1"]) == 0  # the split it was made on


def test_a_summary_of_another_dataset_with_as_many_items_is_refused(tmp_path: Path) -> None:
    first = load_data_file(write_interactions(tmp_path / "first.csv", n_users=70, n_items=40, seed=3))
    second = load_data_file(write_interactions(tmp_path / "second.csv", n_users=70, n_items=40, seed=4))
    assert first.n_items == second.n_items
    path = get_sampler("head-user")(first, "30%", seed=0).save(tmp_path / "head.npz")
    assert load_sample(path, dataset=first).n_rows == 21
    with pytest.raises(WorkbenchError, match=r"head\.npz was made on first .* but the dataset here is second"):
        load_sample(path, dataset=second)


def test_a_sample_that_records_no_dataset_is_refused_with_a_way_out(dataset, tmp_path: Path) -> None:
    """Files from before samples recorded their dataset (format 1) cannot be checked: re-make them."""
    from workbench.samplers import run_sampler

    bare = run_sampler("user-rns", dataset.train, "20%", seed=1)
    path = bare.save(tmp_path / "old.npz")
    with np.load(path) as archive:
        arrays = dict(archive)
    metadata = json.loads(str(arrays["metadata"]))
    metadata["format_version"] = 1
    del metadata["dataset"]
    arrays["metadata"] = np.asarray(json.dumps(metadata))
    np.savez_compressed(path, **arrays)
    assert load_sample(path, expected_items=dataset.n_items).n_rows == bare.n_rows  # readable, unchecked
    with pytest.raises(WorkbenchError, match=r"old\.npz: does not record the dataset .*format 1.*re-make it"):
        load_sample(path, dataset=dataset)


def test_budget_curve_rows_carry_the_fingerprint_and_another_split_is_refused(data_file: Path, curve_csv: Path,
                                                                               tmp_path: Path) -> None:
    from workbench.provenance import dataset_fingerprint

    output = copy_of(curve_csv, tmp_path)
    before = output.read_bytes()
    seed0, seed1 = load_data_file(data_file, seed=0), load_data_file(data_file, seed=1)
    assert set(read_results(output)["fingerprint"]) == {dataset_fingerprint(seed0).digest}
    with pytest.raises(WorkbenchError) as caught:
        budget_curve(seed1, BudgetCurveConfig(**TINY), output, progress=False)
    message = str(caught.value)
    assert dataset_fingerprint(seed0).digest in message and dataset_fingerprint(seed1).digest in message
    assert output.read_bytes() == before


def test_a_results_file_without_fingerprints_is_refused_until_adopted(dataset, curve_csv: Path, tmp_path: Path) -> None:
    from workbench.budget.runs import adopt_results

    output = tmp_path / "old.csv"
    pd.read_csv(curve_csv).drop(columns="fingerprint").to_csv(output, index=False)
    before = output.read_bytes()
    with pytest.raises(WorkbenchError, match="written before budget-curve rows recorded the fingerprint.*adopt_results"):
        budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert output.read_bytes() == before
    assert adopt_results(output, dataset) == 120
    pd.testing.assert_frame_equal(read_results(output), read_results(curve_csv))


def test_evaluate_json_reports_and_recorded_results_carry_the_fingerprint(
    dataset, data_file: Path, curve_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.notebooks.results import RESULTS_MIMETYPE, record_results
    from workbench.provenance import dataset_fingerprint

    output = tmp_path / "r.json"
    assert main(["evaluate", "--data-file", str(data_file), "--model", "poprec", "--output", str(output), "--no-progress"]) == 0
    assert json.loads(output.read_text())["provenance"]["dataset"] == dataset_fingerprint(dataset).as_dict()

    from workbench.budget.report import write_budget_report

    frame = read_results(curve_csv)
    report = write_budget_report(tmp_path / "r.html", frame, dataset="mine", metric="HR@10", models=["poprec"])
    assert f"fingerprint {dataset_fingerprint(dataset).digest}" in report.read_text(encoding="utf-8")

    shown: list[dict] = []
    monkeypatch.setattr("IPython.display.display", lambda value, raw=False: shown.append(value))
    record_results({"x": 1}, dataset=dataset)
    assert shown[0][RESULTS_MIMETYPE] == {
        "x": 1, "dataset_fingerprint": dataset_fingerprint(dataset).digest, "split_origin": dataset.split_origin,
    }


# --- defect 2: atomic writes -------------------------------------------------------------------------

_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # writes beyond 1 KiB fail (EFBIG; Python ignores SIGXFSZ)
from workbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", ["evaluate", "reproduce"])
def test_a_failed_json_write_leaves_the_previous_file_whole(data_file: Path, tmp_path: Path, command: str) -> None:
    output = tmp_path / "r.json"
    previous = json.dumps({"previous": "results", "padding": "x" * 100}, indent=2) + "\n"
    output.write_text(previous)
    model = ["--model", "poprec"] if command == "evaluate" else ["--models", "poprec"]
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED, command, "--data-file", str(data_file), *model, "--output", str(output),
         "--no-progress"],
        capture_output=True, text=True, cwd=REPOSITORY, timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("error: --output") and "cannot write the results" in done.stderr
    assert "Traceback" not in done.stderr
    assert output.read_text() == previous  # before: truncated to 1 KiB of the new JSON
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.json"]  # no temporary left


def test_write_atomic_failing_midway_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.atomic import atomic_write, write_atomic

    target = tmp_path / "out.txt"
    write_atomic(target, "old\n")
    with pytest.raises(OSError, match="disk full"), atomic_write(target) as stream:
        stream.write(b"new, half")
        raise OSError(28, "disk full")
    assert target.read_text() == "old\n" and [path.name for path in tmp_path.iterdir()] == ["out.txt"]
    assert write_atomic(target, b"new\n") == target and target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # not mkstemp's 0600


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_every_writer_of_the_package_goes_through_the_atomic_helper() -> None:
    """No direct writes left in the package (data/* and notebook_runs.py are other writers' own)."""
    offenders = []
    for path in sorted((REPOSITORY / "workbench").rglob("*.py")):
        relative = path.relative_to(REPOSITORY).as_posix()
        if relative in ("workbench/atomic.py", "workbench/notebooks/runs.py") or relative.startswith("workbench/data/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if any(call in code for call in (".write_text(", ".write_bytes(", ".to_csv(", ".to_parquet(", "os.replace(")):
                if "to_csv(index=False, lineterminator" in code or "to_parquet(stream" in code or "scratch" in line:
                    continue  # into atomic_write's stream, or a draft that is then written atomically
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


# --- defect 7: several datasets in one results file --------------------------------------------------


def test_a_results_file_of_two_datasets_is_summarised_per_dataset(data_file: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    other = write_interactions(tmp_path / "other.csv", n_users=80, n_items=45, seed=7)
    output = tmp_path / "shared.csv"
    arguments = ["budget-curve", "--samplers", "user-rns", "--budgets", "30%,100%", "--models", "poprec", "--seeds", "1,2",
                 "--output", str(output), "--no-progress"]
    assert main([*arguments, "--data-file", str(data_file)]) == 0
    assert main([*arguments, "--data-file", str(other)]) == 0
    printed = capsys.readouterr().out
    frame = read_results(output)
    summary = summarise_curve(frame)
    assert set(summary["dataset"]) == {"mine", "other"} and len(summary) == 2 * 2  # (user-rns 30 %, full) per dataset
    for name in ("mine", "other"):
        alone = summarise_curve(frame[frame["dataset"] == name])
        mine = summary[summary["dataset"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.reset_index(drop=True))
    assert "mine" in printed.split("rows in")[-2] and "other" in printed.split("rows in")[-2]  # the printed summary


# --- defect 8: whole points only; damaged files refused, untouched -----------------------------------


def test_a_partial_point_is_recomputed_and_replaces_its_rows(dataset, curve_csv: Path, tmp_path: Path) -> None:
    output = tmp_path / "curve.csv"
    whole = pd.read_csv(curve_csv, keep_default_na=False)
    partial = (whole["sampler"] == "head-user") & (whole["seed"] == 2) & (whole["metric"] != "HR@10")
    damaged = whole[~partial].copy()  # that point keeps 2 of its 20 rows (HR@10, validation and test)
    nan = (damaged["sampler"] == "user-rns") & (damaged["seed"] == 1) & (damaged["metric"] == "AUC")
    damaged.loc[nan, "value"] = np.nan  # another point has a NaN
    damaged.to_csv(output, index=False)
    assert len(damaged) == 120 - 18 and nan.sum() == 2
    frame, failures = budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert failures == [] and len(frame) == 120
    key = POINT + ["split", "metric"]
    expected = read_results(curve_csv).drop(columns="seconds").sort_values(key).reset_index(drop=True)
    got = read_results(output).drop(columns="seconds").sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)


def test_a_point_is_computed_again_only_when_not_whole(dataset, curve_csv: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    experiments = importlib.import_module("workbench.budget.runs")
    output = copy_of(curve_csv, tmp_path)
    computed: list[tuple] = []
    real = experiments.evaluate_point
    monkeypatch.setattr(experiments, "evaluate_point", lambda *a: computed.append(a[1:5]) or real(*a))
    budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert computed == []
    lines = output.read_text().splitlines(keepends=True)
    output.write_text("".join(lines[:-1]))  # the last point loses a row, cut at a line break
    budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert len(computed) == 1 and len(read_results(output)) == 120


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        ("cut inside the seed column", r"curve\.csv line 121: 5 fields where the header has 13"),
        ("cut inside the last value", r"curve\.csv line 121: the file ends inside this line"),
        ("a seed that is not a number", r"curve\.csv line 3: seed '1x' is not an integer"),
        ("a value that is not a number", r"curve\.csv line 2: value 'twelve' is not a number"),
        ("an unknown column", r"not a budget-curve file: it has the columns extra"),
        ("a missing column", r"not a budget-curve file: it lacks the columns metric"),
    ],
)
def test_a_damaged_results_file_is_refused_naming_the_line_and_left_untouched(
    dataset, curve_csv: Path, tmp_path: Path, damage: str, expected: str
) -> None:
    output = tmp_path / "curve.csv"
    text = curve_csv.read_text()
    lines = text.splitlines(keepends=True)
    if damage == "cut inside the seed column":  # dataset,fingerprint,sampler,budget,seed: the line ends in the seed
        text = "".join(lines[:-1]) + ",".join(lines[-1].split(",")[:5]) + "\n"
    elif damage == "cut inside the last value":
        text = text.rstrip("\n")[:-3]
    elif damage == "a seed that is not a number":
        header = lines[0].rstrip("\n").split(",")
        fields = lines[2].split(",")
        fields[header.index("seed")] = "1x"
        text = "".join([*lines[:2], ",".join(fields), *lines[3:]])
    elif damage == "a value that is not a number":
        header = lines[0].rstrip("\n").split(",")
        fields = lines[1].split(",")
        fields[header.index("value")] = "twelve"
        text = "".join([lines[0], ",".join(fields), *lines[2:]])
    elif damage == "an unknown column":
        text = "".join(line.rstrip("\n") + ",0\n" for line in lines).replace("seconds,0", "seconds,extra", 1)
    else:
        frame = pd.read_csv(curve_csv, keep_default_na=False).drop(columns="metric")
        text = frame.to_csv(index=False)
    output.write_text(text)
    before = output.read_bytes()
    with pytest.raises(WorkbenchError, match=expected):
        budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert output.read_bytes() == before


def test_the_cli_refuses_a_damaged_file_in_one_line(data_file: Path, curve_csv: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "curve.csv"
    lines = curve_csv.read_text().splitlines(keepends=True)
    output.write_text("".join(lines[:-1]) + lines[-1][:40] + "\n")  # cut inside a field
    before = output.read_bytes()
    assert main(["budget-curve", "--data-file", str(data_file), "--samplers", "user-rns", "--budgets", "20%", "--models",
                 "poprec", "--seeds", "1", "--output", str(output), "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and "line 121" in error and "Traceback" not in error
    assert output.read_bytes() == before


def test_a_damaged_parquet_file_is_refused_and_left_untouched(dataset, curve_csv: Path, tmp_path: Path) -> None:
    output = tmp_path / "curve.parquet"
    read_results(curve_csv).to_parquet(output, index=False)
    output.write_bytes(output.read_bytes()[:-100])
    before = output.read_bytes()
    with pytest.raises(WorkbenchError, match=r"curve\.parquet: cannot read the results already there"):
        budget_curve(dataset, BudgetCurveConfig(**TINY), output, progress=False)
    assert output.read_bytes() == before


# --- defect 9: seeds out of range --------------------------------------------------------------------


def test_seeds_beyond_32_bits_are_refused_where_parsed(data_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WorkbenchError, match=r"--seeds: expected an integer from 0 to 4294967295, got 99999999999999999999"):
        parse_seeds("1,99999999999999999999")
    assert parse_seeds("0,4294967295") == (0, 2**32 - 1)
    with pytest.raises(WorkbenchError, match=r"^seeds: .*4294967296"):
        BudgetCurveConfig(samplers=("user-rns",), budgets=("20%",), models=("poprec",), seeds=(2**32,))
    output = tmp_path / "curve.csv"
    assert main(["budget-curve", "--data-file", str(data_file), "--samplers", "user-rns", "--budgets", "20%", "--models",
                 "poprec", "--seeds", "99999999999999999999", "--output", str(output), "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --seeds") and "\n" not in error
    assert not output.exists()  # refused before any point was computed
    for command in (["evaluate", "--data-file", str(data_file)], ["generate", "--output", str(tmp_path / "g")]):
        with pytest.raises(SystemExit) as stopped:  # argparse: usage and one error line, status 2
            main([*command, "--seed", "4294967296"])
        assert stopped.value.code == 2
        assert "argument --seed: expected an integer from 0 to 4294967295" in capsys.readouterr().err


# --- defect 10: row_users out of range ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(10**15, "row_users holds 1000000000000000, beyond the 90 users"),
                                                 (-5, "row_users holds -5, expected -1")])
def test_row_users_out_of_range_are_refused_at_load(dataset, data_file: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str], value: int, expected: str) -> None:
    path = get_sampler("user-rns")(dataset, "20%", seed=0).save(tmp_path / "s.npz")
    with np.load(path) as archive:
        arrays = dict(archive)
    arrays["row_users"] = arrays["row_users"].copy()
    arrays["row_users"][3] = value
    np.savez_compressed(path, **arrays)
    with pytest.raises(WorkbenchError, match=rf"s\.npz: {expected}"):
        load_sample(path, dataset=dataset)
    with pytest.raises(WorkbenchError, match=rf"s\.npz: {expected}"):
        load_sample(path)  # the file records its dataset's 90 users
    assert main(["evaluate", "--data-file", str(data_file), "--model", "poprec", "--train-on", str(path), "--no-progress"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: sample file") and "row_users" in error and "\n" not in error
