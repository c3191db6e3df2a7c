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

from sodbench.metrics.counts import divide
from sodbench.metrics.validate import check_pair, im2double

__all__ = [
    "GT_LEVEL", "evaluate", "minmax_im2uint8", "minmax_levels", "overlap_ratio",
    "overlap_ratio_curve", "smd_adaptive_mask",
]

GT_LEVEL = 25
"""SMD's ``GT > 25`` on the uint8 ground truth (about 0.1 of the range)."""

_CHUNK_PIXELS = 1 << 18
"""Pixels per pass of :func:`overlap_ratio` (about 2 MB of float64), so the element-wise
passes of the re-quantisation work in cache instead of streaming a whole dataset through
memory once per operation."""


def minmax_levels(image: np.ndarray) -> np.ndarray:
    """SMD's ``im2uint8((X - min(X(:))) ./ (max(X(:)) - min(X(:))))`` per image, as float64.

    Same double operations in the same order as Matlab: subtract, divide, then the
    ``grayto8`` MEX of ``im2uint8`` (``val * 255.0 + 0.5``, clip to [0, 255], truncate,
    NaN -> 0). For finite input the quotient lies in [0, 1] (rounding is monotonic), so the
    clip never acts and truncation is the floor. A constant image is Matlab's 0/0 = NaN,
    i.e. all 0: dividing by 1 instead gives exactly that. The grey levels stay float64
    (integer-valued, so sums are exact): a uint8 cast would cost more than the rest.
    """
    low = image.min(axis=(-2, -1), keepdims=True)
    span = image.max(axis=(-2, -1), keepdims=True) - low
    span[span == 0] = 1.0
    level = image - low
    level /= span
    level *= 255.0
    level += 0.5
    return np.floor(level, out=level)


def minmax_im2uint8(image: np.ndarray) -> np.ndarray:
    """:func:`minmax_levels` as Matlab's uint8 array."""
    return minmax_levels(image).astype(np.uint8)


def smd_adaptive_mask(levels: np.ndarray) -> np.ndarray:
    """SMD's ``FG >= mean(FG(:)) * 2`` on grey levels 0..255, threshold not clamped to 255.

    Matlab's ``mean`` of a uint8 array is the exact integer sum over the pixel count.
    """
    count = levels.shape[-2] * levels.shape[-1]
    threshold = levels.sum(axis=(-2, -1), dtype=np.float64) / count * 2
    return levels >= threshold[..., None, None]


def overlap_ratio(pred: np.ndarray, gt: np.ndarray, *, batch: bool = False) -> np.ndarray:
    """Overlapping ratio (OR) of SMD's ``CalOverlapRatio.m`` with ``setCurve = false``.

    Per image: min-max normalise prediction and GT, re-quantise both with ``im2uint8``,
    binarise the prediction at twice its mean grey level (``>=``, no clamp: a map whose
    mean exceeds 127.5 has no positive pixel), take ``GT8 > 25`` as the object, and score
    ``|B & G| / |B | G|``, 0 when ``B & G`` is empty (SMD's ``if intersection ~= 0``).

    Parameters
    ----------
    pred, gt : ndarray, shape (H, W), or (N, H, W) with ``batch=True``
        The Matlab ``im2double`` of the files: float64 in [0, 1]. uint8, uint16 and bool
        are converted as ``im2double`` does. The shapes must be equal (SMD would
        ``imresize`` the prediction; sodbench leaves resizing to the reader).
    batch : bool
        True: 3-D arrays are N x H x W batches (refused without it; see
        :func:`sodbench.metrics.mae.mae`).

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
    pred, gt = im2double(pred, batch=batch), im2double(gt, "ground truth", batch=batch)
    check_pair(pred, gt)
    step = max(1, _CHUNK_PIXELS // (pred.shape[1] * pred.shape[2]))
    return np.concatenate(
        [_overlap_ratio(pred[i : i + step], gt[i : i + step]) for i in range(0, len(pred), step)]
    )


def _overlap_ratio(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    positive = smd_adaptive_mask(minmax_levels(pred))
    gt_mask = minmax_levels(gt) > GT_LEVEL
    intersection = np.count_nonzero(positive & gt_mask, axis=(1, 2))
    union = np.count_nonzero(positive | gt_mask, axis=(1, 2))
    return divide(intersection, union)


def overlap_ratio_curve(pred: np.ndarray, gt: np.ndarray, *, batch: bool = False) -> np.ndarray:
    """OR at every grey-level threshold: ``CalOverlapRatio.m`` with ``setCurve = true``.

    Parameters
    ----------
    pred, gt : ndarray, shape (H, W), or (N, H, W) with ``batch=True``
        As for :func:`overlap_ratio`; so is ``batch``.

    Returns
    -------
    ndarray of float64, shape (N, 256)
        Column t is OR for ``FG8 >= t`` (ascending thresholds, as in the Matlab code).
        Averaging over images gives the dataset curve.
    """
    pred, gt = im2double(pred, batch=batch), im2double(gt, "ground truth", batch=batch)
    check_pair(pred, gt)
    fg8, gt_mask = minmax_im2uint8(pred), minmax_levels(gt) > GT_LEVEL
    n_images = fg8.shape[0]
    bins = fg8.reshape(n_images, -1).astype(np.int64) + 256 * np.arange(n_images)[:, None]
    inside = gt_mask.reshape(n_images, -1)
    hist_all = np.bincount(bins.ravel(), minlength=256 * n_images).reshape(n_images, 256)
    hist_gt = np.bincount(bins[inside], minlength=256 * n_images).reshape(n_images, 256)
    positive = np.cumsum(hist_all[:, ::-1], axis=1)[:, ::-1]
    intersection = np.cumsum(hist_gt[:, ::-1], axis=1)[:, ::-1]
    union = positive + np.count_nonzero(inside, axis=1)[:, None] - intersection
    return divide(intersection, union)


def evaluate(batch, conventions, keys, executor=None) -> dict:
    """``{"OR": per-image values}`` of a :class:`~sodbench.metrics.batch.Batch`: the raw map
    against the GT as given (SMD re-quantises both; the same under every set of conventions)."""
    return {"OR": overlap_ratio(batch.map("raw"), batch.ground.gt[batch.start:batch.stop],
                                batch=True)}
