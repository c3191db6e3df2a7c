"""Metrics of integer-level maps (uint8, bool) from one histogram per image.

A uint8 prediction takes at most 256 values, and every per-pixel quantity the references
compute (``p / 255``, the min-max map, ``|P - G|``, the uint8 curve level, ``P >= t``) is a
function of the pixel's level and GT label. So one joint histogram per image, counting pixels
by (S-measure quadrant, GT label, level), gives MAE, both S-measure terms, the soft IoU, every
curve and every adaptive count, with the per-level values computed by the same float
operations as the per-pixel ones (:class:`Tables`). Only the order of summation differs
(256 weighted terms instead of a pairwise sum over the pixels): the results agree with
the per-pixel path and PySODMetrics within 1e-12 (tests/metrics/test_levels.py).

Two places where a rounding difference could flip a comparison take the reference's exact
arithmetic instead (:func:`_exact_block_means`, :func:`adaptive_counts`): a quadrant whose
prediction is constant (whether its SSIM is 0 or 1 depends on the rounding of ``np.mean``),
and an occupied level within 1e-9 of the adaptive threshold.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sodbench.metrics.counts import Counts, counts_from_bins, curve_bins
from sodbench.metrics.smeasure import object_score, region_weights
from sodbench.metrics.validate import EPS

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


def histogram(levels: np.ndarray, mask: np.ndarray, split_rows: np.ndarray | None = None,
              split_cols: np.ndarray | None = None) -> np.ndarray:
    """Pixel counts per (image, quadrant, GT label, level): int64, (N, 4, 2, L).

    Quadrant 0..3 is S_region.m's LT, RT, LB, RB around the 1-based split point
    (``split_rows``, ``split_cols``): row < split is top, column < split is left. Without split
    points the result is (N, 1, 2, L), enough for every function here but :func:`smeasure`.
    """
    n, height, width = levels.shape
    n_levels = LEVEL_COUNT[levels.dtype]
    if split_rows is None:
        key = levels.astype(np.intp)
        np.add(key, n_levels, out=key, where=mask)
        key += (2 * n_levels * np.arange(n))[:, None, None]
        return np.bincount(key.ravel(), minlength=2 * n_levels * n).reshape(n, 1, 2, n_levels)
    out = np.empty((n, 4, 2, n_levels), np.int64)
    label = mask.view(np.uint8)
    # per image with 16-bit keys (8 * 256 < 2**16): half the memory traffic of one int64 key
    # array for the batch, and the same bincount work
    for index in range(n):
        top = np.arange(height) >= split_rows[index]
        left = np.arange(width) >= split_cols[index]
        key = np.add(top.astype(np.uint16)[:, None] * (4 * n_levels),
                     left.astype(np.uint16)[None, :] * (2 * n_levels))
        key += levels[index]
        key += label[index] * np.uint16(n_levels)
        out[index] = np.bincount(key.ravel(), minlength=8 * n_levels).reshape(4, 2, n_levels)
    return out


def _per_image_dot(counts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """sum_l counts[..., l] * values[i, l] for every leading index (counts (N, ..., L))."""
    shape = (len(values),) + (1,) * (counts.ndim - 2) + (values.shape[-1],)
    return (counts * values.reshape(shape)).sum(axis=-1)


def mae(hist: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``mean |P - G|``: background pixels contribute P, foreground ones 1 - P."""
    by_label = hist.sum(axis=1)
    size = by_label[0].sum()
    background = _per_image_dot(by_label[:, 0], table)
    return (background + _per_image_dot(by_label[:, 1], 1 - table)) / size


