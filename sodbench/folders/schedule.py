"""Cutting an evaluation into units of work and running them on any executor.

The names of every GT folder are cut into chunks of ``chunk_size`` consecutive names (natural
order); one :class:`WorkUnit` is a chunk with the pairs of every method still to be scored on
it (:func:`plan`). A chunk of large images (every GT of at least
:data:`~sodbench.evaluator.SINGLE_IMAGE_PIXELS`) is cut further into pieces of at most
``unit_pixels`` pixels (one image at least), so that a few large images still spread over
every worker; the pieces of a chunk are joined in order into the chunk's result
(:func:`sodbench.folders.scoring.join`), bit for bit the result of the chunk scored whole.

:func:`run_units` runs the units on a :class:`concurrent.futures.Executor` (worker processes
by default, or any executor given: threads, a Dask cluster's) and hands each result to the
caller as it finishes, in whatever order the units finish. The caller merges them by chunk and
piece index, never by arrival; because chunks depend only on the GT folder, the numbers are
bit-identical for every executor, worker count, unit size, arrival order and set of methods
run beside.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, NamedTuple

from tqdm import tqdm

from sodbench.errors import SodbenchError
from sodbench.evaluator import SINGLE_IMAGE_PIXELS
from sodbench.folders.memory import keep_freed_memory
from sodbench.folders.pairing import Pairing
from sodbench.workers import check_executor, worker_count

__all__ = ["CHUNK_SIZE", "UNIT_PIXELS", "WorkUnit", "check_chunk_size", "check_workers",
           "chunks_of", "plan", "process_executor", "run_units"]

CHUNK_SIZE = 32
"""GT names per chunk: curve sums are added chunk by chunk, so the last bits depend on it."""
UNIT_PIXELS = 1 << 22
"""Pixels per piece of a chunk of large images (4 Mpx: one 2048 x 2048 image)."""


class WorkUnit(NamedTuple):
    """One chunk of a GT folder and the methods still to be scored on it."""

    chunk: int
    """The chunk's index in its GT folder's name list."""
    tasks: tuple[int, ...]
    """The methods' task indices."""
    pairs: tuple[list, ...]
    """Per method (same order as ``tasks``), its (name, GT path, prediction path[, image
    path]) pairs."""
    piece: int = 0
    """This unit's place among the pieces of its chunk."""
    pieces: int = 1
    """Pieces of the chunk (1: the unit is the whole chunk)."""
    threads: int = 1
    """Threads per Evaluator on the worker (:func:`run_units` sets it)."""

    @property
    def size(self) -> int:
        """Pairs to score in this unit (the progress bar counts them)."""
        return sum(len(pairs) for pairs in self.pairs)

    def absolute(self) -> WorkUnit:
        """This unit with every file path made absolute (from this process's working folder):
        for workers that run elsewhere, in other working folders."""
        return self._replace(pairs=tuple(
            [tuple(Path(os.path.abspath(part)) if isinstance(part, Path) else part
                   for part in pair) for pair in pairs] for pairs in self.pairs))


