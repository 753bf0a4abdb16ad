"""One colour and one label per sampler (and for full data), the same in every figure of the workbench.

A sampler's colour and label are registered with it (:mod:`workbench.samplers.registry`); full
data, the reference line, is drawn dark. Colours are from plotly's qualitative "Safe" palette
(colour-blind safe), fixed by name so that a sampler keeps its colour whichever subset of samplers a
figure shows.
"""

from __future__ import annotations

from workbench.samplers.registry import SAMPLERS

#: Full data, the reference every curve is read against.
FULL_DATA_COLOUR = "#332288"
FULL_DATA_LABEL = "Full data"
#: For samplers a user adds without registering them: a neutral grey.
OTHER_COLOUR = "#888888"

SAMPLER_COLOURS: dict[str, str] = {"full": FULL_DATA_COLOUR, **{name: spec.colour for name, spec in SAMPLERS.items()}}
SAMPLER_LABELS: dict[str, str] = {"full": FULL_DATA_LABEL, **{name: spec.label for name, spec in SAMPLERS.items()}}


def sampler_colour(sampler: str) -> str:
    """The fixed colour of ``sampler`` (grey for one the workbench does not know)."""
    return SAMPLER_COLOURS.get(sampler, OTHER_COLOUR)


def sampler_label(sampler: str) -> str:
    """The display name of ``sampler`` (its registered label); unknown names unchanged."""
    return SAMPLER_LABELS.get(sampler, sampler)
