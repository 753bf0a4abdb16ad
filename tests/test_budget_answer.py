"""Reading a budget curve (workbench.budget.answer): means and spreads over seeds, the share of
full data, and the one-sentence answer to "is more data needed?".

Every expected number below is computed by hand from :data:`CURVE` (values in %, three seeds).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from workbench.budget.answer import BudgetAnswer, ModelComparison, answer, compare_curves, compare_models, point_sentence
from workbench.budget.curve import CURVE_COLUMNS, BudgetCurve, budget_percent, curve_table, full_data_value
from workbench.distill import DistillConfig
from workbench.errors import WorkbenchError
from workbench.models import MODEL_LABELS, MODEL_NAMES
from workbench.budget.runs import COLUMN_TYPES, COLUMNS, point_settings

DATASET = "toy"
MODEL = "infinite-ae"
METRIC = "HR@10"
SEEDS = (1, 2, 3)

#: (sampler, budget) → test HR@10 of seeds 1, 2, 3.
CURVE: dict[tuple[str, str], tuple[float, float, float]] = {
    ("user-rns", "1%"): (10.0, 20.0, 30.0),  # mean 20, std 10, 50 % of full
    ("user-rns", "10%"): (28.0, 30.0, 32.0),  # mean 30, std 2, 75 %
    ("user-rns", "50%"): (36.0, 38.0, 40.0),  # mean 38, std 2, exactly 95 %
    ("distill-cf", "1%"): (36.0, 37.0, 38.0),  # mean 37, 92.5 %
    ("distill-cf", "2%"): (38.0, 39.0, 40.0),  # mean 39, 97.5 %: the first to reach 95 %
    ("distill-cf", "10%"): (39.0, 40.0, 41.0),  # mean 40, 100 %
    ("head-user", "1%"): (4.0, 6.0, 8.0),  # mean 6, 15 %
    ("head-user", "10%"): (8.0, 10.0, 12.0),  # mean 10, 25 %
    ("head-user", "50%"): (14.0, 16.0, 18.0),  # mean 16, 40 %: never reaches 95 %
    ("full", "100%"): (38.0, 42.0, 40.0),  # mean 40
}
FULL = 40.0
#: sampler → {budget: mean over seeds}
MEANS = {
    "user-rns": {"1%": 20.0, "10%": 30.0, "50%": 38.0},
    "distill-cf": {"1%": 37.0, "2%": 39.0, "10%": 40.0},
    "head-user": {"1%": 6.0, "10%": 10.0, "50%": 16.0},
}
STDS = {
    "user-rns": {"1%": 10.0, "10%": 2.0, "50%": 2.0},
    "distill-cf": {"1%": 1.0, "2%": 1.0, "10%": 1.0},
    "head-user": {"1%": 2.0, "10%": 2.0, "50%": 2.0},
}
INTERACTION_FACTOR = {"user-rns": 1.0, "distill-cf": 0.5, "head-user": 3.0, "full": 1.0}


def row(
    sampler: str, budget: str, seed: int, value: float, *, dataset: str = DATASET, model: str = MODEL,
    metric: str = METRIC, split: str = "test", fraction_users: float | None = None,
    fraction_interactions: float | None = None, settings: str | None = None,
) -> dict:
    """One tidy row (the columns of workbench.budget.runs.COLUMNS)."""
    if fraction_users is None:
        fraction_users = float(budget[:-1]) / 100.0 if budget.endswith("%") else 0.5
    if fraction_interactions is None:
        fraction_interactions = min(1.0, fraction_users * INTERACTION_FACTOR.get(sampler, 1.0))
    if settings is None:
        settings = point_settings(sampler, DistillConfig())
    return {
        "dataset": dataset, "fingerprint": "0123456789abcdef", "sampler": sampler, "budget": budget, "seed": seed,
        "model": model, "settings": settings,
        "split": split, "metric": metric, "value": float(value), "fraction_users": float(fraction_users),
        "fraction_interactions": float(fraction_interactions), "seconds": 0.1,
    }


def tidy(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(COLUMN_TYPES)


def curve_rows(
    curve: dict[tuple[str, str], tuple[float, ...]] = CURVE, *, scale: float = 1.0, shift: float = 0.0, **fields
) -> list[dict]:
    return [
        row(sampler, budget, seed, value * scale + shift, **fields)
        for (sampler, budget), values in curve.items()
        for seed, value in zip(SEEDS, values)
    ]


def tidy_frame(*, shuffle: int | None = 7) -> pd.DataFrame:
    """The curve on ``toy`` (∞-AE, test HR@10), plus rows that a filter must leave out: another
    dataset, another model, the validation split, and NDCG@10 (= HR@10 / 2); rows shuffled."""
    rows = curve_rows()
    rows += curve_rows(dataset="other", shift=500.0)
    rows += curve_rows(model="ease", shift=200.0)
    rows += curve_rows(split="validation", shift=100.0)
    rows += curve_rows(metric="NDCG@10", scale=0.5)
    frame = tidy(rows)
    if shuffle is not None:
        frame = frame.iloc[np.random.default_rng(shuffle).permutation(len(frame))].reset_index(drop=True)
    return frame


@pytest.fixture()
def frame() -> pd.DataFrame:
    return tidy_frame()


@pytest.fixture()
def table(frame: pd.DataFrame) -> pd.DataFrame:
    return curve_table(frame, metric=METRIC, model=MODEL, dataset=DATASET)


# --- budget_percent -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "fraction_users", "expected"),
    [("2%", 0.3, 2.0), ("0.5%", 0.0, 0.5), (" 10% ", 0.9, 10.0), ("100%", 0.0, 100.0), ("250", 0.25, 25.0),
     ("250 users", 0.041, 4.1), (30, 0.125, 12.5)],
)
def test_budget_percent_uses_the_label_else_the_users_used(budget, fraction_users, expected) -> None:
    assert budget_percent(budget, fraction_users) == pytest.approx(expected)


# --- full_data_value ---------------------------------------------------------------------------------


def test_full_data_value_is_the_mean_over_seeds_of_the_selection(frame: pd.DataFrame) -> None:
    assert full_data_value(frame, metric=METRIC, model=MODEL, dataset=DATASET) == pytest.approx(FULL)
    assert full_data_value(frame, metric="NDCG@10", model=MODEL, dataset=DATASET) == pytest.approx(FULL / 2)
    assert full_data_value(frame, metric=METRIC, model="ease", dataset=DATASET) == pytest.approx(FULL + 200)
    assert full_data_value(frame, metric=METRIC, model=MODEL, split="validation", dataset=DATASET) == pytest.approx(FULL + 100)
    assert full_data_value(frame, metric=METRIC, model=MODEL, dataset="other") == pytest.approx(FULL + 500)
    # no dataset given: both datasets' full-data rows are averaged
    assert full_data_value(frame, metric=METRIC, model=MODEL) == pytest.approx(FULL + 250)


def test_full_data_value_is_none_without_a_full_data_row(frame: pd.DataFrame) -> None:
    assert full_data_value(frame[frame["sampler"] != "full"], metric=METRIC, model=MODEL, dataset=DATASET) is None
    assert full_data_value(frame, metric="AUC", model=MODEL, dataset=DATASET) is None
    assert full_data_value(frame, metric=METRIC, model="poprec", dataset=DATASET) is None
    assert full_data_value(frame, metric=METRIC, model=MODEL, dataset="absent") is None
    assert full_data_value(tidy([]), metric=METRIC, model=MODEL) is None


def test_full_data_value_type_is_a_python_float(frame: pd.DataFrame) -> None:
    assert type(full_data_value(frame, metric=METRIC, model=MODEL, dataset=DATASET)) is float


# --- curve_table ---------------------------------------------------------------------------------------


def test_curve_table_has_its_columns_and_one_row_per_sampler_and_budget(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == CURVE_COLUMNS
    assert len(table) == sum(len(budgets) for budgets in MEANS.values())
    assert "full" not in set(table["sampler"])
    assert table.index.tolist() == list(range(len(table)))


def test_curve_table_means_std_and_seeds_over_seeds(table: pd.DataFrame) -> None:
    for record in table.itertuples(index=False):
        assert record.mean == pytest.approx(MEANS[record.sampler][record.budget])
        assert record.std == pytest.approx(STDS[record.sampler][record.budget])  # sample std (ddof=1)
        assert record.seeds == 3
        assert record.relative == pytest.approx(MEANS[record.sampler][record.budget] / FULL)


def test_curve_table_fractions_and_percent(table: pd.DataFrame) -> None:
    for record in table.itertuples(index=False):
        percent = float(record.budget[:-1])
        assert record.percent_users == pytest.approx(percent)
        assert record.fraction_users == pytest.approx(percent / 100)
        assert record.fraction_interactions == pytest.approx(min(1.0, percent / 100 * INTERACTION_FACTOR[record.sampler]))


def test_curve_table_is_sorted_by_sampler_then_numeric_budget(table: pd.DataFrame) -> None:
    # "10%" < "2%" as text: the order must be by the number
    assert list(zip(table["sampler"], table["budget"])) == [
        ("distill-cf", "1%"), ("distill-cf", "2%"), ("distill-cf", "10%"),
        ("head-user", "1%"), ("head-user", "10%"), ("head-user", "50%"),
        ("user-rns", "1%"), ("user-rns", "10%"), ("user-rns", "50%"),
    ]


def test_curve_table_does_not_depend_on_row_order() -> None:
    a = curve_table(tidy_frame(shuffle=None), metric=METRIC, model=MODEL, dataset=DATASET)
    b = curve_table(tidy_frame(shuffle=123), metric=METRIC, model=MODEL, dataset=DATASET)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("selection", "shift", "scale"),
    [
        ({"dataset": "other"}, 500.0, 1.0),
        ({"model": "ease"}, 200.0, 1.0),
        ({"split": "validation"}, 100.0, 1.0),
        ({"metric": "NDCG@10"}, 0.0, 0.5),
    ],
)
def test_curve_table_filters_dataset_model_metric_split(frame: pd.DataFrame, selection: dict, shift: float, scale: float) -> None:
    arguments = {"metric": METRIC, "model": MODEL, "split": "test", "dataset": DATASET, **selection}
    selected = curve_table(frame, **arguments)
    full = FULL * scale + shift
    assert len(selected) == 9
    for record in selected.itertuples(index=False):
        mean = MEANS[record.sampler][record.budget] * scale + shift
        assert record.mean == pytest.approx(mean)
        assert record.std == pytest.approx(STDS[record.sampler][record.budget] * scale)
        assert record.relative == pytest.approx(mean / full)


def test_curve_table_defaults_are_test_split_hr10_infinite_ae(frame: pd.DataFrame) -> None:
    only_toy = frame[frame["dataset"] == DATASET]
    pd.testing.assert_frame_equal(curve_table(only_toy), curve_table(frame, metric=METRIC, model=MODEL, split="test", dataset=DATASET))


def test_curve_table_without_dataset_pools_the_datasets(frame: pd.DataFrame) -> None:
    pooled = curve_table(frame, metric=METRIC, model=MODEL)
    user_rns_1 = pooled[(pooled["sampler"] == "user-rns") & (pooled["budget"] == "1%")].iloc[0]
    assert user_rns_1["mean"] == pytest.approx(20.0 + 250.0)  # 3 seeds at 20 ± 10 and 3 at 520 ± 10
    assert user_rns_1["seeds"] == 3  # distinct seeds, not rows
    assert user_rns_1["relative"] == pytest.approx(270.0 / 290.0)


def test_curve_table_std_is_nan_for_one_seed_and_seeds_counts_distinct_seeds() -> None:
    frame = tidy([row("user-rns", "1%", 1, 12.0), row("user-rns", "2%", 1, 14.0), row("user-rns", "2%", 2, 18.0),
                  row("full", "100%", 1, 20.0)])
    table = curve_table(frame)
    assert math.isnan(table.loc[0, "std"]) and table.loc[0, "seeds"] == 1
    assert table.loc[1, "std"] == pytest.approx(math.sqrt(8.0)) and table.loc[1, "seeds"] == 2
    assert table["relative"].tolist() == pytest.approx([0.6, 0.8])


def test_curve_table_relative_is_nan_without_full_data(frame: pd.DataFrame) -> None:
    table = curve_table(frame[frame["sampler"] != "full"], metric=METRIC, model=MODEL, dataset=DATASET)
    assert len(table) == 9
    assert table["relative"].isna().all()
    assert table["mean"].notna().all()


def test_curve_table_budget_given_as_users_is_placed_by_the_users_used() -> None:
    frame = tidy([
        row("user-rns", "10%", 1, 10.0),
        row("user-rns", "300", 1, 20.0, fraction_users=0.25),  # 300 users = 25 % of them
        row("user-rns", "50%", 1, 30.0),
        row("user-rns", "30", 1, 5.0, fraction_users=0.025),
        row("full", "100%", 1, 40.0),
    ])
    table = curve_table(frame)
    assert table["budget"].tolist() == ["30", "10%", "300", "50%"]
    assert table["percent_users"].tolist() == pytest.approx([2.5, 10.0, 25.0, 50.0])
    assert table["mean"].tolist() == pytest.approx([5.0, 10.0, 20.0, 30.0])


@pytest.mark.parametrize(
    "selection",
    [{"metric": "AUC"}, {"model": "poprec"}, {"dataset": "absent"}, {"split": "train"}],
)
def test_curve_table_empty_selection_gives_an_empty_table_with_the_columns(frame: pd.DataFrame, selection: dict) -> None:
    arguments = {"metric": METRIC, "model": MODEL, "dataset": DATASET, **selection}
    table = curve_table(frame, **arguments)
    assert table.empty and tuple(table.columns) == CURVE_COLUMNS
    assert table["sampler"].dtype == object and table["mean"].dtype == np.float64


def test_curve_table_of_an_empty_frame_and_of_full_data_only() -> None:
    assert curve_table(tidy([])).empty
    only_full = curve_table(tidy([row("full", "100%", 1, 40.0)]))
    assert only_full.empty and tuple(only_full.columns) == CURVE_COLUMNS


def test_curve_table_does_not_change_its_input(frame: pd.DataFrame) -> None:
    before = frame.copy()
    curve_table(frame, metric=METRIC, model=MODEL, dataset=DATASET)
    pd.testing.assert_frame_equal(frame, before)


# --- answer --------------------------------------------------------------------------------------------


def test_answer_is_the_smallest_budget_that_reaches_the_share(table: pd.DataFrame) -> None:
    result = answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, sampler="distill-cf")
    assert isinstance(result, BudgetAnswer)
    assert result.reached_at == 2.0 and result.reached_value == pytest.approx(39.0)
    assert result.best_percent == 10.0 and result.best_relative == pytest.approx(1.0)
    assert (result.sampler, result.share, result.full_value, result.metric, result.dataset) == ("distill-cf", 0.95, FULL, METRIC, DATASET)
    assert result.sentence == (
        "On toy, Distill-CF reaches 95 % of full-data HR@10 (40.00) with 2 % of the users (39.00, 98 %): "
        "for this model, more data than that is not what is needed."
    )


def test_answer_default_sampler_is_distill_cf(table: pd.DataFrame) -> None:
    assert answer(table, full_value=FULL, metric=METRIC, dataset=DATASET).sampler == "distill-cf"


def test_answer_reaching_the_share_exactly_counts(table: pd.DataFrame) -> None:
    result = answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, sampler="user-rns")
    assert result.reached_at == 50.0 and result.reached_value == pytest.approx(38.0)  # 38 / 40 = 0.95
    assert "with 50 % of the users (38.00, 95 %)" in result.sentence


@pytest.mark.parametrize(
    ("share", "reached_at"),
    [(0.5, 1.0), (0.75, 10.0), (0.76, 50.0), (0.9, 50.0), (0.96, None), (1.0, None)],
)
def test_answer_depends_on_the_share(table: pd.DataFrame, share: float, reached_at: float | None) -> None:
    result = answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, sampler="user-rns", share=share)
    assert result.reached_at == reached_at
    assert f"{share * 100:g} % of full-data HR@10" in result.sentence


def test_answer_not_reached_gives_the_best_point(table: pd.DataFrame) -> None:
    result = answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, sampler="head-user")
    assert result.reached_at is None and result.reached_value is None
    assert result.best_percent == 50.0 and result.best_relative == pytest.approx(0.4)
    assert result.sentence == (
        "On toy, Head User does not reach 95 % of full-data HR@10 (40.00) within the budgets tried "
        "(best: 40 % at 50 % of the users): more data still helps."
    )


def test_answer_takes_the_first_budget_reached_even_if_a_larger_one_dips() -> None:
    table = pd.DataFrame({
        "sampler": ["s"] * 4, "budget": ["50%", "1%", "10%", "20%"], "percent_users": [50.0, 1.0, 10.0, 20.0],
        "mean": [30.0, 20.0, 39.0, 41.0], "std": [np.nan] * 4, "seeds": [1] * 4,
        "fraction_users": [0.5, 0.01, 0.1, 0.2], "fraction_interactions": [0.5, 0.01, 0.1, 0.2], "relative": [np.nan] * 4,
    })
    result = answer(table, full_value=40.0, metric="NDCG@10", dataset="d", sampler="s")
    assert result.reached_at == 10.0 and result.reached_value == pytest.approx(39.0)
    assert result.best_percent == 20.0 and result.best_relative == pytest.approx(41.0 / 40.0)
    assert "On d, s reaches 95 % of full-data NDCG@10 (40.00) with 10 % of the users (39.00, 98 %)" in result.sentence


def test_answer_with_a_smaller_full_value_reaches_earlier(table: pd.DataFrame) -> None:
    # 6/20 = 30 %, 10/20 = 50 %, 16/20 = 80 %: the share 0.5 is reached at 10 %
    result = answer(table, full_value=20.0, metric=METRIC, dataset=DATASET, sampler="head-user", share=0.5)
    assert result.reached_at == 10.0 and result.reached_value == pytest.approx(10.0)
    assert result.best_relative == pytest.approx(0.8)


@pytest.mark.parametrize("share", [0.0, -0.1, 1.01, 95.0, float("nan")])
def test_answer_rejects_a_share_outside_zero_one(table: pd.DataFrame, share: float) -> None:
    with pytest.raises(WorkbenchError, match="share must be in"):
        answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, share=share)


@pytest.mark.parametrize("full_value", [None, 0.0, -1.0, float("nan"), float("inf")])
def test_answer_without_full_data_names_the_metric_dataset_and_the_100_percent_budget(table: pd.DataFrame, full_value) -> None:
    with pytest.raises(WorkbenchError) as caught:
        answer(table, full_value=full_value, metric="NDCG@10", dataset="ml-1m")
    message = str(caught.value)
    assert "no full-data NDCG@10 for ml-1m" in message and "100%" in message


def test_answer_for_a_missing_sampler_names_it_and_the_samplers_there(table: pd.DataFrame) -> None:
    with pytest.raises(WorkbenchError) as caught:
        answer(table, full_value=FULL, metric=METRIC, dataset=DATASET, sampler="svp-cf-user")
    message = str(caught.value)
    assert "'svp-cf-user'" in message
    assert "distill-cf, head-user, user-rns" in message


def test_answer_on_an_empty_table_says_it_has_no_samplers() -> None:
    empty = curve_table(tidy([]))
    with pytest.raises(WorkbenchError, match="it has: none"):
        answer(empty, full_value=FULL, metric=METRIC, dataset=DATASET)


def test_answer_is_consistent_with_curve_table_and_full_data_value(frame: pd.DataFrame) -> None:
    full = full_data_value(frame, metric="NDCG@10", model=MODEL, dataset=DATASET)
    table = curve_table(frame, metric="NDCG@10", model=MODEL, dataset=DATASET)
    result = answer(table, full_value=full, metric="NDCG@10", dataset=DATASET, sampler="distill-cf")
    # NDCG@10 = HR@10 / 2: the same shares, halved values
    assert result.reached_at == 2.0 and result.reached_value == pytest.approx(19.5) and result.full_value == pytest.approx(20.0)
    assert "(20.00)" in result.sentence and "(19.50, 98 %)" in result.sentence


# --- point_sentence -----------------------------------------------------------------------------------


def test_point_sentence_with_seeds_spread_and_share(table: pd.DataFrame) -> None:
    assert point_sentence(table, full_value=FULL, metric=METRIC, sampler="user-rns", percent=10.0) == (
        "At 10 % of the users, User RNS reaches HR@10 30.00 ± 2.00 (3 seeds), 75 % of full data (40.00)."
    )
    assert point_sentence(table, full_value=FULL, metric=METRIC, sampler="distill-cf", percent=2.0) == (
        "At 2 % of the users, Distill-CF reaches HR@10 39.00 ± 1.00 (3 seeds), 98 % of full data (40.00)."
    )


def test_point_sentence_one_seed_has_no_spread_and_singular_seed() -> None:
    table = curve_table(tidy([row("head-user", "0.5%", 4, 12.345), row("full", "100%", 4, 50.0)]))
    assert point_sentence(table, full_value=50.0, metric=METRIC, sampler="head-user", percent=0.5) == (
        "At 0.5 % of the users, Head User reaches HR@10 12.35 (1 seed), 25 % of full data (50.00)."
    )


def test_point_sentence_without_full_data_leaves_the_share_out(table: pd.DataFrame) -> None:
    assert point_sentence(table, full_value=None, metric=METRIC, sampler="head-user", percent=50.0) == (
        "At 50 % of the users, Head User reaches HR@10 16.00 ± 2.00 (3 seeds)."
    )


def test_point_sentence_for_a_missing_point(table: pd.DataFrame) -> None:
    assert point_sentence(table, full_value=FULL, metric=METRIC, sampler="head-user", percent=2.0) == (
        "Head User has no result at 2 % of the users yet."
    )
    assert point_sentence(table, full_value=FULL, metric=METRIC, sampler="interaction-rns", percent=10.0) == (
        "Interaction RNS has no result at 10 % of the users yet."
    )


def test_point_sentence_matches_the_percent_up_to_rounding(table: pd.DataFrame) -> None:
    assert "reaches HR@10 30.00" in point_sentence(table, full_value=FULL, metric=METRIC, sampler="user-rns", percent=0.1 * 100)


def test_point_sentence_unknown_sampler_keeps_its_name() -> None:
    table = curve_table(tidy([row("my-sampler", "5%", 1, 10.0), row("my-sampler", "5%", 2, 20.0)]))
    text = point_sentence(table, full_value=None, metric="AUC", sampler="my-sampler", percent=5.0)
    assert text.startswith("At 5 % of the users, my-sampler reaches AUC 15.00 ± 7.07 (2 seeds)")


# --- compare_models: "or a better model?" --------------------------------------------------------------


def model_table(points: dict[tuple[str, float], float]) -> pd.DataFrame:
    """A curve table (the columns of CURVE_COLUMNS) from {(sampler, % of users): mean}, one seed each."""
    records = [
        {"sampler": sampler, "budget": f"{percent:g}%", "percent_users": percent, "mean": mean, "std": np.nan, "seeds": 1,
         "fraction_users": percent / 100, "fraction_interactions": percent / 100, "relative": np.nan}
        for (sampler, percent), mean in points.items()
    ]
    return pd.DataFrame(records, columns=list(CURVE_COLUMNS))


#: ∞-AE on all the data: 30.5; with User RNS it reaches 95 % (28.975) at 10 % of the users.
INFINITE_AE = model_table({("user-rns", 1.0): 20.0, ("user-rns", 10.0): 29.5, ("user-rns", 50.0): 30.2})
INFINITE_AE_FULL = 30.5


def compare(tables: dict[str, pd.DataFrame], fulls: dict[str, float | None], *, percent: float = 10.0, **options) -> ModelComparison | None:
    arguments = {"chosen": "infinite-ae", "sampler": "user-rns", "percent": percent, "metric": "HR@10", "dataset": "ml-1m", **options}
    return compare_models({"infinite-ae": INFINITE_AE, **tables}, {"infinite-ae": INFINITE_AE_FULL, **fulls}, **arguments)


def test_model_labels_name_every_registered_model() -> None:
    assert set(MODEL_LABELS) == set(MODEL_NAMES)
    assert MODEL_LABELS["infinite-ae"] == "∞-AE" and MODEL_LABELS["svd-ae"] == "SVD-AE" and MODEL_LABELS["gf-cf"] == "GF-CF"


def test_compare_models_another_model_beats_the_chosen_one_at_the_answer_budget() -> None:
    svd = model_table({("user-rns", 10.0): 30.9, ("distill-cf", 10.0): 10.0})
    gf = model_table({("user-rns", 10.0): 29.0})
    result = compare({"svd-ae": svd, "gf-cf": gf}, {"svd-ae": 31.5, "gf-cf": 30.0})
    assert isinstance(result, ModelComparison)
    assert result.beating == ("svd-ae",)
    assert result.values == {"svd-ae": pytest.approx(30.9), "gf-cf": pytest.approx(29.0)}  # User RNS only, not Distill-CF
    assert (result.chosen, result.sampler, result.percent, result.reached, result.full_value) == ("infinite-ae", "user-rns", 10.0, True, 30.5)
    assert result.missing == () and result.later_percent is None and result.later == {}
    assert result.sentence == "SVD-AE on 10 % of the users (User RNS) beats ∞-AE on all of them (30.90 against 30.50 HR@10)."


def test_compare_models_several_models_beat_best_first() -> None:
    svd = model_table({("user-rns", 10.0): 30.9})
    gf = model_table({("user-rns", 10.0): 31.2})
    ease = model_table({("user-rns", 10.0): 30.5})  # a tie does not beat
    result = compare({"svd-ae": svd, "gf-cf": gf, "ease": ease}, {})
    assert result.beating == ("gf-cf", "svd-ae")
    assert result.sentence == (
        "GF-CF and SVD-AE on 10 % of the users (User RNS) beat ∞-AE on all of them (31.20 and 30.90 against 30.50 HR@10)."
    )


def test_compare_models_none_beats_at_the_answer_budget_but_one_does_at_a_larger_budget() -> None:
    svd = model_table({("user-rns", 10.0): 29.0, ("user-rns", 20.0): 30.0, ("user-rns", 50.0): 31.0})
    gf = model_table({("user-rns", 10.0): 28.0, ("user-rns", 20.0): 30.6, ("user-rns", 50.0): 32.0})
    result = compare({"svd-ae": svd, "gf-cf": gf}, {"svd-ae": 33.0, "gf-cf": 34.0})
    assert result.beating == ()
    assert result.later_percent == 20.0 and result.later == {"gf-cf": pytest.approx(30.6)}  # the smallest larger budget
    assert result.sentence == (
        "No other model on 10 % of the users (User RNS) beats ∞-AE on all of them (30.50 HR@10; best: SVD-AE, 29.00). "
        "GF-CF beats it with 20 % of the users (User RNS; 30.60)."
    )


def test_compare_models_none_beats_at_any_budget_but_one_does_on_all_the_data() -> None:
    svd = model_table({("user-rns", 10.0): 29.0, ("user-rns", 50.0): 30.0})
    result = compare({"svd-ae": svd, "ease": model_table({("user-rns", 10.0): 25.0})}, {"svd-ae": 31.2, "ease": 30.0})
    assert result.beating == () and result.later_percent == 100.0 and result.later == {"svd-ae": pytest.approx(31.2)}
    assert result.sentence.endswith(" SVD-AE on all the data beats it (31.20).")


def test_compare_models_no_other_model_ever_beats_the_chosen_one() -> None:
    svd = model_table({("user-rns", 1.0): 12.0, ("user-rns", 10.0): 25.0, ("user-rns", 50.0): 30.0, ("distill-cf", 50.0): 99.0})
    result = compare({"svd-ae": svd}, {"svd-ae": 30.4})
    assert result.beating == () and result.later_percent is None and result.later == {}
    assert result.values == {"svd-ae": pytest.approx(25.0)}
    assert result.sentence == (
        "No other model on 10 % of the users (User RNS) beats ∞-AE on all of them (30.50 HR@10; best: SVD-AE, 25.00). "
        "No other model beats it at a larger budget of User RNS or on all the data either."
    )


def test_compare_models_a_model_without_a_point_at_the_budget_has_none_yet() -> None:
    svd = model_table({("user-rns", 1.0): 12.0, ("user-rns", 50.0): 31.0})  # no 10 % point
    gf = model_table({("user-rns", 10.0): 31.0})
    result = compare({"svd-ae": svd, "gf-cf": gf}, {"svd-ae": None, "gf-cf": None})
    assert result.beating == ("gf-cf",) and result.missing == ("svd-ae",) and set(result.values) == {"gf-cf"}
    assert result.sentence == (
        "GF-CF on 10 % of the users (User RNS) beats ∞-AE on all of them (31.00 against 30.50 HR@10). SVD-AE has none there yet."
    )
    # the only other model lacks the point: said so, and what it does at a larger budget
    alone = compare({"svd-ae": svd}, {})
    assert alone.values == {} and alone.missing == ("svd-ae",) and alone.later_percent == 50.0
    assert alone.sentence == (
        "No other model has a result on 10 % of the users (User RNS) yet to compare with ∞-AE on all of them (30.50 HR@10). "
        "SVD-AE beats it with 50 % of the users (User RNS; 31.00)."
    )


def test_compare_models_a_model_with_full_data_only_is_compared_and_missing_at_the_budget() -> None:
    result = compare({"ease": model_table({})}, {"ease": 29.0})
    assert result.missing == ("ease",) and result.later_percent is None
    assert result.sentence.startswith("No other model has a result on 10 % of the users (User RNS) yet")
    assert result.sentence.endswith("No other model beats it at a larger budget of User RNS or on all the data either.")


def test_compare_models_single_model_curve_gives_no_comparison() -> None:
    assert compare_models({"infinite-ae": INFINITE_AE}, {"infinite-ae": INFINITE_AE_FULL}, chosen="infinite-ae",
                          sampler="user-rns", percent=10.0, metric="HR@10", dataset="ml-1m") is None
    # other models offered but without any point (of this sampler) or full-data value: nothing to compare either
    assert compare({"svd-ae": model_table({}), "gf-cf": model_table({("distill-cf", 10.0): 40.0})}, {"svd-ae": None}) is None


def test_compare_models_at_the_best_budget_when_the_chosen_model_does_not_reach_the_share() -> None:
    result = answer(INFINITE_AE, full_value=40.0, metric="HR@10", dataset="ml-1m", sampler="user-rns")
    assert result.reached_at is None and result.best_percent == 50.0
    curves = {
        "infinite-ae": SimpleNamespace(table=INFINITE_AE, full_value=40.0),
        "svd-ae": SimpleNamespace(table=model_table({("user-rns", 50.0): 41.0}), full_value=45.0),
    }
    comparison = compare_curves(result, curves, chosen="infinite-ae")
    assert comparison.percent == 50.0 and not comparison.reached and comparison.beating == ("svd-ae",)
    assert comparison.sentence == (
        "SVD-AE on 50 % of the users (User RNS, the best budget of ∞-AE, which does not reach 95 % of its full data) "
        "beats ∞-AE on all of them (41.00 against 40.00 HR@10)."
    )


def test_compare_models_needs_the_chosen_models_full_data_value() -> None:
    with pytest.raises(WorkbenchError, match="no full-data HR@10 for ∞-AE on ml-1m"):
        compare_models({"infinite-ae": INFINITE_AE}, {"infinite-ae": None}, chosen="infinite-ae", sampler="user-rns",
                       percent=10.0, metric="HR@10", dataset="ml-1m")


def test_compare_curves_reads_the_curves_of_a_results_frame(frame: pd.DataFrame) -> None:
    curves = {model: BudgetCurve.from_results(frame, dataset=DATASET, metric=METRIC, model=model) for model in (MODEL, "ease")}
    # EASE is the same curve + 200: at ∞-AE's answer (Distill-CF, 2 %) it beats ∞-AE's full data
    result = compare_curves(curves[MODEL].answer(), curves, chosen=MODEL)
    assert result.beating == ("ease",) and result.values == {"ease": pytest.approx(239.0)}
    assert result.sentence == "EASE on 2 % of the users (Distill-CF) beats ∞-AE on all of them (239.00 against 40.00 HR@10)."
    # and ∞-AE never beats EASE (240 on all the data), at EASE's answer (1 %) or later
    reverse = compare_curves(curves["ease"].answer(), curves, chosen="ease")
    assert reverse.percent == 1.0 and reverse.beating == () and reverse.later_percent is None
    assert reverse.sentence == (
        "No other model on 1 % of the users (Distill-CF) beats EASE on all of them (240.00 HR@10; best: ∞-AE, 37.00). "
        "No other model beats it at a larger budget of Distill-CF or on all the data either."
    )
