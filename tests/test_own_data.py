"""A user's own data file wherever a dataset is named: notebook 02, the panel, the CLI, open_dataset."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from test_cli import write_interactions
from workbench.budget.curve import BudgetCurve
from workbench.budget.panel import BudgetPanel
from workbench.budget.runs import read_results
from workbench.cli import main
from workbench.data import dataset_name, load_data_file, open_dataset
from workbench.errors import WorkbenchError
from workbench.notebooks.runs import check_known_parameter, run_notebook

REPOSITORY = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_interactions(tmp_path_factory.mktemp("mine") / "shop_log.csv", n_users=120, n_items=60, seed=5)


def test_open_dataset_reads_a_file_as_evaluate_data_file_does(log_file: Path) -> None:
    opened, direct = open_dataset(str(log_file), seed=3), load_data_file(log_file, seed=3)
    assert opened.name == dataset_name(str(log_file)) == "shop_log"
    assert (opened.train != direct.train).nnz == 0 and (opened.test != direct.test).nnz == 0


def test_open_dataset_names_the_parameter_when_it_is_neither(tmp_path: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"^dataset: 'ml-2m': not a registered dataset and no such file; .*ml-1m"):
        open_dataset("ml-2m")
    with pytest.raises(WorkbenchError, match=r"^--dataset: .*no such file: .*absent\.csv"):
        open_dataset(str(tmp_path / "absent.csv"), parameter="--dataset")


def test_a_notebook_parameter_path_is_made_absolute_and_checked(log_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(log_file.parent)
    assert check_known_parameter("dataset", log_file.name, "02.ipynb") == str(log_file.resolve())
    assert check_known_parameter("datasets", ["ml-1m", log_file.name], "04.ipynb") == ["ml-1m", str(log_file.resolve())]
    with pytest.raises(WorkbenchError, match="parameter 'dataset'.*neither a dataset name"):
        check_known_parameter("dataset", "nowhere.csv", "02.ipynb")
    with pytest.raises(WorkbenchError, match="unknown sampler 'random'"):
        check_known_parameter("samplers", ["user-rns", "random"], "02.ipynb")


@pytest.mark.notebook
@pytest.mark.slow
def test_data_budget_notebook_on_a_generated_file(log_file: Path, tmp_path: Path) -> None:
    results = run_notebook(
        REPOSITORY / "notebooks" / "02_data_budget.ipynb",
        {"dataset": str(log_file), "samplers": ["distill-cf", "user-rns"], "budgets": ["10%", "30%"], "seeds": [1],
         "distill_steps": 4, "distill_draws": 20},
        tmp_path / "02.ipynb",
    )
    assert results["failures"] == [] and results["dataset"] == "shop_log"
    assert set(results["curve"]) == {"distill-cf", "user-rns", "full"}
    curve = BudgetCurve.from_results(pd.read_csv(tmp_path / "budget_curve.csv"), dataset="shop_log", metric="HR@10",
                                     model="infinite-ae")
    assert results["answer"] == curve.answer(0.95).sentence and results["curve"] == curve.means()


def test_panel_on_a_generated_file(log_file: Path, tmp_path: Path) -> None:
    results = tmp_path / "panel.csv"
    panel = BudgetPanel(results, datasets=[str(log_file)], samplers=("user-rns", "head-user"), budgets=("20%",),
                        seeds=(1,), models=("poprec",), progress=False)
    assert panel.dataset_dropdown.label == "shop_log" and panel.dataset_name == "shop_log"
    assert len(panel.missing()) == 3  # two samplers at 20 % and full data
    assert panel.compute_missing() == [] and panel.missing() == []
    frame = read_results(results)
    assert set(frame["dataset"]) == {"shop_log"} and set(frame["sampler"]) == {"user-rns", "head-user", "full"}
    assert panel.answer_text.startswith("On shop_log, ")


def test_cli_commands_take_a_file_as_dataset(log_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "curve.csv"
    assert main(["budget-curve", "--dataset", str(log_file), "--samplers", "user-rns", "--budgets", "30%,100%",
                 "--models", "poprec", "--seeds", "1", "--output", str(output), "--no-progress"]) == 0
    assert set(read_results(output)["dataset"]) == {"shop_log"}
    assert main(["sample", "--dataset", str(log_file), "--sampler", "head-user", "--budget", "10%",
                 "--output", str(tmp_path / "head.npz")]) == 0
    assert main(["sample", "--dataset", str(log_file), "--sampler", "random", "--budget", "10%",
                 "--output", str(tmp_path / "x.npz")]) == 2
    assert "error: --sampler: unknown sampler 'random'" in capsys.readouterr().err
    assert main(["budget-curve", "--dataset", str(log_file), "--output", str(tmp_path / "curve.txt")]) == 2
    assert "error: --output " in capsys.readouterr().err
