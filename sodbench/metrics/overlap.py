"""OR, the overlapping ratio of the SMD saliency toolbox.

Reference: Peng, Li, Zhang, Ling, Maybank, "Salient Object Detection via Structured Matrix
Decomposition", TPAMI 2017; its evaluation code ``CalOverlapRatio.m`` (copy at
frankLeo123/Saliency_Matlab: SMD-Saliency/DEMO/Dependencies/evaluation-Parfor/). The defect-SOD
papers (SD-Saliency-900, MINet TII 2024) report this OR; sodbench reproduces MINet's 0.8115.

The port follows the Matlab arithmetic step by step, because the re-quantisation to uint8
lands on exact .5 ties for many 8-bit maps and any other float order rounds them differently
(see docs/metrics/or.md).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics._input import check_pair, im2double
from sodbench.metrics.counts import divide

GT_LEVEL = 25
"""SMD's ``GT > 25`` on the uint8 ground truth (about 0.1 of the range)."""


def minmax_im2uint8(image: np.ndarray) -> np.ndarray:
    """SMD's ``im2uint8((X - min(X(:))) ./ (max(X(:)) - min(X(:))))`` per image of a batch.

    Same double operations in the same order as Matlab: subtract, divide, then the
    ``grayto8`` MEX of ``im2uint8`` (``val * 255.0 + 0.5``, clip to [0, 255], truncate,
    NaN -> 0). A constant image divides 0 by 0, so it becomes all 0.
    """
    low = image.min(axis=(-2, -1), keepdims=True)
    high = image.max(axis=(-2, -1), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = (image - low) / (high - low)
        level = scaled * 255.0 + 0.5
    level = np.nan_to_num(level, nan=0.0)
    return np.floor(np.clip(level, 0.0, 255.0)).astype(np.uint8)


def smd_adaptive_mask(fg8: np.ndarray) -> np.ndarray:
    """SMD's ``FG >= mean(FG(:)) * 2`` on uint8 maps, threshold not clamped to 255."""
    count = fg8.shape[-2] * fg8.shape[-1]
    threshold = fg8.sum(axis=(-2, -1), dtype=np.int64) / count * 2
    return fg8 >= threshold[..., None, None]


def _prepare(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    """SMD's uint8 prediction and ``GT8 > 25`` mask, both N x H x W."""
    pred, gt = im2double(pred), im2double(gt, "ground truth")
    check_pair(pred, gt)
    return minmax_im2uint8(pred), minmax_im2uint8(gt) > GT_LEVEL


def overlap_ratio(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Overlapping ratio (OR) of SMD's ``CalOverlapRatio.m`` with ``setCurve = false``.

    Per image: min-max normalise prediction and GT, re-quantise both with ``im2uint8``,
    binarise the prediction at twice its mean grey level (``>=``, no clamp: a map whose
    mean exceeds 127.5 has no positive pixel), take ``GT8 > 25`` as the object, and score
    ``|B & G| / |B | G|``, 0 when ``B & G`` is empty (SMD's ``if intersection ~= 0``).

    Parameters
    ----------
    pred, gt : ndarray, shape (H, W) or (N, H, W)
        The Matlab ``im2double`` of the files: float64 in [0, 1]. uint8, uint16 and bool
        are converted as ``im2double`` does. The shapes must be equal (SMD would
        ``imresize`` the prediction; sodbench leaves resizing to the reader).

    Returns
    -------
    ndarray of float64, shape (N,)
        OR per image; the dataset score is their mean.

    Notes
    -----
    Edge cases follow the Matlab code: a constant prediction becomes all 0 (0/0 -> NaN ->
    0), so every pixel passes the threshold 0 and OR = ``|G| / (H*W)``; an empty or an
    all-foreground GT also becomes all 0, so OR = 0.

    References
    ----------
    Peng et al., TPAMI 2017; ``CalOverlapRatio.m`` in the SMD toolbox.
    """
    fg8, gt_mask = _prepare(pred, gt)
    positive = smd_adaptive_mask(fg8)
    intersection = np.count_nonzero(positive & gt_mask, axis=(1, 2))
    union = np.count_nonzero(positive | gt_mask, axis=(1, 2))
    return divide(intersection, union)


def overlap_ratio_curve(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """OR at every grey-level threshold: ``CalOverlapRatio.m`` with ``setCurve = true``.

    Parameters
    ----------
    pred, gt : ndarray, shape (H, W) or (N, H, W)
        As for :func:`overlap_ratio`.

    Returns
    -------
    ndarray of float64, shape (N, 256)
        Column t is OR for ``FG8 >= t`` (ascending thresholds, as in the Matlab code).
        Averaging over images gives the dataset curve.
    """
    fg8, gt_mask = _prepare(pred, gt)
    n_images = fg8.shape[0]
    bins = fg8.reshape(n_images, -1).astype(np.int64) + 256 * np.arange(n_images)[:, None]
    inside = gt_mask.reshape(n_images, -1)
    hist_all = np.bincount(bins.ravel(), minlength=256 * n_images).reshape(n_images, 256)
    hist_gt = np.bincount(bins[inside], minlength=256 * n_images).reshape(n_images, 256)
    positive = np.cumsum(hist_all[:, ::-1], axis=1)[:, ::-1]
    intersection = np.cumsum(hist_gt[:, ::-1], axis=1)[:, ::-1]
    union = positive + np.count_nonzero(inside, axis=1)[:, None] - intersection
    return divide(intersection, union)
