"""The cost of evaluating on a Dask cluster against local worker processes, and the
per-chunk numbers that project a cluster's wall time.

The same evaluation both ways, in one process, through the API the way users call it:
``sodbench.evaluate(GT, {3 methods}, jobs=2)`` (local worker processes, the default on 2
cores) and ``sodbench.evaluate(GT, {3 methods}, executor=client.get_executor())`` on the
``LocalCluster`` that ``sodbench eval --scheduler local:2`` starts (2 worker processes of 1
thread on 127.0.0.1, worker profiler off: ``sodbench.folders.cluster.local_cluster``).
Data: SD-Saliency-900, methods FT, HC and SMD (3 x 900 pairs), the default metric set, cache
off; both results are checked equal.

The cluster is started once (its start-up time is printed) and warmed by one run, as a
standing cluster is: its workers import sodbench on their first unit, and that cold run is
printed apart. Then ``--repeat`` rounds alternate local and cluster runs. Printed: best and
median wall time of each, the cluster's overhead (best over best, minus 1; target at most
15%), and from Dask's task stream of the last cluster run the per-unit numbers: units, pairs
per unit, compute seconds per unit on a worker (mean, median), the client's fixed time
(wall time minus the compute time per worker) and the throughput per worker. The projection
for N workers uses::

    T(N) = T_fixed + ceil(U / N) * t_unit

with U units of mean compute time t_unit, and T_fixed as measured (listing, headers,
merging, start of the units); it assumes the data are read as fast on every worker.
``--command`` also times ``sodbench eval --scheduler local:2`` against ``--jobs 2`` as whole
commands (interpreter and cluster start-up included).

Usage::

    python benchmarks/eval_scale.py                  # 3 x 900 pairs, 3 rounds
    python benchmarks/eval_scale.py --per-kind 30    # quick: 3 x 90 pairs
    python benchmarks/eval_scale.py --command        # also the two whole commands
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SD900 = ROOT.parent / "shared" / "data" / "sd-saliency-900"
METHODS = ("FT", "HC", "SMD")


def _subset(root: Path, per_kind: int, out: Path) -> tuple[Path, dict[str, Path]]:
    """``per_kind`` images of each defect kind (symlinks), or the folders themselves."""
    if per_kind >= 300:
        return root / "GT", {method: root / "pred" / method for method in METHODS}
    names = [f"{kind}_{i}" for kind in ("In", "Pa", "Sc") for i in range(1, per_kind + 1)]
    folders = {"GT": root / "GT", **{m: root / "pred" / m for m in METHODS}}
    for label, folder in folders.items():
        (out / label).mkdir(parents=True)
        by_stem = {path.stem: path for path in folder.iterdir()}
        for name in names:
            (out / label / by_stem[name].name).symlink_to(by_stem[name])
    return out / "GT", {method: out / method for method in METHODS}


def _entries(document: dict) -> str:
    return json.dumps(document["entries"], default=lambda array: array.tolist(), sort_keys=True)


def _timed(call):
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def _command(gt: Path, preds: dict[str, Path], out: Path, *extra: str) -> float:
    arguments = [sys.executable, "-m", "sodbench.cli", "eval", "--gt", str(gt), "--no-cache",
                 "--quiet", "--json", str(out / "r.json"), *extra]
    for method, folder in preds.items():
        arguments += ["--pred", f"{method}={folder}"]
    seconds, _ = _timed(lambda: subprocess.run(arguments, check=True, cwd=ROOT))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SD900, help="SD-Saliency-900 folder")
    parser.add_argument("--per-kind", type=int, default=300, help="images per defect kind")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of local + cluster runs")
    parser.add_argument("--command", action="store_true",
                        help="also time the whole commands --scheduler local:2 and --jobs 2")
    args = parser.parse_args()
    if not (args.data / "GT").is_dir():
        sys.exit(f"SD-Saliency-900 not found at {args.data} (research data, not shipped): "
                 "nothing measured")
    try:
        import distributed
    except ImportError:
        sys.exit("needs the dask extra: pip install 'sodbench[dask]'")
    from sodbench import evaluate
    from sodbench.folders.cluster import local_cluster

    with tempfile.TemporaryDirectory() as tmp:
        gt, preds = _subset(args.data, args.per_kind, Path(tmp) / "data")
        pairs = len(list(gt.iterdir())) * len(preds)
        cores = len(os.sched_getaffinity(0))
        print(f"{pairs} pairs ({len(preds)} methods: {', '.join(preds)}), {cores} cores, "
              f"dask {distributed.__version__}, load average {os.getloadavg()[0]:.2f}")
        started = time.perf_counter()
        cluster = local_cluster(2)  # what --scheduler local:2 starts
        client = distributed.Client(cluster, set_as_default=False)
        startup = time.perf_counter() - started
        try:
            executor = client.get_executor(pure=False)
            cold, reference = _timed(lambda: evaluate(gt, preds, executor=executor))
            local_warm, local_first = _timed(lambda: evaluate(gt, preds, jobs=2))
            if _entries(reference) != _entries(local_first):
                sys.exit("the cluster's numbers differ from the local run's")
            local_times, cluster_times = [], []
            for _ in range(args.repeat):
                seconds, _ = _timed(lambda: evaluate(gt, preds, jobs=2))
                local_times.append(seconds)
                with distributed.get_task_stream(client) as stream:
                    seconds, document = _timed(lambda: evaluate(gt, preds, executor=executor))
                cluster_times.append(seconds)
                if _entries(document) != _entries(reference):
                    sys.exit("two cluster runs differ")
            records = stream.data
        finally:
            client.close()
            cluster.close()
        compute = [sum(part["stop"] - part["start"] for part in record["startstops"]
                       if part["action"] == "compute") for record in records]
        units = len(compute)
        per_unit = pairs / units
        t_unit = statistics.mean(compute)
        best_local, best_cluster = min(local_times), min(cluster_times)
        fixed = cluster_times[-1] - sum(compute) / 2
        print(f"LocalCluster start-up (2 worker processes): {startup:.2f} s; first run on its "
              f"cold workers: {cold:.2f} s (local warm-up run: {local_warm:.2f} s)")
        print(f"{'':34s} {'best s':>7s} {'median s':>9s}   runs")
        print(f"{'local worker processes (jobs=2)':34s} {best_local:7.2f} "
              f"{statistics.median(local_times):9.2f}   "
              + " ".join(f"{t:.2f}" for t in local_times))
        print(f"{'Dask LocalCluster, 2 workers':34s} {best_cluster:7.2f} "
              f"{statistics.median(cluster_times):9.2f}   "
              + " ".join(f"{t:.2f}" for t in cluster_times))
        overhead = best_cluster / best_local - 1
        print(f"cluster overhead: {overhead:+.1%} (target <= +15%: "
              f"{'PASS' if overhead <= 0.15 else 'FAIL'}); numbers equal: yes")
        print(f"units: {units} of {per_unit:.0f} pairs ({len(preds)} methods x "
              f"{per_unit / len(preds):.0f} GT names); compute per unit on a worker: mean "
              f"{t_unit:.3f} s, median {statistics.median(compute):.3f} s, "
              f"{per_unit / t_unit:.0f} pairs/s per worker")
        print(f"fixed time of the last cluster run (wall - compute / 2 workers): {fixed:.2f} s")
        print("projection T(N) = T_fixed + ceil(U / N) * t_unit, for this set:")
        for workers in (1, 2, 4, 8, 16, 32):
            projected = fixed + math.ceil(units / workers) * t_unit
            print(f"  N = {workers:2d}: {projected:6.2f} s")
        if args.command:
            out = Path(tmp) / "out"
            out.mkdir()
            local_command = _command(gt, preds, out, "--jobs", "2")
            cluster_command = _command(gt, preds, out, "--scheduler", "local:2")
            print(f"whole commands: --jobs 2 {local_command:.2f} s; --scheduler local:2 "
                  f"{cluster_command:.2f} s (cluster start-up included)")


if __name__ == "__main__":
    main()
