"""The default thread count: the cores that are idle now, so a busy machine slows a run down
instead of stalling it.

PyTorch's default is one intra-op thread per core. On a 2-core machine where another process
holds one core, every parallel operator then waits at its barrier for the thread that shares
the busy core, once per scheduler time slice: MINet's forward went from 0.1 s to 2-4 s (its
hundreds of small operators each pay the wait), and a default ``sodbench profile minet`` ran
for minutes. With one thread per *idle* core the same run takes its normal time, a little
slower at worst. The idle cores are read from ``/proc/stat`` over a short interval (the
1-minute load average lags by a minute), falling back on the load average elsewhere.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sodbench.workers import usable_cores

__all__ = ["choose_threads", "idle_cores"]

#: A core counts as idle when it was at least this idle while sampled.
IDLE_ENOUGH = 0.7
SAMPLE_SECONDS = 0.2


def _cpu_times() -> dict[int, tuple[int, int]]:
    """``{cpu: (idle + iowait ticks, total ticks)}`` from /proc/stat (empty elsewhere)."""
    times = {}
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return times
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and len(fields) >= 5:
            ticks = [int(f) for f in fields[:8]]
            times[int(name[3:])] = (ticks[3] + ticks[4], sum(ticks))
    return times


def idle_cores(seconds: float = SAMPLE_SECONDS) -> tuple[float, int] | None:
    """(idle cores, usable cores) of this process, measured over ``seconds``; None if unknown.

    Usable cores are those of the process's CPU affinity. On Linux the idle share of each is
    read from ``/proc/stat`` twice; elsewhere the 1-minute load average is subtracted.
    """
    cpus = usable_cores()
    before = _cpu_times()
    if before:
        time.sleep(seconds)
        after = _cpu_times()
        idle = 0.0
        for cpu in cpus:
            if cpu in before and cpu in after:
                total = after[cpu][1] - before[cpu][1]
                idle += (after[cpu][0] - before[cpu][0]) / total if total > 0 else 1.0
        return idle, len(cpus)
    if hasattr(os, "getloadavg"):
        return max(0.0, len(cpus) - os.getloadavg()[0]), len(cpus)
    return None


def choose_threads(threads: int | None, current: int) -> tuple[int, str]:
    """The thread count to run with, and how it was chosen (kept in the record).

    ``threads`` given: that. Otherwise ``current`` (torch's count, which ``OMP_NUM_THREADS``
    or ``torch.set_num_threads`` may have lowered) capped at the cores idle right now, at
    least one.
    """
    if threads is not None:
        return threads, "given"
    measured = idle_cores()
    if measured is None:
        return current, f"torch's count ({current}); idle cores unknown"
    idle, usable = measured
    chosen = max(1, min(current, int(idle + (1 - IDLE_ENOUGH))))
    return chosen, (f"default: {idle:.1f} of {usable} usable cores idle at the start, "
                    f"torch's count {current}")