def check_chunk_size(chunk_size, name: str = "chunk_size") -> int:
    """``chunk_size`` as a whole number of at least 1, or a :class:`SodbenchError`."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise SodbenchError(f"{name}={chunk_size!r}: must be a whole number, at least 1")
    return chunk_size


def check_workers(jobs, executor: Executor | None) -> int:
    """Worker processes to start for ``jobs`` (every usable core when None); 0 with an
    ``executor``, which may not come with ``jobs``."""
    if check_executor(executor) is None:
        return worker_count(jobs, name="jobs")
    if jobs is not None:
        raise SodbenchError("give jobs (worker processes) or an executor, not both")
    return 0


def chunks_of(pairing: Pairing, chunk_size: int = CHUNK_SIZE) -> list[int]:
    """The chunks holding at least one pair of this method, in order."""
    position = {name: i for i, name in enumerate(pairing.gt_names)}
    return sorted({position[pair[0]] // chunk_size for pair in pairing.pairs})


def plan(pairings: Mapping[int, Pairing], gt_folders: Mapping[int, str], *,
         chunk_size: int = CHUNK_SIZE,
         done: Mapping[int, Collection[int]] | None = None,
         pixels: Mapping[Path, int | None] | None = None,
         unit_pixels: int = UNIT_PIXELS) -> list[WorkUnit]:
    """The units of work of the tasks in ``pairings``, GT folder after GT folder.

    Parameters
    ----------
    pairings : mapping of int to Pairing
        Task index -> its pairs, for the tasks to score (in task order).
    gt_folders : mapping of int to str
        Task index -> its resolved GT folder; tasks on one folder share units.
    chunk_size : int
        GT names per chunk.
    done : mapping of int to collection of int, optional
        Task index -> chunks already scored (kept by an interrupted run), left out.
    pixels : mapping of Path to int or None, optional
        GT file -> its pixel count (None: unknown). A chunk whose GT files all have at least
        :data:`~sodbench.evaluator.SINGLE_IMAGE_PIXELS` is cut into pieces of at most
        ``unit_pixels`` (one image at least); without ``pixels`` no chunk is cut.
    unit_pixels : int
        Pixel budget of one piece.

    Returns
    -------
    list of WorkUnit
        Per GT folder, its chunks in order, each chunk's pieces in order.
    """
    done = done or {}
    groups: dict[str, list[int]] = {}
    for index in pairings:
        groups.setdefault(gt_folders[index], []).append(index)
    units = []
    for indices in groups.values():
        position = {name: i for i, name in enumerate(pairings[indices[0]].gt_names)}
        by_chunk: dict[int, dict[int, list]] = {}
        for index in indices:
            for pair in pairings[index].pairs:
                chunk = position[pair[0]] // chunk_size
                if chunk not in done.get(index, ()):
                    by_chunk.setdefault(chunk, {}).setdefault(index, []).append(pair)
        for chunk in sorted(by_chunk):
            members = by_chunk[chunk]
            cuts = _cuts(members, position, pixels or {}, unit_pixels)
            for piece, names in enumerate(cuts):
                pairs = tuple([pair for pair in task_pairs if pair[0] in names]
                              for task_pairs in members.values()) if len(cuts) > 1 else (
                    tuple(members.values()))
                units.append(WorkUnit(chunk, tuple(members), pairs, piece, len(cuts)))
    return units


def _cuts(members: Mapping[int, list], position: Mapping[str, int],
          pixels: Mapping[Path, int | None], unit_pixels: int) -> list[set[str]]:
    """The GT names of each piece of one chunk: one piece unless every GT is large."""
    sizes = {pair[0]: pixels.get(pair[1]) for pairs in members.values() for pair in pairs}
    if not sizes or any(size is None or size < SINGLE_IMAGE_PIXELS for size in sizes.values()):
        return [set(sizes)]
    cuts: list[set[str]] = []
    total = unit_pixels
    for name in sorted(sizes, key=position.__getitem__):
        if total + sizes[name] > unit_pixels:
            cuts.append(set())
            total = 0
        cuts[-1].add(name)
        total += sizes[name]
    return cuts


def process_executor(workers: int) -> ProcessPoolExecutor:
    """Worker processes that leave Ctrl-C to the parent (which keeps finished work)."""
    return ProcessPoolExecutor(workers, initializer=_start_worker)


def run_units(units: Sequence[WorkUnit], work: Callable[[WorkUnit], Any],
              on_result: Callable[[WorkUnit, Any], None], *, executor: Executor | None = None,
              jobs: int | None = None, progress: bool = False) -> dict:
    """Run ``work(unit)`` for every unit; call ``on_result(unit, result)`` as each finishes.

    Parameters
    ----------
    units : sequence of WorkUnit
        From :func:`plan`.
    work : callable
        Takes a unit, returns its result; picklable for a process executor.
    on_result : callable
        Called in this process with each result as soon as it is ready (units that finish
        together: in plan order). Results may come in any order; the caller merges them by
        chunk (and piece) index, so the numbers do not depend on it.
    executor : concurrent.futures.Executor, optional
        Where the units run; it is left open. By default, ``jobs`` worker processes
        (:func:`process_executor`), closed at the end.
    jobs : int, optional
        Worker processes when no ``executor`` is given (default: every usable core); with 1,
        or a single unit, the units run in this process. With fewer units than ``jobs``,
        each unit's Evaluators get the spare cores as threads (``WorkUnit.threads``).
    progress : bool
        Show a bar of pairs scored on stderr, moved as units finish.

    Returns
    -------
    dict
        Where the units ran, as the results' provenance records it: ``{"scheduler",
        "workers"}`` (``"this process"``, ``"processes"``, or what a given executor's
        ``execution`` attribute says; else its class name, workers None).

    Notes
    -----
    On an error or Ctrl-C the units not yet started are cancelled and the exception goes up;
    the results handed to ``on_result`` before it stay handed.
    """
    requested = check_workers(jobs, executor)
    workers = min(requested, len(units))
    threads = max(1, requested // max(1, len(units)))
    units = [unit._replace(threads=threads) for unit in units]
    total = sum(unit.size for unit in units)
    execution = _execution(executor, workers)
    with tqdm(total=total, unit="img", disable=not progress or total == 0,
              file=sys.stderr, desc="eval") as bar, contextlib.ExitStack() as stack:
        if workers > 1:
            executor = stack.enter_context(_closing(process_executor(workers)))
        results: Iterator = (
            zip(units, map(work, units), strict=True) if executor is None
            else _as_finished(executor, work, units, stack))
        for unit, result in results:
            bar.update(unit.size)
            on_result(unit, result)
    return execution


def _execution(executor: Executor | None, workers: int) -> dict:
    if executor is None:
        return {"scheduler": "processes" if workers > 1 else "this process",
                "workers": max(1, workers)}
    described = getattr(executor, "execution", None)
    if isinstance(described, dict):
        return dict(described)
    return {"scheduler": type(executor).__name__, "workers": None}  # not said: not guessed


def _as_finished(executor: Executor, work: Callable, units: Sequence[WorkUnit],
                 stack: contextlib.ExitStack) -> Iterator[tuple[WorkUnit, Any]]:
    """(unit, result) pairs as the units finish; a unit's error is raised when it is reached."""
    futures: list[Future] = [executor.submit(work, unit) for unit in units]
    stack.callback(_cancel, futures)
    unit_of = {future: unit for future, unit in zip(futures, units, strict=True)}
    order = {future: number for number, future in enumerate(futures)}
    pending = set(futures)
    while pending:
        finished, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in sorted(finished, key=order.__getitem__):
            yield unit_of[future], future.result()


def _cancel(futures: list[Future]) -> None:
    """Drop the units not started yet (after an error; a no-op once all are done)."""
    for future in futures:
        future.cancel()


@contextlib.contextmanager
def _closing(executor: Executor) -> Iterator[Executor]:
    """Shut an executor made here down; on an error or Ctrl-C, without waiting for it."""
    try:
        yield executor
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        # Python >= 3.14 stops running workers too; before, each ends with its current unit
        terminate = getattr(executor, "terminate_workers", None)
        if terminate is not None:
            terminate()
        raise
    executor.shutdown()


def _start_worker() -> None:
    keep_freed_memory()  # large images: reuse freed arrays instead of page-faulting anew
    # Ctrl-C reaches the whole process group; the parent alone handles it (keeps finished
    # entries, stops the workers), so workers do not print one traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
