"""Seeded synthetic implicit-feedback data shaped like a published dataset (the Netflix Prize).

`generate(GenerateConfig(like="netflix", scale=0.1, seed=0))` draws a user × item interaction
list whose degree distributions follow the published statistics of the Netflix Prize ratings;
`write_generated` stores it as `DIR/synthetic-netflix/` (`interactions.npz` + `metadata.json`),
which `load_dataset("synthetic-netflix", data_dir=DIR)` reads (`read_generated`).

Netflix Prize, published: 480,189 users, 17,770 movies, 100,480,507 ratings; ratings per user
min 1, median 96, mean 209.25, max 17,653; ratings per movie min 3, median 561, mean 5,654.5,
max 232,944.

Model (all randomness from `numpy.random.SeedSequence(seed)`, spawned into three streams: user
degrees, item popularity, the draw of the pairs):

1. User degrees: d_u = clip(round(X_u), 1, 17,653), X_u ~ LogNormal(μ_u, σ_u) with
   μ_u = ln 96 (so the median is 96) and σ_u = 1.24872, fitted (`fit_user_sigma`) so that the
   clipped mean E[min(X, 17,653)] equals 100,480,507 / 480,189 = 209.25 (closed form of the
   truncated log-normal mean, solved by Brent's method). At scale 1 about ten users reach the
   clip, so the maximum is the published 17,653; at small scales it is usually lower.
2. Item popularity: w_i ∝ exp(σ_i · clip(Z_i, z_low, z_high)), Z_i ~ N(0, 1) (a log-normal
   clipped on both sides), σ_i = 2.62331, z_high = 2.93054, z_low = -1.86593.
3. Pairs: user u gets exactly d_u distinct items, drawn without repetition with probability ∝
   w_i among the items it does not have yet (successive sampling). Done exactly and vectorised,
   in blocks of users: the first d_u distinct items of a stream of i.i.d. draws ∝ w (drawn with
   replacement, first occurrences kept, the stream extended for the few users it fell short
   for), or, for users whose d_u needs more draws than there are items, the d_u smallest keys
   E_i / w_i, E_i ~ Exp(1) (the exponential race, the same distribution).

How the item parameters were fitted (`fit_item_parameters`, about 10 s): with user degrees at
the n_users quantiles of step 1 and Z at the n_items normal quantiles, the expected degree of
item i is D_i = Σ_u (1 − exp(−w_i t(d_u))), where t(d) solves Σ_i (1 − exp(−w_i t)) = d (the
Poisson approximation of successive sampling; w normalised to sum 1, t = the number of draws
with replacement expected for d distinct items). σ_i and z_high are solved (least squares on the
logs) so that median(D) = 561 and max(D) = 232,944; mean(D) = Σ d_u / n_items is 5,654.5 by
construction. Popular items saturate (an item cannot be drawn twice by one user), which is why the
upper clip is needed: about 30 items sit at it. z_low is then solved so that the least popular
items (about 550, at the floor) expect 12 interactions; without the floor some 40 items would
expect fewer than 3. Measured at scale 1, seed 0: users median 96,
mean 209.2, max 17,653; items median 565, mean 5,652.9, max 232,871, min 7 (the published minimum
is 3; the floor items get 14.7 on average, about 11 of them from the 388 users with more than
5,000 items, who include nearly every item); 100,452,002 interactions.

Scale: `scale` ∈ (0, 1] multiplies the number of users (round(480,189 · scale), at least 1) and
with it the interactions; the catalogue stays 17,770 items. Users keep the published degree
distribution, so the density (≈ 1.18 %) and each user's profile length are those of Netflix,
while item degrees shrink by `scale` (mean 5,654.5 · scale); at small scales the least popular
items may get no interaction (`metadata.json` counts them). Scale 1 took 85 s and 1.3 GB of
memory at peak (the int32 output is 0.8 GB of it) on two shared CPU cores; scale 0.1, 10 s.

Output folder `DIR/synthetic-<like>/`:

- `interactions.npz` (compressed): `users`, `items`, shape (n,), int32; ids 1..n_users and
  1..n_items (as the Netflix Prize's MovieIDs); rows sorted by (user, item); no repeated pair.
- `metadata.json`: like, scale, seed, counts, the degree statistics achieved, the published
  targets (scaled) and the generator's parameters.

Both files are written to a temporary name in the folder and renamed (never half a file).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.atomic import atomic_write, write_atomic
from workbench.data.interactions import Interactions
from workbench.errors import DataNotFoundError, WorkbenchError

INTERACTIONS_FILE = "interactions.npz"
METADATA_FILE = "metadata.json"
FORMAT = "workbench synthetic interactions, version 1"

#: Draws with replacement (or race keys) per block of users; bounds the working memory beyond
#: the output (some 70 bytes per draw: about 300 MB).
_BLOCK_DRAWS = 4_000_000


@dataclass(frozen=True)
class DegreeStatistics:
    """min, median, mean and max of a degree distribution (interactions per user or per item)."""

    min: float
    median: float
    mean: float
    max: float

    def as_dict(self) -> dict[str, float]:
        return {"min": self.min, "median": self.median, "mean": self.mean, "max": self.max}


@dataclass(frozen=True)
class Profile:
    """A published dataset's statistics and the fitted parameters of its generator (module docstring).

    `user_sigma`: σ of the log-normal user degrees (μ = ln of the published median).
    `item_sigma`, `item_z_low`, `item_z_high`: item popularity ∝ exp(item_sigma · clip(Z, z_low, z_high)).
    """

    like: str
    n_users: int
    n_items: int
    n_interactions: int
    user_degree: DegreeStatistics
    item_degree: DegreeStatistics
    user_sigma: float
    item_sigma: float
    item_z_low: float
    item_z_high: float
    floor_degree: float = 12.0  # expected degree of the least popular items at scale 1 (fit of z_low)


NETFLIX = Profile(
    like="netflix",
    n_users=480_189,
    n_items=17_770,
    n_interactions=100_480_507,
    user_degree=DegreeStatistics(min=1, median=96, mean=100_480_507 / 480_189, max=17_653),
    item_degree=DegreeStatistics(min=3, median=561, mean=100_480_507 / 17_770, max=232_944),
    user_sigma=1.24872,
    item_sigma=2.62331,
    item_z_low=-1.86593,
    item_z_high=2.93054,
)

PROFILES: dict[str, Profile] = {NETFLIX.like: NETFLIX}
LIKE_NAMES: tuple[str, ...] = tuple(PROFILES)


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate: `like` (one of LIKE_NAMES), `scale` ∈ (0, 1] of the users, `seed` ≥ 0."""

    like: str = "netflix"
    scale: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.like, str) or self.like not in PROFILES:
            raise WorkbenchError(f"like: expected one of {', '.join(LIKE_NAMES)}, got {self.like!r}")
        scale = self.scale
        if isinstance(scale, bool) or not isinstance(scale, int | float | np.integer | np.floating):
            raise WorkbenchError(f"scale: expected a number in (0, 1], got {scale!r}")
        if not (math.isfinite(float(scale)) and 0 < float(scale) <= 1):
            raise WorkbenchError(f"scale: expected a number in (0, 1], got {scale!r}")
        object.__setattr__(self, "scale", float(scale))
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise WorkbenchError(f"seed: expected an integer >= 0, got {seed!r}")
        object.__setattr__(self, "seed", int(seed))

    @property
    def profile(self) -> Profile:
        return PROFILES[self.like]

    @property
    def dataset_name(self) -> str:
        """The folder and dataset name: `synthetic-<like>`."""
        return f"synthetic-{self.like}"

    @property
    def n_users(self) -> int:
        return max(1, round(self.profile.n_users * self.scale))


