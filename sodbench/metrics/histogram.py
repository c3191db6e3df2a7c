"""The histogram backend: integer-level maps (uint8, bool) scored from one histogram per image.

A uint8 prediction takes at most 256 values, and every per-pixel quantity the references
compute (``p / 255``, the min-max map, ``|P - G|``, the uint8 curve level, ``P >= t``) is a
function of the pixel's level and GT label. So one joint histogram per image, counting pixels
by (S-measure quadrant, GT label, level), gives MAE, both S-measure terms, the soft IoU, every
curve and every adaptive count, with the per-level values computed by the same float
operations as the per-pixel ones (:class:`Tables`). Only the order of summation differs
(256 weighted terms instead of a pairwise sum over the pixels): the results agree with
the per-pixel backend and PySODMetrics within 1e-12 (tests/metrics/test_levels.py).

This module holds what several families share (the histogram, the level tables, the counts);
each family's own sums from the histogram sit in its module, beside its per-pixel sums. Where
a rounding difference could flip a comparison, the reference's exact arithmetic is taken
instead: an occupied level within 1e-9 of the adaptive threshold (:func:`adaptive_threshold`)
and a quadrant whose prediction is constant (:mod:`sodbench.metrics.smeasure`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sodbench.metrics.counts import Counts, counts_from_bins, curve_bins

__all__ = [
    "BAND_PIXELS", "LEVEL_COUNT", "Tables", "adaptive_threshold", "binary_counts", "dot",
    "gather", "has_levels", "histogram", "image_mean", "tables", "threshold_counts",
]

#: Number of levels per integer dtype: the histogram width.
LEVEL_COUNT = {np.dtype(np.uint8): 256, np.dtype(np.bool_): 2}
_SCALE = {np.dtype(np.uint8): 255, np.dtype(np.bool_): 1}
#: Relative distance of an occupied level to the adaptive threshold below which the threshold
#: is recomputed with ``np.mean`` on the map (the two sums differ by ~1e-16 relative).
_TIE_TOLERANCE = 1e-9


def has_levels(pred: np.ndarray) -> bool:
    """True if ``pred`` can take the histogram path (uint8 or bool)."""
    return pred.dtype in LEVEL_COUNT


class Tables(NamedTuple):
    """Per-image value of every level, (N, L): the raw map and the min-max map."""

    raw: np.ndarray
    normalised: np.ndarray


def tables(hist: np.ndarray, dtype: np.dtype) -> Tables:
    """The raw (``im2double``) and min-max value of each level, per image.

    ``level / 255`` and ``(r - r_min) / (r_max - r_min)`` are evaluated per level exactly as
    :func:`~sodbench.metrics.validate.to_double` and :func:`~sodbench.metrics.validate.minmax` do
    per pixel; a constant image keeps its raw values, as ``minmax`` does.
    """
    n_levels = hist.shape[-1]
    raw_row = np.arange(n_levels) / _SCALE[np.dtype(dtype)]
    occupied = hist.reshape(len(hist), -1, n_levels).any(axis=1)
    low_level = occupied.argmax(axis=1)
    high_level = n_levels - 1 - occupied[:, ::-1].argmax(axis=1)
    low = raw_row[low_level][:, None]
    span = raw_row[high_level][:, None] - low
    normalised = raw_row - low
    normalised /= np.where(span == 0, 1.0, span)
    constant = span[:, 0] == 0
    normalised[constant] = raw_row
    return Tables(np.broadcast_to(raw_row, normalised.shape), normalised)


#: Pixels per band of the histogram pass: its key arrays (2 bytes a pixel, and bincount's
#: 8-byte copy) stay this small whatever the image size. Counts are integers, so banding
#: changes no bit.
BAND_PIXELS = 1 << 20


def histogram(levels: np.ndarray, mask: np.ndarray, split_rows: np.ndarray | None = None,
              split_cols: np.ndarray | None = None, *,
              band_pixels: int | None = None) -> np.ndarray:
    """Pixel counts per (image, quadrant, GT label, level): int64, (N, 4, 2, L).

    Quadrant 0..3 is S_region.m's LT, RT, LB, RB around the 1-based split point
    (``split_rows``, ``split_cols``): row < split is top, column < split is left. Without split
    points the result is (N, 1, 2, L), enough for everything but the S-measure. Each image is
    counted in bands of whole rows of about ``band_pixels`` pixels (default
    :data:`BAND_PIXELS`; one row at least).
    """
    n, height, width = levels.shape
    n_levels = LEVEL_COUNT[levels.dtype]
    quadrants = 1 if split_rows is None else 4
    out = np.zeros((n, quadrants, 2, n_levels), np.int64)
    label = mask.view(np.uint8)
    rows = max(1, (BAND_PIXELS if band_pixels is None else band_pixels) // width)
    # 16-bit keys (8 * 256 < 2**16): a quarter of the memory traffic of int64 keys
    left = np.zeros(width, np.uint16)
    for index in range(n):
        if split_rows is not None:
            left = (np.arange(width) >= split_cols[index]).astype(np.uint16) * (2 * n_levels)
        for start in range(0, height, rows):
            stop = min(start + rows, height)
            key = label[index, start:stop] * np.uint16(n_levels)
            key += levels[index, start:stop]
            key += left
            if split_rows is not None:
                top = (np.arange(start, stop) >= split_rows[index]).astype(np.uint16)
                key += (top * np.uint16(4 * n_levels))[:, None]
            out[index] += np.bincount(key.ravel(), minlength=2 * quadrants * n_levels
                                      ).reshape(quadrants, 2, n_levels)
    return out


def dot(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per image i: ``sum_l counts[i, ..., l] * values[i, l]`` (counts (N, ..., L))."""
    shape = (len(values),) + (1,) * (counts.ndim - 2) + (values.shape[-1],)
    return (counts * values.reshape(shape)).sum(axis=-1)


