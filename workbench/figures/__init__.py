"""Plotly figures of the workbench; every sampler keeps one colour (:mod:`workbench.figures.colours`)."""

from workbench.figures.colours import SAMPLER_COLOURS, SAMPLER_LABELS, sampler_colour, sampler_label

__all__ = ["SAMPLER_COLOURS", "SAMPLER_LABELS", "sampler_colour", "sampler_label"]
