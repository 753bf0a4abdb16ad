"""What a Distill-CF summary looks like next to the real data it summarises (notebook 03).

Pure functions of a real user × item matrix (binary; a ``scipy.sparse`` matrix or a NumPy array of
shape (n, d)) and a summary (μ synthetic users × the same d items, entries in [0, 1]; dense or
sparse): item popularity and coverage, user sizes, a 2-D PCA map of real and synthetic users, each
synthetic user's nearest real users and top items, and how the Gumbel-softmax temperature τ changes
how discrete a summary drawn from the same logits is. The figures are in
:mod:`workbench.figures.synthetic`.

Terms used throughout:

- *size* of a row: the sum of its entries (for a binary row, its number of interactions);
- *coverage*: the share of items that at least one row holds, a row holding its round(size)
  largest entries (as :func:`workbench.distill.binarise` keeps them); for binary data, the share of
  items with at least one interaction;
- *near-binary share*: the share of entries within ``tolerance`` of 0 or 1; *mass near 1*: the share
  of the summary's total mass in entries ≥ 1 − ``tolerance`` (see :class:`Discreteness`);
- *entropy* of an entry p: −p·log₂p − (1−p)·log₂(1−p) bits (0 for p ∈ {0, 1}, 1 bit for p = ½).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
import scipy.special
import scipy.stats

from workbench.data import Dataset
from workbench.distill import DistillConfig, draw_summary
from workbench.errors import WorkbenchError
from workbench.validation import check_positive_int, check_seed

Matrix = np.ndarray | sp.spmatrix | sp.sparray


# --- argument checks ------------------------------------------------------------------------------


def _check_matrix(matrix: Matrix, name: str) -> np.ndarray | sp.csr_matrix:
    """``matrix`` as float64 (CSR when sparse, a copy either way), refusing what is not a non-empty
    2-D matrix with finite entries in [0, 1]."""
    if sp.issparse(matrix):
        checked: np.ndarray | sp.csr_matrix = sp.csr_matrix(matrix, dtype=np.float64, copy=True)
        values = checked.data
    else:
        try:
            checked = np.array(matrix, dtype=np.float64)
        except (TypeError, ValueError):
            raise WorkbenchError(f"{name}: expected a numeric user × item matrix, got {type(matrix).__name__}") from None
        values = checked
    if checked.ndim != 2 or checked.shape[0] == 0 or checked.shape[1] == 0:
        raise WorkbenchError(f"{name}: expected a non-empty 2-D user × item matrix, got shape {checked.shape}")
    if not np.all(np.isfinite(values)):
        raise WorkbenchError(f"{name}: expected finite entries, found NaN or infinity")
    if values.size and (values.min() < 0 or values.max() > 1):
        raise WorkbenchError(
            f"{name}: expected entries in [0, 1] (binary data or a summary), got values in "
            f"[{values.min():g}, {values.max():g}]"
        )
    return checked


def _check_pair(real: Matrix, summary: Matrix) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray | sp.csr_matrix]:
    real_checked = _check_matrix(real, "real")
    summary_checked = _check_matrix(summary, "summary")
    if real_checked.shape[1] != summary_checked.shape[1]:
        raise WorkbenchError(
            f"summary: has {summary_checked.shape[1]} items (columns) but real has {real_checked.shape[1]}; "
            "both must cover the same items"
        )
    return real_checked, summary_checked


def _check_tolerance(tolerance: float) -> float:
    if isinstance(tolerance, bool) or not isinstance(tolerance, numbers.Real) or not 0 < tolerance < 0.5:
        raise WorkbenchError(f"tolerance: expected a number in (0, 0.5), got {tolerance!r}")
    return float(tolerance)


def _dense(matrix: np.ndarray | sp.csr_matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else matrix


# --- items: popularity and coverage ---------------------------------------------------------------


def item_popularity(matrix: Matrix) -> np.ndarray:
    """(d,) float64: each item's column sum (its interactions, or a summary's mass on it).

    Args:
        matrix: (n, d) entries in [0, 1], dense or sparse.
    """
    checked = _check_matrix(matrix, "matrix")
    return np.asarray(checked.sum(axis=0), dtype=np.float64).ravel()


def popularity_order(matrix: Matrix) -> np.ndarray:
    """(d,) int64: the items from most to least popular in ``matrix`` (ties: lower index first)."""
    return np.argsort(-item_popularity(matrix), kind="stable").astype(np.int64)


def held_items(matrix: Matrix) -> np.ndarray:
    """(n, d) bool: the items each row holds, its round(size) largest entries (ties: lower index first).

    For a binary row these are its interactions; a summary's row holds what
    :func:`workbench.distill.binarise` keeps, except that a row of size below ½ holds nothing.
    """
    checked = _check_matrix(matrix, "matrix")
    if sp.issparse(checked) and np.all(checked.data == 1.0):
        return checked.toarray() > 0
    dense = _dense(checked)
    if np.all((dense == 0) | (dense == 1)):
        return dense > 0
    sizes = np.rint(dense.sum(axis=1)).astype(np.int64)
    order = np.argsort(-dense, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(dense.shape[1]), dense.shape), axis=1)
    return ranks < sizes[:, None]


def item_coverage(matrix: Matrix) -> float:
    """The share of items (in [0, 1]) that at least one row holds (see :func:`held_items`)."""
    held = held_items(matrix)
    return float(np.count_nonzero(held.any(axis=0))) / held.shape[1]


@dataclass(frozen=True)
class PopularityComparison:
    """Item popularity of a summary against the real data, items in the real data's popularity order.

    Attributes:
        order: (d,) int64, the items from most to least popular in the real data.
        real_share: (d,) float64, each item's share of the real interactions, in ``order``; sums to 1.
        summary_share: (d,) float64, each item's share of the summary's mass, in ``order``; sums to 1.
        real_coverage: share of items with at least one real interaction, in [0, 1].
        summary_coverage: share of items some synthetic user holds (:func:`item_coverage`), in [0, 1].
        rank_correlation: Spearman correlation between the items' real and summary popularity
            (NaN when either is constant).
    """

    order: np.ndarray
    real_share: np.ndarray
    summary_share: np.ndarray
    real_coverage: float
    summary_coverage: float
    rank_correlation: float


def compare_popularity(real: Matrix, summary: Matrix) -> PopularityComparison:
    """Item popularity and coverage of ``summary`` (μ, d) against ``real`` (n, d); see the class."""
    real_checked, summary_checked = _check_pair(real, summary)
    real_popularity = item_popularity(real_checked)
    summary_popularity = item_popularity(summary_checked)
    if real_popularity.sum() == 0:
        raise WorkbenchError("real: has no interactions, so items have no popularity to compare with")
    if summary_popularity.sum() == 0:
        raise WorkbenchError("summary: all entries are 0, so items have no popularity in it")
    order = np.argsort(-real_popularity, kind="stable").astype(np.int64)
    constant = np.ptp(real_popularity) == 0 or np.ptp(summary_popularity) == 0
    correlation = float("nan") if constant else float(scipy.stats.spearmanr(real_popularity, summary_popularity).statistic)
    return PopularityComparison(
        order=order,
        real_share=real_popularity[order] / real_popularity.sum(),
        summary_share=summary_popularity[order] / summary_popularity.sum(),
        real_coverage=item_coverage(real_checked),
        summary_coverage=item_coverage(summary_checked),
        rank_correlation=correlation,
    )


# --- users: sizes ---------------------------------------------------------------------------------


def user_sizes(matrix: Matrix) -> np.ndarray:
    """(n,) float64: each row's size (sum of its entries)."""
    checked = _check_matrix(matrix, "matrix")
    return np.asarray(checked.sum(axis=1), dtype=np.float64).ravel()


