"""The stateful accumulator on top of :mod:`sodbench.metrics`: ``update`` / ``compute``.

State is per-image scalars (one list per metric) and running sums of the per-image 256-point
curves, so memory does not grow with image size. Curves are averaged per threshold and
``max*``/``mean*`` are taken on the mean curve (spec sec. 2), as PySODMetrics and Fan's toolbox do.
"""

from __future__ import annotations

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.metrics import _input, pfom
from sodbench.metrics.counts import adaptive_threshold, binary_counts, threshold_counts
from sodbench.metrics.emeasure import emeasure_from_counts
from sodbench.metrics.fmeasure import (
    dice_from_counts,
    fmeasure_from_counts,
    iou_from_counts,
    precision,
    recall,
)
from sodbench.metrics.iou import _soft_iou
from sodbench.metrics.mae import _mae
from sodbench.metrics.overlap import overlap_ratio
from sodbench.metrics.smeasure import _smeasure
from sodbench.metrics.wfmeasure import _weighted_fmeasure
from sodbench.profiles import DEFAULT_PROFILE, get_profile
from sodbench.results import METRIC_KEYS

#: Metrics with one value per image (``per_image`` columns), in table order.
PER_IMAGE_KEYS = ("MAE", "Sm", "wF", "adpF", "adpE", "adpIoU", "adpDice", "IoU", "OR", "PFOM")
CURVE_NAMES = ("precision", "recall", "F", "E", "IoU", "Dice")
_FROM_CURVES = {
    "maxF": ("F", np.max), "meanF": ("F", np.mean), "maxE": ("E", np.max),
    "meanE": ("E", np.mean), "maxIoU": ("IoU", np.max), "meanIoU": ("IoU", np.mean),
    "maxDice": ("Dice", np.max), "meanDice": ("Dice", np.mean),
}
_ADAPTIVE = ("adpF", "adpE", "adpIoU", "adpDice")
#: Images are scored in chunks of about this many pixels, so temporaries stay in cache. Kept
#: at 1 MiB of float64: with larger temporaries glibc hands memory back and forth to the OS,
#: and the page faults (450 per 200 x 200 pair at 1 << 18) cost more than the arithmetic.
CHUNK_PIXELS = 1 << 17


