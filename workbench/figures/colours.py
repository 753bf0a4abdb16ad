"""One colour per sampler (and for full data), the same in every figure of the workbench.

Colours are from plotly's qualitative "Safe" palette (colour-blind safe), fixed by name so that a
sampler keeps its colour whichever subset of samplers a figure shows.
"""

from __future__ import annotations

SAMPLER_COLOURS: dict[str, str] = {
    "full": "#332288",  # full data: a reference line, dark
    "distill-cf": "#CC6677",
    "user-rns": "#88CCEE",
    "interaction-rns": "#DDCC77",
    "head-user": "#117733",
    "svp-cf-user": "#AA4499",
}
#: For samplers a user adds: a neutral grey.
OTHER_COLOUR = "#888888"

#: How samplers are named in legends and sentences.
SAMPLER_LABELS: dict[str, str] = {
    "full": "Full data",
    "distill-cf": "Distill-CF",
    "user-rns": "User RNS",
    "interaction-rns": "Interaction RNS",
    "head-user": "Head User",
    "svp-cf-user": "SVP-CF User",
}


def sampler_colour(sampler: str) -> str:
    """The fixed colour of ``sampler`` (grey for one the workbench does not know)."""
    return SAMPLER_COLOURS.get(sampler, OTHER_COLOUR)


def sampler_label(sampler: str) -> str:
    """The display name of ``sampler`` ("Distill-CF" for "distill-cf"); unknown names unchanged."""
    return SAMPLER_LABELS.get(sampler, sampler)
