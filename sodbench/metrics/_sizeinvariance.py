"""Size-invariant metrics: siMAE and the per-object confusion metrics (si*F, si*IoU, ...).

Li et al., "Size-invariance Matters: Rethinking Metrics and Losses for Imbalanced
Multi-object Salient Object Detection", ICML 2024. Implementation matched: PySODMetrics 1.6.2
``py_sod_metrics/size_invariance.py`` (``parse_connected_components``,
``encode_bboxwise_tgts_bitwise``, ``get_kth_bit``, ``SizeInvarianceFmeasureV2``,
``SizeInvarianceMAE``), reduced per image as its ``examples/metric_recorder.py``
(``TargetwiseGrayscaleMetricRecorderV2``, sample-based) does; docs/metrics/sizeinvariance.md.

Targets: the 4-connected components of the GT with at least 50 pixels (all the largest ones if
none is that big), each scored inside its bounding box M_k: the map ``P * M_k`` against
``G & M_k``, over the whole image. An empty GT is one target, the whole image.

- ``siMAE``: ``sum_k |P - G|_{M_k} / |M_k|`` plus the background (outside every box) weighted
  by its area ratio, divided by ``K + ratio``;
- ``simaxX`` (``siminX`` for FPR and BER), ``simeanX``: mean over targets of the max (min) and
  of the mean of the target's 256-point curve of handler X;
- ``siadpX``: mean over targets of X at ``P * M_k >= min(2 mean(P * M_k), 1)``;
- ``sibinX``: mean over targets of X at ``P * M_k > 0.5``.

Statistics: one histogram per target box by (GT label, map level), counted on the box alone;
the pixels outside the box are at level 0 of the masked map, so they are added to bin 0 of the
background without being visited (PySODMetrics makes K full-image copies).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from sodbench.errors import SodbenchError
from sodbench.metrics._confusion import BINARY_THRESHOLD, HANDLERS
from sodbench.metrics.batch import Batch
from sodbench.metrics.counts import Counts, counts_from_bins, curve_bins
from sodbench.metrics.keys import KEYS
from sodbench.metrics.validate import binarize_gt

__all__ = [
    "AREA_THRESHOLD", "TargetCounts", "evaluate", "size_invariant_curves", "size_invariant_mae",
    "size_invariant_scores", "target_boxes", "target_counts",
]

#: Smallest component (pixels) that is a target of its own (``parse_connected_components``).
AREA_THRESHOLD = 50
#: Relative distance of an occupied level to twice the box mean below which the adaptive
#: threshold is recomputed with ``np.mean`` on the masked map (the sums differ by ~1e-16).
_TIE_TOLERANCE = 1e-9
_STATISTICS = {"max": np.max, "min": np.min, "mean": np.mean}
#: Per-image key -> (statistic, handler suffix), as keys.py names them.
_PARTS = {f"si{prefix}{suffix}": (prefix, suffix) for suffix in HANDLERS
          for prefix in (*_STATISTICS, "adp", "bin") if f"si{prefix}{suffix}" in KEYS}


class TargetCounts(NamedTuple):
    """One image's confusion counts per target (K targets; ``None`` where not computed)."""

    boxes: np.ndarray
    """The K target boxes (:func:`target_boxes`; the whole image when the GT has none)."""
    curve: Counts | None
    """At the 256 thresholds, (K, 256) each, ascending."""
    adaptive: Counts | None
    """At each target's adaptive threshold, (K,)."""
    binary: Counts | None
    """At ``P > 0.5``, (K,)."""
    mae: float | None
    """The image's siMAE."""


def target_boxes(gt) -> np.ndarray:
    """Bounding boxes of the targets of one GT, (K, 4) int64: top, bottom, left, right
    (half-open, ``mask[top:bottom, left:right]``), in label order.

    Targets are the 4-connected components with at least :data:`AREA_THRESHOLD` pixels, or,
    if none is that big, every component of the largest area (PySODMetrics
    ``parse_connected_components``). An empty GT has none (K = 0).

    Parameters
    ----------
    gt : array_like, (H, W)
        Ground truth (bool, or binarised by ``gt > 128`` on 0..255).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool)
    >>> gt[1:9, 1:9] = gt[10:19, 12:19] = gt[0, 19] = True   # 64, 63 and 1 pixel
    >>> target_boxes(gt)
    array([[ 1,  9,  1,  9],
           [10, 19, 12, 19]])
    """
    return _boxes(binarize_gt(gt)[0])


