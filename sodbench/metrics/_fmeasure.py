"""Precision, recall, F-measure, IoU and Dice of binarised maps (from :mod:`counts`).

F-measure: Achanta et al., "Frequency-tuned salient region detection", CVPR 2009, with
beta^2 = 0.3. Formulas and zero-denominator rules follow PySODMetrics 1.6.2 ``FmeasureV2``
handlers (py_sod_metrics/fmeasurev2.py: ``PrecisionHandler``, ``RecallHandler``,
``FmeasureHandler``, ``IOUHandler``, ``DICEHandler``): every ratio with a zero denominator is 0.

Statistics: the confusion counts (:class:`~sodbench.metrics.counts.Counts`) at 256 thresholds
or at one, from the batch's pixels or its histogram.
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import Counts, divide
from sodbench.metrics.keys import curve_key

__all__ = [
    "CURVES", "adaptive_fmeasure", "binary_dice", "binary_iou", "dice_from_counts", "evaluate",
    "fmeasure_curves", "fmeasure_from_counts", "iou_from_counts", "precision", "recall",
]

#: The per-threshold curves of this family (the E-measure's is in :mod:`.emeasure`).
CURVES = ("precision", "recall", "F", "IoU", "Dice")
_ADAPTIVE = {"adpF": "F", "adpIoU": "IoU", "adpDice": "Dice"}


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
    return _from_counts(Batch.of(pred, gt, batch=batch).threshold_counts("raw"), CURVES,
                        beta2=beta2)


def adaptive_fmeasure(pred, gt, *, beta2: float = 0.3, batch: bool = False) -> np.ndarray:
    """Per-image F at ``pred >= min(2 mean(pred), 1)`` (``adpF``)."""
    counts = Batch.of(pred, gt, batch=batch).adaptive_counts("raw")
    return fmeasure_from_counts(counts, beta2=beta2)


def binary_iou(pred, gt, *, threshold: float = 0.5, batch: bool = False) -> np.ndarray:
    """Per-image IoU of ``pred > threshold`` (FmeasureV2's ``with_binary``, sample based)."""
    return iou_from_counts(Batch.of(pred, gt, batch=batch).binary_counts("raw", threshold,
                                                                        strict=True))


def binary_dice(pred, gt, *, threshold: float = 0.5, batch: bool = False) -> np.ndarray:
    """Per-image Dice of ``pred > threshold`` (FmeasureV2's ``with_binary``, sample based)."""
    return dice_from_counts(Batch.of(pred, gt, batch=batch).binary_counts("raw", threshold,
                                                                         strict=True))


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The curves of :data:`CURVES` and the ``adpF``/``adpIoU``/``adpDice`` asked for in ``keys``,
    on the min-max map, with the curve levels of ``conventions``."""
    out = {}
    curves = [name for name in CURVES if curve_key(name) in keys]
    if curves:
        counts = batch.threshold_counts("normalised", levels=conventions.curve_levels)
        out.update({curve_key(name): values
                    for name, values in _from_counts(counts, curves).items()})
    adaptive = [key for key in _ADAPTIVE if key in keys]
    if adaptive:
        found = _from_counts(batch.adaptive_counts("normalised"),
                             [_ADAPTIVE[key] for key in adaptive])
        out.update({key: found[_ADAPTIVE[key]] for key in adaptive})
    return out


def _from_counts(counts: Counts, names, *, beta2: float = 0.3) -> dict[str, np.ndarray]:
    make = {"precision": precision, "recall": recall, "IoU": iou_from_counts,
            "Dice": dice_from_counts,
            "F": lambda c: fmeasure_from_counts(c, beta2=beta2)}
    return {name: make[name](counts) for name in names}
