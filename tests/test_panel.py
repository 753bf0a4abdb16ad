"""The "is more data needed?" panel (workbench.budget.panel.BudgetPanel), driven from plain Python: setting a
widget's value redraws the figure and the answer as a user would; the compute button fills the
missing points of the results file.

Display tests read a hand-made results file (:func:`test_budget_answer.tidy_frame`, values computable
by hand) and compare the panel with :mod:`workbench.budget.answer` applied to the same rows.
Compute tests use a tiny generated dataset and the cheap samplers.
"""

from __future__ import annotations

from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

from conftest import random_binary_matrix
from test_budget_answer import DATASET, FULL, MEANS, METRIC, MODEL, curve_rows, tidy, tidy_frame
from workbench.budget.answer import answer, point_sentence
from workbench.budget.curve import budget_percent, curve_table, full_data_value
from workbench.data import Dataset, Interactions, build_dataset
from workbench.distill import DistillConfig
from workbench.errors import WorkbenchError
from workbench.budget.runs import (
    COLUMN_TYPES,
    POINT_COLUMNS,
    BudgetCurveConfig,
    expected_point_rows,
    point_settings,
    read_results,
    write_results,
)
from workbench.budget.panel import METRICS, BudgetPanel

SAMPLERS = ("distill-cf", "user-rns", "head-user")
BUDGETS = ("1%", "2%", "10%", "50%")
SEEDS = (1, 2, 3)
TINY_DISTILL = DistillConfig(steps=2, draws=4, evaluate_every=1)


def no_load(name: str) -> Dataset:
    raise AssertionError(f"the display tests must not load a dataset (asked for {name!r})")


def make_panel(results: Path, **options) -> BudgetPanel:
    arguments = {
        "datasets": [DATASET], "samplers": list(SAMPLERS), "budgets": list(BUDGETS), "seeds": list(SEEDS),
        "models": [MODEL], "load": no_load, "progress": False, **options,
    }
    return BudgetPanel(results, **arguments)


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    path = tmp_path / "curve.csv"
    write_results(tidy_frame(), path)
    return path


@pytest.fixture()
def panel(results: Path) -> BudgetPanel:
    return make_panel(results)


