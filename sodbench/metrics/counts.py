"""The per-pixel backend of the confusion counts: at 256 thresholds, adaptive, at one threshold.

Every curve metric (precision, recall, F, E, IoU, Dice) is a function of these counts, so one
histogram pass over a whole batch serves them all (PySODMetrics ``FmeasureV2``, fmeasurev2.py,
does the same per image with ``np.histogram``). Curves are in ascending threshold order:
column t holds the counts of pixels at or above level t (threshold t / 255).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sodbench.metrics.validate import image_mean

__all__ = [
    "LEVELS", "Counts", "adaptive_threshold", "binary_counts", "counts_from_bins", "curve_bins",
    "divide", "matlab_levels", "matlab_thresholds", "threshold_counts", "uint8_levels",
]

LEVELS = 256


class Counts(NamedTuple):
    """Per-image confusion counts of a binarised map against the GT."""

    tp: np.ndarray
    """True positives, (N,) or (N, 256)."""
    positives: np.ndarray
    """Predicted positives (TP + FP), same shape as ``tp``."""
    fg: np.ndarray
    """GT foreground pixels, (N,) or (N, 1) so that it broadcasts against ``tp``."""
    size: int
    """Pixels per image."""


def _fg(gt: np.ndarray) -> np.ndarray:
    return gt.reshape(len(gt), -1).sum(axis=1)


def uint8_levels(pred: np.ndarray) -> np.ndarray:
    """PySODMetrics' levels: ``(pred * 255).astype(np.uint8)`` (truncation, not rounding)."""
    return (pred * 255).astype(np.uint8)


def matlab_thresholds() -> np.ndarray:
    """Fan's ``1:-1/255:0`` as Matlab's colon operator builds it, in ascending order.

    Matlab fills the first half as ``a + k*d`` and the second half as ``b - (n - k)*d`` (MathWorks,
    "The colon operator"), so the low thresholds are ``j * (1/255)``, the high ones
    ``1 - k * (1/255)``.
    """
    step = -1 / 255
    k = np.arange(LEVELS)
    descending = np.where(k <= 127, 1 + k * step, 0 - (255 - k) * step)
    return descending[::-1].copy()


def matlab_levels(pred: np.ndarray, *, strict: bool) -> np.ndarray:
    """Level index of each pixel for Fan's float comparisons ``pred >= t`` (or ``pred > t``).

    Returns ``L`` with ``pred >= t_k`` (or ``>``) exactly when ``k <= L``; ``-1`` means below
    every threshold, stored as 0 after a shift of one (so the returned levels are ``L + 1``).
    """
    side = "left" if strict else "right"
    return np.searchsorted(matlab_thresholds(), pred, side=side).astype(np.intp)


def threshold_counts(pred: np.ndarray, gt: np.ndarray, *, levels: str = "uint8",
                     strict: bool = False) -> Counts:
    """Counts at the 256 thresholds, (N, 256) each, ascending threshold order.

    Parameters
    ----------
    pred : numpy.ndarray, (N, H, W) float64 in [0, 1]
    gt : numpy.ndarray, (N, H, W) bool
    levels : {"uint8", "matlab"}
        ``"uint8"``: PySODMetrics, ``bin = uint8(trunc(255 * pred))`` and ``bin >= t``.
        ``"matlab"``: Fan's toolbox, float comparisons with the thresholds of ``1:-1/255:0``.
    strict : bool
        With ``levels="matlab"``, compare with ``>`` (Fan's E-measure) instead of ``>=``.
    """
    n = len(pred)
    key = curve_bins(pred, levels=levels, strict=strict)
    width = LEVELS + 1
    key += width * gt
    key += (2 * width * np.arange(n))[:, None, None]
    hist = np.bincount(key.ravel(), minlength=n * 2 * width).reshape(n, 2, width)
    return counts_from_bins(hist, _fg(gt), pred[0].size)


def curve_bins(values: np.ndarray, *, levels: str = "uint8", strict: bool = False) -> np.ndarray:
    """Curve bin 0..256 of each value (intp): bin k + 1 holds the values at level k, so that
    ``value >= t_k`` (or ``>`` if ``strict``) exactly when the bin is above k; bin 0 holds
    values below every threshold. ``levels`` and ``strict`` as in :func:`threshold_counts`."""
    if levels == "uint8":
        if strict:
            raise ValueError("strict comparison needs levels='matlab'")
        return uint8_levels(values).astype(np.intp) + 1
    if levels == "matlab":
        return matlab_levels(values, strict=strict)
    raise ValueError(f"levels must be 'uint8' or 'matlab', not {levels!r}")


def counts_from_bins(hist: np.ndarray, fg: np.ndarray, size: int) -> Counts:
    """Counts at the 256 thresholds from per-bin counts (N, 2 labels, 257 bins)."""
    at_or_above = np.cumsum(hist[:, :, :0:-1], axis=2)[:, :, ::-1]
    tp = at_or_above[:, 1]
    return Counts(tp, tp + at_or_above[:, 0], fg[:, None], int(size))


def adaptive_threshold(pred: np.ndarray) -> np.ndarray:
    """``min(2 * mean(pred), 1)`` per image (py_sod_metrics/utils.py ``get_adaptive_threshold``)."""
    return np.minimum(2 * image_mean(pred), 1)


def binary_counts(pred: np.ndarray, gt: np.ndarray, threshold, *, strict: bool = False) -> Counts:
    """Counts of ``pred >= threshold`` (``>`` if ``strict``); one threshold per image or one."""
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (len(pred),))
    threshold = threshold[:, None, None]
    binary = pred > threshold if strict else pred >= threshold
    flat = binary.reshape(len(pred), -1)
    tp = (flat & gt.reshape(len(gt), -1)).sum(axis=1)
    return Counts(tp, flat.sum(axis=1), _fg(gt), pred[0].size)


def divide(numerator, denominator) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (fmeasurev2.py ``divide``)."""
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    out = np.array(denominator, dtype=np.float64)
    np.divide(numerator, out, out=out, where=out != 0)
    return out
