"""The tables ``workbench reproduce`` prints: the chosen setting of each model and each model's own
published figure with its source; and the edge-of-grid notes for every grid hyper-parameter."""

from __future__ import annotations

from conftest import generated_dataset

from workbench.cli import chosen_setting, format_report, summary_table
from workbench.evaluation import ModelReport, SelectionStep, _edge_notes, evaluate_model
from workbench.models import SVDAE
from workbench.reference import paper_metrics, paper_source


def report(model: str, hyperparameters: dict, steps: list[dict], dataset: str = "ml-1m") -> ModelReport:
    metrics = {"HR@10": 30.0, "HR@100": 60.0, "NDCG@10": 33.0, "NDCG@100": 42.0, "PSP@10": 3.0, "AUC": 0.9}
    selection = tuple(SelectionStep(step, {**metrics, "HR@100": 50.0 + i}, 1.0) for i, step in enumerate(steps))
    return ModelReport(
        dataset=dataset, model=model, hyperparameters=hyperparameters, validation=metrics, test=metrics,
        selection=selection, seconds={"total": 12.5, "select_on_validation": 10.0, "test": 2.5},
        users={"validation_evaluated": 1, "validation_skipped": 0, "test_evaluated": 1, "test_skipped": 0}, seed=0,
    )


def test_chosen_setting_shows_each_grid_value() -> None:
    assert chosen_setting({"lambda": 5.0, "user_support": 6040, "depth": 1}) == "λ=5"
    assert chosen_setting({"rank": 128}) == "k=128"
    assert chosen_setting({"alpha": 1.0, "rank": 256}) == "α=1 k=256"
    assert chosen_setting({}) == "—"


def test_summary_table_puts_each_models_own_paper_beside_it() -> None:
    reports = [
        report("infinite-ae", {"lambda": 5.0}, [{"lambda": 1.0}, {"lambda": 5.0}, {"lambda": 20.0}]),
        report("svd-ae", {"rank": 128}, [{"rank": 64}, {"rank": 128}, {"rank": 256}]),
        report("gf-cf", {"alpha": 1.0, "rank": 256}, [{"alpha": 0.5, "rank": 256}, {"alpha": 1.0, "rank": 256}]),
    ]
    lines = summary_table(reports).splitlines()
    assert lines[0].split() == ["model", "NDCG@10", "paper", "HR@10", "paper", "HR@100", "paper", "chosen", "seconds"]
    assert lines[1].split() == ["infinite-ae", "33.00", "32.82", "30.00", "31.51", "60.00", "60.05", "λ=5", "12.5"]
    assert lines[2].split() == ["svd-ae", "33.00", "33.55", "30.00", "—", "60.00", "—", "k=128", "12.5"]
    assert lines[3].split() == ["gf-cf", "33.00", "—", "30.00", "—", "60.00", "—", "α=1", "k=256", "12.5"]
    assert lines[4] == "paper: Sachdeva et al., ∞-AE, NeurIPS 2022 (infinite-ae); Hong et al., SVD-AE, IJCAI 2024 (svd-ae)"
    assert paper_metrics("ml-1m", "svd-ae") == {"NDCG@10": 33.55}
    assert paper_source("poprec") == paper_source("infinite-ae") != paper_source("svd-ae")
    single = format_report(reports[1])
    assert "paper: Hong et al., SVD-AE, IJCAI 2024" in single and "-0.55" in single  # 33.00 − 33.55
    assert "paper:" not in format_report(reports[0])  # the ∞-AE paper's own rows need no footnote


def test_edge_notes_cover_every_grid_hyperparameter() -> None:
    def notes(chosen: dict, steps: list[dict]) -> tuple[str, ...]:
        class Chosen:
            hyperparameters = chosen

        return _edge_notes([SelectionStep(step, {}, 0.0) for step in steps], Chosen())

    grid = [{"alpha": a, "rank": k} for a in (0.0, 1.0, 10.0) for k in (64, 256)]
    assert notes({"alpha": 1.0, "rank": 64}, grid) == (
        "the chosen k = 64 is at the edge of the grid [64, 256]: widen the grid to be sure the best k is inside it",
    )
    assert notes({"alpha": 10.0, "rank": 128}, [{"alpha": a, "rank": 128} for a in (0.0, 1.0, 10.0)]) == (
        "the chosen α = 10 is at the edge of the grid [0.0, 1.0, 10.0]: widen the grid to be sure the best α is inside it",
    )
    assert notes({"alpha": 1.0, "rank": 128}, [{"alpha": a, "rank": 128} for a in (0.0, 1.0, 10.0)]) == ()
    assert notes({"lambda": 5.0}, [{"lambda": 5.0}]) == ()  # one value: no grid to widen
    assert notes({"lambda": 1.0}, [{"lambda": 1.0}, {"lambda": 5.0}]) == (
        "the chosen λ = 1 is at the edge of the grid [1.0, 5.0]: widen the grid to be sure the best λ is inside it",
    )


def test_evaluate_model_notes_a_rank_at_the_edge() -> None:
    dataset = generated_dataset(120, 50, 0.12, seed=11)
    result = evaluate_model(SVDAE(ranks=(2, 40)), dataset, progress=False)  # two values: either is an edge
    chosen = result.hyperparameters["rank"]
    tried = sorted(step.hyperparameters["rank"] for step in result.selection)  # 40 is clipped to the usable rank
    assert len(tried) == 2 and tried[0] == 2
    assert f"the chosen k = {chosen} is at the edge of the grid {tried}: widen the grid to be sure the best k is inside it" in result.notes
