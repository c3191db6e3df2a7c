"""Running an evaluation's units of work on a Dask cluster (``sodbench eval --scheduler``).

:func:`connect` reaches a Dask scheduler (``tcp://HOST:PORT``, what ``dask scheduler``
prints) or starts a :class:`distributed.LocalCluster` of N worker processes on this machine
(``local:N``), checks that every worker runs this sodbench and sees the run's folders, and
gives a :class:`ClusterExecutor`: Dask's ``client.get_executor()`` with a one-line error
naming the worker when a unit fails there, and what the results' provenance records. The
units and their merge are those of a local run (:mod:`.schedule`), so are the numbers.

Workers read the same paths as this process: the data must be on a filesystem every worker
mounts at the same place (docs/distributed.md). Dask is the optional extra
``sodbench[dask]``; it is imported here only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Executor, Future
from pathlib import Path
from typing import NamedTuple

from sodbench import __version__
from sodbench.errors import SodbenchError
from sodbench.folders.memory import keep_freed_memory

__all__ = ["DEFAULT_TIMEOUT", "SCHEDULER_VARIABLE", "ClusterExecutor", "Scheduler", "connect",
           "local_cluster", "lost_unit_message", "on_worker", "parse_scheduler", "worker_report"]

#: The environment variable ``sodbench eval`` reads when ``--scheduler`` is not given.
SCHEDULER_VARIABLE = "SODBENCH_DASK_SCHEDULER"
#: Seconds to wait for the scheduler to answer, and for its first worker.
DEFAULT_TIMEOUT = 10.0

_INSTALL = "pip install 'sodbench[dask]'"
_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")
_FORMS = ("give tcp://HOST:PORT (the address `dask scheduler` prints) or local:N (N worker "
          "processes on this machine)")


class Scheduler(NamedTuple):
    """Where the units go: a running scheduler's address, or N local worker processes."""

    text: str
    """As given (``tcp://10.0.0.5:8786``, ``local:4``)."""
    address: str | None
    """The scheduler's address; None for a local cluster (known once it is started)."""
    local_workers: int
    """N of ``local:N``; 0 for a running scheduler."""


def parse_scheduler(text: str) -> Scheduler:
    """``--scheduler``'s value, or a one-line error saying which forms it takes.

    >>> parse_scheduler("tcp://127.0.0.1:8786").address
    'tcp://127.0.0.1:8786'
    >>> parse_scheduler("local:2").local_workers
    2
    """
    if not isinstance(text, str) or not text.strip():
        raise SodbenchError(f"--scheduler {text!r}: {_FORMS}")
    text = text.strip()
    if text.lower().startswith("local:"):
        count = text.partition(":")[2]
        if not count.isdigit() or int(count) < 1:
            raise SodbenchError(f"--scheduler {text}: N of local:N is the number of worker "
                                "processes, a whole number of at least 1 (e.g. local:2)")
        return Scheduler(text, None, int(count))
    match = _ADDRESS.fullmatch(text)
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise SodbenchError(f"--scheduler {text}: {_FORMS}")
    return Scheduler(text, text, 0)


def _distributed():
    """The ``distributed`` module, or a one-line error naming the extra."""
    try:
        import distributed
    except ImportError:
        raise SodbenchError(f"--scheduler needs Dask, an optional extra: {_INSTALL}") from None
    except Exception as error:  # a broken install: say what, not a traceback
        raise SodbenchError(f"--scheduler: Dask does not import ({type(error).__name__}: "
                            f"{error}); reinstall it with {_INSTALL}") from None
    return distributed


class ClusterExecutor(Executor):
    """Dask's executor for one client (``pure=False``: every unit is its own task).

    ``execution`` is what the results' provenance records about where the units ran.
    """

    def __init__(self, client, scheduler: Scheduler, workers: int):
        self._executor = client.get_executor(pure=False)
        self.execution = {"scheduler": scheduler.text, "workers": workers}

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait and not cancel_futures)


