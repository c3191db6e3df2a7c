"""The confusion-matrix family: every PySODMetrics 1.6.2 ``FmeasureV2`` handler, four ways.

Handlers (py_sod_metrics/fmeasurev2.py), each a function of TP, FP, TN, FN with every ratio
whose denominator is 0 taken as 0 (``_BaseHandler.divide``):

==========  ======================================  ====================================
key suffix  handler                                 formula
==========  ======================================  ====================================
``F``       ``FmeasureHandler`` (beta^2 = 0.3)      ``1.3 P R / (0.3 P + R)``
``IoU``     ``IOUHandler``                          ``TP / (TP + FP + FN)``
``Dice``    ``DICEHandler``                         ``2 TP / (2 TP + FP + FN)``
``Pre``     ``PrecisionHandler``                    ``TP / (TP + FP)``
``Rec``     ``RecallHandler`` (TPR, sensitivity)    ``TP / (TP + FN)``
``Spec``    ``SpecificityHandler`` (TNR)            ``TN / (TN + FP)``
``FPR``     ``FPRHandler``                          ``FP / (TN + FP)``
``BER``     ``BERHandler``                          ``1 - (TP/(TP+FN) + TN/(TN+FP)) / 2``
``OA``      ``OverallAccuracyHandler``              ``(TP + TN) / (TP + FP + TN + FN)``
``Kappa``   ``KappaHandler``                        ``(OA - p) / (1 - p)``, with
                                                    ``p = ((TP+FP)(TP+FN) + (TN+FN)(TN+TP))
                                                    / n^2`` as the reference writes it
==========  ======================================  ====================================

Four results per handler, on the min-max map:

- curve (``maxX`` / ``minX`` for FPR and BER, ``meanX``): the handler at the 256 thresholds of
  the conventions' curve levels, averaged per threshold over images;
- adaptive (``adpX``): at ``P >= min(2 mean(P), 1)``;
- binary (``binX``): at ``P > 0.5``, per image, averaged (``sample_based=True``);
- pooled (``pooledX``): TP, FP, TN, FN at ``P > 0.5`` summed over the dataset, then the
  handler (``sample_based=False``).

Statistics: the batch's confusion counts (:class:`~sodbench.metrics.counts.Counts`), shared
with the F-measure and E-measure families. The curves of F, IoU, Dice, precision and recall
come from :mod:`._fmeasure` (the same functions of the same counts).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics._fmeasure import (
    dice_from_counts,
    fmeasure_from_counts,
    iou_from_counts,
    precision,
    recall,
)
from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import Counts, divide
from sodbench.metrics.keys import CONFUSION, KEYS, curve_key, total_key

__all__ = [
    "BINARY_THRESHOLD", "CURVES", "HANDLERS", "TOTALS", "ber", "confusion_counts", "evaluate",
    "false_positive_rate", "from_totals", "kappa", "overall_accuracy", "specificity",
]

#: ``pred > 0.5`` on the min-max map: PySODMetrics' binary results ("the effect of argmax").
BINARY_THRESHOLD = 0.5
#: The curves this family adds to those of :mod:`._fmeasure`.
CURVES = ("FPR", "Spec", "BER", "OA", "Kappa")
#: The dataset-wide sums: TP, FP, TN, FN at ``P > 0.5``.
TOTALS = {"binary counts": (4,)}


def _tn(counts: Counts):
    return counts.size - counts.fg - (counts.positives - counts.tp)


def _fp(counts: Counts):
    return counts.positives - counts.tp


def specificity(counts: Counts) -> np.ndarray:
    """TN / (TN + FP); 0 for a full GT."""
    tn = _tn(counts)
    return divide(tn, tn + _fp(counts))


def false_positive_rate(counts: Counts) -> np.ndarray:
    """FP / (TN + FP); 0 for a full GT."""
    return divide(_fp(counts), _tn(counts) + _fp(counts))


def ber(counts: Counts) -> np.ndarray:
    """Balanced error rate ``1 - (TPR + TNR) / 2``, a rate with a zero denominator taken as 0
    (``BERHandler``: an empty GT's BER is ``1 - TNR / 2``)."""
    tn = _tn(counts)
    tpr = divide(counts.tp, counts.tp + (counts.fg - counts.tp))
    tnr = divide(tn, tn + _fp(counts))
    return 1 - 0.5 * (tpr + tnr)


def overall_accuracy(counts: Counts) -> np.ndarray:
    """(TP + TN) / (TP + FP + TN + FN)."""
    tn, fp, fn = _tn(counts), _fp(counts), counts.fg - counts.tp
    return divide(counts.tp + tn, counts.tp + fp + tn + fn)


def kappa(counts: Counts) -> np.ndarray:
    """Cohen's kappa as ``KappaHandler`` computes it: ``(OA - p) / (1 - p)`` with
    ``p = ((TP+FP)(TP+FN) + (TN+FN)(TN+TP)) / n^2`` (the reference's chance term; the textbook
    one has ``(TN+FN)(TN+FP)``, see docs/metrics/confusion.md)."""
    tp, tn, fp, fn = counts.tp, _tn(counts), _fp(counts), counts.fg - counts.tp
    oa = overall_accuracy(counts)
    chance = divide((tp + fp) * (tp + fn) + (tn + fn) * (tn + tp), (tp + fp + tn + fn) ** 2)
    return divide(oa - chance, 1 - chance)


#: Key suffix -> handler, a function of :class:`~sodbench.metrics.counts.Counts`.
HANDLERS = {
    "F": fmeasure_from_counts, "IoU": iou_from_counts, "Dice": dice_from_counts,
    "Pre": precision, "Rec": recall, "Spec": specificity, "FPR": false_positive_rate,
    "BER": ber, "OA": overall_accuracy, "Kappa": kappa,
}
_CURVE_HANDLER = {curve: suffix for suffix, curve in CONFUSION.items()}


def confusion_counts(pred, gt, *, threshold: float = BINARY_THRESHOLD,
                     batch: bool = False) -> np.ndarray:
    """TP, FP, TN, FN of ``pred > threshold`` per image, (N, 4) int64, on the map as given
    (uint8 is divided by 255, no min-max).

    >>> import numpy as np
    >>> confusion_counts(np.array([[0.9, 0.2], [0.7, 0.6]]), np.array([[1, 1], [0, 0]], bool))
    array([[1, 2, 0, 1]])
    """
    counts = Batch.of(pred, gt, batch=batch).binary_counts("raw", threshold, strict=True)
    return _as_rows(counts).astype(np.int64)


def _as_rows(counts: Counts) -> np.ndarray:
    """(N, 4): TP, FP, TN, FN."""
    tp = np.asarray(counts.tp)
    fg = np.broadcast_to(counts.fg, tp.shape)
    return np.stack([tp, counts.positives - tp, counts.size - fg - (counts.positives - tp),
                     fg - tp], axis=-1)


def _from_rows(rows: np.ndarray) -> Counts:
    tp, fp, tn, fn = (rows[..., index] for index in range(4))
    return Counts(tp, tp + fp, tp + fn, tp + fp + tn + fn)


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The curves of :data:`CURVES`, the ``adpX``, ``binX`` asked for in ``keys`` and the
    per-image part of the ``binary counts`` total."""
    out = {}
    curves = [name for name in CURVES if curve_key(name) in keys]
    if curves:
        counts = batch.threshold_counts("normalised", levels=conventions.curve_levels)
        out.update({curve_key(name): HANDLERS[_CURVE_HANDLER[name]](counts) for name in curves})
    adaptive = [suffix for suffix in HANDLERS
                if f"adp{suffix}" in keys and KEYS[f"adp{suffix}"].family == "confusion"]
    if adaptive:
        counts = batch.adaptive_counts("normalised")
        out.update({f"adp{suffix}": HANDLERS[suffix](counts) for suffix in adaptive})
    binary = [suffix for suffix in HANDLERS if f"bin{suffix}" in keys]
    pooled = total_key("binary counts") in keys
    if binary or pooled:
        counts = batch.binary_counts("normalised", BINARY_THRESHOLD, strict=True)
        out.update({f"bin{suffix}": HANDLERS[suffix](counts) for suffix in binary})
        if pooled:
            out[total_key("binary counts")] = _as_rows(counts).astype(np.float64)
    return out


def from_totals(key: str, totals: dict) -> float:
    """``pooledX``: the handler of the dataset's summed TP, FP, TN, FN."""
    suffix = key.removeprefix("pooled")
    return float(HANDLERS[suffix](_from_rows(np.asarray(totals["binary counts"]))))