def image_mean(hist: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Mean of the map per image."""
    by_level = hist.reshape(len(hist), -1, hist.shape[-1]).sum(axis=1)
    return _per_image_dot(by_level, table) / by_level[0].sum()


def soft_iou_sums(hist: np.ndarray, table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum P G, sum P + sum G) per image, for :func:`sodbench.metrics.iou._soft_iou`."""
    by_label = hist.sum(axis=1)
    intersection = _per_image_dot(by_label[:, 1], table)
    total = _per_image_dot(by_label[:, 0], table) + intersection + by_label[:, 1].sum(axis=-1)
    return intersection, total


def object_statistics(counts: np.ndarray, values: np.ndarray):
    """(count, mean, sum of squared deviations) of the values of one label, per image.

    ``counts`` (N, L) counts pixels per level, ``values`` (N, L) is their value; the
    deviations are taken from the mean as in ``np.std`` (two passes).
    """
    count = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _per_image_dot(counts, values) / count
    deviation = values - mean[:, None]
    squares = _per_image_dot(counts, deviation * deviation)
    return count, mean, squares


def region_statistics(hist: np.ndarray, table: np.ndarray, exact_means=None):
    """Per image and quadrant: (n, mean P, mean G, sum dP^2, sum dG^2, sum dP dG), each (N, 4).

    ``exact_means`` optionally overrides mean P where the quadrant's prediction is constant
    (see :func:`constant_blocks`), so that the deviations are exactly those of the reference.
    """
    by_level = hist.sum(axis=2)  # (N, 4, L)
    n = by_level.sum(axis=-1)
    fg = hist[:, :, 1].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = _per_image_dot(by_level, table) / n
        y = fg / n
    if exact_means is not None:
        x = np.where(np.isnan(exact_means), x, exact_means)
    dx = table[:, None, :] - x[..., None]
    sxx = (by_level * dx * dx).sum(axis=-1)
    syy = fg * (1 - y) ** 2 + (n - fg) * (0 - y) ** 2
    sxy = (hist[:, :, 1] * dx).sum(axis=-1) * (1 - y) + (hist[:, :, 0] * dx).sum(axis=-1) * (0 - y)
    return n, x, y, sxx, syy, sxy


def constant_blocks(hist: np.ndarray, table: np.ndarray):
    """(image, quadrant) pairs whose prediction is one level with a value other than 0 and 1.

    There ``np.mean`` of the block need not equal the value, and whether the block's SSIM is
    0 or 1 depends on it; the caller recomputes those means on the map itself.
    """
    by_level = hist.sum(axis=2)
    single = np.count_nonzero(by_level, axis=-1) == 1
    level = by_level.argmax(axis=-1)
    value = np.take_along_axis(table, level.reshape(len(table), -1), axis=1).reshape(level.shape)
    return np.argwhere(single & (value != 0) & (value != 1))


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


def ssim_from_statistics(n, x, y, sxx, syy, sxy) -> np.ndarray:
    """Fan's block SSIM from the block statistics (S_region.m ``ssim``, as ``_ssim``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma_x = sxx / (n - 1 + EPS)
        sigma_y = syy / (n - 1 + EPS)
        sigma_xy = sxy / (n - 1 + EPS)
        a = 4 * x * y * sigma_xy
        b = (x**2 + y**2) * (sigma_x + sigma_y)
        score = np.where(a != 0, a / (b + EPS), np.where(b == 0, 1.0, 0.0))
    return np.where(n == 0, 0.0, score)


def smeasure(hist: np.ndarray, table: np.ndarray, shape: tuple[int, int],
             split_rows: np.ndarray, split_cols: np.ndarray, block_mean, *,
             alpha: float = 0.5, clamp: bool = True) -> np.ndarray:
    """Per-image S-measure, as :func:`sodbench.metrics.smeasure._smeasure` on the map.

    ``shape`` is the image size (H, W); ``split_rows``, ``split_cols`` the quadrant split of
    :func:`sodbench.metrics.smeasure.centroids` that :func:`histogram` was built with.
    ``block_mean(image, quadrant)`` returns ``np.mean`` of that quadrant of the map; it is
    called only for quadrants whose prediction is one constant level (:func:`constant_blocks`).
    """
    by_label = hist.sum(axis=1)  # (N, 2, L)
    size = by_label[0].sum()
    fg = by_label[:, 1].sum(axis=-1)
    fg_fraction = fg / size
    score = image_mean(hist, table)
    score = np.where(fg_fraction == 0, 1 - score, score)
    mixed = np.flatnonzero((fg_fraction != 0) & (fg_fraction != 1))
    if not len(mixed):
        return score
    hist, table, y = hist[mixed], table[mixed], fg_fraction[mixed]
    count, mean, squares = object_statistics(by_label[mixed, 1], table)
    fg_term = object_score(count, mean, squares)
    count, mean, squares = object_statistics(by_label[mixed, 0], 1 - table)
    bg_term = object_score(count, mean, squares)
    object_term = fg_term * y + bg_term * (1 - y)

    exact = np.full((len(mixed), 4), np.nan)
    for image, quadrant in constant_blocks(hist, table):
        exact[image, quadrant] = block_mean(mixed[image], quadrant)
    ssim = ssim_from_statistics(*region_statistics(hist, table, exact))
    weight = region_weights(shape, split_rows[mixed], split_cols[mixed])
    region = (ssim[:, 0] * weight[:, 0] + ssim[:, 1] * weight[:, 1]
              + ssim[:, 2] * weight[:, 2] + ssim[:, 3] * weight[:, 3])
    combined = object_term * alpha + region * (1 - alpha)
    score[mixed] = np.maximum(0, combined) if clamp else combined
    return score


def gather(table: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The map itself, N x H x W float64: ``table[i, levels[i]]`` for every image i."""
    n, n_levels = table.shape
    index = levels.astype(np.intp)
    index += (n_levels * np.arange(n))[:, None, None]
    return np.ascontiguousarray(table).ravel().take(index)
