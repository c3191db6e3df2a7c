"""Executors for the tests of ``sodbench.folders.schedule`` and ``sodbench eval``.

They plug into the public ``executor=`` argument of ``evaluation.run`` / ``evaluate`` /
``schedule.run_units`` (through the ``run_arguments`` fixture of ``conftest.py`` for the
command), so the tests see which units ran and can stop a run at a chosen unit, without
reaching into the modules.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future


class _LazyFuture(Future):
    """A future whose call runs, in this process, when its result is first asked for."""

    def __init__(self, call):
        super().__init__()
        self._call = call

    def result(self, timeout=None):
        if self.set_running_or_notify_cancel():
            try:
                self.set_result(self._call())
            except BaseException as error:  # handed to the caller, as a pool does
                self.set_exception(error)
        return super().result(timeout)


class InProcess(Executor):
    """Runs each unit in this process when its result is asked for (so in plan order).

    ``units`` records the pairs of every unit that started; the unit numbered
    ``interrupt_at`` (from 0) raises KeyboardInterrupt instead, as a Ctrl-C would.
    """

    def __init__(self, interrupt_at: int | None = None):
        self.units: list = []
        self.interrupt_at = interrupt_at
        self.submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        number = self.submitted
        self.submitted += 1

        def call():
            unit = args[0]
            self.units.append(getattr(unit, "pairs", unit))
            if number == self.interrupt_at:
                raise KeyboardInterrupt
            return fn(*args, **kwargs)
        return _LazyFuture(call)

    def first_names(self) -> list[list[str]]:
        """Per started unit, the first GT name of each method's pairs."""
        return [[pairs[0][0] for pairs in unit] for unit in self.units]


class Interrupting(Executor):
    """Runs units on ``inner``, except unit ``at`` (from 0), whose result is a Ctrl-C that
    reaches the parent while it waits."""

    def __init__(self, inner: Executor, at: int):
        self.inner, self.at, self.submitted = inner, at, 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.submitted - 1 != self.at:
            return self.inner.submit(fn, *args, **kwargs)
        future = Future()
        future.set_exception(KeyboardInterrupt())
        return future