@dataclass(frozen=True, eq=False)
class GeneratedData:
    """Generated interactions.

    Attributes:
        config: what was generated.
        users, items: shape (n,), int32, ids 1..n_users / 1..n_items, sorted by (user, item),
            no repeated pair.
        n_users: users (each has >= 1 interaction). n_items: the catalogue (some items may
            have no interaction at small scales).
        parameters: the generator's parameters, for `metadata.json`.
    """

    config: GenerateConfig
    users: np.ndarray
    items: np.ndarray
    n_users: int
    n_items: int
    parameters: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def metadata(self) -> dict[str, Any]:
        """The contents of `metadata.json` (module docstring)."""
        profile, scale = self.config.profile, self.config.scale
        user_degrees = _id_counts(self.users, self.n_users)
        item_degrees = _id_counts(self.items, self.n_items)
        n = len(self)
        return {
            "format": FORMAT,
            "like": self.config.like,
            "scale": scale,
            "seed": self.config.seed,
            "dataset": self.config.dataset_name,
            "file": INTERACTIONS_FILE,
            "n_users": self.n_users,
            "n_items": self.n_items,
            "items_with_interactions": int(np.count_nonzero(item_degrees)),
            "interactions": n,
            "density": n / (self.n_users * self.n_items),
            "user_degree": degree_statistics(user_degrees).as_dict(),
            "item_degree": degree_statistics(item_degrees).as_dict(),
            "target": {
                "n_users": self.config.n_users,
                "n_items": profile.n_items,
                "interactions": profile.n_interactions * scale,
                "user_degree": profile.user_degree.as_dict(),
                "item_degree": {key: value * scale for key, value in profile.item_degree.as_dict().items()},
                "note": (
                    f"published {profile.like} statistics; users, interactions and item degrees "
                    "multiplied by the scale; item degrees over the whole catalogue (zeros included)"
                ),
            },
            "parameters": dict(self.parameters),
        }