def _boxes(mask: np.ndarray) -> np.ndarray:
    if not mask.any():
        return np.zeros((0, 4), np.int64)
    from skimage import measure  # imported on first use: a slow import for one function

    labels = measure.label(mask, connectivity=1, background=0)
    areas = np.bincount(labels.ravel())[1:]
    chosen = np.flatnonzero(areas >= AREA_THRESHOLD)
    if not len(chosen):
        chosen = np.flatnonzero(areas == areas.max())
    slices = ndimage.find_objects(labels)
    return np.array([(slices[i][0].start, slices[i][0].stop, slices[i][1].start,
                      slices[i][1].stop) for i in chosen], np.int64)


def size_invariant_mae(pred, gt, *, batch: bool = False) -> np.ndarray:
    """Per-image size-invariant MAE (PySODMetrics ``SizeInvarianceMAE``).

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (uint8 is divided by 255; no min-max, which the Evaluator applies).
    gt : array_like, same shape
        Ground truth (bool, or binarised by ``gt > 128`` on 0..255).
    batch : bool
        True: a 3-D array is an N x H x W batch (docs/metrics.md, "Input rules").

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool); gt[1:9, 1:9] = gt[10:19, 10:19] = True
    >>> pred = np.where(gt, 1.0, 0.0); pred[1:9, 1:9] = 0   # misses the smaller object
    >>> float(np.abs(pred - gt).mean()), size_invariant_mae(pred, gt).round(4)
    (0.16, array([0.2661]))
    """
    return _score(Batch.of(pred, gt, batch=batch), "raw", ["siMAE"])["siMAE"]


def size_invariant_scores(pred, gt, handler: str = "F", *,
                          batch: bool = False) -> dict[str, np.ndarray]:
    """Per-image ``simaxX`` (``siminX`` for FPR, BER), ``simeanX``, ``siadpX``, ``sibinX`` of
    one confusion handler X, each (N,).

    Parameters
    ----------
    pred, gt, batch
        As in :func:`size_invariant_mae` (the map as given, no min-max).
    handler : str
        ``"F"``, ``"IoU"``, ``"Dice"``, ``"Pre"``, ``"Rec"``, ``"Spec"``, ``"FPR"``, ``"BER"``,
        ``"OA"`` or ``"Kappa"`` (:data:`sodbench.metrics._confusion.HANDLERS`).

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool); gt[1:9, 1:9] = gt[10:19, 10:19] = True
    >>> pred = np.where(gt, 1.0, 0.0); pred[1:9, 1:9] = 0
    >>> scores = size_invariant_scores(pred, gt)
    >>> list(scores)
    ['simaxF', 'simeanF', 'siadpF', 'sibinF']

    The missed object's best threshold is 0, where every pixel of the image is positive
    (F = 1.3 * 0.16 / (0.3 * 0.16 + 1) = 0.1985); the found one scores 1:

    >>> scores["simaxF"].round(4), scores["sibinF"]
    (array([0.5992]), array([0.5]))
    """
    names = [name for name, (_, suffix) in _PARTS.items() if suffix == _check_handler(handler)]
    return _score(Batch.of(pred, gt, batch=batch), "raw", names)


def size_invariant_curves(pred, gt, handler: str = "F", *, batch: bool = False) -> list:
    """Per image, the curve of ``handler`` for each target: a list of N arrays (K_i, 256),
    thresholds t/255 ascending (PySODMetrics ``SizeInvarianceFmeasureV2`` dynamic results,
    which are in descending order).

    Parameters as in :func:`size_invariant_scores`.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool); gt[1:9, 1:9] = gt[10:19, 10:19] = True
    >>> pred = np.where(gt, 1.0, 0.0); pred[1:9, 1:9] = 0
    >>> (curves,) = size_invariant_curves(pred, gt, "Rec")
    >>> curves.shape, curves[:, [0, 1, 255]]
    ((2, 256), array([[1., 0., 0.],
           [1., 1., 1.]]))
    """
    function = HANDLERS[_check_handler(handler)]
    pairs = Batch.of(pred, gt, batch=batch)
    return [function(target_counts(pairs, "raw", index, curve=True).curve)
            for index in range(len(pairs))]


