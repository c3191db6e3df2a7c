"""Executors for the tests of ``sodbench.folders.schedule`` and ``sodbench eval``.

They plug into the public ``executor=`` argument of ``evaluation.run`` / ``evaluate`` /
``schedule.run_units`` (through the ``run_arguments`` fixture of ``conftest.py`` for the
command), so the tests see which units ran and can stop a run at a chosen unit, without
reaching into the modules.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor, Future


def _settled(call) -> Future:
    """A finished future holding what ``call()`` returned or raised."""
    future = Future()
    future.set_running_or_notify_cancel()
    try:
        future.set_result(call())
    except BaseException as error:  # handed to the caller, as a pool does
        future.set_exception(error)
    return future


class InProcess(Executor):
    """Runs each unit in this process as it is submitted (so in plan order), like one worker
    that has finished every unit by the time the caller waits.

    ``units`` records the pairs of every unit that started; the unit numbered
    ``interrupt_at`` (from 0) raises KeyboardInterrupt instead, as a Ctrl-C would. After a
    unit raised, the later ones are not started (their futures stay pending, as a pool's
    queued units do, until the caller cancels them).
    """

    def __init__(self, interrupt_at: int | None = None):
        self.units: list = []
        self.interrupt_at = interrupt_at
        self.submitted = 0
        self.stopped = False

    def submit(self, fn, /, *args, **kwargs):
        number = self.submitted
        self.submitted += 1
        if self.stopped:
            return Future()

        def call():
            unit = args[0]
            self.units.append(getattr(unit, "pairs", unit))
            if number == self.interrupt_at:
                raise KeyboardInterrupt
            return fn(*args, **kwargs)
        future = _settled(call)
        self.stopped = future.exception() is not None
        return future

    def first_names(self) -> list[list[str]]:
        """Per started unit, the first GT name of each method's pairs."""
        return [[pairs[0][0] for pairs in unit] for unit in self.units]


class Interrupting(Executor):
    """Runs units on ``inner``, except unit ``at`` (from 0), whose result is a Ctrl-C that
    reaches the parent once every unit before it has finished (results are taken as they
    finish: a Ctrl-C that came at once would beat them)."""

    def __init__(self, inner: Executor, at: int):
        self.inner, self.at, self.submitted = inner, at, 0
        self.before: list[Future] = []

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.submitted - 1 != self.at:
            future = self.inner.submit(fn, *args, **kwargs)
            self.before.append(future)
            return future
        interrupt, waiting, lock = Future(), list(self.before), threading.Lock()

        def settle(_done=None):
            with lock:  # the pool's thread and this one may both see the last unit done
                if all(future.done() for future in waiting) and not interrupt.done():
                    interrupt.set_exception(KeyboardInterrupt())
        for future in waiting:
            future.add_done_callback(settle)
        settle()
        return interrupt


class Reversed(Executor):
    """Holds the units until ``count`` are submitted, then runs them last to first: results
    arrive in the reverse of plan order."""

    def __init__(self, count: int):
        self.count = count
        self.calls: list = []
        self.order: list[int] = []

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        self.calls.append((future, fn, args, kwargs))
        if len(self.calls) == self.count:
            for number, (held, call, call_args, call_kwargs) in reversed(
                    list(enumerate(self.calls))):
                if held.set_running_or_notify_cancel():
                    self.order.append(number)
                    try:
                        held.set_result(call(*call_args, **call_kwargs))
                    except BaseException as error:  # handed to the caller, as a pool does
                        held.set_exception(error)
        return future
