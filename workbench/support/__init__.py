"""The user-support study: ∞-AE with m users carrying the model, Nyström landmarks against a random
sample (:mod:`workbench.support.study`, notebook 06)."""