def image_mean(hist: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean of the map per image."""
    by_level = hist.reshape(len(hist), -1, hist.shape[-1]).sum(axis=1)
    return dot(by_level, table) / by_level[0].sum()


def threshold_counts(hist: np.ndarray, table: np.ndarray, *, levels: str = "uint8",
                     strict: bool = False) -> Counts:
    """Counts at the 256 curve thresholds, as :func:`sodbench.metrics.counts.threshold_counts`.

    Each level is mapped to its curve bin by the same function as each pixel is there
    (uint8 truncation, or the Matlab thresholds), then the level counts are summed per bin.
    """
    by_label = hist.sum(axis=1)  # (N, 2, L)
    n = len(hist)
    width = 256 + 1
    key = curve_bins(table, levels=levels, strict=strict)[:, None, :] + (
        width * np.arange(2 * n)).reshape(n, 2, 1)
    binned = np.bincount(key.ravel(), weights=by_label.ravel(), minlength=n * 2 * width)
    binned = binned.reshape(n, 2, width).astype(np.int64)
    return counts_from_bins(binned, by_label[:, 1].sum(axis=-1), by_label[0].sum())


def binary_counts(hist: np.ndarray, table: np.ndarray, threshold, *,
                  strict: bool = False) -> Counts:
    """Counts of ``P >= threshold`` (``>`` if ``strict``), one threshold per image or one."""
    by_label = hist.sum(axis=1)
    threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (len(hist),))[:, None]
    positive = table > threshold if strict else table >= threshold
    tp = (by_label[:, 1] * positive).sum(axis=-1)
    fg = by_label[:, 1].sum(axis=-1)
    return Counts(tp, tp + (by_label[:, 0] * positive).sum(axis=-1), fg,
                  int(by_label[0].sum()))


def adaptive_threshold(hist: np.ndarray, table: np.ndarray, exact_mean) -> np.ndarray:
    """``min(2 mean(P), 1)`` per image, with ``np.mean`` on the map wherever it matters.

    ``exact_mean(indices)`` returns the reference's mean of those images' maps; it is called
    only for images where an occupied level (or 1, the clamp) lies within 1e-9 of twice the
    histogram mean, where the two sums' last-bit difference could move a pixel across.
    """
    doubled = 2 * image_mean(hist, table)
    occupied = hist.reshape(len(hist), -1, hist.shape[-1]).any(axis=1)
    tolerance = _TIE_TOLERANCE * np.maximum(doubled, np.finfo(float).tiny)
    near = occupied & (np.abs(table - doubled[:, None]) <= tolerance[:, None])
    ties = np.flatnonzero(near.any(axis=1) | (np.abs(doubled - 1) <= tolerance))
    if len(ties):
        doubled[ties] = 2 * exact_mean(ties)
    return np.minimum(doubled, 1)


def gather(table: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The map itself, N x H x W float64: ``table[i, levels[i]]`` for every image i."""
    n, n_levels = table.shape
    index = levels.astype(np.intp)
    index += (n_levels * np.arange(n))[:, None, None]
    return np.ascontiguousarray(table).ravel().take(index)
