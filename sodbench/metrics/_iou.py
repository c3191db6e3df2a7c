"""Soft IoU of a grey map: the "IoU" column of the defect-SOD tables (MINet, IEEE TII 2024).

``sum(P G) / (sum(P) + sum(G) - sum(P G))`` per image on the raw map P = p/255, i.e. one minus
the IoU loss of BASNet-derived code (``pytorch_iou`` in SongGuorong/EDRNet, zxforchid/DACNet).
Reproduces MINet's published 0.8123 (0.812269 from the released weights; docs/minet.md).
Statistic: ``sum(P G)`` and ``sum(P) + sum(G)`` per image.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sodbench.metrics import histogram
from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import divide

__all__ = ["SoftIoUStatistics", "evaluate", "from_statistics", "soft_iou", "statistics"]


class SoftIoUStatistics(NamedTuple):
    intersection: np.ndarray
    """``sum(P G)`` per image."""
    total: np.ndarray
    """``sum(P) + sum(G)`` per image."""


def soft_iou(pred, gt, *, batch: bool = False) -> np.ndarray:
    """Per-image soft IoU; 0 when prediction and GT are both empty (0/0), as count IoU is.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (uint8 is divided by 255; no min-max).
    gt : array_like, same shape
        Ground truth mask.
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Examples
    --------
    >>> import numpy as np
    >>> soft_iou(np.array([[1.0, 0.5], [0.0, 0.0]]), np.array([[1, 1], [0, 0]], bool))
    array([0.75])
    """
    return from_statistics(statistics(Batch.of(pred, gt, batch=batch)))


def statistics(batch: Batch) -> SoftIoUStatistics:
    """The sums of the raw map (soft IoU has no min-max variant)."""
    if batch.has_levels:
        by_label = batch.hist.sum(axis=1)
        table = batch.table("raw")
        intersection = histogram.dot(by_label[:, 1], table)
        total = histogram.dot(by_label[:, 0], table) + intersection + by_label[:, 1].sum(axis=-1)
        return SoftIoUStatistics(intersection, total)
    pred, gt = batch.map("raw"), batch.mask
    n = len(pred)
    intersection = np.where(gt, pred, 0).reshape(n, -1).sum(axis=1)
    total = pred.reshape(n, -1).sum(axis=1) + gt.reshape(n, -1).sum(axis=1)
    return SoftIoUStatistics(intersection, total)


def from_statistics(stats: SoftIoUStatistics) -> np.ndarray:
    return divide(stats.intersection, stats.total - stats.intersection)


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """``{"IoU": per-image values}`` (the same under every set of conventions)."""
    return {"IoU": from_statistics(statistics(batch))}