def _id_counts(ids: np.ndarray, n: int) -> np.ndarray:
    """(n,) int64: how often each id 1..n occurs in `ids` (int32, any order), counted in slices so
    that no int64 copy of `ids` is made."""
    counts = np.zeros(n + 1, dtype=np.int64)
    for start in range(0, ids.shape[0], _BLOCK_DRAWS):
        counts += np.bincount(ids[start : start + _BLOCK_DRAWS], minlength=n + 1)
    return counts[1:]


def degree_statistics(degrees: np.ndarray) -> DegreeStatistics:
    """min, median, mean, max of `degrees` (shape (m,), integers), as floats."""
    degrees = np.asarray(degrees)
    if degrees.size == 0:
        return DegreeStatistics(0.0, 0.0, 0.0, 0.0)
    return DegreeStatistics(
        float(degrees.min()), float(np.median(degrees)), float(degrees.mean()), float(degrees.max())
    )


# --------------------------------------------------------------------------- the model


def user_degrees(profile: Profile, n_users: int, rng: np.random.Generator) -> np.ndarray:
    """Step 1 of the model: (n_users,) int64 degrees, clip(round(LogNormal(ln median, σ_u)), min, max)."""
    draws = rng.lognormal(math.log(profile.user_degree.median), profile.user_sigma, size=n_users)
    high = min(profile.user_degree.max, profile.n_items)
    return np.clip(np.rint(draws), profile.user_degree.min, high).astype(np.int64)


def item_popularity(profile: Profile, rng: np.random.Generator) -> np.ndarray:
    """Step 2 of the model: (n_items,) float64 weights w_i > 0 summing to 1."""
    z = np.clip(rng.standard_normal(profile.n_items), profile.item_z_low, profile.item_z_high)
    weights = np.exp(profile.item_sigma * (z - profile.item_z_high))  # max weight 1 before normalising
    return weights / weights.sum()


