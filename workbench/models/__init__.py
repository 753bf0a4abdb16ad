"""Models that share one interface (:mod:`workbench.models.base`): ∞-AE, EASE and PopRec."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from workbench.errors import WorkbenchError
from workbench.models.base import FittedRecommender, Recommender
from workbench.models.ease import DEFAULT_EASE_LAMBDAS, EASE
from workbench.models.infinite_ae import DEFAULT_LAMBDAS, InfiniteAE
from workbench.models.popularity import PopRec

MODELS: Mapping[str, Callable[..., Recommender]] = {
    "infinite-ae": InfiniteAE,
    "ease": EASE,
    "poprec": PopRec,
}
MODEL_NAMES: tuple[str, ...] = tuple(MODELS)


def make_model(name: str, **options: Any) -> Recommender:
    """A model by name (``infinite-ae``, ``ease``, ``poprec``), configured with ``options``."""
    if name not in MODELS:
        raise WorkbenchError(f"unknown model {name!r}; valid models: {', '.join(MODEL_NAMES)}")
    return MODELS[name](**options)


__all__ = [
    "DEFAULT_EASE_LAMBDAS",
    "DEFAULT_LAMBDAS",
    "EASE",
    "MODELS",
    "MODEL_NAMES",
    "FittedRecommender",
    "InfiniteAE",
    "PopRec",
    "Recommender",
    "make_model",
]
