"""The stateful accumulator on top of :mod:`sodbench.metrics`: ``update`` / ``compute``.

State is per-image scalars (one list per metric) and running sums of the per-image 256-point
curves, so memory does not grow with image size. Curves are averaged per threshold and
``max*``/``mean*`` are taken on the mean curve (spec sec. 2), as PySODMetrics and Fan's toolbox do.
"""

from __future__ import annotations

import os
import weakref
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator.groundtruth import GroundTruth
from sodbench.metrics import histogram as levels
from sodbench.metrics import pfom, wfmeasure
from sodbench.metrics import validate as _input
from sodbench.metrics.conventions import DEFAULT_CONVENTIONS, get_conventions
from sodbench.metrics.counts import adaptive_threshold, binary_counts, divide, threshold_counts
from sodbench.metrics.emeasure import emeasure_from_counts
from sodbench.metrics.fmeasure import (
    dice_from_counts,
    fmeasure_from_counts,
    iou_from_counts,
    precision,
    recall,
)
from sodbench.metrics.iou import _soft_iou
from sodbench.metrics.keys import METRIC_KEYS
from sodbench.metrics.mae import _mae
from sodbench.metrics.overlap import overlap_ratio
from sodbench.metrics.smeasure import _smeasure
from sodbench.metrics.validate import image_mean
from sodbench.metrics.wfmeasure import _weighted_fmeasure

#: Metrics with one value per image (``per_image`` columns), in table order.
PER_IMAGE_KEYS = ("MAE", "Sm", "wF", "adpF", "adpE", "adpIoU", "adpDice", "IoU", "OR", "PFOM")
CURVE_NAMES = ("precision", "recall", "F", "E", "IoU", "Dice")
_FROM_CURVES = {
    "maxF": ("F", np.max), "meanF": ("F", np.mean), "maxE": ("E", np.max),
    "meanE": ("E", np.mean), "maxIoU": ("IoU", np.max), "meanIoU": ("IoU", np.mean),
    "maxDice": ("Dice", np.max), "meanDice": ("Dice", np.mean),
}
#: The metrics read from the mean curves: a metric set without any of them stores no curves.
CURVE_METRICS = tuple(_FROM_CURVES)
_ADAPTIVE = ("adpF", "adpE", "adpIoU", "adpDice")
#: Images are scored in chunks of about this many pixels, so temporaries stay in cache. Kept
#: at 1 MiB of float64: with larger temporaries glibc hands memory back and forth to the OS,
#: and the page faults (450 per 200 x 200 pair at 1 << 18) cost more than the arithmetic.
CHUNK_PIXELS = 1 << 17
#: uint8/bool chunks: the histogram path keeps few temporaries, and per-chunk work (a few
#: dozen small NumPy calls) is amortised over more images.
LEVEL_CHUNK_PIXELS = 1 << 20
#: With threads, pixels of the images whose wF may still be in flight (each holds its map and
#: GT) before ``update`` waits for the oldest: 16 Mpx, 128 MiB of float64 maps.
MAX_PENDING_PIXELS = 1 << 24


