"""S-measure (Fan et al., "Structure-measure: A new way to evaluate foreground maps", ICCV 2017).

Reference implementations: ``py_sod_metrics.Smeasure`` (sod_metrics.py, PySODMetrics 1.6.2) and
Fan's Matlab code (DengPingFan/S-measure: StructureMeasure.m, S_object.m, S_region.m).

Statistics per image: the GT's foreground fraction, the map's mean, and (for a GT that is
neither empty nor full) the object and region terms, from the pixels or from the histogram.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np

from sodbench.metrics import histogram
from sodbench.metrics.batch import Batch
from sodbench.metrics.conventions import get_conventions
from sodbench.metrics.validate import EPS, image_mean

__all__ = [
    "SmeasureStatistics", "evaluate", "from_statistics", "object_score", "region_weights",
    "smeasure", "statistics",
]


class SmeasureStatistics(NamedTuple):
    """Per image, (N,) each; ``object`` and ``region`` are NaN where the GT is empty or full."""

    fg_fraction: np.ndarray
    mean: np.ndarray
    object: np.ndarray
    region: np.ndarray


def smeasure(pred, gt, *, alpha: float = 0.5, centroid: str = "half_even",
             clamp: bool = True, batch: bool = False) -> np.ndarray:
    """Per-image S-measure ``alpha * S_object + (1 - alpha) * S_region``.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (PySODMetrics scores the min-max normalised map).
    gt : array_like, same shape
        Ground truth mask.
    alpha : float
        Weight of the object term (0.5 in the paper).
    centroid : {"half_even", "half_away"}
        Rounding of the GT centroid. ``"half_even"``: PySODMetrics' ``np.round`` of the 0-based
        mean, then + 1. ``"half_away"``: Matlab's ``round`` of the 1-based mean
        (``floor(m + 0.5)``). They differ only when a 0-based mean is k + 0.5 with k even.
    clamp : bool
        Clamp the score at 0 (PySODMetrics ``np.maximum(0, .)``); Fan's StructureMeasure.m does not.
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Returns
    -------
    numpy.ndarray, (N,)
        float64 per image; 1 - mean(P) for an empty GT, mean(P) for a full one.

    Notes
    -----
    When the GT foreground lies entirely in the last row or column, one quadrant of the region
    term is empty. Both references then return NaN (0/0 in the SSIM of an empty block); here
    the empty quadrant contributes 0, which is what its area weight of 0 implies.

    Examples
    --------
    >>> import numpy as np
    >>> smeasure(np.zeros((4, 4)), np.zeros((4, 4), bool))   # empty GT, black map
    array([1.])
    """
    if centroid not in ("half_even", "half_away"):
        raise ValueError(f"centroid must be 'half_even' or 'half_away', not {centroid!r}")
    conventions = dataclasses.replace(get_conventions(), centroid=centroid)
    stats = statistics(Batch.of(pred, gt, batch=batch, conventions=conventions), "raw")
    return from_statistics(stats, alpha=alpha, clamp=clamp)


def statistics(batch: Batch, choice: str) -> SmeasureStatistics:
    """The S-measure statistics of the ``choice`` map (``"raw"`` or ``"normalised"``)."""
    if batch.has_levels:
        return _histogram_statistics(batch, choice)
    pred, gt = batch.map(choice), batch.mask
    fg_fraction = image_mean(gt)
    object_, region = np.full(len(gt), np.nan), np.full(len(gt), np.nan)
    mixed = np.flatnonzero((fg_fraction != 0) & (fg_fraction != 1))
    if len(mixed):
        subset = slice(None) if len(mixed) == len(gt) else mixed  # a view, not a copy
        p, g = pred[subset], gt[subset]
        split_rows, split_cols = (split[mixed] for split in batch.splits)
        object_[mixed] = _object(p, g, fg_fraction[subset])
        region[mixed] = _region(p, g, split_rows, split_cols)
    return SmeasureStatistics(fg_fraction, image_mean(pred), object_, region)


def from_statistics(stats: SmeasureStatistics, *, alpha: float = 0.5,
                    clamp: bool = True) -> np.ndarray:
    """The S-measure per image: ``alpha`` weighs the object term; ``clamp`` at 0 or not."""
    y = stats.fg_fraction
    score = np.where(y == 0, 1 - stats.mean, stats.mean)
    mixed = np.flatnonzero((y != 0) & (y != 1))
    if len(mixed):
        combined = stats.object[mixed] * alpha + stats.region[mixed] * (1 - alpha)
        score[mixed] = np.maximum(0, combined) if clamp else combined
    return score


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """``{"Sm": per-image values}`` under ``conventions`` (its map and clamp)."""
    stats = statistics(batch, conventions.smeasure_map)
    return {"Sm": from_statistics(stats, clamp=conventions.smeasure_clamp)}


def _segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    return np.add.reduceat(values, starts) if len(values) else np.zeros(len(starts))


def _object_term(values: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``2 m / (m^2 + 1 + std + EPS)`` per image of the concatenated, non-empty ``values``.

    ``count`` gives each image's number of values; std has ddof 1 (0 for a single value) and is
    computed in two passes, as ``np.std``, so a constant region gets a zero std.
    """
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    mean = _segment_sums(values, starts) / count
    deviation = values - np.repeat(mean, count)
    return object_score(count, mean, _segment_sums(deviation * deviation, starts))


def object_score(count, mean, squares) -> np.ndarray:
    """S_object.m's ``2 m / (m^2 + 1 + std + EPS)`` from the count, mean and squared deviations."""
    std = np.where(count > 1, np.sqrt(squares / np.maximum(count - 1, 1)), 0)
    return 2 * mean / (np.power(mean, 2) + 1 + std + EPS)