def on_worker(fn, /, *args, **kwargs):
    """``fn(*args, **kwargs)``; on a Dask worker, a :class:`SodbenchError` (an unreadable file,
    a file the worker cannot see) comes back with the worker's name added. Elsewhere (a
    thread or process pool, this process) it is a plain call.

    The first call in a Dask worker process lets its allocator keep freed blocks, as
    sodbench's own worker processes do (:func:`~sodbench.folders.memory.keep_freed_memory`):
    a Dask nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which pins glibc's mmap
    threshold at 128 KiB, so that every map-sized array (320 KB at 200 x 200) would be mapped
    and page-faulted anew (benchmarks/eval_scale.py).
    """
    worker = _dask_worker()
    if worker is None:
        return fn(*args, **kwargs)
    _prepare_worker()
    try:
        return fn(*args, **kwargs)
    except SodbenchError as error:
        raise SodbenchError(f"{error} [on Dask worker {worker.address}, host "
                            f"{socket.gethostname()}]") from None


def lost_unit_message(error: BaseException) -> str | None:
    """The one-line text for Dask's ``KilledWorker`` (a unit whose workers died, again and
    again: out of memory, a crash), None for any other error. Dask is not imported here."""
    if type(error).__name__ != "KilledWorker" or not type(error).__module__.startswith(
            "distributed"):
        return None
    times = getattr(error, "allowed_failures", None)
    worker = getattr(getattr(error, "last_worker", None), "address", "?")
    return (f"a unit of work stopped {'its' if times is None else times + 1} Dask workers in "
            f"a row (the last: {worker}): too little memory for its images is the usual "
            "cause (raise `dask worker --memory-limit`; docs/distributed.md, \"Workers\"); "
            "the chunks that finished are kept, --resume scores the rest")


def _dask_worker():
    """The Dask worker running this call, or None."""
    if "distributed" not in sys.modules:  # never imported: not a Dask worker
        return None
    from distributed import get_worker

    try:
        return get_worker()
    except ValueError:
        return None


@functools.cache
def _prepare_worker() -> None:
    keep_freed_memory()


def worker_report(folders: dict[str, int]) -> dict:
    """On a worker: its host, sodbench version, and the folders it cannot see as the client
    does (``folders``: path -> number of entries the client lists there)."""
    problems = []
    for folder, expected in folders.items():
        try:
            seen = len(os.listdir(folder))
        except OSError as error:
            problems.append(f"cannot read {folder} ({error.strerror or error})")
            continue
        if seen != expected:
            problems.append(f"sees {seen} entries in {folder}, this machine {expected}")
    return {"host": socket.gethostname(), "version": __version__, "problems": problems}


def local_cluster(workers: int):
    """The ``LocalCluster`` of ``--scheduler local:N``: ``workers`` processes of one thread,
    listening on 127.0.0.1 only (random ports), no log lines, and no statistical profiler on
    the workers (it samples the running unit every 10 ms: units computed 12% slower with it,
    benchmarks/eval_scale.py; give ``dask worker`` processes
    ``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False`` for the same). Close it after use."""
    distributed = _distributed()
    import dask

    # the nannies hand this configuration to the worker processes they start
    with dask.config.set({"distributed.worker.profile.enabled": False}), _workers_ignore_ctrl_c():
        # the scheduler's HTTP endpoint starts even without a dashboard, on port 8787 unless
        # told: a random loopback port, so that a second cluster does not warn on stderr
        return distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)