def _check_handler(handler: str) -> str:
    if handler not in HANDLERS:
        raise SodbenchError(f"unknown handler {handler!r}: choose one of {', '.join(HANDLERS)}")
    return handler


def target_counts(batch: Batch, choice: str, index: int, *, curve: bool = False,
                  adaptive: bool = False, binary: bool = False, mae: bool = False,
                  curve_levels: str = "uint8") -> TargetCounts:
    """The per-target counts (and siMAE) of image ``index`` of ``batch`` on its ``choice``
    map (``"raw"`` or ``"normalised"``); only the parts asked for are computed.

    One histogram by (GT label, level) per target box; ``curve_levels`` as in
    :func:`sodbench.metrics.counts.threshold_counts`.
    """
    mask = batch.mask[index]
    size = mask.size
    boxes = _boxes(mask)
    whole = len(boxes) == 0
    if whole:  # no target: the whole image is one (SizeInvarianceFmeasureV2.step)
        boxes = np.array([[0, mask.shape[0], 0, mask.shape[1]]])
    levels, table = _levels(batch, choice, index)
    n_levels = len(table)
    key = levels.astype(np.intp)
    np.add(key, n_levels, out=key, where=mask)
    hist = np.stack([np.bincount(key[top:bottom, left:right].ravel(), minlength=2 * n_levels)
                     for top, bottom, left, right in boxes]).reshape(len(boxes), 2, n_levels)
    areas = (boxes[:, 1] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 2])
    outside = size - areas  # pixels of P * M_k = 0 outside the box, all GT background
    fg = hist[:, 1].sum(axis=-1)
    by_level = hist.sum(axis=1)
    curve_counts = adaptive_counts = binary_counts = mae_value = None
    if curve:
        curve_counts = _curve_counts(hist, table, outside, fg, size, curve_levels)
    if adaptive:
        doubled = 2 * ((by_level @ table) / size)
        ties = _near_ties(by_level, table, doubled)
        for k in ties:
            top, bottom, left, right = boxes[k]
            box = np.zeros(mask.shape, bool)
            box[top:bottom, left:right] = True
            doubled[k] = 2 * (batch.image(choice, index) * box).mean()
        threshold = np.minimum(doubled, 1)
        positive = table >= threshold[:, None]
        adaptive_counts = Counts((hist[:, 1] * positive).sum(axis=-1),
                                 (by_level * positive).sum(axis=-1)
                                 + np.where(threshold <= 0, outside, 0), fg, size)
    if binary:
        positive = table > BINARY_THRESHOLD
        binary_counts = Counts((hist[:, 1] * positive).sum(axis=-1),
                               (by_level * positive).sum(axis=-1), fg, size)
    if mae:
        errors = hist[:, 0] @ table + hist[:, 1] @ (1 - table)
        mae_value = (float(errors[0] / size) if whole
                     else _mae(errors, areas, boxes, key, table, size))
    return TargetCounts(boxes, curve_counts, adaptive_counts, binary_counts, mae_value)


