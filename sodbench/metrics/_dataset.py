"""Dataset-wide scores from pooled counts: ``odsF``, ``odsT``, ``oisF``, ``AP``, ``AUC``.

Every key is made from confusion counts summed over the dataset, so no image weighs more than
its pixels (a per-image mean gives a 9 x 13 image the weight of a 200 x 200 one).

- ``odsF`` (BSDS "optimal dataset scale", Martin et al., TPAMI 2004; Arbelaez et al., TPAMI
  2011): TP, predicted positives and GT foreground of every threshold summed over the
  dataset, F (beta^2 = 0.3) of each threshold from the pooled precision and recall, the
  maximum over the 256 thresholds; ``odsT`` is the threshold t/255 of that maximum.
- ``oisF`` ("optimal image scale"): each image's counts at its own best-F threshold, summed
  over the dataset, and F of the sums (BSDS ``collect_eval_bdry``'s OIS, without its
  interpolation between thresholds).
- ``AP``: area under the pooled precision-recall curve, step-wise as scikit-learn's
  ``average_precision_score``: ``sum_n (R_n - R_{n-1}) P_n`` over descending thresholds.
- ``AUC``: area under the pooled ROC curve (FPR, TPR) by the trapezoid rule from (0, 0) to
  (1, 1), as scikit-learn's ``roc_auc_score``.

Statistics: the batch's counts at the 256 curve thresholds of the conventions (the same as the
F curve's: PySODMetrics' truncated uint8 levels of the min-max map, or Fan's float thresholds
under ``matlab``). Docs: docs/metrics/dataset.md.
"""

from __future__ import annotations

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.metrics._fmeasure import fmeasure_from_counts
from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import LEVELS, Counts, divide
from sodbench.metrics.keys import total_key

__all__ = ["TOTALS", "best_threshold_rows", "curve_rows", "dataset_scores", "evaluate",
           "from_totals"]

#: Per-image parts of the sums (the Evaluator adds them over the dataset):
#:
#: - ``"curve counts"``: rows TP, predicted positives (TP + FP), GT foreground and pixels, each
#:   at the 256 thresholds in ascending order (the last two constant along the row);
#: - ``"ois counts"``: TP, predicted positives and GT foreground at the image's best-F
#:   threshold.
TOTALS = {"curve counts": (4, LEVELS), "ois counts": (3,)}
_CURVE_KEYS = ("odsF", "odsT", "AP", "AUC")


def curve_rows(counts: Counts) -> np.ndarray:
    """(N, 4, 256) float64: TP, TP + FP, |G| and pixels per threshold (``"curve counts"``)."""
    tp = np.asarray(counts.tp, dtype=np.float64)
    return np.stack([tp, np.asarray(counts.positives, dtype=np.float64),
                     np.broadcast_to(counts.fg, tp.shape).astype(np.float64),
                     np.full(tp.shape, counts.size, dtype=np.float64)], axis=1)


def best_threshold_rows(counts: Counts) -> np.ndarray:
    """(N, 3) float64: TP, TP + FP and |G| at each image's best-F threshold (``"ois counts"``).

    Ties go to the lowest threshold (``argmax`` in ascending order); an image whose F is 0 at
    every threshold (empty GT, or no overlap) gives its counts at threshold 0.
    """
    best = np.argmax(fmeasure_from_counts(counts), axis=1)
    rows = np.arange(len(best))
    fg = np.broadcast_to(counts.fg, np.shape(counts.tp))
    return np.stack([np.asarray(counts.tp)[rows, best], np.asarray(counts.positives)[rows, best],
                     fg[rows, best]], axis=1).astype(np.float64)


def dataset_scores(pred, gt, *, batch: bool = False, levels: str = "uint8") -> dict[str, float]:
    """``odsF``, ``odsT``, ``oisF``, ``AP`` and ``AUC`` of the images given, pooled over them.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Maps in [0, 1] (uint8 is divided by 255), scored as given: the Evaluator min-max
        normalises each map first, so pass min-max maps to get its numbers.
    gt : array_like, same shape
        Ground truth masks.
    batch : bool
        True: a 3-D array is an N x H x W batch (see docs/metrics.md, "Input rules").
    levels : {"uint8", "matlab"}
        The 256 thresholds: PySODMetrics' ``trunc(255 P) >= t`` or Fan's float ``P >= t``.

    Raises
    ------
    SodbenchError
        If the GT has no foreground pixel (AP, AUC undefined) or no background pixel (AUC).

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([[[0.9, 0.6], [0.2, 0.0]], [[0.8, 0.1], [0.7, 0.3]]])
    >>> gt = np.array([[[1, 1], [0, 0]], [[1, 0], [0, 0]]], bool)
    >>> {key: round(value, 4) for key, value in dataset_scores(pred, gt, batch=True).items()}
    {'odsF': 0.8966, 'odsT': 0.702, 'oisF': 1.0, 'AP': 0.9167, 'AUC': 0.9333}
    """
    counts = Batch.of(pred, gt, batch=batch).threshold_counts("raw", levels=levels)
    totals = {"curve counts": curve_rows(counts).sum(axis=0),
              "ois counts": best_threshold_rows(counts).sum(axis=0)}
    return {key: from_totals(key, totals) for key in ("odsF", "odsT", "oisF", "AP", "AUC")}


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The per-image parts of the totals of :data:`TOTALS` asked for in ``keys``, from the
    counts at the conventions' curve thresholds of the min-max map."""
    wanted = [name for name in TOTALS if total_key(name) in keys]
    if not wanted:
        return {}
    counts = batch.threshold_counts("normalised", levels=conventions.curve_levels)
    make = {"curve counts": curve_rows, "ois counts": best_threshold_rows}
    return {total_key(name): make[name](counts) for name in wanted}


def from_totals(key: str, totals: dict) -> float:
    """The key from the dataset's summed counts (:data:`TOTALS`)."""
    if key == "oisF":
        tp, positives, fg = np.asarray(totals["ois counts"], dtype=np.float64)
        return float(fmeasure_from_counts(Counts(tp, positives, fg, 0)))
    if key not in _CURVE_KEYS:
        raise ValueError(f"{key!r} is not a key of the dataset family")
    tp, positives, fg, size = np.asarray(totals["curve counts"], dtype=np.float64)
    if key in ("odsF", "odsT"):
        f = fmeasure_from_counts(Counts(tp, positives, fg, size))
        best = int(np.argmax(f))  # the lowest threshold among ties
        return float(f[best]) if key == "odsF" else best / (LEVELS - 1)
    _require(key, fg[0] > 0, "the ground truth has no foreground pixel")
    if key == "AP":
        recall = (tp / fg)[::-1]  # descending thresholds: recall grows
        steps = np.diff(recall, prepend=0.0)
        return float(np.sum(steps * divide(tp, positives)[::-1]))
    _require(key, size[0] > fg[0], "the ground truth has no background pixel")
    tpr = np.concatenate([[0.0], (tp / fg)[::-1], [1.0]])
    fpr = np.concatenate([[0.0], ((positives - tp) / (size - fg))[::-1], [1.0]])
    return float(np.trapezoid(tpr, fpr))


def _require(key: str, condition, why: str) -> None:
    if not condition:
        raise SodbenchError(f"{key} is undefined on this dataset: {why}; leave {key} out of "
                            f"the metrics")
