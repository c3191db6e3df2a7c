"""Precision, recall, F-measure, IoU and Dice of binarised maps (from :mod:`counts`).

F-measure: Achanta et al., "Frequency-tuned salient region detection", CVPR 2009, with
beta^2 = 0.3. Formulas and zero-denominator rules follow PySODMetrics 1.6.2 ``FmeasureV2``
handlers (py_sod_metrics/fmeasurev2.py: ``PrecisionHandler``, ``RecallHandler``,
``FmeasureHandler``, ``IOUHandler``, ``DICEHandler``): every ratio with a zero denominator is 0.
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.counts import (
    Counts,
    adaptive_threshold,
    binary_counts,
    divide,
    threshold_counts,
)
from sodbench.metrics.validate import prepare


def precision(counts: Counts) -> np.ndarray:
    """TP / (TP + FP); 0 when nothing is predicted positive."""
    return divide(counts.tp, counts.positives)


def recall(counts: Counts) -> np.ndarray:
    """TP / |G|; 0 for an empty GT."""
    return divide(counts.tp, counts.fg)


def fmeasure_from_counts(counts: Counts, *, beta2: float = 0.3) -> np.ndarray:
    """``(1 + beta2) P R / (beta2 P + R)``; 0 when P = R = 0."""
    p, r = precision(counts), recall(counts)
    return divide((beta2 + 1) * p * r, beta2 * p + r)


def iou_from_counts(counts: Counts) -> np.ndarray:
    """TP / (TP + FP + FN) (Jaccard); 0 when prediction and GT are both empty."""
    fn = counts.fg - counts.tp
    return divide(counts.tp, counts.tp + (counts.positives - counts.tp) + fn)


def dice_from_counts(counts: Counts) -> np.ndarray:
    """2 TP / (2 TP + FP + FN); 0 when prediction and GT are both empty."""
    fn = counts.fg - counts.tp
    return divide(2 * counts.tp, counts.tp + fn + counts.tp + (counts.positives - counts.tp))


def fmeasure_curves(pred, gt, *, beta2: float = 0.3, batch: bool = False) -> dict[str, np.ndarray]:
    """Per-image curves at thresholds t/255, t = 0..255 (ascending), each (N, 256).

    Keys ``precision, recall, F, IoU, Dice``; PySODMetrics' uint8 levels (``>=``). Average over
    images per threshold, then take max/mean of the mean curve (``maxF``, ``meanF``).
    """
    counts = threshold_counts(*prepare(pred, gt, batch=batch))
    return {
        "precision": precision(counts), "recall": recall(counts),
        "F": fmeasure_from_counts(counts, beta2=beta2),
        "IoU": iou_from_counts(counts), "Dice": dice_from_counts(counts),
    }


def adaptive_fmeasure(pred, gt, *, beta2: float = 0.3, batch: bool = False) -> np.ndarray:
    """Per-image F at ``pred >= min(2 mean(pred), 1)`` (``adpF``)."""
    pred, gt = prepare(pred, gt, batch=batch)
    return fmeasure_from_counts(binary_counts(pred, gt, adaptive_threshold(pred)), beta2=beta2)


def binary_iou(pred, gt, *, threshold: float = 0.5, batch: bool = False) -> np.ndarray:
    """Per-image IoU of ``pred > threshold`` (FmeasureV2's ``with_binary``, sample based)."""
    pred, gt = prepare(pred, gt, batch=batch)
    return iou_from_counts(binary_counts(pred, gt, threshold, strict=True))


def binary_dice(pred, gt, *, threshold: float = 0.5, batch: bool = False) -> np.ndarray:
    """Per-image Dice of ``pred > threshold`` (FmeasureV2's ``with_binary``, sample based)."""
    pred, gt = prepare(pred, gt, batch=batch)
    return dice_from_counts(binary_counts(pred, gt, threshold, strict=True))
