"""S-measure (Fan et al., "Structure-measure: A new way to evaluate foreground maps", ICCV 2017).

Reference implementations: ``py_sod_metrics.Smeasure`` (sod_metrics.py, PySODMetrics 1.6.2) and
Fan's Matlab code (DengPingFan/S-measure: StructureMeasure.m, S_object.m, S_region.m).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.validate import EPS, image_mean, prepare


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
    """
    pred, gt = prepare(pred, gt, batch=batch)
    return _smeasure(pred, gt, alpha=alpha, centroid=centroid, clamp=clamp)


def _smeasure(pred, gt, *, alpha=0.5, centroid="half_even", clamp=True):
    fg_fraction = image_mean(gt)
    pred_mean = image_mean(pred)
    score = np.where(fg_fraction == 0, 1 - pred_mean, pred_mean)
    mixed = np.flatnonzero((fg_fraction != 0) & (fg_fraction != 1))
    if len(mixed):
        subset = slice(None) if len(mixed) == len(gt) else mixed  # a view, not a copy
        p, g, y = pred[subset], gt[subset], fg_fraction[subset]
        combined = _object(p, g, y) * alpha + _region(p, g, centroid) * (1 - alpha)
        score[mixed] = np.maximum(0, combined) if clamp else combined
    return score


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


def centroids(gt: np.ndarray, centroid: str) -> tuple[np.ndarray, np.ndarray]:
    """1-based (row, column) split points of Fan's S_region.m, per image; (0, 0) for an empty
    or full GT, which has no region term (every pixel then falls in the last quadrant)."""
    count = _row_counts(gt).sum(axis=1)
    mixed = (count != 0) & (count != gt[0].size)
    rows, cols = np.zeros(len(gt), int), np.zeros(len(gt), int)
    if mixed.any():
        rows[mixed], cols[mixed] = _centroids(gt[mixed], centroid)
    return rows, cols


def _row_counts(gt: np.ndarray) -> np.ndarray:
    """GT pixels per row, (N, H) int64 (summing the bytes: twice as fast as ``sum`` on bool)."""
    return np.add.reduce(gt.view(np.uint8), axis=2, dtype=np.int64)


def region_weights(shape, split_rows, split_cols) -> np.ndarray:
    """Area weights of the LT, RT, LB, RB quadrants, (N, 4), as S_region.m computes them."""
    height, width = shape
    area = height * width
    w_lt = split_cols * split_rows / area
    w_rt = split_rows * (width - split_cols) / area
    w_lb = (height - split_rows) * split_cols / area
    return np.stack([w_lt, w_rt, w_lb, 1 - w_lt - w_rt - w_lb], axis=1)


def _centroids(gt: np.ndarray, centroid: str) -> tuple[np.ndarray, np.ndarray]:
    """1-based (row, column) split points X, Y of Fan's S_region.m, per image."""
    row_counts = _row_counts(gt)
    count = row_counts.sum(axis=1)
    rows = row_counts @ np.arange(gt.shape[1])
    cols = np.add.reduce(gt.view(np.uint8), axis=1, dtype=np.int64) @ np.arange(gt.shape[2])
    mean_row, mean_col = rows / count, cols / count
    if centroid == "half_even":
        return np.round(mean_row).astype(int) + 1, np.round(mean_col).astype(int) + 1
    if centroid == "half_away":
        return (np.floor(mean_row + 1 + 0.5).astype(int),
                np.floor(mean_col + 1 + 0.5).astype(int))
    raise ValueError(f"centroid must be 'half_even' or 'half_away', not {centroid!r}")


def _region(pred, gt, centroid):
    """Area-weighted SSIM of the four blocks around the GT centroid, per image.

    A loop over images: the blocks have a different size in every image and NumPy's own
    reductions on each block keep the sums identical to the reference.
    """
    height, width = gt.shape[1:]
    area = height * width
    split_rows, split_cols = _centroids(gt, centroid)
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