def _levels(batch: Batch, choice: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's level (an index into the table) and the table of level values."""
    if batch.has_levels:
        return batch.pred[index], batch.table(choice)[index]
    table, inverse = np.unique(batch.image(choice, index), return_inverse=True)
    return inverse.reshape(batch.mask[index].shape), table


def _curve_counts(hist, table, outside, fg, size, curve_levels) -> Counts:
    """Counts at 256 thresholds per target: each level's curve bin, plus the outside pixels
    at the bin of value 0 (background label)."""
    n_targets, _, n_levels = hist.shape
    width = 256 + 1
    key = curve_bins(table, levels=curve_levels)[None, :] + (
        width * np.arange(2 * n_targets))[:, None]
    binned = np.bincount(key.ravel(), weights=hist.reshape(-1, n_levels).ravel(),
                         minlength=2 * n_targets * width)
    binned = binned.reshape(n_targets, 2, width).astype(np.int64)
    binned[:, 0, curve_bins(np.zeros(1), levels=curve_levels)[0]] += outside
    return counts_from_bins(binned, fg, size)


def _near_ties(by_level, table, doubled) -> np.ndarray:
    """Targets where an occupied level (or the clamp at 1) lies within the tolerance of
    twice the mean: there the reference's pairwise sum decides the comparison."""
    tolerance = _TIE_TOLERANCE * np.maximum(doubled, np.finfo(float).tiny)
    near = (by_level > 0) & (np.abs(table - doubled[:, None]) <= tolerance[:, None])
    return np.flatnonzero(near.any(axis=1) | (np.abs(doubled - 1) <= tolerance))


def _mae(errors, areas, boxes, key, table, size) -> float:
    """``SizeInvarianceMAE``: the background outside every box weighted by its area ratio
    ``r = |bg| / (n - |bg|)``, each target box by 1, over ``K + r``. Boxes that cover the
    image leave no background: its term is 0 (the reference divides 0 by 0, NaN)."""
    cover = np.zeros(key.shape, bool)
    for top, bottom, left, right in boxes:
        cover[top:bottom, left:right] = True
    background = np.bincount(key[~cover], minlength=2 * len(table)).reshape(2, -1)
    bg_area = int(background.sum())
    if bg_area:
        ratio = bg_area / (size - bg_area)
        factor = 1 / (len(boxes) + ratio)
        bg_error = background[0] @ table + background[1] @ (1 - table)
        value = ratio * bg_error / bg_area * factor
    else:
        factor, value = 1 / len(boxes), 0.0
    for error, area in zip(errors, areas, strict=True):
        value += error / area * factor
    return float(value)


def _score(batch: Batch, choice: str, names, curve_levels: str = "uint8"
           ) -> dict[str, np.ndarray]:
    """Per-image values of the keys ``names`` (``siMAE`` and those of :data:`_PARTS`): the
    targets of every image are stacked, each handler runs once, and its values are averaged
    per image."""
    prefixes = {_PARTS[name][0] for name in names if name in _PARTS}
    parts = [target_counts(batch, choice, index, curve_levels=curve_levels,
                           curve=bool(prefixes & set(_STATISTICS)),
                           adaptive="adp" in prefixes, binary="bin" in prefixes,
                           mae="siMAE" in names)
             for index in range(len(batch))]
    out = {}
    if "siMAE" in names:
        out["siMAE"] = np.array([part.mae for part in parts])
    stacked = {field: _stack([getattr(part, field) for part in parts])
               for field in ("curve", "adaptive", "binary") if getattr(parts[0], field) is not None}
    owner = np.repeat(np.arange(len(parts)), [len(part.boxes) for part in parts])
    per_target = np.bincount(owner, minlength=len(parts))
    curves = {}
    for name in names:
        if name == "siMAE":
            continue
        prefix, suffix = _PARTS[name]
        if prefix in _STATISTICS:
            if suffix not in curves:
                curves[suffix] = HANDLERS[suffix](stacked["curve"])
            values = _STATISTICS[prefix](curves[suffix], axis=1)
        else:
            values = HANDLERS[suffix](stacked["adaptive" if prefix == "adp" else "binary"])
        out[name] = np.bincount(owner, weights=values, minlength=len(parts)) / per_target
    return out


def _stack(counts: list) -> Counts:
    """The targets of several images (of one size) as one :class:`Counts`."""
    return Counts(*(np.concatenate([getattr(item, field) for item in counts])
                    for field in ("tp", "positives", "fg")), counts[0].size)


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """The size-invariant keys asked for in ``keys``, per image, on the min-max map
    (PySODMetrics normalises the prediction before every metric); the curves follow
    ``conventions.curve_levels``."""
    names = [name for name, key in KEYS.items()
             if key.family == "sizeinvariance" and name in keys]
    if not names:
        return {}
    return _score(batch, "normalised", names, conventions.curve_levels)
