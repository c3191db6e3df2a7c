"""Loaded by the test clusters' workers (``dask worker --preload``) so that a test can act
while units are running: every unit first sleeps ``SODBENCH_TEST_UNIT_DELAY`` seconds, and
when ``SODBENCH_TEST_GATE`` names a file, every unit but those of chunk 0 then waits (up to
two minutes) until that file exists. The numbers are those of the real function."""

import functools
import os
import time

from sodbench.folders import scoring

# Dask may load a preload module more than once: wrap the real function, never the wrapper
_score_unit = getattr(scoring.score_unit, "__wrapped__", scoring.score_unit)


@functools.wraps(_score_unit)
def _slow_score_unit(unit, options):
    time.sleep(float(os.environ.get("SODBENCH_TEST_UNIT_DELAY", "0")))
    gate = os.environ.get("SODBENCH_TEST_GATE")
    if gate and unit.chunk > 0:
        deadline = time.monotonic() + 120
        while not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.05)
    return _score_unit(unit, options)


# the client sends the function by reference (module and name): this worker finds this one
scoring.score_unit = _slow_score_unit