class Evaluator:
    """Accumulate SOD metrics over prediction/GT pairs under one set of metric conventions.

    Parameters
    ----------
    conventions : str or sodbench.metrics.conventions.Conventions
        ``"pysodmetrics"`` (default), ``"minet-tii2024"`` or ``"matlab"``.
    metrics : iterable of str, optional
        Subset of :data:`sodbench.folders.results.METRIC_KEYS` (default: all).
    threads : int, optional
        Threads for the wF distance transforms, which run beside the other metrics
        (default: every core this process may use; 1 computes everything in the caller's
        thread). The results do not depend on it.
    allow_emptied_gt : bool
        Score a GT image with non-zero pixels that the GT threshold empties (a uint8 {0, 128}
        mask, a uint16 {0, 255} one) as all background instead of refusing it.

    Examples
    --------
    >>> evaluator = Evaluator()
    >>> evaluator.update(pred_u8, gt_u8)                    # one H x W pair
    >>> evaluator.update(preds_u8, gts_u8, batch=True)      # N x H x W
    >>> scores = evaluator.compute()                        # {"MAE": ..., "curves": {...}}
    """

    def __init__(self, conventions=DEFAULT_CONVENTIONS, metrics=None, threads=None, *,
                 allow_emptied_gt: bool = False):
        self.conventions = get_conventions(conventions)
        self.allow_emptied_gt = bool(allow_emptied_gt)
        self.metrics = _select(metrics)
        self.threads = _threads(threads)
        self._names: list[str] = []
        self._scalars = {key: [] for key in PER_IMAGE_KEYS if key in self.metrics}
        curve_names = CURVE_NAMES if self._wants_curves else ()
        self._curve_sums = {name: np.zeros(256) for name in curve_names}
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()
        self._pending_pixels = 0
        self._unsettled = False

    @property
    def n_images(self) -> int:
        return len(self._names)

    @property
    def _wants_curves(self) -> bool:
        return any(key in self.metrics for key in _FROM_CURVES)

    def prepare(self, gt, *, batch: bool = False) -> GroundTruth:
        """``gt`` binarised, with its wF distance transforms made once for many ``update`` calls
        (several methods scored on one dataset); see :mod:`sodbench.evaluator.groundtruth`."""
        return GroundTruth(gt, self.conventions, batch=batch, allow_emptied_gt=self.allow_emptied_gt)

    def update(self, pred, gt, *, names=None, batch: bool = False) -> None:
        """Add one H x W pair, or an N x H x W batch with ``batch=True`` (input rules:
        docs/metrics.md, "Input rules").

        A 3-D array without ``batch=True`` is refused: an H x W x 3 colour image has three axes
        too, and would be scored as H images. ``gt`` is a map (batch) or a
        :class:`~sodbench.evaluator.groundtruth.GroundTruth` from :meth:`prepare`. uint8 and bool
        predictions are scored from per-image histograms (:mod:`sodbench.metrics.histogram`),
        other dtypes pixel by pixel; both give the same numbers.
        """
        pred = _input.as_batch(pred, "prediction", batch=batch)
        _input.check_map(pred, "prediction")
        if not isinstance(gt, GroundTruth):
            gt = self.prepare(gt, batch=batch)
        elif not gt.compatible(self.conventions):
            raise SodbenchError(
                f"ground truth was prepared under conventions {gt.conventions.name!r}, whose GT "
                f"threshold or centroid rule differs from {self.conventions.name!r}"
            )
        _input.check_pair(pred, gt.mask)
        if any(key in self.metrics for key in ("maxE", "meanE", "adpE")):
            _input.check_emeasure_size(pred.shape)
        names = self._new_names(names, len(pred))
        limit = LEVEL_CHUNK_PIXELS if levels.has_levels(pred) else CHUNK_PIXELS
        step = max(1, limit // pred[0].size)
        chunks = [(start, min(start + step, len(pred))) for start in range(0, len(pred), step)]
        executor = self._executor() if "wF" in self._scalars and self.threads > 1 else None
        self._update_chunks(pred, gt, chunks, executor)
        self._names.extend(names)

    def _executor(self) -> ThreadPoolExecutor:
        """The worker threads of wF, made on first use and shut down with the evaluator."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="sodbench-wF")
            weakref.finalize(self, self._pool.shutdown, wait=False)
        return self._pool

    def _settle(self) -> None:
        """Replace the wF Futures of the worker threads by their scores (waiting if needed)."""
        if self._unsettled:
            self._scalars["wF"] = [value.result() if isinstance(value, Future) else value
                                   for value in self._scalars["wF"]]
            self._pending.clear()
            self._pending_pixels = 0
            self._unsettled = False

    def _update_chunks(self, pred, gt: GroundTruth, chunks, executor) -> None:
        # scores are gathered first and stored after the last chunk, so an error in any
        # chunk leaves the evaluator as it was
        scalars = {key: [] for key in self._scalars}
        curve_sums = {name: np.zeros(256) for name in self._curve_sums}
        futures = []
        for start, stop in chunks:
            if levels.has_levels(pred):
                scores, curves = self._score_levels(pred[start:stop], gt, start, stop, executor)
            else:
                scores, curves = self._score_floats(pred[start:stop], gt, start, stop, executor)
            for key, values in scores.items():
                if key not in scalars:  # the adaptive four come together
                    continue
                if executor is not None and key == "wF":  # Futures, settled when read
                    scalars[key].extend(values)
                    futures.extend(values)
                else:
                    scalars[key].extend(np.asarray(values, dtype=np.float64).tolist())
            for name, values in curves.items():
                curve_sums[name] += values.sum(axis=0)
        for key, values in scalars.items():
            self._scalars[key].extend(values)
        for name, total in curve_sums.items():
            self._curve_sums[name] += total
        if futures:
            self._unsettled = True
            self._pending.extend((future, pred[0].size) for future in futures)
            self._pending_pixels += len(futures) * pred[0].size
        # bounded memory: at most MAX_PENDING_PIXELS wait for their wF (with their maps)
        while self._pending and self._pending_pixels > MAX_PENDING_PIXELS:
            future, pixels = self._pending.popleft()
            future.result()
            self._pending_pixels -= pixels

    def _new_names(self, names, count: int) -> list[str]:
        if names is None:
            return [str(index) for index in range(self.n_images, self.n_images + count)]
        if isinstance(names, (str, bytes)):  # one string would give one name per character
            raise SodbenchError(f"names={names!r}: pass a list of {count} names, one per image")
        names = [str(name) for name in names]
        if len(names) != count:
            raise SodbenchError(f"got {len(names)} names for {count} images")
        return names

    def _score_levels(self, pred, gt: GroundTruth, start: int, stop: int, executor):
        """Scores of a uint8/bool chunk from its histograms (sodbench.metrics.histogram)."""
        conventions, wanted = self.conventions, self._scalars
        mask = gt.mask[start:stop]
        split_rows, split_cols = (split[start:stop] for split in gt.splits())
        hist = levels.histogram(pred, mask, split_rows, split_cols)
        tables = levels.tables(hist, pred.dtype)
        maps = _Maps(pred, tables)
        table = {"raw": tables.raw, "normalised": tables.normalised}
        scores = {}
        if "MAE" in wanted:
            scores["MAE"] = levels.mae(hist, table[conventions.mae_map])
        if "Sm" in wanted:
            choice = conventions.smeasure_map

            def block_mean(image, quadrant):
                row, col = split_rows[image], split_cols[image]
                rows = slice(None, row) if quadrant < 2 else slice(row, None)
                cols = slice(None, col) if quadrant % 2 == 0 else slice(col, None)
                return np.mean(maps.get(choice)[image][rows, cols])

            scores["Sm"] = levels.smeasure(
                hist, table[choice], pred.shape[1:], split_rows, split_cols, block_mean,
                clamp=conventions.smeasure_clamp,
            )
        if any(key in wanted for key in _ADAPTIVE):
            threshold = levels.adaptive_threshold(
                hist, tables.normalised, lambda images: image_mean(maps.normalised[images])
            )
            counts = levels.binary_counts(hist, tables.normalised, threshold)
            e_counts = (levels.binary_counts(hist, tables.normalised, threshold, strict=True)
                        if conventions.emeasure_strict else counts)
            scores.update(_adaptive(counts, e_counts))
        if "IoU" in wanted:
            intersection, total = levels.soft_iou_sums(hist, tables.raw)
            scores["IoU"] = divide(intersection, total - intersection)
        scores.update(self._map_scores(maps, gt, start, stop, executor))
        curves = {}
        if self._wants_curves:
            counts = levels.threshold_counts(hist, tables.normalised, levels=conventions.curve_levels)
            e_counts = (levels.threshold_counts(hist, tables.normalised,
                                                levels=conventions.curve_levels, strict=True)
                        if conventions.emeasure_strict else counts)
            curves = _curves(counts, e_counts)
        return scores, curves

    def _score_floats(self, pred, gt: GroundTruth, start: int, stop: int, executor):
        """Scores of a float/uint16 chunk, pixel by pixel."""
        conventions, wanted = self.conventions, self._scalars
        mask = gt.mask[start:stop]
        maps = _Maps(pred)
        scores = {}
        if "MAE" in wanted:
            scores["MAE"] = _mae(maps.get(conventions.mae_map), mask)
        if "Sm" in wanted:
            scores["Sm"] = _smeasure(maps.get(conventions.smeasure_map), mask,
                                     centroid=conventions.centroid, clamp=conventions.smeasure_clamp)
        if any(key in wanted for key in _ADAPTIVE):
            threshold = adaptive_threshold(maps.normalised)
            counts = binary_counts(maps.normalised, mask, threshold)
            e_counts = (binary_counts(maps.normalised, mask, threshold, strict=True)
                        if conventions.emeasure_strict else counts)
            scores.update(_adaptive(counts, e_counts))
        if "IoU" in wanted:
            scores["IoU"] = _soft_iou(maps.raw, mask)
        scores.update(self._map_scores(maps, gt, start, stop, executor))
        curves = {}
        if self._wants_curves:
            levels_ = conventions.curve_levels
            counts = threshold_counts(maps.normalised, mask, levels=levels_)
            e_counts = (threshold_counts(maps.normalised, mask, levels=levels_, strict=True)
                        if conventions.emeasure_strict else counts)
            curves = _curves(counts, e_counts)
        return scores, curves

    def _map_scores(self, maps: _Maps, gt: GroundTruth, start: int, stop: int,
                    executor) -> dict:
        """The metrics scored on the maps themselves in both paths: wF, OR, PFOM.

        With an ``executor``, wF is one Future per image: its map, distance transform and
        score are made on a worker thread (``scipy.ndimage`` releases the GIL there).
        """
        conventions, wanted = self.conventions, self._scalars
        scores = {}
        if "wF" in wanted:
            choice = conventions.wfmeasure_map
            if executor is None:
                scores["wF"] = _weighted_fmeasure(maps.get(choice), gt.mask[start:stop],
                                                  contexts=gt.contexts(start, stop))
            else:
                maps.get(choice) if maps.per_pixel else None  # made here, read by the workers
                scores["wF"] = [executor.submit(_wf_task, gt, start + i, maps, choice, i)
                                for i in range(stop - start)]
        if "OR" in wanted:
            scores["OR"] = overlap_ratio(maps.raw, gt.gt[start:stop], batch=True)
        if "PFOM" in wanted:
            options = pfom.MINET_TII2024_OPTIONS if conventions.pfom_variant == "minet-tii2024" else {}
            scores["PFOM"] = pfom.pfom(maps.normalised, gt.mask[start:stop], batch=True,
                                       **options)
        return scores

    def compute(self) -> dict:
        """Dataset scores: the selected scalar keys as floats, plus ``"curves"`` (mean curves)."""
        if self.n_images == 0:
            raise SodbenchError("no images were evaluated: call update() before compute()")
        self._settle()
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

        self._settle()
        columns = {"name": list(self._names)}
        columns.update({key: list(values) for key, values in self._scalars.items()})
        return pd.DataFrame(columns)

    def merge(self, other: Evaluator) -> None:
        """Add ``other``'s pairs after this one's (same conventions and metrics required)."""
        if not isinstance(other, Evaluator):
            raise SodbenchError(f"merge() takes an Evaluator, got {type(other).__name__}")
        if other.conventions != self.conventions:
            raise SodbenchError(f"cannot merge evaluators with different conventions "
                                f"({self.conventions.name} vs {other.conventions.name})")
        if other.metrics != self.metrics:
            raise SodbenchError(f"cannot merge evaluators with different metrics "
                                f"({','.join(self.metrics)} vs {','.join(other.metrics)})")
        if other is self:
            raise SodbenchError("cannot merge an evaluator into itself (it would count every "
                                "image twice)")
        self._settle()
        other._settle()
        self._names.extend(other._names)
        for key, values in other._scalars.items():
            self._scalars[key].extend(values)
        for name, total in other._curve_sums.items():
            self._curve_sums[name] = self._curve_sums[name] + total

    def state(self) -> dict:
        """Everything accumulated so far as plain lists (JSON-safe; floats round-trip exactly)."""
        self._settle()
        return {
            "conventions": self.conventions.name, "metrics": list(self.metrics),
            "names": list(self._names),
            "scalars": {key: list(values) for key, values in self._scalars.items()},
            "curve_sums": {name: total.tolist() for name, total in self._curve_sums.items()},
        }

    @classmethod
    def from_state(cls, state: dict, *, threads=None) -> Evaluator:
        """The evaluator :meth:`state` described (same conventions, metrics and accumulated pairs).

        A damaged ``state`` (a missing key, a list of another length than ``names``, a curve
        sum that is not 256 finite numbers, ...) raises a one-line :class:`SodbenchError`
        instead of giving an evaluator whose numbers are wrong.
        """
        if not isinstance(state, Mapping) or not {"conventions", "metrics", "names", "scalars",
                                                   "curve_sums"} <= set(state):
            raise SodbenchError("evaluator state must be a dict with conventions, metrics, names, "
                                "scalars and curve_sums, as Evaluator.state() returns")
        if not isinstance(state["metrics"], (list, tuple)):
            raise SodbenchError("evaluator state: metrics must be a list of metric keys")
        evaluator = cls(conventions=state["conventions"], metrics=state["metrics"], threads=threads)
        scalars, curve_sums, names = state["scalars"], state["curve_sums"], state["names"]
        if (not isinstance(scalars, Mapping) or not isinstance(curve_sums, Mapping)
                or set(scalars) != set(evaluator._scalars)
                or set(curve_sums) != set(evaluator._curve_sums)):
            raise SodbenchError("evaluator state does not match its conventions and metrics")
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise SodbenchError("evaluator state: names must be a list of strings")
        restored = {key: _state_numbers(values, f"scalars[{key!r}]", len(names))
                    for key, values in scalars.items()}
        sums = {name: _state_numbers(values, f"curve_sums[{name!r}]", 256)
                for name, values in curve_sums.items()}
        evaluator._names = list(names)
        evaluator._scalars = {key: values.tolist() for key, values in restored.items()}
        evaluator._curve_sums = sums
        return evaluator

    def __getstate__(self) -> dict:
        self._settle()
        state = self.__dict__.copy()
        state.update(_pool=None, _pending=deque(), _pending_pixels=0, _unsettled=False)
        return state

    def __repr__(self) -> str:
        return f"Evaluator(conventions={self.conventions.name!r}, n_images={self.n_images})"


def _wf_task(gt: GroundTruth, index: int, maps: _Maps, choice: str, position: int) -> float:
    """wF of one image on a worker thread: its map, its GT's context, its score."""
    [context] = gt.contexts(index, index + 1)
    return 0.0 if context is None else wfmeasure.score(maps.image(choice, position), context)


class _Maps:
    """The raw (``im2double``) and min-max maps of a chunk, made when first asked for.

    From a uint8/bool chunk and its level tables they are gathered from the tables (the same
    float values as the per-pixel conversion); otherwise converted pixel by pixel.
    """

    def __init__(self, pred, tables: levels.Tables | None = None):
        self._pred, self._tables = pred, tables
        self._made: dict[str, np.ndarray] = {}

    @property
    def per_pixel(self) -> bool:
        return self._tables is None

    def get(self, choice: str) -> np.ndarray:
        """The chunk's ``"raw"`` or ``"normalised"`` map (N x H x W float64)."""
        if choice not in self._made:
            if self._tables is not None:
                self._made[choice] = levels.gather(getattr(self._tables, choice), self._pred)
            elif choice == "raw":
                self._made[choice] = _input.to_double(self._pred)
            else:
                self._made[choice] = _input.minmax(self.get("raw"))
        return self._made[choice]

    def image(self, choice: str, index: int) -> np.ndarray:
        """One image's map, made without touching the chunk's cached maps (thread-safe)."""
        if self._tables is None:
            return self.get(choice)[index]
        return getattr(self._tables, choice)[index].take(self._pred[index])

    raw = property(lambda self: self.get("raw"))
    normalised = property(lambda self: self.get("normalised"))


def _adaptive(counts, e_counts) -> dict[str, np.ndarray]:
    return {
        "adpF": fmeasure_from_counts(counts), "adpE": emeasure_from_counts(e_counts),
        "adpIoU": iou_from_counts(counts), "adpDice": dice_from_counts(counts),
    }


def _curves(counts, e_counts) -> dict[str, np.ndarray]:
    return {
        "precision": precision(counts), "recall": recall(counts),
        "F": fmeasure_from_counts(counts), "E": emeasure_from_counts(e_counts),
        "IoU": iou_from_counts(counts), "Dice": dice_from_counts(counts),
    }


def _state_numbers(values, what: str, length: int) -> np.ndarray:
    """``values`` of a state as float64, refused unless ``length`` finite real numbers
    (a per-image score or a curve sum is never NaN: a damaged state would average it in)."""
    if not isinstance(values, (list, tuple)) or len(values) != length or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise SodbenchError(f"evaluator state: {what} must be a list of {length} numbers")
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise SodbenchError(f"evaluator state: {what} holds NaN or inf")
    return array


def _threads(threads) -> int:
    if threads is None:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:
            return os.cpu_count() or 1
    try:
        count = int(threads)
    except (TypeError, ValueError):
        raise SodbenchError(f"threads={threads!r}: must be a whole number") from None
    if count < 1:
        raise SodbenchError(f"threads={threads}: must be at least 1")
    return count


def _select(metrics) -> tuple[str, ...]:
    if metrics is None:
        return METRIC_KEYS
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        metrics = list(metrics)
    except TypeError:
        raise SodbenchError(f"metrics={metrics!r}: pass a list of metric keys, e.g. "
                            "['MAE', 'Sm']") from None
    if not metrics:  # an empty selection would compute nothing, not everything
        raise SodbenchError("metrics is empty: name at least one metric key, or pass None "
                            "for all")
    unknown = [key for key in metrics if key not in METRIC_KEYS]
    if unknown:
        raise SodbenchError(
            f"unknown metric {', '.join(map(repr, unknown))}: choose from {', '.join(METRIC_KEYS)}"
        )
    return tuple(key for key in METRIC_KEYS if key in set(metrics))