@contextlib.contextmanager
def _workers_ignore_ctrl_c() -> Iterator[None]:
    """Start processes with Ctrl-C ignored (an ignored signal stays ignored across exec).

    Ctrl-C on a terminal reaches every process of the foreground group: the local cluster's
    worker processes printed one traceback each. This process handles it (keeps the finished
    chunks, stops the cluster), as it does for its own worker processes. Ctrl-C during the
    cluster's start-up (about a second) is ignored too."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change handlers; there is no terminal's Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def connect(scheduler: str, *, timeout: float = DEFAULT_TIMEOUT,
            folders: Iterable[str | os.PathLike] = (),
            cached: bool = True) -> Iterator[ClusterExecutor]:
    """A :class:`ClusterExecutor` on ``scheduler`` (``tcp://HOST:PORT`` or ``local:N``),
    closed (the local cluster stopped) on leaving the block.

    Parameters
    ----------
    scheduler : str
        See :func:`parse_scheduler`.
    timeout : float
        Seconds to wait for the scheduler, and then for at least one worker; past it, a
        one-line :class:`SodbenchError`.
    folders : iterable of path-like
        Folders every worker must see as this process does (same entry count); a worker
        that does not is named in the error, before any unit is sent.
    cached : bool
        Whether finished chunks go to a cache (what the error for a lost scheduler says).
    """
    spec = parse_scheduler(scheduler)
    if not (isinstance(timeout, (int, float)) and not isinstance(timeout, bool)
            and 0 < timeout < float("inf")):
        raise SodbenchError(f"--scheduler-timeout {timeout!r}: give a number of seconds above 0")
    distributed = _distributed()
    listed = {}
    for folder in folders:
        path = str(Path(folder).resolve())
        with contextlib.suppress(OSError):  # the run itself says what is wrong with it
            listed[path] = len(os.listdir(path))
    with contextlib.ExitStack() as stack:
        # the client's own warnings and its event loop's (retries, closed connections, a lost
        # scheduler) are tracebacks on stderr around the one-line errors below
        stack.enter_context(_quiet("distributed", "tornado"))
        address = spec.address
        if spec.local_workers:
            cluster = stack.enter_context(local_cluster(spec.local_workers))
            address = cluster.scheduler_address
        try:
            client = stack.enter_context(distributed.Client(address, timeout=timeout,
                                                            set_as_default=False))
        except (OSError, TimeoutError) as error:
            raise SodbenchError(
                f"--scheduler {spec.text}: no Dask scheduler answered within {timeout:g} s "
                f"({type(error).__name__}); start one with `dask scheduler` and give the "
                "address it prints, or wait longer with --scheduler-timeout") from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise SodbenchError(
                f"--scheduler {spec.text}: the scheduler has no worker after {timeout:g} s; "
                f"start some with `dask worker {address}`") from None
        reports = _reports(client, listed, spec)
        try:
            yield ClusterExecutor(client, spec, len(reports))
        except CancelledError:
            # Dask cancels every future of a client that lost its scheduler; sodbench cancels
            # none that it still waits for
            then = ("the chunks that finished are in the cache: run again with --resume "
                    "once the cluster is back" if cached else
                    "run again once the cluster is back (with the cache, --resume would keep "
                    "the finished chunks)")
            raise SodbenchError(f"--scheduler {spec.text}: the connection to the scheduler "
                                f"was lost during the run; {then}") from None


def _reports(client, listed: dict[str, int], spec: Scheduler) -> dict:
    """Every worker's :func:`worker_report`, or a one-line error naming the first worker
    that cannot run this sodbench or see a folder."""
    try:
        reports = client.run(worker_report, listed)
    except Exception as error:  # raised on a worker, or it could not load the function
        raise SodbenchError(
            f"--scheduler {spec.text}: a Dask worker cannot run sodbench "
            f"({type(error).__name__}: {error}); install sodbench {__version__} with "
            f"{_INSTALL} on every worker") from None
    for address, report in sorted(reports.items()):
        name = f"Dask worker {address} (host {report['host']})"
        if report["version"] != __version__:
            raise SodbenchError(f"{name} runs sodbench {report['version']}, this machine "
                                f"{__version__}: install the same version on every worker")
        if report["problems"]:
            raise SodbenchError(
                f"{name} {report['problems'][0]}: every worker must read the data at the same "
                "paths as this machine (a shared filesystem; docs/distributed.md, \"Data\")")
    return reports


@contextlib.contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """No log records from the ``names`` hierarchies in the block (Dask's loggers that set
    their own level have their own stderr handler, so each is raised, then restored)."""
    loggers = [logging.getLogger(name) for name in names] + [
        logger for key, logger in logging.root.manager.loggerDict.items()
        if key.startswith(tuple(name + "." for name in names))
        and isinstance(logger, logging.Logger) and logger.level != logging.NOTSET]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 10)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
