"""Models that share one interface (:mod:`workbench.models.base`): ∞-AE, EASE, PopRec, SVD-AE and GF-CF."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workbench.errors import WorkbenchError
from workbench.models.base import FittedRecommender, Recommender
from workbench.models.ease import DEFAULT_EASE_LAMBDAS, EASE
from workbench.models.gf_cf import DEFAULT_GF_CF_ALPHAS, DEFAULT_GF_CF_RANKS, GFCF
from workbench.models.infinite_ae import DEFAULT_LAMBDAS, InfiniteAE
from workbench.models.popularity import PopRec
from workbench.models.svd_ae import DEFAULT_SVD_AE_RANKS, SVDAE

MODELS: Mapping[str, Callable[..., Recommender]] = {
    "infinite-ae": InfiniteAE,
    "ease": EASE,
    "poprec": PopRec,
    "svd-ae": SVDAE,
    "gf-cf": GFCF,
}
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)
#: How sentences and tables name each model (a name not listed is shown as itself).
MODEL_LABELS: Mapping[str, str] = {
    "infinite-ae": "∞-AE",
    "ease": "EASE",
    "poprec": "PopRec",
    "svd-ae": "SVD-AE",
    "gf-cf": "GF-CF",
}


def model_label(name: str) -> str:
    """A model's display label (:data:`MODEL_LABELS`; the name itself for one not listed)."""
    return MODEL_LABELS.get(name, name)


def make_model(name: str, **options: Any) -> Recommender:
    """A model by name (``infinite-ae``, ``ease``, ``poprec``, ``svd-ae``, ``gf-cf``), configured with ``options``."""
    if name not in MODELS:
        raise WorkbenchError(f"unknown model {name!r}; valid models: {', '.join(MODEL_NAMES)}")
    return MODELS[name](**options)


__all__ = [
    "DEFAULT_EASE_LAMBDAS",
    "DEFAULT_GF_CF_ALPHAS",
    "DEFAULT_GF_CF_RANKS",
    "DEFAULT_LAMBDAS",
    "DEFAULT_SVD_AE_RANKS",
    "EASE",
    "GFCF",
    "MODELS",
    "MODEL_LABELS",
    "MODEL_NAMES",
    "FittedRecommender",
    "InfiniteAE",
    "PopRec",
    "Recommender",
    "SVDAE",
    "make_model",
    "model_label",
]
