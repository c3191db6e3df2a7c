"""Per-image scores still being computed on an executor (wF, HCE, CM, CCM), with bounded
memory.

The Evaluator hands that per-image work to a ``concurrent.futures.Executor`` and stores the
Futures in its score lists; :class:`Pending` keeps track of them, so that at most
:data:`MAX_PENDING_PIXELS` pixels of maps wait for their score (each holds its map and GT),
and so that every read settles them first.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future

__all__ = ["MAX_PENDING_PIXELS", "Pending", "settled"]

#: Pixels of the images whose score may still be in flight before ``add`` waits for the oldest:
#: 16 Mpx, 128 MiB of float64 maps.
MAX_PENDING_PIXELS = 1 << 24


class Pending:
    """Futures in flight, oldest first, with the pixels each holds."""

    def __init__(self, max_pixels: int | None = None):
        self.max_pixels = MAX_PENDING_PIXELS if max_pixels is None else max_pixels
        self._futures: deque[tuple[Future, int]] = deque()
        self._pixels = 0
        self._unsettled = False

    def __bool__(self) -> bool:
        """True while score lists may hold Futures (finished or not): read them settled."""
        return self._unsettled

    def add(self, futures: list[Future], pixels: int) -> None:
        """Track ``futures`` (``pixels`` each), then wait for the oldest beyond the bound."""
        self._futures.extend((future, pixels) for future in futures)
        self._pixels += len(futures) * pixels
        self._unsettled = self._unsettled or bool(futures)
        while self._futures and self._pixels > self.max_pixels:
            future, size = self._futures.popleft()
            future.result()
            self._pixels -= size

    def clear(self) -> None:
        """Forget the Futures (after the score lists were :func:`settled`)."""
        self._futures.clear()
        self._pixels = 0
        self._unsettled = False


def settled(values: list) -> list:
    """``values`` with every Future replaced by its result (waiting if needed)."""
    return [value.result() if isinstance(value, Future) else value for value in values]
