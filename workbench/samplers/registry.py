"""The samplers by name: ``SAMPLERS`` maps a registry name to a function with the common signature

    sample(train: sp.csr_matrix, budget: Budget, seed: int, **options) -> TrainingSample

To add a sampler, add its entry to ``SAMPLERS`` (``SAMPLER_NAMES`` follows the dict's order).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.samplers.budget import Budget, parse_budget
from workbench.samplers.head_user import sample_head_user
from workbench.samplers.interaction_rns import sample_interaction_rns
from workbench.samplers.sample import TrainingSample
from workbench.samplers.svp_cf_user import sample_svp_cf_user
from workbench.samplers.user_rns import sample_user_rns


#: A data-budget sampler: ``sample(train, budget, seed, **options) -> TrainingSample``, a pure function
#: of the (n_users, n_items) CSR training matrix, a `Budget`, a seed and keyword-only options.
Sampler = Callable[..., TrainingSample]


SAMPLERS: dict[str, Sampler] = {
    "interaction-rns": sample_interaction_rns,
    "user-rns": sample_user_rns,
    "head-user": sample_head_user,
    "svp-cf-user": sample_svp_cf_user,
}

SAMPLER_NAMES: tuple[str, ...] = tuple(SAMPLERS)


def get_sampler(name: str) -> Sampler:
    """The sampler registered as `name`; `WorkbenchError` listing the valid names otherwise."""
    try:
        return SAMPLERS[name]
    except (KeyError, TypeError):
        raise WorkbenchError(f"sampler: expected one of {', '.join(SAMPLERS)}, got {name!r}") from None


def sampler_options(name: str) -> dict[str, Any]:
    """{option: default} of the sampler `name` (its keyword-only parameters)."""
    signature = inspect.signature(get_sampler(name))
    return {
        parameter.name: parameter.default
        for parameter in signature.parameters.values()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def run_sampler(
    name: str, train: sp.csr_matrix, budget: Budget | str | int | float, seed: int, **options: Any
) -> TrainingSample:
    """Run the sampler `name`, parsing `budget` and refusing unknown options with a `WorkbenchError`."""
    sampler = get_sampler(name)
    known = sampler_options(name)
    accepts_any = any(
        parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in inspect.signature(sampler).parameters.values()
    )
    unknown = sorted(set(options) - set(known))
    if unknown and not accepts_any:
        valid = ", ".join(known) if known else "none"
        raise WorkbenchError(f"{name}: unknown option(s) {', '.join(unknown)}; valid options: {valid}")
    return sampler(train, parse_budget(budget), seed, **options)