class Evaluator:
    """Accumulate SOD metrics over prediction/GT pairs under one profile.

    Parameters
    ----------
    profile : str or sodbench.profiles.Profile
        ``"pysodmetrics"`` (default), ``"minet-tii2024"`` or ``"matlab"``.
    metrics : iterable of str, optional
        Subset of :data:`sodbench.results.METRIC_KEYS` (default: all).

    Examples
    --------
    >>> evaluator = Evaluator()
    >>> evaluator.update(pred_u8, gt_u8)            # H x W or N x H x W
    >>> scores = evaluator.compute()                # {"MAE": ..., "curves": {...}}
    """

    def __init__(self, profile=DEFAULT_PROFILE, metrics=None):
        self.profile = get_profile(profile)
        self.metrics = _select(metrics)
        self._names: list[str] = []
        self._scalars = {key: [] for key in PER_IMAGE_KEYS if key in self.metrics}
        curve_names = CURVE_NAMES if self._wants_curves else ()
        self._curve_sums = {name: np.zeros(256) for name in curve_names}

    @property
    def n_images(self) -> int:
        return len(self._names)

    @property
    def _wants_curves(self) -> bool:
        return any(key in self.metrics for key in _FROM_CURVES)

    def update(self, pred, gt, *, names=None) -> None:
        """Add one H x W pair or an N x H x W batch (input rules: docs/metrics.md, "Input")."""
        pred = _input.as_batch(pred, "prediction")
        _input.check_map(pred, "prediction")
        mask = _input.binarize_gt(gt, self.profile.gt_threshold)
        _input.check_pair(pred, mask)
        names = self._new_names(names, len(pred))
        gt = _input.as_batch(gt, "ground truth")
        step = max(1, CHUNK_PIXELS // pred[0].size)
        for start in range(0, len(pred), step):
            chunk = slice(start, start + step)
            # converted per chunk: a float64 copy of the whole batch is the same page-fault
            # cost as an oversized chunk
            self._update_chunk(_input.to_double(pred[chunk]), mask[chunk], gt[chunk])
        self._names.extend(names)

    def _update_chunk(self, raw, mask, gt) -> None:
        normalised = _input.minmax(raw)
        for key, values in self._scores(raw, normalised, mask, gt).items():
            self._scalars[key].extend(np.asarray(values, dtype=np.float64).tolist())
        if self._wants_curves:
            for name, curves in self._curves(normalised, mask).items():
                self._curve_sums[name] += curves.sum(axis=0)

    def _new_names(self, names, count: int) -> list[str]:
        if names is None:
            return [str(index) for index in range(self.n_images, self.n_images + count)]
        names = [str(name) for name in names]
        if len(names) != count:
            raise SodbenchError(f"got {len(names)} names for {count} images")
        return names

    def _map(self, choice: str, raw, normalised):
        return raw if choice == "raw" else normalised

    def _scores(self, raw, normalised, mask, gt) -> dict[str, np.ndarray]:
        profile, wanted = self.profile, self._scalars
        scores = {}
        if "MAE" in wanted:
            scores["MAE"] = _mae(self._map(profile.mae_map, raw, normalised), mask)
        if "Sm" in wanted:
            scores["Sm"] = _smeasure(
                self._map(profile.smeasure_map, raw, normalised), mask,
                centroid=profile.centroid, clamp=profile.smeasure_clamp,
            )
        if "wF" in wanted:
            wf_map = self._map(profile.wfmeasure_map, raw, normalised)
            scores["wF"] = _weighted_fmeasure(wf_map, mask)
        if any(key in wanted for key in _ADAPTIVE):
            scores.update(self._adaptive(normalised, mask))
        if "IoU" in wanted:
            scores["IoU"] = _soft_iou(raw, mask)
        if "OR" in wanted:
            scores["OR"] = overlap_ratio(raw, _input.im2double(gt, "ground truth"))
        if "PFOM" in wanted:
            options = pfom.MINET_TII2024_OPTIONS if profile.pfom_variant == "minet-tii2024" else {}
            scores["PFOM"] = pfom.pfom(normalised, mask, **options)
        return {key: value for key, value in scores.items() if key in wanted}

    def _adaptive(self, normalised, mask) -> dict[str, np.ndarray]:
        threshold = adaptive_threshold(normalised)
        counts = binary_counts(normalised, mask, threshold)
        strict = self.profile.emeasure_strict
        e_counts = binary_counts(normalised, mask, threshold, strict=True) if strict else counts
        return {
            "adpF": fmeasure_from_counts(counts), "adpE": emeasure_from_counts(e_counts),
            "adpIoU": iou_from_counts(counts), "adpDice": dice_from_counts(counts),
        }

    def _curves(self, normalised, mask) -> dict[str, np.ndarray]:
        levels = self.profile.curve_levels
        counts = threshold_counts(normalised, mask, levels=levels)
        if self.profile.emeasure_strict:
            e_counts = threshold_counts(normalised, mask, levels=levels, strict=True)
        else:
            e_counts = counts
        return {
            "precision": precision(counts), "recall": recall(counts),
            "F": fmeasure_from_counts(counts), "E": emeasure_from_counts(e_counts),
            "IoU": iou_from_counts(counts), "Dice": dice_from_counts(counts),
        }

    def compute(self) -> dict:
        """Dataset scores: the selected scalar keys as floats, plus ``"curves"`` (mean curves)."""
        if self.n_images == 0:
            raise SodbenchError("no images were evaluated: call update() before compute()")
        curves = {name: total / self.n_images for name, total in self._curve_sums.items()}
        results = {}
        for key in self.metrics:
            if key in self._scalars:
                results[key] = float(np.mean(np.array(self._scalars[key], dtype=np.float64)))
            else:
                curve, statistic = _FROM_CURVES[key]
                results[key] = float(statistic(curves[curve]))
        results["curves"] = curves
        return results

    def per_image(self):
        """One row per pair: ``name`` then the per-image scores (pandas DataFrame)."""
        import pandas as pd

        columns = {"name": list(self._names)}
        columns.update({key: list(values) for key, values in self._scalars.items()})
        return pd.DataFrame(columns)

    def merge(self, other: Evaluator) -> None:
        """Add ``other``'s pairs after this one's (same profile and metrics required)."""
        if other.profile != self.profile or other.metrics != self.metrics:
            raise SodbenchError(
                f"cannot merge evaluators with different profiles or metrics "
                f"({self.profile.name} vs {other.profile.name})"
            )
        self._names.extend(other._names)
        for key, values in other._scalars.items():
            self._scalars[key].extend(values)
        for name, total in other._curve_sums.items():
            self._curve_sums[name] = self._curve_sums[name] + total

    def __repr__(self) -> str:
        return f"Evaluator(profile={self.profile.name!r}, n_images={self.n_images})"


def _select(metrics) -> tuple[str, ...]:
    if metrics is None:
        return METRIC_KEYS
    if isinstance(metrics, str):
        metrics = [metrics]
    unknown = [key for key in metrics if key not in METRIC_KEYS]
    if unknown:
        raise SodbenchError(
            f"unknown metric {', '.join(map(repr, unknown))}: choose from {', '.join(METRIC_KEYS)}"
        )
    return tuple(key for key in METRIC_KEYS if key in set(metrics))
