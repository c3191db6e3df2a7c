"""A validated batch of pairs, and everything the metrics derive from it, made once.

Every metric family reads its inputs from a :class:`Batch`: the maps (raw ``im2double`` or
min-max), the confusion counts at 256 thresholds or at the adaptive threshold, the GT's
S-measure split points and wF contexts. Each is made on first request and kept, so the
families of one evaluation share them (the counts of F, IoU, Dice and E are one pass).

Two backends give these quantities, chosen by the prediction's dtype:

- the histogram backend (:mod:`sodbench.metrics.histogram`) for uint8 and bool maps: one
  joint histogram per image by (S-measure quadrant, GT label, level), with each level's value
  computed by the same float operations as each pixel's;
- the per-pixel backend (:mod:`sodbench.metrics.counts`, the maps themselves) for the others.

Both return the same types (:class:`~sodbench.metrics.counts.Counts`, float64 maps), so each
family computes its metric from them in one place. They agree to 1e-12
(tests/metrics/test_levels.py); only the order of summation differs.
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics import counts as pixels
from sodbench.metrics import histogram, validate
from sodbench.metrics.conventions import DEFAULT_CONVENTIONS
from sodbench.metrics.groundtruth import GroundTruth

__all__ = ["Batch", "MAPS"]

#: The two maps a metric can score: ``"raw"`` (``im2double``) or ``"normalised"`` (min-max).
MAPS = ("raw", "normalised")


class Batch:
    """N prediction/GT pairs of one size, validated, with their derived quantities cached.

    Parameters
    ----------
    pred : numpy.ndarray, (N, H, W)
        A map :func:`~sodbench.metrics.validate.check_map` accepted (uint8, uint16, bool, float).
    ground : GroundTruth
        The GT of these N images (or of more, with ``start``).
    start : int
        Index of the first of these images in ``ground`` (its cached GT quantities are shared).
    images : numpy.ndarray, (N, H, W, 3) uint8, optional
        The RGB images, for the metrics that read them (``CCM``).
    """

    def __init__(self, pred: np.ndarray, ground: GroundTruth, start: int = 0,
                 images: np.ndarray | None = None):
        self.pred = pred
        self.images = images
        self.ground = ground
        self.start, self.stop = start, start + len(pred)
        self.mask = ground.mask[self.start:self.stop]
        self.has_levels = histogram.has_levels(pred)
        self._cache: dict = {}

    @classmethod
    def of(cls, pred, gt, *, batch: bool = False, conventions=None, image=None) -> Batch:
        """Validate one pair (or an N x H x W batch with ``batch=True``) for a metric function.

        ``pred`` must be a map in [0, 1] (or uint8/uint16/bool), ``gt`` a mask; see
        docs/metrics.md, "Input rules".
        """
        pred = validate.as_batch(pred, "prediction", batch=batch)
        validate.check_map(pred, "prediction")
        if not isinstance(gt, GroundTruth):
            gt = GroundTruth(gt, conventions or DEFAULT_CONVENTIONS, batch=batch)
        validate.check_pair(pred, gt.mask)
        images = validate.check_images(image, pred.shape, batch=batch, needed=False)
        return cls(pred, gt, images=images)

    def __len__(self) -> int:
        return len(self.pred)

    @property
    def size(self) -> int:
        """Pixels per image."""
        return self.pred[0].size

    def _cached(self, key, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def splits(self) -> tuple[np.ndarray, np.ndarray]:
        """The S-measure's 1-based (row, column) split points of these images."""
        rows, cols = self.ground.splits()
        return rows[self.start:self.stop], cols[self.start:self.stop]

    def contexts(self) -> list:
        """The wF contexts of these images (:func:`sodbench.metrics.wfmeasure.context`)."""
        return self.ground.contexts(self.start, self.stop)

    @property
    def hist(self) -> np.ndarray:
        """Histogram backend: pixel counts per (image, quadrant, GT label, level)."""
        return self._cached("hist", lambda: histogram.histogram(self.pred, self.mask,
                                                                *self.splits))

    @property
    def tables(self) -> histogram.Tables:
        """Histogram backend: the raw and min-max value of each level, per image."""
        return self._cached("tables", lambda: histogram.tables(self.hist, self.pred.dtype))

    def table(self, choice: str) -> np.ndarray:
        return getattr(self.tables, _check_choice(choice))

    def map(self, choice: str) -> np.ndarray:
        """The ``"raw"`` or ``"normalised"`` maps, N x H x W float64 (the same values from
        either backend: gathered from the level tables, or converted pixel by pixel)."""
        return self._cached(("map", _check_choice(choice)), lambda: self._make_map(choice))

    def _make_map(self, choice: str) -> np.ndarray:
        if self.has_levels:
            return histogram.gather(self.table(choice), self.pred)
        if choice == "raw":
            return validate.to_double(self.pred)
        return validate.minmax(self.map("raw"))

    def image(self, choice: str, index: int) -> np.ndarray:
        """One image's map, without touching the cache (safe on a worker thread)."""
        if ("map", choice) in self._cache or not self.has_levels:
            return self.map(choice)[index]
        return self.table(choice)[index].take(self.pred[index])

    def image_mean(self, choice: str) -> np.ndarray:
        """Per-image mean of the map."""
        if self.has_levels:
            return histogram.image_mean(self.hist, self.table(choice))
        return validate.image_mean(self.map(choice))

    def threshold_counts(self, choice: str, *, levels: str = "uint8",
                         strict: bool = False) -> pixels.Counts:
        """Counts at the 256 curve thresholds (N x 256 each, ascending).

        ``levels``: ``"uint8"`` (PySODMetrics' truncated levels, ``>=``) or ``"matlab"``
        (Fan's float thresholds; ``strict`` compares with ``>``).
        """
        def make():
            if self.has_levels:
                return histogram.threshold_counts(self.hist, self.table(choice), levels=levels,
                                                  strict=strict)
            return pixels.threshold_counts(self.map(choice), self.mask, levels=levels,
                                           strict=strict)
        return self._cached(("curve", choice, levels, strict), make)

    def adaptive_threshold(self, choice: str) -> np.ndarray:
        """``min(2 mean(P), 1)`` per image (PySODMetrics ``get_adaptive_threshold``)."""
        def make():
            if self.has_levels:
                return histogram.adaptive_threshold(
                    self.hist, self.table(choice),
                    lambda images: validate.image_mean(self.map(choice)[images]))
            return pixels.adaptive_threshold(self.map(choice))
        return self._cached(("adaptive", choice), make)

    def binary_counts(self, choice: str, threshold, *, strict: bool = False) -> pixels.Counts:
        """Counts of ``P >= threshold`` (``>`` if ``strict``), one threshold per image or one."""
        if self.has_levels:
            return histogram.binary_counts(self.hist, self.table(choice), threshold,
                                           strict=strict)
        return pixels.binary_counts(self.map(choice), self.mask, threshold, strict=strict)

    def adaptive_counts(self, choice: str, *, strict: bool = False) -> pixels.Counts:
        """Counts at the adaptive threshold (the ``adp*`` keys)."""
        return self._cached(("adaptive counts", choice, strict), lambda: self.binary_counts(
            choice, self.adaptive_threshold(choice), strict=strict))


def _check_choice(choice: str) -> str:
    if choice not in MAPS:
        raise ValueError(f"map must be one of {MAPS}, not {choice!r}")
    return choice
