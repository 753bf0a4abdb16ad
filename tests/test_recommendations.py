"""`workbench.inspect.recommendations`: one user's top-k with titles and genres, history, comparisons, tables."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from conftest import random_binary_matrix
from workbench.data import Dataset, Interactions, build_dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import ModelReport, SelectionStep, evaluate_model
from workbench.models import EASE, InfiniteAE, PopRec
from workbench.inspect.recommendations import (
    HIT_MARK,
    compare_recommendations,
    genre_profile,
    item_popularity,
    metrics_table,
    recommend,
    selection_table,
    styled,
    user_history,
)

GENRES = ("Comedy", "Drama", "Action|Comedy", "")


@pytest.fixture(scope="module")
def data() -> Dataset:
    """60 users × (up to) 40 items with original ids 10·(index + 1), titles "Movie <id>" and cycling genres."""
    matrix = random_binary_matrix(60, 40, 0.15, seed=7)
    coo = matrix.tocoo()
    rows = Interactions(users=coo.row.astype(np.int64) + 1, items=(coo.col.astype(np.int64) + 1) * 10, source="generated")
    dataset = build_dataset("generated", rows, seed=0)
    ids = dataset.item_ids.tolist()
    return dataset.with_item_titles({item: f"Movie {item}" for item in ids}).with_item_genres(
        {item: GENRES[position % len(GENRES)] for position, item in enumerate(ids)}
    )


@dataclasses.dataclass(frozen=True)
class FixedScores:
    """A fitted model scoring item i as ``values[i]`` for every user."""

    values: np.ndarray

    @property
    def hyperparameters(self) -> Mapping[str, float | int | str | None]:
        return {}

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        return np.tile(self.values, (len(users), 1))


def descending(data: Dataset) -> FixedScores:
    """Item i scores n_items − i: the ranking is the item order."""
    return FixedScores(np.arange(data.n_items, 0, -1, dtype=np.float32))


def test_recommend_ranks_unseen_items_by_score(data: Dataset) -> None:
    user = 3
    top = recommend(descending(data), data, user, k=5, model_name="fixed")
    context = set(data.context("test")[user].indices)
    expected = [item for item in range(data.n_items) if item not in context][:5]
    assert top["item"].tolist() == expected
    assert top.index.tolist() == [1, 2, 3, 4, 5] and top.index.name == "rank"
    assert top.columns.tolist() == ["item", "item_id", "title", "genres", "score", "popularity", "seen", "held_out"]
    assert top["item_id"].tolist() == [data.item_ids[item] for item in expected]
    assert top["title"].tolist() == [f"Movie {data.item_ids[item]}" for item in expected]
    assert top["genres"].tolist() == [data.item_genres[item] for item in expected]
    assert top["score"].tolist() == [float(data.n_items - item) for item in expected]
    assert top["popularity"].tolist() == [item_popularity(data)[item] for item in expected]
    assert not top["seen"].any()
    test_items = set(data.test[user].indices)
    assert top["held_out"].tolist() == [item in test_items for item in expected]
    assert top.attrs["caption"] == f"Top-5 recommendations for user {data.user_ids[user]} (row {user}) by fixed"


def test_recommend_context_follows_the_split(data: Dataset) -> None:
    user = 5
    for split, context in (("validation", data.train), ("test", data.context("test"))):
        top = recommend(descending(data), data, user, k=data.n_items - context[user].nnz, split=split)
        assert set(top["item"]) == set(range(data.n_items)) - set(context[user].indices)
        assert set(top.loc[top["held_out"], "item"]) == set(data.matrix(split)[user].indices)
    everything = recommend(descending(data), data, user, k=data.n_items, exclude_seen=False)
    assert everything["item"].tolist() == list(range(data.n_items))
    assert set(everything.loc[everything["seen"], "item"]) == set(data.context("test")[user].indices)


def test_recommend_breaks_ties_by_item_index(data: Dataset) -> None:
    top = recommend(FixedScores(np.ones(data.n_items, dtype=np.float32)), data, 0, k=3, exclude_seen=False)
    assert top["item"].tolist() == [0, 1, 2]


def test_recommend_refuses_bad_arguments(data: Dataset) -> None:
    model = descending(data)
    with pytest.raises(WorkbenchError, match=rf"user: expected a user index in \[0, {data.n_users - 1}\].*got 60"):
        recommend(model, data, data.n_users)
    with pytest.raises(WorkbenchError, match=r"user: expected a user index in \[0, 59\].*got -1"):
        recommend(model, data, -1)
    with pytest.raises(WorkbenchError, match=r"user: expected an integer user index, got '3'"):
        recommend(model, data, "3")  # type: ignore[arg-type]
    unseen = data.n_items - data.context("test")[0].nnz
    with pytest.raises(WorkbenchError, match=rf"k: expected an integer in \[1, {unseen}\].*got 0"):
        recommend(model, data, 0, k=0)
    with pytest.raises(WorkbenchError, match=rf"k: expected an integer in \[1, {unseen}\]"):
        recommend(model, data, 0, k=unseen + 1)
    with pytest.raises(WorkbenchError, match=r"split: expected 'validation'.*or 'test'.*got 'train'"):
        recommend(model, data, 0, split="train")
    with pytest.raises(WorkbenchError, match=rf"scores of shape \(1, 3\), expected \(1, {data.n_items}\)"):
        recommend(FixedScores(np.ones(3)), data, 0)


def test_user_history_lists_every_split_most_popular_first(data: Dataset) -> None:
    user = 7
    history = user_history(data, user)
    popularity = item_popularity(data)
    assert history.columns.tolist() == ["split", "item", "item_id", "title", "genres", "popularity"]
    for split in ("train", "validation", "test"):
        rows = history[history["split"] == split]
        assert sorted(rows["item"]) == sorted(data.matrix(split)[user].indices)
        assert rows["popularity"].tolist() == sorted(rows["popularity"], reverse=True)
        assert rows["popularity"].tolist() == [popularity[item] for item in rows["item"]]
    assert history["split"].tolist() == sorted(history["split"], key=["train", "validation", "test"].index)
    counts = [data.matrix(split)[user].nnz for split in ("train", "validation", "test")]
    assert history.attrs["caption"] == (
        f"What user {data.user_ids[user]} (row {user}) watched: {counts[0]} train, {counts[1]} validation, {counts[2]} test"
    )
    assert set(user_history(data, user, splits=("train",))["split"]) == {"train"}
    with pytest.raises(WorkbenchError, match=r"user: expected a user index in \[0, 59\]"):
        user_history(data, 99)


def test_item_popularity_counts_training_users(data: Dataset) -> None:
    assert item_popularity(data).tolist() == np.asarray(data.train.sum(axis=0)).ravel().astype(int).tolist()


def test_no_titles_or_genres_gives_empty_strings_and_ids(data: Dataset) -> None:
    bare = dataclasses.replace(data, item_titles=None, item_genres=None)
    top = recommend(descending(bare), bare, 0, k=2)
    assert top["title"].tolist() == ["", ""] and top["genres"].tolist() == ["", ""]
    table = compare_recommendations({"fixed": descending(bare)}, bare, 0, k=2)
    assert table["fixed"].str.replace(HIT_MARK, "").tolist() == [f"item {item}" for item in top["item_id"]]


def test_compare_recommendations_side_by_side(data: Dataset) -> None:
    user = 2
    models = {"descending": descending(data), "ascending": FixedScores(np.arange(data.n_items, dtype=np.float32))}
    table = compare_recommendations(models, data, user, k=4)
    assert table.columns.tolist() == ["descending", "ascending"] and table.index.tolist() == [1, 2, 3, 4]
    for name, model in models.items():
        top = recommend(model, data, user, k=4)
        expected = [title + (HIT_MARK if hit else "") for title, hit in zip(top["title"], top["held_out"], strict=True)]
        assert table[name].tolist() == expected
        assert table.attrs["hits"][name] == int(top["held_out"].sum())
    assert table.attrs["caption"].startswith(f"Top-4 for user {data.user_ids[user]} (row {user}) by model")
    with pytest.raises(WorkbenchError, match="at least one fitted model"):
        compare_recommendations({}, data, user)


def test_genre_profile_shares() -> None:
    history = pd.DataFrame({"genres": ["Comedy|Drama", "Drama", "", "Action"]})
    recommended = pd.DataFrame({"genres": ["Action|Comedy", "Action"]})
    profile = genre_profile({"history": history, "top-2": recommended})
    assert profile.index.name == "genre" and profile.columns.tolist() == ["history", "top-2"]
    assert profile.index[0] == "Drama"  # most frequent in the first table
    assert profile.loc["Drama"].tolist() == [0.5, 0.0]
    assert profile.loc["Comedy"].tolist() == [0.25, 0.5]
    assert profile.loc["Action"].tolist() == [0.25, 1.0]
    with pytest.raises(WorkbenchError, match=r"tables\['x'\]: expected a 'genres' column"):
        genre_profile({"x": pd.DataFrame({"title": ["A"]})})


def test_evaluate_model_returns_the_chosen_fit_without_refitting(data: Dataset) -> None:
    model = InfiniteAE(lambdas=(1.0, 20.0, 500.0))
    kept = evaluate_model(model, data, seed=3, progress=False)
    assert kept.model == "infinite-ae" and len(kept.selection) == 3
    assert dict(kept.fitted.hyperparameters) == dict(kept.hyperparameters)
    assert "fitted" not in kept.to_json() and "fitted" not in repr(kept)
    chosen = InfiniteAE(lambdas=(kept.hyperparameters["lambda"],))
    refit = next(chosen.fit_grid(data.train, seed=3))
    users = np.arange(5)
    context = data.context("test")[users]
    np.testing.assert_allclose(kept.fitted.score(users, context), refit.score(users, context), rtol=1e-5, atol=1e-6)
    popular = evaluate_model(PopRec(), data, progress=False)
    assert popular.model == "poprec" and popular.hyperparameters == {} and popular.fitted is not None
    assert dict(evaluate_model(EASE(lambdas=(5.0, 50.0)), data, progress=False).fitted.hyperparameters)["lambda"] in (5.0, 50.0)


def report(model: str, dataset: str = "ml-1m", lam: float | None = 5.0) -> ModelReport:
    hyper = {} if lam is None else {"lambda": lam, "depth": 1}
    steps = (
        (SelectionStep({"lambda": 1.0, "depth": 1}, {"HR@100": 50.0}, 1.0), SelectionStep(hyper, {"HR@100": 60.0}, 2.0))
        if lam is not None
        else (SelectionStep({}, {"HR@100": 30.0}, 0.5),)
    )
    return ModelReport(
        dataset=dataset, model=model, hyperparameters=hyper, validation={"HR@100": 60.0},
        test={"NDCG@10": 33.4, "HR@10": 31.9, "HR@100": 60.9}, selection=steps,
        seconds={"total": 12.5}, users={}, seed=0,
    )


def test_metrics_table_puts_the_papers_numbers_beside() -> None:
    table = metrics_table([report("infinite-ae"), report("poprec", lam=None)])
    assert table.index.tolist() == ["infinite-ae", "poprec"] and table.index.name == "model"
    assert table.columns.tolist() == [
        "NDCG@10", "NDCG@10 paper", "HR@10", "HR@10 paper", "HR@100", "HR@100 paper", "λ", "seconds"
    ]
    assert table.loc["infinite-ae", "NDCG@10"] == 33.4 and table.loc["infinite-ae", "NDCG@10 paper"] == 32.82
    assert table.loc["infinite-ae", "HR@100 paper"] == 60.05 and table.loc["infinite-ae", "λ"] == 5.0
    assert table.loc["poprec", "NDCG@10 paper"] == 13.84
    assert math.isnan(table.loc["poprec", "HR@10 paper"]) and math.isnan(table.loc["poprec", "λ"])
    assert (table.dtypes == np.float64).all()
    assert "ml-1m" in table.attrs["caption"]
    assert math.isnan(metrics_table([report("infinite-ae", dataset="mine")]).loc["infinite-ae", "NDCG@10 paper"])
    with pytest.raises(WorkbenchError, match=r"'MRR@10' is not in the report of infinite-ae"):
        metrics_table([report("infinite-ae")], metrics=("MRR@10",))


def test_selection_table_marks_the_chosen_setting() -> None:
    table = selection_table(report("infinite-ae"))
    assert table.columns.tolist() == ["lambda", "HR@100", "seconds", "chosen"]  # depth is constant: dropped
    assert table["lambda"].tolist() == [1.0, 5.0] and table["chosen"].tolist() == [False, True]
    single = selection_table(report("poprec", lam=None))
    assert single["chosen"].tolist() == [True]


def test_styled_renders_an_html_table_with_its_caption(data: Dataset) -> None:
    top = recommend(descending(data), data, 0, k=3, model_name="fixed")
    html = styled(top).to_html()
    assert "<table" in html and f"<caption>{top.attrs['caption']}</caption>" in html
    assert "Movie " in html
    stats = styled(data.statistics().as_frame(), caption="Statistics").to_html()
    assert "<caption>Statistics</caption>" in stats and "%" in stats  # density as a percentage
    assert "—" in styled(metrics_table([report("poprec", lam=None)])).to_html()  # NaN shown as a dash
