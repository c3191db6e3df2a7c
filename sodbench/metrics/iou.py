"""Soft IoU of a grey map: the "IoU" column of the defect-SOD tables (MINet, IEEE TII 2024).

``sum(P G) / (sum(P) + sum(G) - sum(P G))`` per image on the raw map P = p/255, i.e. one minus
the IoU loss of BASNet-derived code (``pytorch_iou`` in SongGuorong/EDRNet, zxforchid/DACNet).
Reproduces MINet's published 0.8123 (spec sec. 4: 0.812269 from the released weights).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.counts import divide
from sodbench.metrics.validate import prepare


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
    """
    return _soft_iou(*prepare(pred, gt, batch=batch))


def _soft_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    n = len(pred)
    intersection = np.where(gt, pred, 0).reshape(n, -1).sum(axis=1)
    total = pred.reshape(n, -1).sum(axis=1) + gt.reshape(n, -1).sum(axis=1)
    return divide(intersection, total - intersection)
