"""Timing protocols: latency (batch 1), throughput (batch N) and the MINet authors' FPS.py.

Every protocol times a prepared callable (see :mod:`sodbench.profiling.backends`) on one random
input that already lives on the device, after warm-up calls, with one timing per call:

* ``latency`` / ``throughput``: ``warmup`` untimed calls per backend, then ``iters`` timed
  calls under ``torch.inference_mode``, split into ``rounds`` blocks; in each round every
  backend runs its block, in an order rotated from round to round, so that a burst of load
  on a shared machine does not fall on one backend only (docs/profile.md, "Speed protocols").
  The record keeps the median, p90, mean and IQR of the per-call times and
  ``fps = batch / median``. A batch-1 row is labelled latency, a larger batch throughput.
* ``minet-fps``: Kunye-Shen/MINet ``FPS.py``: a random 300 x 3 x 368 x 368 batch, 100 calls
  under ``torch.no_grad`` with ``cudnn.benchmark = True``, the first 21 dropped, and
  ``fps = batch / mean``. Batch and call counts can be overridden (the full protocol takes
  minutes on a CPU); the row then records what was run.

On CUDA every call is bracketed by CUDA events and synchronised, so kernel launches are never
mistaken for work (docs/profile.md, "Speed protocols").
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable

import torch

from sodbench.errors import SodbenchError
from sodbench.profiling.report import plural

PROTOCOLS = ("latency", "throughput", "minet-fps")
#: Kunye-Shen/MINet FPS.py: batch, total calls, calls dropped (``if idx > 20``).
MINET_FPS = {"batch": 300, "iters": 100, "warmup": 21}


def _percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of an already sorted list."""
    position = (len(sorted_values) - 1) * q
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(seconds: list[float], batch: int) -> dict:
    """Median, p90, mean, IQR (milliseconds) and images per second of per-call times."""
    ordered = sorted(seconds)
    median = statistics.median(ordered)
    return {
        "median_ms": median * 1e3,
        "p90_ms": _percentile(ordered, 0.9) * 1e3,
        "mean_ms": statistics.fmean(ordered) * 1e3,
        "iqr_ms": (_percentile(ordered, 0.75) - _percentile(ordered, 0.25)) * 1e3,
        "min_ms": ordered[0] * 1e3,
        "fps": batch / median,
    }


def _timer(device: torch.device) -> Callable[[Callable], float]:
    if device.type == "cuda":
        def timed(call):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize(device)
            start.record()
            call()
            end.record()
            end.synchronize()
            return start.elapsed_time(end) / 1e3
        return timed

    def timed(call):
        begin = time.perf_counter()
        call()
        return time.perf_counter() - begin

    return timed


def time_calls(
    run: Callable, x: torch.Tensor, *, warmup: int, iters: int, grad_mode=torch.inference_mode,
    amp: bool = False,
) -> list[float]:
    """Per-call wall times (seconds) of ``run(x)`` after ``warmup`` untimed calls."""
    timed = _timer(x.device)
    autocast = (
        torch.autocast(x.device.type, dtype=torch.float16) if amp else contextlib.nullcontext()
    )
    with grad_mode(), autocast:
        for _ in range(warmup):
            run(x)
        return [timed(lambda: run(x)) for _ in range(iters)]


@contextlib.contextmanager
def fixed_threads(threads: int | None):
    """Set ``torch.set_num_threads`` for the block and restore the previous count after."""
    previous = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise SodbenchError(f"threads={threads}: must be 1 or more")
        torch.set_num_threads(threads)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def set_cudnn_benchmark(enabled: bool):
    """Set ``torch.backends.cudnn.benchmark`` for the block and restore it after."""
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def _minet_fps(run: Callable, x: torch.Tensor, *, warmup: int, iters: int, amp: bool) -> dict:
    batch = x.shape[0]
    with set_cudnn_benchmark(True):
        seconds = time_calls(run, x, warmup=0, iters=iters, grad_mode=torch.no_grad, amp=amp)
    kept = seconds[warmup:]
    row = {"protocol": "minet-fps", "batch": batch, **summarize(kept, batch)}
    row["fps"] = batch / statistics.fmean(kept)
    row.update(iters=iters, dropped=warmup, statistic="batch / mean of kept calls")
    return row


def _round_sizes(iters: int, rounds: int) -> list[int]:
    rounds = max(1, min(rounds, iters))
    return [iters // rounds + (r < iters % rounds) for r in range(rounds)]


def measure(
    runs: dict[str, Callable], x: torch.Tensor, *, protocol: str, warmup: int, iters: int,
    rounds: int = 5, amp: bool = False, progress: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """One speed row per named callable in ``runs`` on input ``x`` under ``protocol``.

    minet-fps times each callable on its own, as FPS.py does; the other protocols interleave
    them in ``rounds`` with a rotating order (see the module docstring). ``progress`` gets one
    line before each block of calls (warm-up, each round).
    """
    progress = progress or (lambda line: None)
    if iters < 1 or warmup < 0:
        raise SodbenchError(f"iters={iters}, warmup={warmup}: need 1 timed call or more and no "
                            "negative warm-up")
    if protocol == "minet-fps":
        if iters <= warmup:
            raise SodbenchError(
                f"iters={iters}, warmup={warmup}: minet-fps drops the first warmup= of its "
                "iters= calls, so it needs more calls than it drops"
            )
        rows = {}
        for name, run in runs.items():
            progress(f"{name}: {plural(iters, 'call')} at batch {x.shape[0]}, the first {warmup} "
                     "dropped (minet-fps)")
            rows[name] = _minet_fps(run, x, warmup=warmup, iters=iters, amp=amp)
        return rows
    if protocol not in PROTOCOLS:
        raise SodbenchError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    names = list(runs)
    seconds = {name: [] for name in names}
    if warmup:
        progress(f"{plural(warmup, 'call')} of warm-up per backend ({', '.join(names)})")
    for name in names:
        time_calls(runs[name], x, warmup=warmup, iters=0, amp=amp)
    sizes = _round_sizes(iters, rounds)
    for index, size in enumerate(sizes):
        progress(f"timing round {index + 1}/{len(sizes)}: {plural(size, 'call')} per backend")
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            seconds[name] += time_calls(runs[name], x, warmup=0, iters=size, amp=amp)
    batch = x.shape[0]
    label = "latency" if protocol == "latency" and batch == 1 else "throughput"
    rows = {}
    for name in names:
        rows[name] = {"protocol": label, "batch": batch, **summarize(seconds[name], batch)}
        rows[name].update(iters=iters, warmup=warmup, rounds=len(_round_sizes(iters, rounds)),
                          statistic="batch / median call time")
    return rows
