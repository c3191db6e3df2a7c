"""Small updates kept back and scored together, so that a per-image loop runs at batch speed.

Users port PySODMetrics loops as ``for pred, gt in pairs: evaluator.update(pred, gt)``. Each
call validates its pair at once (a bad pair is refused where it is given), but is scored only
when enough pairs of its size and dtype have come to fill one chunk of the metric engine: the
per-call cost of several dozen NumPy calls is then shared by the chunk's images. Every image's
values do not depend on the images scored beside it, and the curve sums are still added one
update at a time, so the numbers are those of scoring each call on its own (tests/test_golden.py).
"""

from __future__ import annotations

import numpy as np

from sodbench.metrics.groundtruth import GroundTruth

__all__ = ["Buffer"]


class Buffer:
    """Pairs of one size and dtype waiting to be scored, with each update's image count."""

    def __init__(self):
        self._preds: list[np.ndarray] = []
        self._grounds: list[GroundTruth] = []
        self._images: list[np.ndarray | None] = []

    def __len__(self) -> int:
        """Images waiting."""
        return sum(len(pred) for pred in self._preds)

    def accepts(self, pred: np.ndarray) -> bool:
        """True if ``pred`` can be scored in one batch with the waiting pairs."""
        if not self._preds:
            return True
        first = self._preds[0]
        return pred.shape[1:] == first.shape[1:] and pred.dtype == first.dtype

    def add(self, pred: np.ndarray, ground: GroundTruth, images: np.ndarray | None = None) -> None:
        """Keep one update (``images``: its RGB images, or None)."""
        self._preds.append(pred)
        self._grounds.append(ground)
        self._images.append(images)

    def take(self) -> tuple[np.ndarray, GroundTruth, np.ndarray | None, list[tuple[int, int]]]:
        """The waiting pairs as one batch, their RGB images (None unless every update had
        them), each update's (start, stop) in it; empties the buffer."""
        sizes = [len(pred) for pred in self._preds]
        stops = np.cumsum(sizes).tolist()
        updates = [(stop - size, stop) for size, stop in zip(sizes, stops, strict=True)]
        pred = self._preds[0] if len(self._preds) == 1 else np.concatenate(self._preds)
        ground = (self._grounds[0] if len(self._grounds) == 1
                  else GroundTruth.concatenate(self._grounds))
        images = (None if any(image is None for image in self._images)
                  else np.concatenate(self._images))
        self._preds, self._grounds, self._images = [], [], []
        return pred, ground, images, updates
