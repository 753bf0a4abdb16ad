"""The denoising study: ∞-AE on noisy training data against ∞-AE on a Distill-CF summary of it.

* :mod:`workbench.denoising.noise`: interactions removed or false positives added, nested by rate;
* :mod:`workbench.denoising.study`: the experiment over noise kinds and rates (notebook 05).
"""
