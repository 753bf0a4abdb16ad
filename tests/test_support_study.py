"""The support study (Nyström landmarks vs a random sample) on generated data, and its notebook on ML-100K."""

from __future__ import annotations

import pytest

from conftest import REPOSITORY, random_binary_matrix
from test_data_dataset import interactions_from_matrix
from workbench.data import build_dataset
from workbench.errors import WorkbenchError
from workbench.figures.support import support_figure
from workbench.models import InfiniteAE
from workbench.notebooks.runs import run_notebook
from workbench.support.study import SupportStudyConfig, support_curve, support_results, support_table


@pytest.fixture(scope="module")
def frame():
    dataset = build_dataset("generated", interactions_from_matrix(random_binary_matrix(300, 150, 0.08, seed=2)), seed=0)
    config = SupportStudyConfig(fractions=(0.1, 0.5), model=InfiniteAE(lambdas=(1.0, 20.0)))
    return support_curve(dataset, config, seed=0, progress=False)


def test_one_row_per_method_and_fraction_plus_the_full_model(frame) -> None:
    assert sorted(zip(frame["method"], frame["fraction"])) == [
        ("full", 1.0), ("nystrom", 0.1), ("nystrom", 0.5), ("sample", 0.1), ("sample", 0.5)
    ]
    assert set(frame.loc[frame["method"] != "full", "support_users"]) == {30, 150}
    assert (frame["dataset"] == "generated").all() and frame["split"].str.contains("seed").all()


def test_table_results_and_figure_agree(frame) -> None:
    table = support_table(frame, "NDCG@10")
    results = support_results(frame, "NDCG@10")
    full = frame.loc[frame["method"] == "full", "test NDCG@10"].item()
    assert results["full"] == pytest.approx(full) and (table["full"] == full).all()
    nystrom = frame[(frame["method"] == "nystrom") & (frame["fraction"] == 0.5)]["test NDCG@10"].item()
    assert results["nystrom"]["0.5"] == pytest.approx(nystrom)
    figure = support_figure(frame, "NDCG@10", dataset="generated")
    assert [trace.name.split(" ")[0] for trace in figure.data] == ["Sample", "Nyström"]
    assert list(figure.data[1].y) == pytest.approx([results["nystrom"]["0.1"], results["nystrom"]["0.5"]])


def test_bad_grids_and_metrics_are_refused(frame) -> None:
    with pytest.raises(WorkbenchError, match="fractions"):
        SupportStudyConfig(fractions=(0.0,))
    with pytest.raises(WorkbenchError, match="methods"):
        SupportStudyConfig(methods=("landmarks",))
    with pytest.raises(WorkbenchError, match="metric"):
        support_table(frame, "HR@11")


@pytest.mark.notebook
@pytest.mark.real_data
@pytest.mark.slow
def test_support_notebook_records_both_methods(real_data_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("WORKBENCH_DATA", str(real_data_dir))
    results = run_notebook(
        REPOSITORY / "notebooks" / "06_user_support.ipynb",
        {"dataset": "ml-100k", "fractions": [0.05, 0.3]},
        tmp_path / "06.ipynb",
    )
    assert results["dataset"] == "ml-100k" and results["metric"] == "NDCG@10"
    assert set(results["sample"]) == set(results["nystrom"]) == {"0.05", "0.3"}
    # Nyström keeps every user's data: with 30 % of the users as landmarks it beats fitting on them alone.
    assert results["nystrom"]["0.3"] > results["sample"]["0.3"]
    assert 0 < results["sample"]["0.05"] < results["full"]