def _object(pred, gt, fg_fraction):
    fg_count = gt.reshape(len(gt), -1).sum(axis=1)
    bg_count = gt[0].size - fg_count
    fg = _object_term(pred[gt], fg_count) * fg_fraction
    bg = _object_term(1 - pred[~gt], bg_count) * (1 - fg_fraction)
    return fg + bg


def region_weights(shape, split_rows, split_cols) -> np.ndarray:
    """Area weights of the LT, RT, LB, RB quadrants, (N, 4), as S_region.m computes them."""
    height, width = shape
    area = height * width
    w_lt = split_cols * split_rows / area
    w_rt = split_rows * (width - split_cols) / area
    w_lb = (height - split_rows) * split_cols / area
    return np.stack([w_lt, w_rt, w_lb, 1 - w_lt - w_rt - w_lb], axis=1)


def _region(pred, gt, split_rows, split_cols):
    """Area-weighted SSIM of the four blocks around the GT centroid, per image.

    A loop over images: the blocks have a different size in every image and NumPy's own
    reductions on each block keep the sums identical to the reference.
    """
    height, width = gt.shape[1:]
    area = height * width
    scores = np.empty(len(gt))
    for index, (cy, cx) in enumerate(zip(split_rows.tolist(), split_cols.tolist(), strict=True)):
        p, g = pred[index], gt[index]
        w_lt = cx * cy / area
        w_rt = cy * (width - cx) / area
        w_lb = (height - cy) * cx / area
        w_rb = 1 - w_lt - w_rt - w_lb
        scores[index] = (
            _ssim(p[:cy, :cx], g[:cy, :cx]) * w_lt
            + _ssim(p[:cy, cx:], g[:cy, cx:]) * w_rt
            + _ssim(p[cy:, :cx], g[cy:, :cx]) * w_lb
            + _ssim(p[cy:, cx:], g[cy:, cx:]) * w_rb
        )
    return scores


def _ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    """Fan's block SSIM (S_region.m ``ssim``); an empty block scores 0 (its weight is 0)."""
    n = pred.size
    if n == 0:
        return 0.0
    x = np.mean(pred)
    y = np.mean(gt)
    dx = pred - x
    dy = gt - y
    sigma_x = np.sum(dx**2) / (n - 1 + EPS)
    sigma_y = np.sum(dy**2) / (n - 1 + EPS)
    sigma_xy = np.sum(dx * dy) / (n - 1 + EPS)
    a = 4 * x * y * sigma_xy
    b = (x**2 + y**2) * (sigma_x + sigma_y)
    if a != 0:
        return a / (b + EPS)
    return 1.0 if b == 0 else 0.0


def _histogram_statistics(batch: Batch, choice: str) -> SmeasureStatistics:
    """The statistics from the histogram (same values as from the pixels within 1e-12).

    A quadrant whose prediction is one constant level takes ``np.mean`` of the map there
    (:func:`constant_blocks`): whether its SSIM is 0 or 1 depends on that mean's rounding.
    """
    hist, table = batch.hist, batch.table(choice)
    by_label = hist.sum(axis=1)  # (N, 2, L)
    fg_fraction = by_label[:, 1].sum(axis=-1) / by_label[0].sum()
    mean = histogram.image_mean(hist, table)
    object_, region = np.full(len(hist), np.nan), np.full(len(hist), np.nan)
    mixed = np.flatnonzero((fg_fraction != 0) & (fg_fraction != 1))
    if not len(mixed):
        return SmeasureStatistics(fg_fraction, mean, object_, region)
    hist, table, y = hist[mixed], table[mixed], fg_fraction[mixed]
    count, level_mean, squares = object_statistics(by_label[mixed, 1], table)
    fg_term = object_score(count, level_mean, squares)
    count, level_mean, squares = object_statistics(by_label[mixed, 0], 1 - table)
    bg_term = object_score(count, level_mean, squares)
    object_[mixed] = fg_term * y + bg_term * (1 - y)

    split_rows, split_cols = (split[mixed] for split in batch.splits)
    exact = np.full((len(mixed), 4), np.nan)
    for image, quadrant in constant_blocks(hist, table):
        row, col = split_rows[image], split_cols[image]
        rows = slice(None, row) if quadrant < 2 else slice(row, None)
        cols = slice(None, col) if quadrant % 2 == 0 else slice(col, None)
        exact[image, quadrant] = np.mean(batch.map(choice)[mixed[image]][rows, cols])
    ssim = ssim_from_statistics(*region_statistics(hist, table, exact))
    weight = region_weights(batch.pred.shape[1:], split_rows, split_cols)
    region[mixed] = (ssim[:, 0] * weight[:, 0] + ssim[:, 1] * weight[:, 1]
                     + ssim[:, 2] * weight[:, 2] + ssim[:, 3] * weight[:, 3])
    return SmeasureStatistics(fg_fraction, mean, object_, region)


def object_statistics(counts: np.ndarray, values: np.ndarray):
    """(count, mean, sum of squared deviations) of the values of one label, per image.

    ``counts`` (N, L) counts pixels per level, ``values`` (N, L) is their value; the
    deviations are taken from the mean as in ``np.std`` (two passes).
    """
    count = counts.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = histogram.dot(counts, values) / count
    deviation = values - mean[:, None]
    squares = histogram.dot(counts, deviation * deviation)
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
        x = histogram.dot(by_level, table) / n
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
