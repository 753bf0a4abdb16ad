"""A workbench for data-centric recommendation research: ∞-AE, Distill-CF and their baselines.

Sachdeva, Dhaliwal, Wu, McAuley, "Infinite Recommendation Networks: A Data-Centric Approach",
NeurIPS 2022. Modules: :mod:`workbench.data` (datasets and the paper's protocol),
:mod:`workbench.metrics`, :mod:`workbench.kernels.ntk`, :mod:`workbench.models` (∞-AE, EASE, PopRec),
:mod:`workbench.evaluation` (λ on validation, then test), :mod:`workbench.cli`.
"""

__version__ = "0.1.0"
