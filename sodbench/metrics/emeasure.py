"""E-measure (Fan et al., "Enhanced-alignment measure for binary foreground map evaluation",
IJCAI 2018), in the closed form of PySODMetrics 1.6.2 ``Emeasure`` (sod_metrics.py,
``cal_em_with_threshold`` / ``cal_em_with_cumsumhistogram``): for a binary map the enhanced
alignment matrix takes only four values, so its sum follows from TP, FP, FN and TN.
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.counts import Counts, adaptive_threshold, binary_counts, threshold_counts
from sodbench.metrics.validate import EPS, check_emeasure_size, prepare


def emeasure_from_counts(counts: Counts) -> np.ndarray:
    """E-measure of the binarised map(s) described by ``counts`` (same shape as ``counts.tp``).

    Empty GT: the count of predicted negatives; full GT: the count of predicted positives
    (Fan's Enhancedmeasure.m), both divided by ``H*W - 1 + EPS``.
    """
    size, fg = counts.size, counts.fg
    fg_fg = counts.tp
    fg_bg = counts.positives - counts.tp
    pred_fg = counts.positives
    pred_bg = size - pred_fg
    bg_fg = fg - fg_fg
    bg_bg = pred_bg - bg_fg
    mean_pred = pred_fg / size
    mean_gt = fg / size
    pred_pos, pred_neg = 1 - mean_pred, 0 - mean_pred
    gt_pos, gt_neg = 1 - mean_gt, 0 - mean_gt
    total = 0
    for part, a, b in ((fg_fg, pred_pos, gt_pos), (fg_bg, pred_pos, gt_neg),
                       (bg_fg, pred_neg, gt_pos), (bg_bg, pred_neg, gt_neg)):
        align = 2 * (a * b) / (a**2 + b**2 + EPS)
        total = total + (align + 1) ** 2 / 4 * part
    total = np.where(fg == 0, pred_bg, np.where(fg == size, pred_fg, total))
    return total / (size - 1 + EPS)


def emeasure_curve(pred, gt, *, levels: str = "uint8", strict: bool = False,
                   batch: bool = False) -> np.ndarray:
    """Per-image E-measure at thresholds t/255, t = 0..255 (ascending), (N, 256).

    ``levels="uint8"`` and ``>=``: PySODMetrics. ``levels="matlab", strict=True``: Fan's
    main.m (``sal > t`` on the float map).
    """
    pred, gt = prepare(pred, gt, batch=batch)
    check_emeasure_size(gt.shape)
    return emeasure_from_counts(threshold_counts(pred, gt, levels=levels, strict=strict))


def adaptive_emeasure(pred, gt, *, strict: bool = False, batch: bool = False) -> np.ndarray:
    """Per-image E-measure at ``min(2 mean(pred), 1)`` (``adpE``); ``strict`` uses ``>`` (Fan)."""
    pred, gt = prepare(pred, gt, batch=batch)
    check_emeasure_size(gt.shape)
    return emeasure_from_counts(
        binary_counts(pred, gt, adaptive_threshold(pred), strict=strict)
    )
