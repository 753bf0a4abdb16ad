"""Every data-budget sampler by name, Distill-CF included: one entry, one way to call it.

A :class:`SamplerSpec` holds what the rest of the workbench needs to know about a sampler: its
registry name, its label and colour in every figure, the λ grid of a kernel model trained on what
it returns, whether its rows are synthetic users, and how to draw it::

    spec = get_sampler("user-rns")
    sample = spec(dataset, "2%", seed=0)        # (dataset, budget, seed) -> TrainingSample

Nothing outside this module branches on a sampler's name: a behaviour that differs between samplers
is an attribute here. To add a sampler, add an entry to :data:`SAMPLERS` (order: the order of menus
and legends).

The four real-user samplers are pure functions of the (n_users, n_items) CSR training matrix,
``sample_<name>(train, budget, seed, **options)``, usable on a bare matrix through
:func:`run_sampler`. Distill-CF needs the whole dataset (its inner λ is chosen on validation) and
takes a :class:`workbench.distill.DistillConfig` (its ``budget`` field is replaced by the budget's
number of users, μ).

A long draw can be watched and stopped: every spec takes ``on_progress`` (called with the sampler's
progress records while it runs) and ``should_stop`` (asked between pieces of its work; when it
answers True the draw raises :class:`workbench.errors.ComputationStopped`). Distill-CF reports a
:class:`workbench.distill.DistillProgress` at each validation and stops between updates; the
real-user samplers are quick and ignore both.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from workbench.errors import WorkbenchError
from workbench.samplers.budget import Budget, parse_budget
from workbench.samplers.head_user import sample_head_user
from workbench.samplers.interaction_rns import sample_interaction_rns
from workbench.samplers.sample import TrainingSample, build_sample
from workbench.samplers.svp_cf_user import sample_svp_cf_user
from workbench.samplers.user_rns import sample_user_rns

#: A real-user sampler on a bare matrix: ``sample(train, budget, seed, **options) -> TrainingSample``.
Sampler = Callable[..., TrainingSample]

#: ∞-AE's λ grid for a model fitted on a Distill-CF summary: a summary's best λ is often far below 1
#: (1e-5 … 1e-3 on ML-1M), outside the default grid for real data, so the grid reaches down there.
SUMMARY_LAMBDAS: tuple[float, ...] = (1e-5, 1e-3, 0.1, 1.0, 5.0, 20.0, 50.0, 100.0)


@dataclass(frozen=True)
class SamplerSpec:
    """One registered sampler.

    Attributes:
        name: the registry name, as in results files and on the command line ("user-rns").
        label: its name in legends and sentences ("User RNS").
        colour: its colour in every figure (plotly's colour-blind-safe "Safe" palette).
        draw: ``draw(dataset, budget, seed, *, config, progress, on_progress, should_stop, **options)
            -> TrainingSample`` (the two hooks may be None; see the module doc).
        downstream_lambdas: the λ grid of ∞-AE fitted on its output; None keeps the model's own.
        synthetic: its rows are synthetic users (row_users all -1), not rows of real users.
        config: ``"module:Class"`` of the frozen settings object it takes (None: it takes none).
            Part of a budget-curve point's identity (:meth:`settings`), so that other settings are
            computed again instead of mixed in.
        headline: the answer sentence is about this sampler when a curve has it (the paper's method).
        matrix_sampler: the pure function on a bare training matrix, when there is one.
        added_settings: settings fields added after results were first written, each with the value
            that does what rows written without it did; :meth:`upgrade_settings` fills them in, so
            that such rows keep matching the configuration they were made with.
    """

    name: str
    label: str
    colour: str
    draw: Callable[..., TrainingSample]
    downstream_lambdas: tuple[float, ...] | None = None
    synthetic: bool = False
    config: str | None = None
    headline: bool = False
    matrix_sampler: Sampler | None = None
    added_settings: Mapping[str, Any] = field(default_factory=dict)

    def config_class(self) -> type | None:
        """The class of its settings object (imported on first use), or None."""
        if self.config is None:
            return None
        module, name = self.config.split(":")
        return getattr(importlib.import_module(module), name)

    def config_from(self, candidates: Sequence[Any] = ()) -> Any:
        """Its settings: the first of ``candidates`` of its config class, else the defaults (None if it takes none)."""
        kind = self.config_class()
        if kind is None:
            return None
        return next((candidate for candidate in candidates if isinstance(candidate, kind)), None) or kind()

    def settings(self, candidates: Sequence[Any] = ()) -> str:
        """Its settings as sorted JSON without the budget ("" for a sampler without settings)."""
        config = self.config_from(candidates)
        if config is None:
            return ""
        values = dataclasses.asdict(config)
        values.pop("budget", None)  # the budget is a column of its own
        return json.dumps(values, sort_keys=True)

    def upgrade_settings(self, text: str) -> str:
        """A results row's settings JSON with the fields of ``added_settings`` it lacks filled in (sorted
        JSON, as :meth:`settings` writes it); "" and text that is not a JSON object are returned as they are."""
        if not text or not self.added_settings:
            return text
        try:
            values = json.loads(text)
        except ValueError:
            return text
        if not isinstance(values, dict) or all(name in values for name in self.added_settings):
            return text
        return json.dumps({**self.added_settings, **values}, sort_keys=True)

    def options(self) -> dict[str, Any]:
        """{option: default} of its keyword options on a bare matrix (none for Distill-CF)."""
        if self.matrix_sampler is None:
            return {}
        return {
            parameter.name: parameter.default
            for parameter in inspect.signature(self.matrix_sampler).parameters.values()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        }

    def __call__(
        self, dataset: Any, budget: Budget | str | int | float, seed: int, *, config: Any = None, progress: bool = False,
        on_progress: Callable[[Any], None] | None = None, should_stop: Callable[[], bool] | None = None, **options: Any,
    ) -> TrainingSample:
        """Draw a sample of ``dataset`` (a :class:`workbench.data.Dataset`) at ``budget`` with ``seed``.

        ``config``: its settings object (see :attr:`config`; the defaults when None). ``options``: the
        keyword options of its matrix sampler; unknown ones are refused with a `WorkbenchError`.
        ``on_progress`` / ``should_stop``: hooks for a long draw (module doc): samplers that report
        progress call ``on_progress`` with their records (Distill-CF: a DistillProgress after each
        validation); samplers that can stop ask ``should_stop`` and raise
        :class:`workbench.errors.ComputationStopped` (Distill-CF: ``DistillStopped``) when it answers
        True. Samplers that can do neither ignore them.
        """
        _check_options(self, options)
        if config is not None and self.config is None:
            raise WorkbenchError(f"{self.name}: takes no settings object, got config={type(config).__name__}")
        if config is not None and not isinstance(config, self.config_class()):
            raise WorkbenchError(f"{self.name}: config must be a {self.config_class().__name__}, got {type(config).__name__}")
        return self.draw(
            dataset, parse_budget(budget), seed, config=self.config_from((config,)), progress=progress,
            on_progress=on_progress, should_stop=should_stop, **options,
        )


def _check_options(spec: SamplerSpec, options: dict[str, Any]) -> None:
    unknown = sorted(set(options) - set(spec.options()))
    if unknown:
        valid = ", ".join(spec.options()) or "none"
        raise WorkbenchError(f"{spec.name}: unknown option(s) {', '.join(unknown)}; valid options: {valid}")


def _real_rows(matrix_sampler: Sampler) -> Callable[..., TrainingSample]:
    """``draw`` for a sampler of real users' rows: the matrix sampler on ``dataset.train``."""

    def draw(
        dataset: Any, budget: Budget, seed: int, *, config: Any, progress: bool, on_progress: Any, should_stop: Any, **options: Any,
    ) -> TrainingSample:  # quick: nothing to report or to stop in the middle of
        return matrix_sampler(dataset.train, budget, seed, **options).for_dataset(dataset)

    return draw


def _distill_cf(
    dataset: Any, budget: Budget, seed: int, *, config: Any, progress: bool,
    on_progress: Callable[[Any], None] | None = None, should_stop: Callable[[], bool] | None = None,
) -> TrainingSample:
    """A Distill-CF summary of μ = ``budget.n_users(n_users)`` synthetic users (docs/distill_cf.md);
    ``on_progress`` gets a DistillProgress after each validation, ``should_stop`` can stop it (DistillStopped)."""
    from workbench.distill import distill

    size = budget.n_users(dataset.n_users)
    result = distill(
        dataset, dataclasses.replace(config, budget=size), seed=seed, progress=progress,
        on_validation=on_progress, should_stop=should_stop,
    )
    parameters = {
        **{key: value for key, value in dataclasses.asdict(result.config).items() if key != "ntk"},
        "ntk": dataclasses.asdict(result.config.ntk),
        "best_step": result.best_step,
        "inner_lambda": result.lam,
        "best_validation_hr100": result.best_validation_hr100,
        "stopped": result.stopped,
    }
    return build_sample(
        result.summary, np.full(size, -1), train=dataset.train, sampler=DISTILL_CF, budget=budget.label, seed=seed,
        parameters=parameters,
    ).for_dataset(dataset)


#: The registry name of Distill-CF, for code that is about Distill-CF itself (``workbench distill``).
DISTILL_CF = "distill-cf"

SAMPLERS: dict[str, SamplerSpec] = {
    spec.name: spec
    for spec in (
        SamplerSpec(
            DISTILL_CF, "Distill-CF", "#CC6677", _distill_cf, downstream_lambdas=SUMMARY_LAMBDAS, synthetic=True,
            config="workbench.distill.distill:DistillConfig", headline=True,
            # before min_steps, patience counted from step 0; before store_draws, the draws were made again;
            # before start_logit, the logits started at the binary rows
            added_settings={"min_steps": 0, "store_draws": False, "start_logit": 1.0},
        ),
        SamplerSpec("user-rns", "User RNS", "#88CCEE", _real_rows(sample_user_rns), matrix_sampler=sample_user_rns),
        SamplerSpec(
            "interaction-rns", "Interaction RNS", "#DDCC77", _real_rows(sample_interaction_rns),
            matrix_sampler=sample_interaction_rns,
        ),
        SamplerSpec("head-user", "Head User", "#117733", _real_rows(sample_head_user), matrix_sampler=sample_head_user),
        SamplerSpec(
            "svp-cf-user", "SVP-CF User", "#AA4499", _real_rows(sample_svp_cf_user), matrix_sampler=sample_svp_cf_user,
        ),
    )
}

SAMPLER_NAMES: tuple[str, ...] = tuple(SAMPLERS)


def get_sampler(name: str) -> SamplerSpec:
    """The sampler registered as ``name``; a `WorkbenchError` listing the valid names otherwise."""
    try:
        return SAMPLERS[name]
    except (KeyError, TypeError):
        raise WorkbenchError(f"sampler: expected one of {', '.join(SAMPLERS)}, got {name!r}") from None


def check_sampler(name: str, parameter: str = "sampler") -> str:
    """``name`` if it is registered; a `WorkbenchError` naming ``parameter`` and the valid names otherwise."""
    if name not in SAMPLERS:
        raise WorkbenchError(f"{parameter}: unknown sampler {name!r}; valid samplers: {', '.join(SAMPLERS)}")
    return name


def headline_sampler(names: Sequence[str]) -> str | None:
    """Of ``names``, the one the answer sentence is about: the headline sampler if present, else None."""
    return next((name for name in names if name in SAMPLERS and SAMPLERS[name].headline), None)


def sampler_options(name: str) -> dict[str, Any]:
    """{option: default} of the sampler ``name`` on a bare matrix (its keyword-only parameters)."""
    return get_sampler(name).options()


def run_sampler(
    name: str, train: sp.csr_matrix, budget: Budget | str | int | float, seed: int, **options: Any
) -> TrainingSample:
    """A real-user sampler on a bare (n_users, n_items) training matrix, the budget parsed, options checked.

    For a sample that knows its dataset (and for Distill-CF, which needs one), call the spec:
    ``get_sampler(name)(dataset, budget, seed)``.
    """
    spec = get_sampler(name)
    if spec.matrix_sampler is None:
        raise WorkbenchError(f"{name}: needs a whole dataset (validation included): call get_sampler({name!r})(dataset, budget, seed)")
    _check_options(spec, options)
    return spec.matrix_sampler(train, parse_budget(budget), seed, **options)
