"""Timing protocols: interleaved rounds, FPS.py's drop-and-mean, percentiles."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sodbench.errors import SodbenchError  # noqa: E402
from sodbench.profiling.timing import fixed_threads, measure, summarize  # noqa: E402


def test_rounds_rotate_the_backend_order():
    calls = []
    runs = {name: (lambda x, name=name: calls.append(name)) for name in ("a", "b", "c")}
    rows = measure(runs, torch.zeros(1, 1), protocol="latency", warmup=1, iters=5, rounds=3)
    # warm-up a, b, c; then rounds of 2, 2, 1 calls starting at a, b, c in turn
    assert calls == ["a", "b", "c",
                     "a", "a", "b", "b", "c", "c",
                     "b", "b", "c", "c", "a", "a",
                     "c", "a", "b"]
    assert {row["rounds"] for row in rows.values()} == {3}
    assert {row["protocol"] for row in rows.values()} == {"latency"}


def test_batch_above_one_is_throughput_and_minet_fps_drops_warmup():
    calls = []
    runs = {"eager": lambda x: calls.append(x.shape[0])}
    (row,) = measure(runs, torch.zeros(4, 1), protocol="latency", warmup=0, iters=2).values()
    assert row["protocol"] == "throughput" and row["batch"] == 4
    calls.clear()
    (row,) = measure(runs, torch.zeros(3, 1), protocol="minet-fps", warmup=2, iters=5).values()
    # FPS.py: every call timed, the first `warmup` dropped, fps = batch / mean of the rest
    assert len(calls) == 5 and row["dropped"] == 2
    assert row["fps"] == pytest.approx(3 / (row["mean_ms"] / 1e3))


def test_summarize_matches_numpy():
    seconds = [0.010, 0.014, 0.011, 0.030, 0.012, 0.013, 0.009]
    row = summarize(seconds, batch=2)
    assert row["median_ms"] == pytest.approx(statistics.median(seconds) * 1e3)
    assert row["p90_ms"] == pytest.approx(np.percentile(seconds, 90) * 1e3)
    iqr = np.percentile(seconds, 75) - np.percentile(seconds, 25)
    assert row["iqr_ms"] == pytest.approx(iqr * 1e3)
    assert row["fps"] == pytest.approx(2 / statistics.median(seconds))


def test_bad_counts_and_threads():
    with pytest.raises(SodbenchError, match="iters=0, warmup=0: need 1 timed call or more"):
        measure({"eager": lambda x: x}, torch.zeros(1), protocol="latency", warmup=0, iters=0)
    with pytest.raises(SodbenchError, match="threads=0: must be 1 or more"), fixed_threads(0):
        pass
