"""Metric conventions: named sets of per-metric choices, chosen with ``conventions=``.

A published table mixes conventions (MINet's TII'24 Table II scores MAE and IoU on the raw map,
Sm and wF on the min-max map and OR as the SMD toolbox does; docs/metrics.md), so a set of
conventions names the choice of every metric instead of one global switch. Every result records
the name; ``approximate`` lists the metrics whose choice is only the closest known one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sodbench.errors import SodbenchError


@dataclass(frozen=True)
class Conventions:
    """Conventions of one reference tool (see docs/metrics.md for the evidence per field)."""

    name: str
    description: str
    mae_map: str = "normalised"
    """``"normalised"``: the min-max map (PySODMetrics, Fan); ``"raw"``: ``im2double`` only."""
    smeasure_map: str = "normalised"
    wfmeasure_map: str = "normalised"
    gt_threshold: int = 128
    """GT foreground is ``gt > gt_threshold`` on the 0..255 scale (uint16 and float scaled)."""
    centroid: str = "half_even"
    """S-measure centroid rounding: ``"half_even"`` (PySODMetrics) or ``"half_away"`` (Matlab)."""
    smeasure_clamp: bool = True
    """Clamp S at 0 (PySODMetrics); Fan's StructureMeasure.m does not."""
    curve_levels: str = "uint8"
    """``"uint8"``: ``trunc(255 P) >= t`` (PySODMetrics); ``"matlab"``: ``P >= t`` on float."""
    emeasure_strict: bool = False
    """E-measure binarises with ``P > t`` (Fan's main.m) instead of ``P >= t``."""
    pfom_variant: str = "textbook"
    """``"textbook"``: Pratt's definition (:func:`sodbench.metrics.pfom.pfom` defaults);
    ``"minet-tii2024"``: ``sodbench.metrics.pfom.MINET_TII2024_OPTIONS``."""
    approximate: tuple[str, ...] = ()
    """Metric keys whose convention does not reproduce the reference exactly."""


CONVENTIONS: dict[str, Conventions] = {
    conventions.name: conventions
    for conventions in (
        Conventions(
            name="pysodmetrics",
            description=(
                "PySODMetrics 1.6.2 (MAE, Sm, wF, E, F, IoU, Dice to 1e-10; an empty S-measure "
                "quadrant scores 0 instead of NaN); IoU = soft IoU on p/255; OR as SMD; PFOM "
                "textbook Pratt"
            ),
        ),
        Conventions(
            name="minet-tii2024",
            description=(
                "MINet, IEEE TII 2024, Table II: MAE and IoU (soft) on the raw map p/255, Sm and "
                "wF on the min-max map, OR as SMD CalOverlapRatio.m, PFOM the closest known "
                "variant (approximate: 0.8939 vs the published 0.8943)"
            ),
            mae_map="raw",
            pfom_variant="minet-tii2024",
            approximate=("PFOM",),
        ),
        Conventions(
            name="matlab",
            description=(
                "Fan's Matlab toolbox (CODToolbox main.m, S-measure): E-measure with '>', float "
                "thresholds 1:-1/255:0, Matlab centroid rounding, S not clamped at 0; wF ties "
                "follow scipy, not bwdist (approximate)"
            ),
            centroid="half_away",
            smeasure_clamp=False,
            curve_levels="matlab",
            emeasure_strict=True,
            approximate=("wF",),
        ),
    )
}

DEFAULT_CONVENTIONS = "pysodmetrics"

__all__ = ["CONVENTIONS", "DEFAULT_CONVENTIONS", "Conventions", "get_conventions"]


def get_conventions(conventions: str | Conventions = DEFAULT_CONVENTIONS) -> Conventions:
    """The conventions named ``conventions`` (a :class:`Conventions` is returned as is).

    >>> get_conventions("matlab").centroid
    'half_away'
    """
    if isinstance(conventions, Conventions):
        return conventions
    try:
        return CONVENTIONS[conventions]
    except (KeyError, TypeError):
        raise SodbenchError(
            f"unknown conventions {conventions!r}: choose one of {', '.join(CONVENTIONS)}"
        ) from None