@dataclass(frozen=True)
class UserSizeComparison:
    """Sizes of synthetic users against real ones.

    Attributes:
        real_sizes: (n_active,) float64, interactions of each real user with at least one.
        summary_sizes: (μ,) float64, each synthetic user's size (sum of its entries).
    """

    real_sizes: np.ndarray
    summary_sizes: np.ndarray

    @property
    def real_mean(self) -> float:
        return float(self.real_sizes.mean())

    @property
    def summary_mean(self) -> float:
        return float(self.summary_sizes.mean())

    @property
    def real_median(self) -> float:
        return float(np.median(self.real_sizes))

    @property
    def summary_median(self) -> float:
        return float(np.median(self.summary_sizes))


def compare_user_sizes(real: Matrix, summary: Matrix) -> UserSizeComparison:
    """Sizes of the real users (those with at least one interaction) and of the synthetic users."""
    real_checked, summary_checked = _check_pair(real, summary)
    real_sizes = user_sizes(real_checked)
    real_sizes = real_sizes[real_sizes > 0]
    if real_sizes.size == 0:
        raise WorkbenchError("real: has no user with an interaction")
    return UserSizeComparison(real_sizes=real_sizes, summary_sizes=user_sizes(summary_checked))


# --- users: a 2-D map -----------------------------------------------------------------------------


