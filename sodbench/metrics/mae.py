"""Mean absolute error (Perazzi et al., "Saliency filters", CVPR 2012)."""

from __future__ import annotations

import numpy as np

from sodbench.metrics.validate import image_mean, prepare


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
    """
    return _mae(*prepare(pred, gt, batch=batch))


def _mae(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    # in place: a second fresh temporary for ``abs`` cost 8x the arithmetic (page faults)
    error = np.subtract(pred, gt)
    np.abs(error, out=error)
    return image_mean(error)
