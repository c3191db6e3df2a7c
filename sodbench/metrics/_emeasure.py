"""E-measure (Fan et al., "Enhanced-alignment measure for binary foreground map evaluation",
IJCAI 2018), in the closed form of PySODMetrics 1.6.2 ``Emeasure`` (sod_metrics.py,
``cal_em_with_threshold`` / ``cal_em_with_cumsumhistogram``): for a binary map the enhanced
alignment matrix takes only four values, so its sum follows from TP, FP, FN and TN.

Statistics: the confusion counts (:class:`~sodbench.metrics.counts.Counts`), which the
F-measure family shares unless the conventions binarise with ``>`` (Fan's main.m).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import Counts
from sodbench.metrics.keys import curve_key
from sodbench.metrics.validate import EPS, check_emeasure_size

__all__ = ["CURVES", "adaptive_emeasure", "emeasure_curve", "emeasure_from_counts", "evaluate"]

CURVES = ("E",)


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
    data = Batch.of(pred, gt, batch=batch)
    check_emeasure_size(data.pred.shape)
    return emeasure_from_counts(data.threshold_counts("raw", levels=levels, strict=strict))


def adaptive_emeasure(pred, gt, *, strict: bool = False, batch: bool = False) -> np.ndarray:
    """Per-image E-measure at ``min(2 mean(pred), 1)`` (``adpE``); ``strict`` uses ``>`` (Fan)."""
    data = Batch.of(pred, gt, batch=batch)
    check_emeasure_size(data.pred.shape)
    return emeasure_from_counts(data.adaptive_counts("raw", strict=strict))


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The ``"E"`` curve and ``adpE`` if asked for in ``keys``, on the min-max map, binarised
    as ``conventions`` says (``>=``, or ``>`` with ``emeasure_strict``)."""
    strict = conventions.emeasure_strict
    out = {}
    if curve_key("E") in keys:
        counts = batch.threshold_counts("normalised", levels=conventions.curve_levels,
                                        strict=strict)
        out[curve_key("E")] = emeasure_from_counts(counts)
    if "adpE" in keys:
        out["adpE"] = emeasure_from_counts(batch.adaptive_counts("normalised", strict=strict))
    return out
