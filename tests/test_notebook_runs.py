"""Running notebooks headless: parameter checks, recorded results, sweeps that resume and survive failures."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.notebooks.results import read_recorded_results
from workbench.notebooks.runs import (
    check_parameters,
    notebook_parameters,
    parse_parameter_text,
    read_grid,
    run_id,
    run_notebook,
    sweep,
)

pytestmark = pytest.mark.notebook


@pytest.fixture
def tiny_notebook(tmp_path: Path) -> Path:
    """A notebook with typed parameters that appends to a counter file, can fail, and records x * 2."""
    parameters = new_code_cell(
        'x = 1  # an integer\n'
        'rate = 0.5  # a number\n'
        'name = "a"  # a string\n'
        'items = ["a", "b"]  # a list of strings\n'
        'flag = False  # a boolean\n'
        'counter = ""  # a file to append a line to on every execution\n'
        'fail_when = -1  # raise when x equals this'
    )
    parameters.metadata["tags"] = ["parameters"]
    body = new_code_cell(
        "from pathlib import Path\n"
        "if counter:\n"
        "    with open(counter, 'a') as handle:\n"
        "        handle.write(f'{x}\\n')\n"
        "if x == fail_when:\n"
        "    raise RuntimeError(f'x is {x}')"
    )
    last = new_code_cell(
        "from workbench.notebooks.results import record_results\n"
        "record_results({'double': x * 2, 'rate': rate, 'name': name, 'items': items, 'flag': flag})"
    )
    notebook = new_notebook(cells=[parameters, body, last])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "tiny.ipynb"
    nbformat.write(notebook, path)
    return path


def test_parameters_are_read_with_their_defaults(tiny_notebook: Path) -> None:
    parameters = notebook_parameters(tiny_notebook)
    assert list(parameters) == ["x", "rate", "name", "items", "flag", "counter", "fail_when"]
    assert parameters["items"].default == ["a", "b"]
    assert parameters["rate"].default == 0.5


def test_unknown_parameter_is_refused_with_the_valid_ones(tiny_notebook: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"no parameter 'y'.*valid parameters: x, rate, name, items, flag"):
        check_parameters(tiny_notebook, {"y": 1})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("x", "3", "an integer"), ("x", 1.5, "an integer"), ("flag", 1, "a boolean"), ("items", "a", "a list"), ("rate", "fast", "a number")],
)
def test_wrong_type_is_refused(tiny_notebook: Path, name: str, value: object, expected: str) -> None:
    with pytest.raises(WorkbenchError, match=rf"parameter '{name}' expects {expected}"):
        check_parameters(tiny_notebook, {name: value})


def test_integer_is_widened_to_a_float(tiny_notebook: Path) -> None:
    assert check_parameters(tiny_notebook, {"rate": 1}) == {"rate": 1.0}


def test_command_line_text_is_fitted_to_the_default(tiny_notebook: Path) -> None:
    parameters = notebook_parameters(tiny_notebook)
    assert parse_parameter_text(parameters["x"], "4") == 4
    assert parse_parameter_text(parameters["name"], "100") == "100"
    assert parse_parameter_text(parameters["items"], "1%,2%, 10%") == ["1%", "2%", "10%"]
    assert parse_parameter_text(parameters["items"], '["c"]') == ["c"]
    assert parse_parameter_text(parameters["flag"], "true") is True


def test_run_returns_the_recorded_results(tiny_notebook: Path, tmp_path: Path) -> None:
    results = run_notebook(tiny_notebook, {"x": 21, "items": ["z"]}, tmp_path / "out" / "tiny.ipynb")
    assert results == {"double": 42, "rate": 0.5, "name": "a", "items": ["z"], "flag": False}
    assert read_recorded_results(tmp_path / "out" / "tiny.ipynb")["double"] == 42


def test_failed_run_names_the_cell_and_error(tiny_notebook: Path, tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"failed in cell .*RuntimeError: x is 3"):
        run_notebook(tiny_notebook, {"x": 3, "fail_when": 3}, tmp_path / "failed.ipynb")
    with pytest.raises(WorkbenchError, match="no recorded results"):
        read_recorded_results(tmp_path / "failed.ipynb")


def test_grid_is_the_product_of_its_lists(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("x: [1, 2]\nname: [a, b, c]\nitems: [[p, q]]\nflag: true\n")
    runs = read_grid(grid)
    assert len(runs) == 6
    assert runs[0] == {"x": 1, "name": "a", "items": ["p", "q"], "flag": True}


def test_grid_that_does_not_parse_names_the_line(tmp_path: Path) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("x: [1, 2]\nname: [a, b\nrate: 0.5\n")
    with pytest.raises(WorkbenchError, match=r"grid.yaml line 3, column \d+: not valid YAML"):
        read_grid(grid)
    grid.write_text("- 1\n- 2\n")
    with pytest.raises(WorkbenchError, match="expected a mapping"):
        read_grid(grid)


def test_run_ids_are_distinct_and_file_safe() -> None:
    first, second = run_id({"x": 1, "items": ["a/b"]}), run_id({"x": 1, "items": ["a", "b"]})
    assert first != second
    assert "/" not in first and " " not in first


def test_sweep_resumes_without_recomputing_and_survives_a_failure(tiny_notebook: Path, tmp_path: Path) -> None:
    counter = tmp_path / "executions.txt"
    runs = [{"x": x, "counter": str(counter), "fail_when": 2} for x in (1, 2, 3)]
    finished, table = sweep(tiny_notebook, runs, tmp_path / "sweep", progress=False)
    assert [run.status for run in finished] == ["done", "failed", "done"]
    assert "x is 2" in finished[1].error
    assert list(table["double"].iloc[[0, 2]]) == [2, 6]
    assert sorted(counter.read_text().split()) == ["1", "2", "3"]
    assert (tmp_path / "sweep" / "tiny" / "results.csv").exists()
    assert finished[1].notebook.with_suffix(".failed.ipynb").exists()

    # An interrupted sweep leaves a run without results: simulate one by deleting run 3's notebook.
    finished[2].notebook.unlink()
    finished, table = sweep(tiny_notebook, runs, tmp_path / "sweep", progress=False)
    assert [run.status for run in finished] == ["skipped", "failed", "done"]
    assert sorted(counter.read_text().split()) == ["1", "2", "2", "3", "3"]  # run 1 not executed again


def test_sweep_checks_every_run_before_executing(tiny_notebook: Path, tmp_path: Path) -> None:
    counter = tmp_path / "executions.txt"
    with pytest.raises(WorkbenchError, match="parameter 'x' expects an integer"):
        sweep(tiny_notebook, [{"x": 1, "counter": str(counter)}, {"x": "two"}], tmp_path / "sweep", progress=False)
    assert not counter.exists()


def test_cli_run_refuses_unknown_parameter(tiny_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny_notebook), "-p", "y", "1", "--output-dir", str(tmp_path)]) == 2
    assert "valid parameters: x, rate, name, items, flag, counter, fail_when" in capsys.readouterr().err


def test_cli_run_refuses_wrong_type(tiny_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny_notebook), "-p", "x", "many", "--output-dir", str(tmp_path)]) == 2
    assert "parameter 'x' expects an integer" in capsys.readouterr().err


def test_cli_sweep_reports_a_bad_grid(tiny_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    grid = tmp_path / "grid.yaml"
    grid.write_text("x: [1,\n")
    assert main(["sweep", str(tiny_notebook), "--grid", str(grid), "--output-dir", str(tmp_path)]) == 2
    assert "grid.yaml line" in capsys.readouterr().err


def test_cli_run_and_sweep_end_to_end(tiny_notebook: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny_notebook), "-p", "x", "5", "--output-dir", str(tmp_path / "run")]) == 0
    assert "double: 10" in capsys.readouterr().out
    grid = tmp_path / "grid.yaml"
    grid.write_text("x: [1, 2]\n")
    assert main(["sweep", str(tiny_notebook), "--grid", str(grid), "--jobs", "2", "--output-dir", str(tmp_path / "s")]) == 0
    assert "2 run, 0 already complete, 0 failed" in capsys.readouterr().out
    assert main(["sweep", str(tiny_notebook), "--grid", str(grid), "--output-dir", str(tmp_path / "s"), "--no-progress"]) == 0
    assert "0 run, 2 already complete, 0 failed" in capsys.readouterr().out
