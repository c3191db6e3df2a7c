"""Mean absolute error (Perazzi et al., "Saliency filters", CVPR 2012).

Statistic: the per-image sum of ``|P - G|``; the metric divides it by the pixel count.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sodbench.metrics import histogram
from sodbench.metrics.batch import Batch

__all__ = ["MAEStatistics", "evaluate", "from_statistics", "mae", "statistics"]


class MAEStatistics(NamedTuple):
    """Per-image sum of absolute errors, and the pixels per image."""

    error: np.ndarray
    size: int


def mae(pred, gt, *, batch: bool = False) -> np.ndarray:
    """Per-image mean absolute error ``mean(|P - G|)``.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (uint8/uint16/bool are converted by ``im2double``; no min-max here:
        PySODMetrics' ``MAE`` scores the min-max map, the MINet TII'24 table the raw one).
    gt : array_like, same shape
        Ground truth (bool, or binarised by ``gt > 128`` on 0..255).
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Returns
    -------
    numpy.ndarray, (N,)
        float64 per image. Matches ``py_sod_metrics.MAE.cal_mae`` (sod_metrics.py).

    Examples
    --------
    >>> import numpy as np
    >>> mae(np.array([[0.0, 0.5], [1.0, 1.0]]), np.array([[0, 0], [255, 0]], np.uint8))
    array([0.375])
    """
    return from_statistics(statistics(Batch.of(pred, gt, batch=batch), "raw"))


def statistics(batch: Batch, choice: str) -> MAEStatistics:
    """The sums of ``|P - G|`` of the ``choice`` map (``"raw"`` or ``"normalised"``)."""
    if batch.has_levels:
        by_label = batch.hist.sum(axis=1)
        table = batch.table(choice)
        background = histogram.dot(by_label[:, 0], table)
        error = background + histogram.dot(by_label[:, 1], 1 - table)
        return MAEStatistics(error, int(by_label[0].sum()))
    # in place: a second fresh temporary for ``abs`` cost 8x the arithmetic (page faults)
    error = np.subtract(batch.map(choice), batch.mask)
    np.abs(error, out=error)
    return MAEStatistics(error.reshape(len(error), -1).sum(axis=1), batch.size)


def from_statistics(stats: MAEStatistics) -> np.ndarray:
    return stats.error / stats.size


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """``{"MAE": per-image values}`` under ``conventions`` (the map it names)."""
    return {"MAE": from_statistics(statistics(batch, conventions.mae_map))}