def expected_draws(popularity: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """t(d) for each degree: draws with replacement ∝ `popularity` expected to give d distinct items.

    Solves Σ_i (1 − exp(−w_i t)) = d (the Poisson approximation) by interpolation on a log grid
    of t. popularity: (n_items,) summing to 1; degrees: (m,) in [1, n_items). Returns (m,) float64.
    """
    log_t = np.linspace(-1.0, math.log(80.0 / popularity.min()), 700)
    distinct = np.empty_like(log_t)
    for start in range(0, log_t.shape[0], 100):
        chunk = np.exp(log_t[start : start + 100])
        distinct[start : start + 100] = -np.expm1(-np.outer(chunk, popularity)).sum(axis=1)
    distinct = np.maximum.accumulate(distinct)
    return np.exp(np.interp(np.log(np.asarray(degrees, dtype=np.float64)), np.log(distinct), log_t))


def expected_item_degrees(popularity: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """D_i = Σ_u (1 − exp(−w_i t(d_u))): expected interactions of each item (module docstring).

    popularity: (n_items,) summing to 1; degrees: (n_users,) integers. Returns (n_items,) float64.
    """
    values, counts = np.unique(np.asarray(degrees, dtype=np.int64), return_counts=True)
    draws = expected_draws(popularity, values)
    result = np.zeros(popularity.shape[0])
    for start in range(0, values.shape[0], 256):
        block = slice(start, start + 256)
        result += counts[block].astype(np.float64) @ -np.expm1(-np.outer(draws[block], popularity))
    return result


def _first_distinct(
    degrees: np.ndarray, draws: np.ndarray, cdf: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Successive sampling by draws with replacement, for a block of users.

    degrees: (m,) int64 >= 1, items wanted per user; draws: (m,) float64 expected draws t(d).
    Returns (local user, item), int64, each user's first degrees[u] distinct items of an i.i.d.
    stream drawn from `cdf` (the cumulative popularity), user-major. A user whose first batch
    holds too few distinct items gets more of its stream, excluding the items it has, until it
    has them all.
    """
    n_items = cdf.shape[0]
    kept_users: list[np.ndarray] = []
    kept_items: list[np.ndarray] = []
    kept_keys = np.empty(0, dtype=np.int64)
    have = np.zeros(degrees.shape[0], dtype=np.int64)
    pending = np.arange(degrees.shape[0])
    size = np.ceil(1.05 * draws + 3.0 * np.sqrt(draws) + 4.0).astype(np.int64)
    first_round = True
    while pending.size:
        want = degrees[pending] - have[pending]
        if not first_round:  # the rest of the stream: new items come slower now, ask for plenty
            size = np.ceil(2.0 * want * draws[pending] / degrees[pending]).astype(np.int64) + 16
        users = np.repeat(pending, size)
        items = np.searchsorted(cdf, rng.random(users.shape[0]), side="right")
        np.minimum(items, n_items - 1, out=items)  # guards against cdf[-1] rounding below 1
        keys = users * n_items + items
        if not first_round:
            fresh = ~np.isin(keys, kept_keys)
            users, keys = users[fresh], keys[fresh]
        _, first = np.unique(keys, return_index=True)
        first.sort()  # first occurrences, back in stream order (user-major)
        users, keys = users[first], keys[first]
        rank = np.arange(users.shape[0]) - np.searchsorted(users, users, side="left")
        needed = np.zeros(degrees.shape[0], dtype=np.int64)
        needed[pending] = want
        take = rank < needed[users]
        users, keys = users[take], keys[take]
        kept_users.append(users)
        kept_items.append(keys - users * n_items)
        kept_keys = np.concatenate((kept_keys, keys))
        have += np.bincount(users, minlength=degrees.shape[0])
        pending = np.flatnonzero(have < degrees)
        first_round = False
    return np.concatenate(kept_users), np.concatenate(kept_items)


def _exponential_race(
    degrees: np.ndarray, popularity: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Successive sampling by the exponential race, for users with large degrees.

    Each user's items: the degrees[u] smallest of E_i / w_i, E_i ~ Exp(1) i.i.d. Returns
    (local user, item), int64, user-major. Works on rows of n_items keys at a time.
    """
    n_items = popularity.shape[0]
    rows = max(1, _BLOCK_DRAWS // n_items)
    users, items = [], []
    columns = np.arange(n_items)
    for start in range(0, degrees.shape[0], rows):
        block = degrees[start : start + rows]
        keys = rng.standard_exponential((block.shape[0], n_items)) / popularity
        order = np.argsort(keys, axis=1)
        chosen = columns[None, :] < block[:, None]
        items.append(order[chosen])
        users.append(np.repeat(np.arange(start, start + block.shape[0]), block))
    return np.concatenate(users), np.concatenate(items)


def sample_items(
    degrees: np.ndarray, popularity: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Step 3 of the model: each user's `degrees[u]` distinct items, drawn ∝ `popularity` without repetition.

    degrees: (n_users,) int64 in [1, n_items]; popularity: (n_items,) summing to 1. Returns
    (user index, item index), both (Σ degrees,) int32, 0-based, sorted by (user, item).
    Users are handled in blocks of about `_BLOCK_DRAWS` draws, so memory beyond the output stays
    bounded at any scale.
    """
    n_items = popularity.shape[0]
    degrees = np.asarray(degrees, dtype=np.int64)
    if degrees.size and (degrees.min() < 1 or degrees.max() > n_items):
        raise WorkbenchError(f"degrees: expected integers in [1, {n_items}], got {degrees.min()}..{degrees.max()}")
    draws = expected_draws(popularity, np.minimum(degrees, n_items - 1))
    race = (draws > n_items) | (degrees >= n_items - 1)
    cost = np.where(race, n_items, np.ceil(1.05 * draws + 3.0 * np.sqrt(draws) + 4.0))
    cdf = np.cumsum(popularity)
    total = int(degrees.sum())
    users_out = np.empty(total, dtype=np.int32)
    items_out = np.empty(total, dtype=np.int32)
    bounds = np.searchsorted(np.cumsum(cost), np.arange(_BLOCK_DRAWS, cost.sum() + _BLOCK_DRAWS, _BLOCK_DRAWS))
    starts = np.unique(np.concatenate(([0], np.minimum(bounds + 1, degrees.shape[0]))))
    written = 0
    for start, stop in zip(starts[:-1], starts[1:], strict=True):
        block = slice(int(start), int(stop))
        light = np.flatnonzero(~race[block])
        heavy = np.flatnonzero(race[block])
        parts = []
        if light.size:
            users, items = _first_distinct(degrees[block][light], draws[block][light], cdf, rng)
            parts.append(light[users] * n_items + items)
        if heavy.size:
            users, items = _exponential_race(degrees[block][heavy], popularity, rng)
            parts.append(heavy[users] * n_items + items)
        keys = np.sort(np.concatenate(parts))
        users_out[written : written + keys.shape[0]] = keys // n_items + start
        items_out[written : written + keys.shape[0]] = keys % n_items
        written += keys.shape[0]
    return users_out, items_out


def generate(config: GenerateConfig) -> GeneratedData:
    """Draw the interactions of `config` (module docstring). Pure: same config, same arrays."""
    profile = config.profile
    degree_stream, popularity_stream, pair_stream = np.random.SeedSequence(config.seed).spawn(3)
    degrees = user_degrees(profile, config.n_users, np.random.default_rng(degree_stream))
    popularity = item_popularity(profile, np.random.default_rng(popularity_stream))
    users, items = sample_items(degrees, popularity, np.random.default_rng(pair_stream))
    users += 1
    items += 1
    parameters = {
        "user_log_median": math.log(profile.user_degree.median),
        "user_sigma": profile.user_sigma,
        "user_degree_clip_low": float(profile.user_degree.min),
        "user_degree_clip_high": float(min(profile.user_degree.max, profile.n_items)),
        "item_sigma": profile.item_sigma,
        "item_z_low": profile.item_z_low,
        "item_z_high": profile.item_z_high,
    }
    return GeneratedData(config, users, items, config.n_users, profile.n_items, parameters)


# --------------------------------------------------------------------------- files


def write_generated(data: GeneratedData, output_dir: str | os.PathLike[str]) -> Path:
    """Write `data` to `output_dir/<dataset name>/` (module docstring); returns that folder.

    Each file is written to a temporary name in the folder, then renamed. Raises WorkbenchError
    naming the folder when it cannot be written.
    """
    folder = Path(output_dir) / data.config.dataset_name
    metadata = json.dumps(data.metadata(), indent=2) + "\n"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_write(folder / INTERACTIONS_FILE) as stream:
            np.savez_compressed(stream, users=data.users, items=data.items)
        write_atomic(folder / METADATA_FILE, metadata)
    except OSError as error:
        raise WorkbenchError(f"output {folder}: cannot write the generated data ({error.strerror or error})") from None
    return folder


def read_generated(path: str | os.PathLike[str]) -> Interactions:
    """The `interactions.npz` written by `write_generated` as `Interactions` (no ratings, no split).

    Ids are kept as stored (int32 in the file; `Interactions` holds them as int64). Raises
    DataNotFoundError for a missing file, WorkbenchError when it is not such a file.
    """
    file = Path(path)
    if not file.is_file():
        raise DataNotFoundError(f"{file}: not found (expected the {INTERACTIONS_FILE} of `workbench generate`)")
    try:
        with np.load(file) as archive:
            found = list(archive.files)
            if "users" in found and "items" in found:
                users, items = archive["users"], archive["items"]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise WorkbenchError(f"{file}: not a readable .npz file ({error})") from error
    if "users" not in found or "items" not in found:
        raise WorkbenchError(
            f"{file}: expected arrays 'users' and 'items' (written by `workbench generate`), found {found}"
        )
    for name, array in (("users", users), ("items", items)):
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise WorkbenchError(f"{file}: '{name}' must be 1-D integers, got {array.dtype} {array.shape}")
    if users.shape != items.shape:
        raise WorkbenchError(f"{file}: 'users' has {users.shape[0]} entries but 'items' {items.shape[0]}")
    if users.shape[0] == 0:
        raise WorkbenchError(f"{file}: no interactions")
    return Interactions(users=users, items=items, source=str(file))


# --------------------------------------------------------------------------- the fit


def fit_user_sigma(median: float, mean: float, high: float) -> float:
    """σ such that E[min(X, high)] = mean for X ~ LogNormal(ln median, σ) (step 1's fit).

    E[min(X, M)] = exp(μ + σ²/2) Φ((ln M − μ − σ²)/σ) + M (1 − Φ((ln M − μ)/σ)), solved by Brent's method.
    """
    from scipy import optimize, stats

    mu, log_high = math.log(median), math.log(high)

    def clipped_mean(sigma: float) -> float:
        return math.exp(mu + sigma * sigma / 2) * stats.norm.cdf((log_high - mu - sigma * sigma) / sigma) + high * (
            stats.norm.sf((log_high - mu) / sigma)
        )

    return float(optimize.brentq(lambda sigma: clipped_mean(sigma) - mean, 1e-3, 10.0))


def fit_item_parameters(profile: Profile) -> dict[str, float]:
    """Refit `item_sigma`, `item_z_high` and `item_z_low` of `profile` (module docstring; about 10 s).

    Uses the quantiles of the user-degree model (with `profile.user_sigma`) and of N(0, 1), so the
    fit is deterministic. Returns {"item_sigma", "item_z_high", "item_z_low"}.
    """
    from scipy import optimize, stats

    n_users, n_items = profile.n_users, profile.n_items
    quantiles = (np.arange(n_users) + 0.5) / n_users
    degrees = np.clip(
        np.rint(np.exp(math.log(profile.user_degree.median) + profile.user_sigma * stats.norm.ppf(quantiles))),
        profile.user_degree.min,
        min(profile.user_degree.max, n_items),
    ).astype(np.int64)
    z = stats.norm.ppf((np.arange(n_items) + 0.5) / n_items)

    def expected(sigma: float, z_high: float, z_low: float = -np.inf) -> np.ndarray:
        weights = np.exp(sigma * (np.clip(z, z_low, z_high) - z_high))
        return expected_item_degrees(weights / weights.sum(), degrees)

    def residuals(parameters: np.ndarray) -> list[float]:
        result = expected(*parameters)
        return [
            math.log(np.median(result) / profile.item_degree.median),
            math.log(result.max() / profile.item_degree.max),
        ]

    sigma, z_high = optimize.least_squares(residuals, [2.5, 3.0], diff_step=1e-4).x
    z_low = optimize.brentq(lambda low: expected(sigma, z_high, low).min() - profile.floor_degree, -5.0, 0.0, xtol=1e-5)
    return {"item_sigma": float(sigma), "item_z_high": float(z_high), "item_z_low": float(z_low)}
