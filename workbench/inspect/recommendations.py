"""What a fitted model recommends to one user, shown with titles and genres, and the tables around it.

The tutorial notebook (``notebooks/01_quickstart.ipynb``) is built from these functions, around
:func:`workbench.evaluation.evaluate_model` (λ chosen on validation HR@100, test once), whose report
carries the chosen fitted model (``report.fitted``):

* :func:`recommend` — a user's top-k items with title, genres, score, popularity and whether the
  item is one of the user's held-out items (a hit);
* :func:`user_history` — the items the user interacted with, split by split;
* :func:`compare_recommendations` — several models' top-k side by side;
* :func:`genre_profile` — the share of each genre among the items of several tables;
* :func:`metrics_table` and :func:`selection_table` — evaluation reports next to the paper's numbers,
  and the validation curve over a model's grid;
* :func:`styled` — any of these tables as an HTML table with a caption (a pandas ``Styler``).

Users and items are dense indices (rows and columns of the dataset's matrices); the tables also
show the original ids (``dataset.user_ids`` / ``dataset.item_ids``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pandas.io.formats.style import Styler

from workbench.data import Dataset
from workbench.errors import WorkbenchError
from workbench.evaluation import ModelReport
from workbench.models.base import FittedRecommender
from workbench.reference import paper_metrics

#: Splits whose held-out items a recommendation can be checked against (the context is what precedes it).
PREDICTED_SPLITS: tuple[str, ...] = ("validation", "test")
#: A cell of :func:`compare_recommendations` that is one of the user's held-out items ends with this.
HIT_MARK = " ✓"


# --------------------------------------------------------------------------- one user's items


def check_user(dataset: Dataset, user: int) -> int:
    """``user`` as a dense user index of ``dataset``; a WorkbenchError naming the valid range otherwise."""
    if isinstance(user, (bool, np.bool_)) or not isinstance(user, (int, np.integer)):
        raise WorkbenchError(f"user: expected an integer user index, got {user!r} ({type(user).__name__})")
    if not 0 <= int(user) < dataset.n_users:
        raise WorkbenchError(
            f"user: expected a user index in [0, {dataset.n_users - 1}] ({dataset.name} has {dataset.n_users:,} "
            f"users; row u is the original user id dataset.user_ids[u]), got {user}"
        )
    return int(user)


def _check_split(split: str) -> str:
    if split not in PREDICTED_SPLITS:
        raise WorkbenchError(
            f"split: expected 'validation' (context: train) or 'test' (context: train ∪ validation), got {split!r}"
        )
    return split


def _row_items(matrix: sp.csr_matrix, user: int) -> np.ndarray:
    """The column indices (sorted, int64) of the non-zeros of row ``user``."""
    return matrix.indices[matrix.indptr[user] : matrix.indptr[user + 1]].astype(np.int64)


def item_popularity(dataset: Dataset) -> np.ndarray:
    """(n_items,) int64: how many users interacted with each item in the training split."""
    return np.bincount(dataset.train.indices, minlength=dataset.n_items).astype(np.int64)


def _item_columns(dataset: Dataset, items: np.ndarray, popularity: np.ndarray) -> dict[str, Any]:
    """The descriptive columns of ``items`` (dense indices): original id, title, genres, popularity."""
    titles = dataset.item_titles
    genres = dataset.item_genres
    return {
        "item": items,
        "item_id": dataset.item_ids[items],
        "title": [titles[i] for i in items] if titles is not None else [""] * len(items),
        "genres": [genres[i] for i in items] if genres is not None else [""] * len(items),
        "popularity": popularity[items],
    }


def _user_label(dataset: Dataset, user: int) -> str:
    return f"user {dataset.user_ids[user]} (row {user})"


def recommend(
    fitted: FittedRecommender,
    dataset: Dataset,
    user: int,
    k: int = 10,
    *,
    split: str = "test",
    exclude_seen: bool = True,
    model_name: str | None = None,
) -> pd.DataFrame:
    """The top-``k`` items ``fitted`` recommends to ``user``, scored from the context of ``split``.

    The context is what the model knows of the user when ``split`` is predicted: the training row
    for "validation", training ∪ validation for "test" (as in the evaluation). With
    ``exclude_seen`` the context items are left out of the ranking (as the metrics do). Ties in score
    go to the lower item index.

    Args:
        fitted: a fitted model (``score(users, context)``).
        dataset: the dataset it was fitted on.
        user: dense user index in [0, n_users).
        k: how many items, in [1, number of rankable items].
        split: "test" or "validation": whose context is scored and whose held-out items count as hits.
        exclude_seen: leave the context items out of the ranking.
        model_name: named in the caption (default: the model's class name).

    Returns:
        A DataFrame of ``k`` rows, index ``rank`` (1..k), columns ``item`` (dense index, int64),
        ``item_id`` (original id), ``title`` and ``genres`` (str, "" when unknown), ``score``
        (float64), ``popularity`` (training users of the item, int64), ``seen`` (bool: in the
        context) and ``held_out`` (bool: one of the user's ``split`` items, i.e. a hit).
        ``frame.attrs["caption"]`` says "Top-k recommendations for user <id> (row <u>) by <model>".

    Raises:
        WorkbenchError: ``user``, ``k`` or ``split`` out of range, or scores of the wrong shape.
    """
    user = check_user(dataset, user)
    split = _check_split(split)
    context = dataset.context(split)[[user]]
    scores = np.asarray(fitted.score(np.array([user], dtype=np.int64), context), dtype=np.float64)
    if scores.shape != (1, dataset.n_items):
        raise WorkbenchError(f"the model returned scores of shape {scores.shape}, expected (1, {dataset.n_items})")
    scores = scores[0]
    seen = np.zeros(dataset.n_items, dtype=bool)
    seen[_row_items(context, 0)] = True
    candidates = np.flatnonzero(~seen) if exclude_seen else np.arange(dataset.n_items)
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(candidates):
        raise WorkbenchError(
            f"k: expected an integer in [1, {len(candidates)}] (the items {_user_label(dataset, user)} can be "
            f"recommended{' besides the ' + str(int(seen.sum())) + ' seen ones' if exclude_seen else ''}), got {k!r}"
        )
    order = candidates[np.argsort(-scores[candidates], kind="stable")[: int(k)]]
    held_out = np.zeros(dataset.n_items, dtype=bool)
    held_out[_row_items(dataset.matrix(split), user)] = True
    columns = _item_columns(dataset, order, item_popularity(dataset))
    popularity = columns.pop("popularity")
    frame = pd.DataFrame(
        {**columns, "score": scores[order], "popularity": popularity, "seen": seen[order], "held_out": held_out[order]},
        index=pd.RangeIndex(1, len(order) + 1, name="rank"),
    )
    name = model_name or type(fitted).__name__
    frame.attrs["caption"] = f"Top-{int(k)} recommendations for {_user_label(dataset, user)} by {name}"
    return frame


def user_history(dataset: Dataset, user: int, splits: Sequence[str] = ("train", "validation", "test")) -> pd.DataFrame:
    """The items ``user`` interacted with in ``splits``, split by split, most popular first.

    Returns:
        A DataFrame with one row per (split, item), index 0..n−1, columns ``split`` (str), ``item``
        (dense index, int64), ``item_id``, ``title``, ``genres``, ``popularity`` (training users of
        the item, int64). ``frame.attrs["caption"]`` names the user and the counts per split.

    Raises:
        WorkbenchError: ``user`` out of range or an unknown split.
    """
    user = check_user(dataset, user)
    popularity = item_popularity(dataset)
    parts = []
    counts = []
    for split in splits:
        items = _row_items(dataset.matrix(split), user)
        items = items[np.argsort(-popularity[items], kind="stable")]
        parts.append(pd.DataFrame({"split": split, **_item_columns(dataset, items, popularity)}))
        counts.append(f"{len(items)} {split}")
    columns = ["split", "item", "item_id", "title", "genres", "popularity"]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame.attrs["caption"] = f"What {_user_label(dataset, user)} watched: {', '.join(counts)}"
    return frame


def _item_label(frame: pd.DataFrame, position: int) -> str:
    title = str(frame["title"].iloc[position])
    label = title if title else f"item {frame['item_id'].iloc[position]}"
    return label + (HIT_MARK if bool(frame["held_out"].iloc[position]) else "")


def compare_recommendations(
    fitted: Mapping[str, FittedRecommender], dataset: Dataset, user: int, k: int = 10, *, split: str = "test"
) -> pd.DataFrame:
    """Several models' top-``k`` for ``user`` side by side.

    Returns:
        A DataFrame with index ``rank`` (1..k) and one column per model (in ``fitted`` order) holding
        the item's title (``item <id>`` without titles), ending in :data:`HIT_MARK` (" ✓") when it
        is one of the user's held-out ``split`` items. ``frame.attrs["hits"]`` is {model: number of
        hits}; ``frame.attrs["caption"]`` names the user.
    """
    if not fitted:
        raise WorkbenchError("fitted: expected at least one fitted model to compare, got none")
    user = check_user(dataset, user)
    columns = {}
    hits = {}
    for name, model in fitted.items():
        top = recommend(model, dataset, user, k, split=split, model_name=name)
        columns[name] = [_item_label(top, position) for position in range(len(top))]
        hits[name] = int(top["held_out"].sum())
    frame = pd.DataFrame(columns, index=pd.RangeIndex(1, int(k) + 1, name="rank"))
    frame.attrs["hits"] = hits
    frame.attrs["caption"] = (
        f"Top-{int(k)} for {_user_label(dataset, user)} by model ({HIT_MARK.strip()}: one of the user's {split} items; "
        + ", ".join(f"{name} {count} hit{'' if count == 1 else 's'}" for name, count in hits.items())
        + ")"
    )
    return frame


def genre_profile(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The share of each genre among the items of each table (a column ``genres`` of "A|B" strings).

    Returns:
        A DataFrame indexed by genre (every genre of any table, by decreasing share in the first
        table), one float64 column per table: the fraction of its items having that genre (an item
        with two genres counts for both, so a column can sum to more than 1).
    """
    shares = {}
    for name, table in tables.items():
        if "genres" not in table.columns:
            raise WorkbenchError(f"tables[{name!r}]: expected a 'genres' column, got columns {list(table.columns)}")
        genres = table["genres"].astype(str)
        exploded = genres[genres != ""].str.split("|").explode()
        shares[name] = exploded.value_counts() / max(len(table), 1)
    frame = pd.DataFrame(shares).fillna(0.0).astype("float64")
    if tables:
        first = next(iter(tables))
        frame = frame.sort_values(first, ascending=False, kind="stable")
    frame.index.name = "genre"
    frame.attrs["caption"] = "Share of items in each genre"
    return frame


# --------------------------------------------------------------------------- evaluation tables


def metrics_table(
    reports: Sequence[ModelReport], metrics: Sequence[str] = ("NDCG@10", "HR@10", "HR@100")
) -> pd.DataFrame:
    """Test metrics of each report next to the paper's (``workbench.reference``).

    Returns:
        A DataFrame indexed by model, columns per metric ``<metric>`` (measured, ×100) and
        ``<metric> paper`` (NaN where the paper gives none), then ``λ`` (the chosen λ, NaN without
        one) and ``seconds`` (the whole evaluation). All float64.
    """
    rows = {}
    for report in reports:
        paper = paper_metrics(report.dataset, report.model)
        row: dict[str, float] = {}
        for metric in metrics:
            if metric not in report.test:
                raise WorkbenchError(
                    f"metrics: {metric!r} is not in the report of {report.model}; available: {', '.join(report.test)}"
                )
            row[metric] = float(report.test[metric])
            row[f"{metric} paper"] = float(paper.get(metric, math.nan))
        lam = report.hyperparameters.get("lambda")
        row["λ"] = float(lam) if lam is not None else math.nan
        row["seconds"] = float(report.seconds["total"])
        rows[report.model] = row
    frame = pd.DataFrame.from_dict(rows, orient="index").astype("float64")
    frame.index.name = "model"
    datasets = sorted({report.dataset for report in reports})
    frame.attrs["caption"] = f"Test metrics on {', '.join(datasets)} (%), measured and as published"
    return frame


def selection_table(report: ModelReport) -> pd.DataFrame:
    """A model's validation metrics for each setting of its grid, the chosen one marked.

    Returns:
        A DataFrame with one row per setting, in grid order: the hyper-parameters (e.g.
        ``lambda``; those that are the same for every setting of a grid of several are left out),
        the validation metrics (×100; ``AUC`` and ``UserAUC`` in [0, 1]), ``seconds`` (of that
        setting) and ``chosen`` (bool).
    """
    rows = []
    for step in report.selection:
        hyper = dict(step.hyperparameters)
        metrics = {metric: float(value) for metric, value in step.validation.items()}
        chosen = hyper == dict(report.hyperparameters)
        rows.append({**hyper, **metrics, "seconds": float(step.seconds), "chosen": chosen})
    frame = pd.DataFrame(rows)
    several = len(frame) > 1
    constant = [name for name in report.hyperparameters if several and name in frame and frame[name].nunique() <= 1]
    frame = frame.drop(columns=constant)
    frame.attrs["caption"] = f"{report.model} on {report.dataset}: validation metrics of each setting (chosen: the one kept)"
    return frame


# --------------------------------------------------------------------------- display


def styled(frame: pd.DataFrame, caption: str | None = None, precision: int = 2) -> Styler:
    """``frame`` as an HTML table with a caption (``frame.attrs["caption"]`` by default).

    Floats are shown with ``precision`` decimals (a ``density`` column as a percentage); the index
    stays visible. In Jupyter the returned ``Styler`` renders as a ``<table>`` with a ``<caption>``.
    """
    text = caption if caption is not None else frame.attrs.get("caption", "")
    formats: dict[str, str] = {}
    for column in frame.columns:
        if column == "density":
            formats[column] = "{:.4%}"
        elif pd.api.types.is_float_dtype(frame[column]):
            formats[column] = f"{{:.{precision}f}}"
    styler = frame.style.format(formats, na_rep="—")
    if text:
        styler = styler.set_caption(text)
    return styler.set_table_styles(
        [{"selector": "caption", "props": "caption-side: top; font-weight: bold; text-align: left;"}], overwrite=False
    )
