"""Cutting an evaluation into units of work and running them on any executor.

The names of every GT folder are cut into chunks of ``chunk_size`` consecutive names (natural
order); one :class:`WorkUnit` is a chunk with the pairs of every method still to be scored on
it (:func:`plan`). :func:`run_units` runs the units on a :class:`concurrent.futures.Executor`
(worker processes by default, or any executor given: threads, a cluster's) and hands each
result to the caller in plan order, whatever order the units finish in. Because chunks depend
only on the GT folder and results come in plan order, the numbers are bit-identical for every
executor, worker count, and set of methods run beside.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, NamedTuple

from tqdm import tqdm

from sodbench.errors import SodbenchError
from sodbench.folders.pairing import Pairing
from sodbench.workers import check_executor, worker_count

__all__ = ["CHUNK_SIZE", "WorkUnit", "check_chunk_size", "check_workers", "chunks_of", "plan",
           "process_executor", "run_units"]

CHUNK_SIZE = 32
"""GT names per chunk: memory is bounded by about this many maps per worker and method."""


class WorkUnit(NamedTuple):
    """One chunk of a GT folder and the methods still to be scored on it."""

    chunk: int
    """The chunk's index in its GT folder's name list."""
    tasks: tuple[int, ...]
    """The methods' task indices."""
    pairs: tuple[list, ...]
    """Per method (same order as ``tasks``), its (name, GT path, prediction path[, image
    path]) pairs."""

    @property
    def size(self) -> int:
        """Pairs to score in this unit (the progress bar counts them)."""
        return sum(len(pairs) for pairs in self.pairs)


def check_chunk_size(chunk_size) -> int:
    """``chunk_size`` as a whole number of at least 1, or a :class:`SodbenchError`."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise SodbenchError(f"chunk_size={chunk_size!r}: must be a whole number, at least 1")
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
         done: Mapping[int, Collection[int]] | None = None) -> list[WorkUnit]:
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

    Returns
    -------
    list of WorkUnit
        Per GT folder, its chunks in order.
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
            units.append(WorkUnit(chunk, tuple(members), tuple(members.values())))
    return units


def process_executor(workers: int) -> ProcessPoolExecutor:
    """Worker processes that leave Ctrl-C to the parent (which keeps finished work)."""
    return ProcessPoolExecutor(workers, initializer=_ignore_interrupts)


def run_units(units: Sequence[WorkUnit], work: Callable[[tuple[list, ...]], Any],
              on_result: Callable[[WorkUnit, Any], None], *, executor: Executor | None = None,
              jobs: int | None = None, progress: bool = False) -> None:
    """Run ``work(unit.pairs)`` for every unit; call ``on_result(unit, result)`` in plan order.

    Parameters
    ----------
    units : sequence of WorkUnit
        From :func:`plan`.
    work : callable
        Takes a unit's ``pairs``, returns its result; picklable for a process executor.
    on_result : callable
        Called in this process as each result is ready, in the order of ``units`` (a result
        that comes early waits for those before it).
    executor : concurrent.futures.Executor, optional
        Where the units run; it is left open. By default, ``jobs`` worker processes
        (:func:`process_executor`), closed at the end.
    jobs : int, optional
        Worker processes when no ``executor`` is given (default: every usable core); with 1,
        or a single unit, the units run in this process.
    progress : bool
        Show a bar of pairs scored on stderr.

    Notes
    -----
    On an error or Ctrl-C the units not yet started are cancelled and the exception goes up;
    the results handed to ``on_result`` before it stay handed.
    """
    workers = min(check_workers(jobs, executor), len(units))
    total = sum(unit.size for unit in units)
    with tqdm(total=total, unit="img", disable=not progress or total == 0,
              file=sys.stderr, desc="eval") as bar, contextlib.ExitStack() as stack:
        if workers > 1:
            executor = stack.enter_context(_closing(process_executor(workers)))
        results: Iterator = (
            map(work, (unit.pairs for unit in units)) if executor is None
            else _in_order(executor, work, units, stack))
        for unit, result in zip(units, results, strict=True):
            bar.update(unit.size)
            on_result(unit, result)


def _in_order(executor: Executor, work: Callable, units: Sequence[WorkUnit],
              stack: contextlib.ExitStack) -> Iterator:
    futures: list[Future] = [executor.submit(work, unit.pairs) for unit in units]
    stack.callback(_cancel, futures)
    return (future.result() for future in futures)


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


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the parent alone handles it (keeps finished
    # entries, stops the workers), so workers do not print one traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
