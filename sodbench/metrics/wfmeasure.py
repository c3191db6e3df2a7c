"""Weighted F-measure (Margolin, Zelnik-Manor and Tal, "How to evaluate foreground maps?",
CVPR 2014), as PySODMetrics 1.6.2 ``WeightedFmeasure`` (sod_metrics.py, ``cal_wfm``), which
mirrors Margolin's WFb.m line by line.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from sodbench.metrics._input import EPS, prepare


def gaussian_kernel_1d(size: int = 7, sigma: float = 5.0) -> np.ndarray:
    """Normalised 1-D factor of Matlab's ``fspecial('gaussian', size, sigma)``.

    The 2-D kernel is the outer product of this vector with itself up to rounding (< 1e-17);
    no entry falls below ``eps * max`` for 7 x 7 and sigma 5, so Matlab's cut-off is moot.
    Filtering with two 1-D passes costs 14 instead of 49 products per pixel.
    """
    half = (size - 1) / 2
    x = np.arange(-half, half + 1)
    h = np.exp(-(x * x) / (2 * sigma * sigma))
    return h / h.sum()


def weighted_fmeasure(pred, gt, *, beta2: float = 1.0) -> np.ndarray:
    """Per-image weighted F-measure ``(1 + beta2) R^w P^w / (R^w + beta2 P^w)``.

    Parameters
    ----------
    pred : array_like, (H, W) or (N, H, W)
        Map in [0, 1] (PySODMetrics scores the min-max normalised map).
    gt : array_like, same shape
        Ground truth mask.
    beta2 : float
        beta^2 (PySODMetrics' argument ``beta`` is beta^2; 1 in the paper).

    Returns
    -------
    numpy.ndarray, (N,)
        0 for an empty GT (PySODMetrics; Margolin's code fails there, SMD's WFb.m gives 1).

    Notes
    -----
    The nearest-foreground index comes from ``scipy.ndimage.distance_transform_edt`` (one call
    per image), as in PySODMetrics; Matlab's ``bwdist`` breaks ties between equidistant pixels
    differently (per image up to 3e-3, spec sec. 3.3). The Gaussian is applied as two 1-D passes
    with zero padding (``imfilter`` default), equal to the 7 x 7 convolution within 1e-15.
    """
    pred, gt = prepare(pred, gt)
    return _weighted_fmeasure(pred, gt, beta2=beta2)


def _weighted_fmeasure(pred, gt, *, beta2=1.0):
    n = len(gt)
    scores = np.zeros(n)
    present = np.flatnonzero(gt.reshape(n, -1).any(axis=1))
    if len(present) == 0:
        return scores
    pred, gt = pred[present], gt[present]
    error = np.abs(pred - gt)
    squared_distance, nearest = _nearest_foreground(gt)
    spread = np.take_along_axis(error.reshape(len(gt), -1), nearest, axis=1).reshape(gt.shape)
    kernel = gaussian_kernel_1d()
    blurred = ndimage.correlate1d(spread, kernel, axis=1, mode="constant")
    blurred = ndimage.correlate1d(blurred, kernel, axis=2, mode="constant")
    min_error = np.where(gt & (blurred < error), blurred, error)
    # foreground pixels have distance 0 and importance 2 - exp(0) = 1, as ``B(GT) = 1``
    weighted = (min_error * _importance(gt.shape[1:])[squared_distance]).reshape(len(gt), -1)
    flat_gt = gt.reshape(len(gt), -1)
    fg = flat_gt.sum(axis=1)
    fg_error = np.where(flat_gt, weighted, 0).sum(axis=1)
    tp = fg - fg_error
    fp = weighted.sum(axis=1) - fg_error
    r = 1 - fg_error / fg
    p = tp / (tp + fp + EPS)
    scores[present] = (1 + beta2) * r * p / (r + beta2 * p + EPS)
    return scores


@functools.lru_cache(maxsize=8)
def _importance(shape: tuple[int, int]) -> np.ndarray:
    """``2 - exp(ln(0.5) / 5 * d)`` for every squared distance ``d^2`` an image can have.

    Same float operations as WFb.m / PySODMetrics on ``d = sqrt(d^2)``, computed once per size.
    """
    squared = np.arange(shape[0] ** 2 + shape[1] ** 2)
    return 2 - np.exp(np.log(0.5) / 5 * np.sqrt(squared))


def _nearest_foreground(gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared distance to and flat index of the nearest GT pixel, per image (``bwdist(GT)``).

    Foreground pixels point to themselves, so spreading the error through the index leaves
    them unchanged, as ``Et(~GT) = Et(IDXT(~GT))`` does. One scipy call per image: its
    tie-breaking between equidistant pixels is the reference's.
    """
    n, height, width = gt.shape
    squared = np.empty(gt.shape, dtype=np.int32)
    nearest = np.empty((n, height * width), dtype=np.int32)
    rows = np.arange(height, dtype=np.int32)[:, None]
    cols = np.arange(width, dtype=np.int32)
    near = np.empty((2, height, width), dtype=np.int32)
    for index, mask in enumerate(gt):
        ndimage.distance_transform_edt(
            ~mask, return_distances=False, return_indices=True, indices=near
        )
        near_rows, near_cols = near
        row_offset = near_rows - rows
        col_offset = near_cols - cols
        squared[index] = row_offset * row_offset + col_offset * col_offset
        nearest[index] = (near_rows * width + near_cols).ravel()
    return squared, nearest