def whole(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each point completed by the (split, metric) rows it lacks (value 1.0, a metric the
    tests do not show): a point counts as computed only when whole (workbench.budget.runs.whole_points)."""
    pairs = expected_point_rows()
    extra = []
    for _, group in frame.groupby(list(POINT_COLUMNS), sort=False):
        first = group.iloc[0].to_dict()
        have = set(zip(group["split"], group["metric"], strict=True))
        extra += [dict(first, split=split, metric=metric, value=1.0) for split, metric in sorted(pairs - have)]
    return pd.concat([frame, pd.DataFrame(extra, columns=frame.columns).astype(COLUMN_TYPES)], ignore_index=True)


def rings(panel: BudgetPanel) -> dict[str, tuple[float, float]]:
    """sampler → (x, y) of the selected-point ring."""
    found = {}
    for trace in panel.figure.data:
        if trace.meta["panel"] == "selected":
            assert len(trace.x) == 1
            found[trace.meta["sampler"]] = (float(trace.x[0]), float(trace.y[0]))
    return found


def assert_rings(panel: BudgetPanel, points: dict[str, tuple[float, float]]) -> None:
    found = rings(panel)
    assert set(found) == set(points), f"rings for {sorted(found)}, expected {sorted(points)}"
    for sampler, point in points.items():
        assert found[sampler] == pytest.approx(point), sampler


def drawn_samplers(panel: BudgetPanel) -> list[str]:
    return [trace.meta["sampler"] for trace in panel.figure.data if trace.meta["panel"] == "absolute"]


def expected(frame: pd.DataFrame, *, samplers, metric: str, budget: str, model: str = MODEL, dataset: str = DATASET):
    """What the panel should show, from workbench.budget.answer alone: (rings, answer text)."""
    frame = frame[frame["sampler"].isin((*samplers, "full"))]
    table = curve_table(frame, metric=metric, model=model, dataset=dataset)
    full = full_data_value(frame, metric=metric, model=model, dataset=dataset)
    at = table[table["budget"] == budget]
    percent = float(at["percent_users"].iloc[0]) if len(at) else budget_percent(budget, 0.0)
    ring_points = {
        record.sampler: (record.percent_users, record.mean)
        for record in table.itertuples(index=False)
        if record.sampler in samplers and np.isclose(record.percent_users, percent)
    }
    main = "distill-cf" if "distill-cf" in samplers else samplers[0]
    try:
        headline = answer(table, full_value=full, metric=metric, dataset=dataset, sampler=main).sentence
    except WorkbenchError as error:
        headline = f"No answer yet: {error}."
    lines = [point_sentence(table, full_value=full, metric=metric, sampler=s, percent=percent) for s in samplers]
    return ring_points, " ".join([headline, *lines]).strip()


def assert_panel_matches(panel: BudgetPanel, frame: pd.DataFrame, *, samplers, metric: str, budget: str, dataset: str = DATASET) -> None:
    ring_points, text = expected(frame, samplers=samplers, metric=metric, budget=budget, dataset=dataset)
    assert_rings(panel, ring_points)
    assert panel.answer_text == text


# --- the display, from a results file ------------------------------------------------------------------


def test_initial_state_is_the_second_budget_and_every_sampler(panel: BudgetPanel) -> None:
    assert panel.budget_slider.options == BUDGETS and panel.budget_slider.value == "2%"
    assert panel.selected_samplers == SAMPLERS
    assert panel.metric_dropdown.value == METRIC and panel.model_dropdown.value == MODEL
    assert drawn_samplers(panel) == list(SAMPLERS)
    assert_rings(panel, {"distill-cf": (2.0, 39.0)})  # only Distill-CF has a 2 % point
    assert panel.answer_text == (
        "On toy, Distill-CF reaches 95 % of full-data HR@10 (40.00) with 2 % of the users (39.00, 98 %): "
        "for this model, more data than that is not what is needed. "
        "At 2 % of the users, Distill-CF reaches HR@10 39.00 ± 1.00 (3 seeds), 98 % of full data (40.00). "
        "User RNS has no result at 2 % of the users yet. "
        "Head User has no result at 2 % of the users yet."
    )
    assert_panel_matches(panel, tidy_frame(), samplers=SAMPLERS, metric=METRIC, budget="2%")


def test_answer_widget_shows_the_headline_and_one_item_per_sampler(panel: BudgetPanel) -> None:
    assert panel.answer.value.startswith('<p class="workbench-answer"><b>On toy, Distill-CF reaches 95 %')
    assert panel.answer.value.count("<li>") == len(SAMPLERS)


@pytest.mark.parametrize("budget", BUDGETS)
def test_budget_slider_moves_the_ring_and_the_point_sentences(panel: BudgetPanel, budget: str) -> None:
    panel.budget_slider.value = budget
    percent = float(budget[:-1])
    by_hand = {sampler: (percent, means[budget]) for sampler, means in MEANS.items() if budget in means}
    assert_rings(panel, by_hand)
    assert_panel_matches(panel, tidy_frame(), samplers=SAMPLERS, metric=METRIC, budget=budget)
    vertical = [shape for shape in panel.figure.layout.shapes if shape.x0 == shape.x1 == percent]
    assert vertical


def test_budget_slider_at_10_percent_by_hand(panel: BudgetPanel) -> None:
    panel.budget_slider.value = "10%"
    assert_rings(panel, {"distill-cf": (10.0, 40.0), "user-rns": (10.0, 30.0), "head-user": (10.0, 10.0)})
    assert panel.answer_text.endswith(
        "At 10 % of the users, Distill-CF reaches HR@10 40.00 ± 1.00 (3 seeds), 100 % of full data (40.00). "
        "At 10 % of the users, User RNS reaches HR@10 30.00 ± 2.00 (3 seeds), 75 % of full data (40.00). "
        "At 10 % of the users, Head User reaches HR@10 10.00 ± 2.00 (3 seeds), 25 % of full data (40.00)."
    )


def test_sampler_select_without_distill_answers_for_the_first_selected(panel: BudgetPanel) -> None:
    panel.budget_slider.value = "50%"
    panel.sampler_select.value = ("user-rns", "head-user")
    assert drawn_samplers(panel) == ["user-rns", "head-user"]
    assert_rings(panel, {"user-rns": (50.0, 38.0), "head-user": (50.0, 16.0)})
    assert panel.answer_text.startswith("On toy, User RNS reaches 95 % of full-data HR@10 (40.00) with 50 % of the users")
    assert_panel_matches(panel, tidy_frame(), samplers=("user-rns", "head-user"), metric=METRIC, budget="50%")
    panel.sampler_select.value = ("head-user", "user-rns")
    assert panel.answer_text.startswith("On toy, Head User does not reach 95 % of full-data HR@10 (40.00)")
    assert_panel_matches(panel, tidy_frame(), samplers=("head-user", "user-rns"), metric=METRIC, budget="50%")


def test_sampler_select_with_distill_answers_for_distill_whatever_the_order(panel: BudgetPanel) -> None:
    panel.sampler_select.value = ("head-user", "distill-cf")
    assert panel.answer_text.startswith("On toy, Distill-CF reaches")
    assert drawn_samplers(panel) == ["head-user", "distill-cf"]


def test_no_sampler_selected(panel: BudgetPanel) -> None:
    panel.sampler_select.value = ()
    assert panel.answer_text == "Select at least one sampler."
    assert len(panel.figure.data) == 0
    assert panel.compute_button.disabled  # nothing to compute for an empty selection


@pytest.mark.parametrize(("metric", "scale"), [("NDCG@10", 0.5), ("HR@10", 1.0)])
def test_metric_dropdown_changes_the_values(panel: BudgetPanel, metric: str, scale: float) -> None:
    panel.metric_dropdown.value = "AUC"  # away first, so that HR@10 is a change too
    panel.metric_dropdown.value = metric
    assert_rings(panel, {"distill-cf": (2.0, 39.0 * scale)})
    assert f"of full-data {metric} ({FULL * scale:.2f})" in panel.answer_text
    assert panel.figure.layout.yaxis.title.text == f"{metric} (%)"
    assert_panel_matches(panel, tidy_frame(), samplers=SAMPLERS, metric=metric, budget="2%")


def test_metric_without_results_says_there_is_no_answer_yet(panel: BudgetPanel) -> None:
    panel.metric_dropdown.value = "AUC"
    assert panel.answer_text.startswith(
        "No answer yet: no full-data AUC for toy: add the budget 100% to the curve to compare against all the data."
    )
    assert "Distill-CF has no result at 2 % of the users yet." in panel.answer_text
    assert len(panel.figure.data) == 0


def test_dataset_dropdown_selects_the_datasets_rows(results: Path) -> None:
    panel = make_panel(results, datasets=[DATASET, "other"])
    panel.dataset_dropdown.value = "other"  # the same curve + 500
    assert_rings(panel, {"distill-cf": (2.0, 539.0)})
    assert "On other, Distill-CF reaches 95 % of full-data HR@10 (540.00) with 1 % of the users" in panel.answer_text
    assert_panel_matches(panel, tidy_frame(), samplers=SAMPLERS, metric=METRIC, budget="2%", dataset="other")


def test_model_dropdown_selects_the_models_rows(results: Path) -> None:
    panel = make_panel(results, models=[MODEL, "ease"])
    panel.model_dropdown.value = "ease"  # the same curve + 200
    assert_rings(panel, {"distill-cf": (2.0, 239.0)})
    assert "HR@10 (test), ease trained on each sample" in [a.text for a in panel.figure.layout.annotations]
    assert panel.grid().models == ("ease",)


def test_the_answer_says_whether_another_model_beats_the_chosen_one_on_all_the_data(results: Path) -> None:
    # the results file holds EASE too (the same curve + 200): at ∞-AE's answer budget (Distill-CF, 2 %),
    # EASE beats ∞-AE trained on all the data
    headline = (
        "On toy, Distill-CF reaches 95 % of full-data HR@10 (40.00) with 2 % of the users (39.00, 98 %): "
        "for this model, more data than that is not what is needed."
    )
    comparison = "EASE on 2 % of the users (Distill-CF) beats ∞-AE on all of them (239.00 against 40.00 HR@10)."
    panel = make_panel(results, models=[MODEL, "ease"])
    _, single = expected(tidy_frame(), samplers=SAMPLERS, metric=METRIC, budget="2%")
    assert single.startswith(headline + " ")
    assert panel.answer_text == single.replace(headline, f"{headline} {comparison}", 1)
    assert f'<p class="workbench-answer"><b>{headline}</b></p><p class="workbench-comparison">{comparison}</p><ul' in panel.answer.value
    # the comparison follows the model: ∞-AE (37 at EASE's 1 %, 40 on all the data) never beats EASE
    panel.model_dropdown.value = "ease"
    assert "On toy, Distill-CF reaches 95 % of full-data HR@10 (240.00) with 1 % of the users" in panel.answer_text
    assert (
        "No other model on 1 % of the users (Distill-CF) beats EASE on all of them (240.00 HR@10; best: ∞-AE, 37.00). "
        "No other model beats it at a larger budget of Distill-CF or on all the data either."
    ) in panel.answer_text
    # and the selected samplers: with User RNS alone, the comparison is at its answer budget, 50 %
    panel.model_dropdown.value = MODEL
    panel.sampler_select.value = ("user-rns",)
    assert "EASE on 50 % of the users (User RNS) beats ∞-AE on all of them (238.00 against 40.00 HR@10)." in panel.answer_text


def test_another_model_without_a_point_at_the_answer_budget_has_none_yet(tmp_path: Path) -> None:
    # SVD-AE has Distill-CF points at 1 and 10 % (not at ∞-AE's answer budget, 2 %) and full data
    svd = {("distill-cf", "1%"): (30.0, 31.0, 32.0), ("distill-cf", "10%"): (40.0, 41.0, 42.0), ("full", "100%"): (42.0, 42.0, 42.0)}
    frame = tidy_frame()
    frame = tidy([*frame[frame["model"] == MODEL].to_dict("records"), *curve_rows(svd, model="svd-ae")])
    write_results(frame, tmp_path / "curve.csv")
    panel = make_panel(tmp_path / "curve.csv", models=[MODEL, "svd-ae", "gf-cf"])  # GF-CF: offered, no points
    assert (
        "No other model has a result on 2 % of the users (Distill-CF) yet to compare with ∞-AE on all of them (40.00 HR@10). "
        "SVD-AE beats it with 10 % of the users (Distill-CF; 41.00)."
    ) in panel.answer_text
    assert "GF-CF" not in panel.answer_text


def test_models_offered_without_points_add_no_comparison(tmp_path: Path) -> None:
    frame = tidy_frame()
    write_results(frame[frame["model"] == MODEL], tmp_path / "curve.csv")
    panel = make_panel(tmp_path / "curve.csv", models=[MODEL, "svd-ae", "gf-cf", "ease"])
    assert panel.answer_text == expected(tidy_frame(), samplers=SAMPLERS, metric=METRIC, budget="2%")[1]
    assert "workbench-comparison" not in panel.answer.value


def test_default_models_include_svd_ae_and_gf_cf(results: Path) -> None:
    panel = BudgetPanel(results, datasets=[DATASET], load=no_load, progress=False)
    assert tuple(panel.model_dropdown.options) == ("infinite-ae", "svd-ae", "gf-cf", "ease")
    assert panel.model_dropdown.value == "infinite-ae"


def test_panel_without_a_results_file_shows_no_answer_yet(tmp_path: Path) -> None:
    panel = make_panel(tmp_path / "none.csv")
    assert panel.frame.empty and len(panel.figure.data) == 0
    assert panel.answer_text.startswith("No answer yet: no full-data HR@10 for toy")
    assert not (tmp_path / "none.csv").exists()  # looking does not create the file


def test_widget_holds_the_controls(panel: BudgetPanel) -> None:
    assert isinstance(panel.widget, widgets.VBox)
    assert panel.answer in panel.widget.children and panel.plot in panel.widget.children
    assert [label for label, _ in panel.sampler_select.options] == ["Distill-CF", "User RNS", "Head User"]
    assert tuple(panel.metric_dropdown.options) == METRICS


# --- the grid and what is missing ------------------------------------------------------------------------


def test_grid_is_the_selection_with_100_percent(panel: BudgetPanel) -> None:
    grid = panel.grid()
    assert grid == BudgetCurveConfig(samplers=SAMPLERS, budgets=(*BUDGETS, "100%"), models=(MODEL,), seeds=SEEDS, distill=DistillConfig())


def test_missing_counts_the_points_the_file_lacks(tmp_path: Path) -> None:
    # the file has user-rns and head-user at 1, 10, 50 %, distill-cf at 1, 2, 10 %, full data; 3 seeds each
    write_results(whole(tidy_frame()), tmp_path / "curve.csv")
    panel = make_panel(tmp_path / "curve.csv")
    missing = panel.missing()
    assert len(missing) == 9
    assert sorted(missing) == sorted(
        [("user-rns", "2%", seed, MODEL) for seed in SEEDS] + [("head-user", "2%", seed, MODEL) for seed in SEEDS]
        + [("distill-cf", "50%", seed, MODEL) for seed in SEEDS]
    )
    assert panel.status.value == '<span class="workbench-status">9 points of this selection not computed yet</span>'
    assert panel.compute_button.disabled is False
    panel.sampler_select.value = ("user-rns",)
    assert panel.missing() == [("user-rns", "2%", seed, MODEL) for seed in SEEDS]
    assert "3 points of this selection not computed yet" in panel.status.value
    panel.budget_slider.value = "50%"  # the slider picks what is shown, not what is computed
    assert len(panel.missing()) == 3


def test_missing_singular_and_none(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    frame = whole(tidy_frame())
    write_results(frame, path)
    panel = make_panel(path, budgets=["1%", "10%", "50%"], samplers=["user-rns", "head-user"])
    assert panel.missing() == []
    assert panel.status.value == '<span class="workbench-status">every point of this selection is computed</span>'
    assert panel.compute_button.disabled is True
    write_results(frame[~((frame["sampler"] == "head-user") & (frame["budget"] == "50%") & (frame["seed"] == 2))], path)
    panel = make_panel(path, budgets=["1%", "10%", "50%"], samplers=["user-rns", "head-user"])
    assert panel.missing() == [("head-user", "50%", 2, MODEL)]
    assert panel.status.value == '<span class="workbench-status">1 point of this selection not computed yet</span>'
    assert panel.compute_button.disabled is False


def test_missing_counts_full_data_per_seed(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    frame = whole(tidy_frame())
    write_results(frame[~((frame["sampler"] == "full") & (frame["seed"] == 3))], path)
    panel = make_panel(path, budgets=["1%", "10%", "50%"], samplers=["user-rns"])
    assert panel.missing() == [("full", "100%", 3, MODEL)]


def test_results_from_another_distill_configuration_count_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    other = point_settings("distill-cf", TINY_DISTILL)
    assert other != point_settings("distill-cf", DistillConfig())
    rows = curve_rows()
    for record in rows:
        if record["sampler"] == "distill-cf":
            record["settings"] = other
    write_results(whole(tidy(rows)), path)
    default = make_panel(path, samplers=["distill-cf"])
    assert sorted(default.missing()) == sorted(("distill-cf", budget, seed, MODEL) for budget in BUDGETS for seed in SEEDS)
    assert "12 points of this selection not computed yet" in default.status.value
    same = make_panel(path, samplers=["distill-cf"], distill_config=TINY_DISTILL)
    assert same.missing() == [("distill-cf", "50%", seed, MODEL) for seed in SEEDS]
    # only the Distill-CF settings matter: other samplers have none
    assert make_panel(path, samplers=["user-rns"], budgets=["1%", "10%", "50%"], distill_config=TINY_DISTILL).missing() == []


def test_a_file_from_before_the_settings_column_has_distill_points_missing(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    whole(tidy(curve_rows())).drop(columns=["settings"]).to_csv(path, index=False)
    panel = make_panel(path)
    assert sorted(p for p in panel.missing() if p[0] == "distill-cf") == sorted(
        ("distill-cf", budget, seed, MODEL) for budget in BUDGETS for seed in SEEDS
    )
    assert len([p for p in panel.missing() if p[0] != "distill-cf"]) == 6  # user-rns and head-user at 2 %


def test_the_figure_shows_only_the_panels_distill_configuration(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    rows = curve_rows()
    other = [dict(record, settings=point_settings("distill-cf", TINY_DISTILL), value=record["value"] + 10.0)
             for record in curve_rows() if record["sampler"] == "distill-cf"]
    write_results(whole(tidy(rows + other)), path)
    panel = make_panel(path)
    assert all(point[0] != "distill-cf" or point[1] == "50%" for point in panel.missing())  # its own points are there
    assert_rings(panel, {"distill-cf": (2.0, 39.0)})  # got 44.0: the two configurations averaged


# --- constructing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("empty", ["datasets", "samplers", "budgets", "seeds", "models"])
def test_every_list_must_be_non_empty(results: Path, empty: str) -> None:
    with pytest.raises(WorkbenchError, match="must each be non-empty"):
        make_panel(results, **{empty: []})


def test_unknown_sampler_and_metric_are_named(results: Path) -> None:
    with pytest.raises(WorkbenchError, match=r"unknown sampler 'everyone'; valid samplers: .*distill-cf"):
        make_panel(results, samplers=["user-rns", "everyone"])
    with pytest.raises(WorkbenchError, match=r"unknown metric 'HR@7'; valid metrics: HR@10"):
        make_panel(results, metric="HR@7")


def test_100_percent_is_not_a_slider_stop(results: Path) -> None:
    panel = make_panel(results, budgets=["10%", "100%", "50%"])
    assert panel.budget_slider.options == ("10%", "50%") and panel.budget_slider.value == "50%"
    assert panel.grid().budgets == ("10%", "50%", "100%")
    with pytest.raises(WorkbenchError, match="at least one budget below 100%"):
        make_panel(results, budgets=["100%"])


def test_one_budget_is_selected(results: Path) -> None:
    panel = make_panel(results, budgets=["10%"])
    assert panel.budget_slider.value == "10%"
    assert_rings(panel, {"distill-cf": (10.0, 40.0), "user-rns": (10.0, 30.0), "head-user": (10.0, 10.0)})


def test_initial_metric(results: Path) -> None:
    panel = make_panel(results, metric="NDCG@10")
    assert_rings(panel, {"distill-cf": (2.0, 19.5)})


def test_an_unreadable_results_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "curve.csv"
    path.write_text("just,some\n1,2\n")
    with pytest.raises(WorkbenchError, match="not a budget-curve file"):
        make_panel(path)


# --- computing -------------------------------------------------------------------------------------------


def tiny_dataset(name: str = "tiny") -> Dataset:
    matrix = random_binary_matrix(60, 40, 0.15, seed=5)
    users, items = matrix.nonzero()
    interactions = Interactions(users=users.astype(np.int64), items=items.astype(np.int64), source="generated")
    return build_dataset(name, interactions, seed=0)


@pytest.fixture(scope="module")
def tiny() -> Dataset:
    return tiny_dataset()


def test_compute_button_fills_the_missing_points(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    loads: list[str] = []

    def load(name: str) -> Dataset:
        loads.append(name)
        return tiny

    panel = BudgetPanel(path, datasets=["tiny"], samplers=["user-rns", "head-user"], budgets=["50%"], seeds=[1],
                        models=["infinite-ae"], load=load, progress=False)
    panel.sampler_select.value = ("user-rns",)
    assert panel.missing() == [("user-rns", "50%", 1, MODEL), ("full", "100%", 1, MODEL)]
    assert "2 points of this selection not computed yet" in panel.status.value
    assert panel.compute_button.disabled is False
    assert not path.exists()

    panel.compute_button.click()
    stored = read_results(path)
    points = set(stored[["sampler", "budget", "seed", "model"]].itertuples(index=False, name=None))
    assert points == {("user-rns", "50%", 1, MODEL), ("full", "100%", 1, MODEL)}
    assert set(stored["dataset"]) == {"tiny"} and set(stored["split"]) == {"validation", "test"}
    assert set(METRICS) <= set(stored["metric"])
    user_rns = stored[(stored["sampler"] == "user-rns")]
    assert np.allclose(user_rns["fraction_users"], 0.5)
    assert panel.missing() == []
    assert panel.status.value == '<span class="workbench-status">every point of this selection is computed</span>'
    assert panel.compute_button.disabled is True
    pd.testing.assert_frame_equal(panel.frame.reset_index(drop=True), stored)

    # the new points are drawn and answered
    test_hr = stored[(stored["split"] == "test") & (stored["metric"] == METRIC)].set_index("sampler")["value"]
    assert_rings(panel, {"user-rns": (50.0, test_hr["user-rns"])})
    assert f"({test_hr['full']:.2f})" in panel.answer_text
    assert_panel_matches(panel, stored, samplers=("user-rns",), metric=METRIC, budget="50%", dataset="tiny")

    # another sampler: only its point is missing, computed next, without loading the data again
    panel.sampler_select.value = ("user-rns", "head-user")
    assert panel.missing() == [("head-user", "50%", 1, MODEL)]
    assert "1 point of this selection not computed yet" in panel.status.value and not panel.compute_button.disabled
    panel.compute_button.click()
    stored = read_results(path)
    assert ("head-user", "50%", 1, MODEL) in set(stored[["sampler", "budget", "seed", "model"]].itertuples(index=False, name=None))
    assert len(stored) == 3 * len(user_rns)
    assert panel.missing() == [] and panel.compute_button.disabled is True
    assert set(rings(panel)) == {"user-rns", "head-user"}
    assert_panel_matches(panel, stored, samplers=("user-rns", "head-user"), metric=METRIC, budget="50%", dataset="tiny")
    assert loads == ["tiny"]

    # nothing missing: a click changes nothing
    before = path.read_bytes()
    assert panel.compute_missing() == []
    panel.compute_button.click()
    assert path.read_bytes() == before

    # a new panel on the same file finds everything there
    again = BudgetPanel(path, datasets=["tiny"], samplers=["user-rns", "head-user"], budgets=["50%"], seeds=[1],
                        models=["infinite-ae"], load=load, progress=False)
    assert again.missing() == [] and again.compute_button.disabled is True


def test_compute_failure_is_reported_and_the_button_stays_usable(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.txt"  # budget_curve wants .csv or .parquet
    panel = BudgetPanel(path, datasets=["tiny"], samplers=["user-rns"], budgets=["50%"], seeds=[1],
                        models=["infinite-ae"], load=lambda name: tiny, progress=False)
    failures = panel.compute_missing()
    assert len(failures) == 1 and "expected a .parquet or .csv file" in failures[0]
    assert len(panel.missing()) == 2 and panel.compute_button.disabled is False
    assert "2 points of this selection not computed yet" in panel.status.value


def test_a_load_that_raises_leaves_the_panel_usable(tmp_path: Path) -> None:
    def broken(name: str) -> Dataset:
        raise FileNotFoundError(name)

    panel = BudgetPanel(tmp_path / "curve.csv", datasets=["tiny"], samplers=["user-rns"], budgets=["50%"], seeds=[1],
                        models=["infinite-ae"], load=broken, progress=False)
    panel.compute_button.click()  # ipywidgets logs a callback's exception instead of raising it
    assert panel.compute_button.disabled is False and "computing" not in panel.status.value


@pytest.mark.slow
def test_compute_distill_cf_stores_its_configuration(tmp_path: Path, tiny: Dataset) -> None:
    path = tmp_path / "curve.csv"
    panel = BudgetPanel(path, datasets=["tiny"], samplers=["distill-cf"], budgets=["10%"], seeds=[1],
                        models=["infinite-ae"], distill_config=TINY_DISTILL, load=lambda name: tiny, progress=False)
    assert panel.missing() == [("distill-cf", "10%", 1, MODEL), ("full", "100%", 1, MODEL)]
    panel.compute_button.click()
    stored = read_results(path)
    distill_rows = stored[stored["sampler"] == "distill-cf"]
    assert len(distill_rows) and set(distill_rows["settings"]) == {point_settings("distill-cf", TINY_DISTILL)}
    assert panel.missing() == [] and panel.compute_button.disabled is True
    assert "distill-cf" in rings(panel)
    # the same file under the default Distill-CF settings: its point is missing, full data is not
    default = BudgetPanel(path, datasets=["tiny"], samplers=["distill-cf"], budgets=["10%"], seeds=[1],
                          models=["infinite-ae"], load=lambda name: tiny, progress=False)
    assert default.missing() == [("distill-cf", "10%", 1, MODEL)]
