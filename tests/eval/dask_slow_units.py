"""Loaded by the test clusters' workers (``dask worker --preload``): every unit of work first
sleeps ``SODBENCH_TEST_UNIT_DELAY`` seconds, so that a test can kill a worker or interrupt
the client while units are running. The numbers are those of the real function."""

import functools
import os
import time

from sodbench.folders import scoring

# Dask may load a preload module more than once: wrap the real function, never the wrapper
_score_unit = getattr(scoring.score_unit, "__wrapped__", scoring.score_unit)


@functools.wraps(_score_unit)
def _slow_score_unit(unit, options):
    time.sleep(float(os.environ.get("SODBENCH_TEST_UNIT_DELAY", "0")))
    return _score_unit(unit, options)


# the client sends the function by reference (module and name): this worker finds this one
scoring.score_unit = _slow_score_unit
