"""Which workers to use: how many (the one rule of the whole project), or a given executor.

It sits beside :mod:`sodbench.errors` at the bottom of the layers, so the Evaluator's wF threads,
``evaluate``'s worker processes and the profiler's threads all count cores the same way.
"""

from __future__ import annotations

import os
from concurrent.futures import Executor, Future

from sodbench.errors import SodbenchError

__all__ = ["check_executor", "split_future", "usable_cores", "worker_count"]


def usable_cores() -> list[int]:
    """The CPU ids this process may run on (its affinity; every CPU where that is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def worker_count(requested=None, *, name: str = "workers") -> int:
    """``requested`` as a whole number of workers, or every usable core when it is None.

    ``name`` is the argument's name in the error (``threads``, ``jobs``, ...).

    >>> worker_count(3)
    3
    >>> worker_count(None) == len(usable_cores())
    True
    """
    if requested is None:
        return len(usable_cores())
    if isinstance(requested, bool):
        raise SodbenchError(f"{name}={requested!r}: must be a whole number")
    try:
        count = int(requested)
    except (TypeError, ValueError):
        raise SodbenchError(f"{name}={requested!r}: must be a whole number") from None
    if count != requested:
        raise SodbenchError(f"{name}={requested!r}: must be a whole number")
    if count < 1:
        raise SodbenchError(f"{name}={requested}: must be at least 1")
    return count


def check_executor(executor, *, name: str = "executor") -> Executor | None:
    """``executor`` if it is None or a ``concurrent.futures.Executor`` (a process or thread
    pool, Dask's ``client.get_executor()``), else a one-line error naming ``name``; refused
    here, where it is given, not at the first ``submit``.

    >>> check_executor(None) is None
    True
    """
    if executor is not None and not isinstance(executor, Executor):
        raise SodbenchError(f"{name}={executor!r}: pass a concurrent.futures.Executor (e.g. a "
                            "ThreadPoolExecutor or ProcessPoolExecutor), or None")
    return executor


def split_future(future: Future, keys) -> dict[str, Future]:
    """One Future per key of the dict ``future`` will hold, each settled with its value (or
    the same exception) when ``future`` is: a worker that computes several keys of one image
    at once (CM and CCM share their GT work) still gives each key its own Future.

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     parts = split_future(pool.submit(dict, a=1, b=2), ["a", "b"])
    ...     parts["b"].result()
    2
    """
    parts = {key: Future() for key in keys}

    def settle(done: Future) -> None:
        error = done.exception()
        for key, part in parts.items():
            if error is not None:
                part.set_exception(error)
            else:
                part.set_result(done.result()[key])
    future.add_done_callback(settle)
    return parts