def sample_rows(n_rows: int, count: int, seed: int) -> np.ndarray:
    """(min(count, n_rows),) int64, ascending: ``count`` of ``n_rows`` row indices drawn without
    replacement with ``numpy.random.default_rng(seed)`` (all rows when ``count ≥ n_rows``)."""
    check_positive_int("n_rows", n_rows)
    check_positive_int("count", count)
    seed = check_seed(seed)
    if count >= n_rows:
        return np.arange(n_rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=count, replace=False)).astype(np.int64)


@dataclass(frozen=True)
class Projection:
    """Real and synthetic users on the first two principal components of their rows together.

    Attributes:
        real_coordinates: (m, 2) float64, the real users shown.
        summary_coordinates: (μ, 2) float64.
        real_users: (m,) int64, the row index in ``real`` of each real user shown.
        real_sizes: (m,) float64 and summary_sizes: (μ,) float64, the rows' sizes (for hover text).
        explained_variance: (2,) float64, the share of the rows' total variance each component explains.
    """

    real_coordinates: np.ndarray
    summary_coordinates: np.ndarray
    real_users: np.ndarray
    real_sizes: np.ndarray
    summary_sizes: np.ndarray
    explained_variance: np.ndarray


def _top_two_components(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """((2, d) unit principal directions, (2,) their variances Σ s², total Σ s²) of centred rows (N, d).

    Solved on the smaller of the Gram matrix C·Cᵀ (N × N) and C ᵀ·C (d × d) with a partial symmetric
    eigensolver: the two largest singular values and vectors of C, without a full SVD (a full SVD of
    1,100 × 3,706 rows takes tens of CPU seconds on a 2-core machine; this takes about one). A
    direction with (numerically) no variance is returned as zeros.
    """
    rows, columns = centred.shape
    total = float(np.sum(centred * centred))
    if rows <= columns:
        gram = centred @ centred.T
        values, vectors = scipy.linalg.eigh(gram, subset_by_index=[max(rows - 2, 0), rows - 1])
        values, vectors = values[::-1], vectors[:, ::-1]
        singular = np.sqrt(np.clip(values, 0.0, None))
        keep = values > 1e-12 * total
        directions = np.zeros((len(values), columns))
        directions[keep] = (centred.T @ vectors[:, keep] / singular[keep]).T
    else:
        values, vectors = scipy.linalg.eigh(centred.T @ centred, subset_by_index=[max(columns - 2, 0), columns - 1])
        values, directions = values[::-1], vectors[:, ::-1].T.copy()
        keep = values > 1e-12 * total
        directions[~keep] = 0.0
    values = np.where(keep, np.clip(values, 0.0, None), 0.0)
    if len(values) < 2:  # a single row or item: the second direction does not exist
        directions = np.vstack([directions, np.zeros((2 - len(values), columns))])
        values = np.concatenate([values, np.zeros(2 - len(values))])
    return directions, values, total


def pca_projection(real: Matrix, summary: Matrix, *, max_real_users: int = 2000, seed: int = 0) -> Projection:
    """PCA of the real rows (at most ``max_real_users`` of them, a seeded sample) stacked with the
    summary's: the rows, centred on their mean, projected on their first two principal directions
    (the top right singular vectors of the centred rows).

    Each direction's sign is fixed so that its largest-magnitude loading is positive (the map is
    the same on every machine).

    Args:
        real: (n, d) binary; summary: (μ, d) in [0, 1].
        max_real_users: the most real users in the PCA and on the map.
        seed: draws which real users when there are more than ``max_real_users``.

    Raises:
        WorkbenchError: the stacked rows are all the same (no variance to map).
    """
    real_checked, summary_checked = _check_pair(real, summary)
    check_positive_int("max_real_users", max_real_users)
    shown = sample_rows(real_checked.shape[0], max_real_users, seed)
    real_rows = _dense(real_checked[shown])
    summary_rows = _dense(summary_checked)
    stacked = np.vstack([real_rows, summary_rows])
    centred = stacked - stacked.mean(axis=0)
    directions, variances, total = _top_two_components(centred)
    if total == 0:
        raise WorkbenchError("real, summary: every row is the same, so there is no variance to map")
    largest = np.argmax(np.abs(directions), axis=1)
    signs = np.sign(directions[np.arange(2), largest])
    directions = directions * np.where(signs == 0, 1.0, signs)[:, None]
    coordinates = centred @ directions.T
    return Projection(
        real_coordinates=coordinates[: len(shown)],
        summary_coordinates=coordinates[len(shown):],
        real_users=shown,
        real_sizes=real_rows.sum(axis=1),
        summary_sizes=summary_rows.sum(axis=1),
        explained_variance=variances / total,
    )


# --- each synthetic user: nearest real users, top items ------------------------------------------


@dataclass(frozen=True)
class NearestUsers:
    """Each synthetic user's most similar real users by cosine similarity of their rows.

    Attributes:
        users: (μ, k) int64, row indices in ``real``, most similar first (ties: lower index first).
        similarities: (μ, k) float64 in [0, 1], the cosine similarities (0 against an empty row).
    """

    users: np.ndarray
    similarities: np.ndarray


def cosine_similarities(real: Matrix, summary: Matrix) -> np.ndarray:
    """(μ, n) float64: cosine similarity of each synthetic row to each real row (0 with an empty row)."""
    real_checked, summary_checked = _check_pair(real, summary)
    summary_rows = _dense(summary_checked)
    products = np.asarray(real_checked @ summary_rows.T).T  # (μ, n)
    if sp.issparse(real_checked):
        real_norms = np.sqrt(np.asarray(real_checked.multiply(real_checked).sum(axis=1)).ravel())
    else:
        real_norms = np.linalg.norm(real_checked, axis=1)
    summary_norms = np.linalg.norm(summary_rows, axis=1)
    denominator = summary_norms[:, None] * real_norms[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        similarities = np.where(denominator > 0, products / np.where(denominator > 0, denominator, 1.0), 0.0)
    return np.clip(similarities, 0.0, 1.0)


def nearest_real_users(real: Matrix, summary: Matrix, k: int = 5) -> NearestUsers:
    """The ``k`` real users (rows of ``real`` (n, d)) most cosine-similar to each row of ``summary``."""
    k = check_positive_int("k", k)
    similarities = cosine_similarities(real, summary)
    k = min(k, similarities.shape[1])
    order = np.argsort(-similarities, axis=1, kind="stable")[:, :k]
    return NearestUsers(users=order.astype(np.int64), similarities=np.take_along_axis(similarities, order, axis=1))


@dataclass(frozen=True)
class TopItems:
    """Each synthetic user's largest entries.

    Attributes:
        items: (μ, k) int64, item indices, largest entry first (ties: lower index first).
        weights: (μ, k) float64, those entries.
    """

    items: np.ndarray
    weights: np.ndarray


def top_items(summary: Matrix, k: int = 5) -> TopItems:
    """The ``k`` largest entries of each row of ``summary`` (μ, d) and their items."""
    k = check_positive_int("k", k)
    rows = _dense(_check_matrix(summary, "summary"))
    k = min(k, rows.shape[1])
    order = np.argsort(-rows, axis=1, kind="stable")[:, :k]
    return TopItems(items=order.astype(np.int64), weights=np.take_along_axis(rows, order, axis=1))


def item_labels(dataset: Dataset) -> tuple[str, ...]:
    """(d,) a label per item: its title where ``dataset.item_titles`` has one, else ``"item <original id>"``."""
    titles = dataset.item_titles or ("",) * dataset.n_items
    return tuple(title if title else f"item {item_id}" for title, item_id in zip(titles, dataset.item_ids.tolist()))


def synthetic_user_table(dataset: Dataset, summary: Matrix, *, items: int = 5, neighbours: int = 3) -> pd.DataFrame:
    """One row per synthetic user: its size, its top items with their entries, and its nearest real
    users (original ids, from ``dataset.train``) with their cosine similarities.

    Columns: ``synthetic user`` (row index), ``size`` (sum of entries), ``top items`` (text),
    ``nearest real users`` (text), ``cosine to nearest`` (float in [0, 1]).
    """
    check_positive_int("items", items)
    check_positive_int("neighbours", neighbours)
    top = top_items(summary, items)
    nearest = nearest_real_users(dataset.train, summary, neighbours)
    labels = item_labels(dataset)
    user_ids = dataset.user_ids.tolist()
    sizes = user_sizes(summary)
    return pd.DataFrame(
        {
            "synthetic user": np.arange(len(sizes)),
            "size": sizes,
            "top items": [
                "; ".join(f"{labels[item]} ({weight:.2f})" for item, weight in zip(row_items, row_weights))
                for row_items, row_weights in zip(top.items, top.weights)
            ],
            "nearest real users": [
                "; ".join(f"user {user_ids[user]} (cos {similarity:.2f})" for user, similarity in zip(row_users, row_similarities))
                for row_users, row_similarities in zip(nearest.users, nearest.similarities)
            ],
            "cosine to nearest": nearest.similarities[:, 0],
        }
    )


# --- how discrete a summary is, and τ -------------------------------------------------------------


@dataclass(frozen=True)
class Discreteness:
    """How close a summary is to a 0/1 matrix.

    The share of entries near 0 or 1 alone cannot tell a 0/1 matrix from a smooth one whose entries
    are all small (a summary drawn at a large τ spreads each draw over every item, so all its entries
    are near 0); where the summary's mass lies, and the entropy, can.

    Attributes:
        near_binary: share of entries within ``tolerance`` of 0 or 1, in [0, 1].
        mass_near_zero: share of the summary's mass (Σ entries) in entries ≤ ``tolerance``, in [0, 1].
        mass_near_one: share of the summary's mass in entries ≥ 1 − ``tolerance``, in [0, 1]
            (1 for a 0/1 matrix; the rest of the mass is in entries between).
        mean_entropy: mean entropy per entry, in bits (0: every entry is 0 or 1; at most 1).
        mean_size: mean size of a synthetic user (row sum).
        tolerance: the tolerance used.
        temperature: the τ the summary was drawn at, when known.
    """

    near_binary: float
    mass_near_zero: float
    mass_near_one: float
    mean_entropy: float
    mean_size: float
    tolerance: float
    temperature: float | None = None

    @property
    def mass_between(self) -> float:
        """Share of the mass in entries strictly between ``tolerance`` and 1 − ``tolerance``."""
        return max(0.0, 1.0 - self.mass_near_zero - self.mass_near_one)


def entry_entropy(summary: Matrix) -> np.ndarray:
    """(μ, d) float64: each entry's binary entropy −p·log₂p − (1−p)·log₂(1−p), in bits."""
    rows = _dense(_check_matrix(summary, "summary"))
    return (scipy.special.entr(rows) + scipy.special.entr(1.0 - rows)) / np.log(2.0)


def discreteness(summary: Matrix, *, tolerance: float = 0.05, temperature: float | None = None) -> Discreteness:
    """How discrete ``summary`` (μ, d, entries in [0, 1]) is; see :class:`Discreteness`."""
    tolerance = _check_tolerance(tolerance)
    rows = _dense(_check_matrix(summary, "summary"))
    mass = float(rows.sum())
    near_zero = rows <= tolerance
    near_one = rows >= 1.0 - tolerance
    return Discreteness(
        near_binary=float(np.mean(near_zero | near_one)),
        mass_near_zero=float(rows[near_zero].sum()) / mass if mass > 0 else 0.0,
        mass_near_one=float(rows[near_one].sum()) / mass if mass > 0 else 0.0,
        mean_entropy=float(entry_entropy(rows).mean()),
        mean_size=float(rows.sum(axis=1).mean()),
        tolerance=tolerance,
        temperature=temperature,
    )


def _check_temperatures(temperatures: Sequence[float]) -> tuple[float, ...]:
    if isinstance(temperatures, (str, bytes)) or not isinstance(temperatures, Sequence) or len(temperatures) == 0:
        raise WorkbenchError(f"temperatures: expected a non-empty list of numbers > 0, got {temperatures!r}")
    checked = []
    for value in temperatures:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (np.isfinite(value) and value > 0):
            raise WorkbenchError(f"temperatures: every τ must be a finite number > 0, got {value!r}")
        checked.append(float(value))
    return tuple(checked)


def summaries_at_temperatures(logits: np.ndarray, temperatures: Sequence[float], *, draws: int, seed: int = 0) -> list[np.ndarray]:
    """Summaries drawn from the same ``logits`` at each τ, as Distill-CF draws them
    (:func:`workbench.distill.draw_summary`: clip(Σ_{j≤draws} softmax((Z + g_j)/τ), 0, 1)).

    Every τ uses the same Gumbel noise g_j (one key from ``seed``), so the summaries differ by τ only.

    Args:
        logits: (μ, d) finite floats, e.g. ``DistillResult.logits``.
        temperatures: the τ values, each > 0.
        draws: γ, Gumbel draws summed per synthetic user.

    Returns:
        One (μ, d) float32 array in [0, 1] per τ, in the order given.
    """
    values = np.asarray(logits, dtype=np.float32)
    if values.ndim != 2 or values.shape[0] == 0 or values.shape[1] == 0:
        raise WorkbenchError(f"logits: expected a non-empty (μ, d) matrix, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise WorkbenchError("logits: expected finite values, found NaN or infinity")
    checked = _check_temperatures(temperatures)
    draws = check_positive_int("draws", draws)
    key = jax.random.key(check_seed(seed))
    matrix = jnp.asarray(values)
    return [
        np.asarray(draw_summary(matrix, key, DistillConfig(budget=values.shape[0], temperature=tau, draws=draws)))
        for tau in checked
    ]


@dataclass(frozen=True)
class TemperatureSweep:
    """Summaries drawn from the same logits at several τ: how discrete each is, and its entries' spread.

    Attributes:
        temperatures: the τ values, in the order given.
        discreteness: one :class:`Discreteness` per τ.
        bin_edges: (bins + 1,) float64, edges of equal bins over [0, 1].
        histograms: (len(temperatures), bins) float64, the share of entries in each bin (rows sum to 1).
        draws: γ, the Gumbel draws per synthetic user.
    """

    temperatures: tuple[float, ...]
    discreteness: tuple[Discreteness, ...]
    bin_edges: np.ndarray
    histograms: np.ndarray
    draws: int

    def table(self) -> pd.DataFrame:
        """One row per τ: ``τ``, ``near 0 or 1 (%)`` (entries), ``mass near 0 (%)``, ``mass between (%)``,
        ``mass near 1 (%)``, ``entropy (bits/entry)``, ``mean size``."""
        return pd.DataFrame(
            {
                "τ": self.temperatures,
                "near 0 or 1 (%)": [100 * row.near_binary for row in self.discreteness],
                "mass near 0 (%)": [100 * row.mass_near_zero for row in self.discreteness],
                "mass between (%)": [100 * row.mass_between for row in self.discreteness],
                "mass near 1 (%)": [100 * row.mass_near_one for row in self.discreteness],
                "entropy (bits/entry)": [row.mean_entropy for row in self.discreteness],
                "mean size": [row.mean_size for row in self.discreteness],
            }
        )


def entry_histogram(summary: Matrix, bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """((bins + 1,) edges over [0, 1], (bins,) share of the entries of ``summary`` in each bin).

    Bins are [e_i, e_{i+1}), the last one closed (1 falls in it).
    """
    bins = check_positive_int("bins", bins)
    rows = _dense(_check_matrix(summary, "summary"))
    counts, edges = np.histogram(rows, bins=bins, range=(0.0, 1.0))
    return edges, counts / rows.size


def temperature_sweep(
    logits: np.ndarray,
    temperatures: Sequence[float],
    *,
    draws: int,
    seed: int = 0,
    tolerance: float = 0.05,
    bins: int = 20,
) -> TemperatureSweep:
    """Draw a summary from ``logits`` (μ, d) at each τ (:func:`summaries_at_temperatures`) and measure
    how discrete it is (:func:`discreteness`) and how its entries spread (:func:`entry_histogram`)."""
    tolerance = _check_tolerance(tolerance)
    bins = check_positive_int("bins", bins)
    checked = _check_temperatures(temperatures)
    summaries = summaries_at_temperatures(logits, checked, draws=draws, seed=seed)
    rows = [discreteness(summary, tolerance=tolerance, temperature=tau) for summary, tau in zip(summaries, checked)]
    histograms = [entry_histogram(summary, bins) for summary in summaries]
    return TemperatureSweep(
        temperatures=checked,
        discreteness=tuple(rows),
        bin_edges=histograms[0][0],
        histograms=np.stack([shares for _, shares in histograms]),
        draws=int(draws),
    )
