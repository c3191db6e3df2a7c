"""Ground-truth masks with what the metrics derive from them alone, computed once.

The weighted F-measure needs a Euclidean distance transform of every GT mask, the costliest
step of a whole evaluation, and the S-measure needs the GT centroid. Neither depends on the
prediction, so when several methods are scored on one dataset (``sodbench eval``), a
:class:`GroundTruth` made once per GT batch serves them all::

    ground = evaluator.prepare(gt_batch, batch=True)
    for evaluator, pred_batch in methods:
        evaluator.update(pred_batch, ground, batch=True)

The distance transforms are made lazily, per image, the first time wF asks for them
(on the Evaluator's worker threads when it has some: ``scipy.ndimage`` releases the GIL);
likewise HCE's GT skeleton, kept as the flat indices of its pixels (a thin set).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics import _wfmeasure, validate
from sodbench.metrics.conventions import DEFAULT_CONVENTIONS, get_conventions

__all__ = ["GroundTruth", "centroids"]

_NOT_YET = object()


class GroundTruth:
    """A batch of GT maps (N x H x W with ``batch=True``, or one H x W map) binarised under
    ``conventions``.

    Parameters
    ----------
    gt : array_like
        uint8, uint16, bool or float in [0, 1] (the rules of ``Evaluator.update``).
    conventions : str or sodbench.metrics.conventions.Conventions
        Fixes the binarisation threshold and the S-measure centroid rounding; an Evaluator
        accepts a GroundTruth made under conventions with the same two choices.
    batch : bool
        True: a 3-D ``gt`` is an N x H x W batch (a 3-D array is refused without it).
    allow_emptied_gt : bool
        Accept (and score as all background) a GT image with non-zero pixels that the
        threshold empties, e.g. a uint8 {0, 128} mask; refused by default.
    """

    def __init__(self, gt, conventions=DEFAULT_CONVENTIONS, *, batch: bool = False,
                 allow_emptied_gt: bool = False):
        self.conventions = get_conventions(conventions)
        self.gt = validate.as_batch(gt, "ground truth", batch=batch)
        self.mask = validate.binarize_gt(self.gt, self.conventions.gt_threshold, batch=True,
                                       allow_emptied_gt=allow_emptied_gt)
        self._splits = None
        self._slots = [_Slot() for _ in range(len(self.mask))]

    @classmethod
    def concatenate(cls, items: list[GroundTruth]) -> GroundTruth:
        """One batch of several same-size GroundTruths; contexts made by either are shared."""
        first = items[0]
        if any(not item.compatible(first.conventions) for item in items):
            raise ValueError("cannot concatenate GT prepared under different conventions")
        joined = cls.__new__(cls)
        joined.conventions = first.conventions
        joined.gt = np.concatenate([item.gt for item in items])
        joined.mask = np.concatenate([item.mask for item in items])
        joined._splits = None
        joined._slots = [slot for item in items for slot in item._slots]
        return joined

    def __len__(self) -> int:
        return len(self.mask)

    def emptied(self) -> dict[int, str]:
        """Images whose GT has non-zero pixels but an empty mask (kept by
        ``allow_emptied_gt=True``): index -> what is wrong with the mask and how to fix it."""
        threshold = self.conventions.gt_threshold
        return {int(index): validate.emptied_gt_problem(self.gt[index], threshold)
                for index in validate.emptied_images(self.gt, self.mask)}

    def compatible(self, conventions) -> bool:
        """True if this GT was prepared under the GT rules ``conventions`` uses."""
        return (self.conventions.gt_threshold, self.conventions.centroid) == (
            conventions.gt_threshold, conventions.centroid)

    def splits(self) -> tuple[np.ndarray, np.ndarray]:
        """S_region.m's 1-based (row, column) split points per image (0 for empty/full GT)."""
        if self._splits is None:
            self._splits = centroids(self.mask, self.conventions.centroid)
        return self._splits

    def contexts(self, start: int, stop: int) -> list:
        """wF contexts (``context`` of the wF family) of images start..stop-1,
        each made on first request (thread-safe: two threads may both make one, same value)."""
        out = []
        for index in range(start, stop):
            slot = self._slots[index]
            if slot.value is _NOT_YET:
                slot.value = _wfmeasure.context(self.mask[index])
            out.append(slot.value)
        return out

    def skeleton(self, index: int) -> np.ndarray:
        """Flat indices (into the H x W image) of the pixels of
        ``skimage.morphology.skeletonize`` of GT image ``index`` (HCE's skeleton, Zhang-Suen),
        made on first request (thread-safe as :meth:`contexts`).

        >>> from skimage.morphology import skeletonize
        >>> mask = np.pad(np.ones((3, 5), bool), 1)
        >>> np.array_equal(GroundTruth(mask).skeleton(0), np.flatnonzero(skeletonize(mask)))
        True
        """
        from skimage.morphology import skeletonize  # 0.5 s to import: only HCE needs it

        slot = self._slots[index]
        if slot.skeleton is _NOT_YET:
            slot.skeleton = np.flatnonzero(skeletonize(self.mask[index]))
        return slot.skeleton


class _Slot:
    """One image's wF context (not yet made, or the context: None for an empty GT) and HCE
    skeleton (not yet made, or its flat indices)."""

    __slots__ = ("skeleton", "value")

    def __init__(self):
        self.value = _NOT_YET
        self.skeleton = _NOT_YET


def centroids(gt: np.ndarray, centroid: str) -> tuple[np.ndarray, np.ndarray]:
    """1-based (row, column) split points of Fan's S_region.m, per image; (0, 0) for an empty
    or full GT, which has no region term (every pixel then falls in the last quadrant)."""
    count = _row_counts(gt).sum(axis=1)
    mixed = (count != 0) & (count != gt[0].size)
    rows, cols = np.zeros(len(gt), int), np.zeros(len(gt), int)
    if mixed.any():
        rows[mixed], cols[mixed] = _centroids(gt[mixed], centroid)
    return rows, cols


def _row_counts(gt: np.ndarray) -> np.ndarray:
    """GT pixels per row, (N, H) int64 (summing the bytes: twice as fast as ``sum`` on bool)."""
    return np.add.reduce(gt.view(np.uint8), axis=2, dtype=np.int64)


def _centroids(gt: np.ndarray, centroid: str) -> tuple[np.ndarray, np.ndarray]:
    """1-based (row, column) split points X, Y of Fan's S_region.m, per image."""
    row_counts = _row_counts(gt)
    count = row_counts.sum(axis=1)
    rows = row_counts @ np.arange(gt.shape[1])
    cols = np.add.reduce(gt.view(np.uint8), axis=1, dtype=np.int64) @ np.arange(gt.shape[2])
    mean_row, mean_col = rows / count, cols / count
    if centroid == "half_even":
        return np.round(mean_row).astype(int) + 1, np.round(mean_col).astype(int) + 1
    if centroid == "half_away":
        return (np.floor(mean_row + 1 + 0.5).astype(int),
                np.floor(mean_col + 1 + 0.5).astype(int))
    raise ValueError(f"centroid must be 'half_even' or 'half_away', not {centroid!r}")
