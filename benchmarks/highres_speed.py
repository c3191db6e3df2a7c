"""Wall time and peak memory of ``sodbench eval`` on large images against a PySODMetrics loop.

Issue #15's targets, checked per case: at default settings (all cores) ``sodbench eval`` is at
least 4x faster than a plain PySODMetrics 1.6.2 loop; with ``--jobs 1`` its peak memory is at
most the loop's, with the default jobs at most jobs x the loop's; doubling the number of
images raises the peak by at most 10% (memory bounded, not growing with the data).

Every run is a subprocess, interpreter start-up included, measured alike: the reference loop
(``cv2.imread(path, cv2.IMREAD_GRAYSCALE)`` of GT and prediction, ``step`` on MAE, Smeasure,
WeightedFmeasure, Emeasure and FmeasureV2 with the F handler (dynamic + adaptive), then
``get_results``) and ``sodbench eval --metrics MAE,Sm,wF,maxF,meanF,adpF,maxE,meanE,adpE
--no-cache --quiet --json`` with the default jobs and with ``--jobs 1``, on each case's set and
its doubled set. Measured: wall time; CPU time (user + system of the process and all its
children); peak memory of the process tree: a thread walks the tree every 20 ms
(``/proc/PID/task/*/children``) and sums each process's PSS from ``/proc/PID/smaps_rollup``
(pages shared by forked workers are split between them, not counted twice; VmRSS where
smaps_rollup is missing), and keeps the peak of the largest single process too. Reading
smaps_rollup takes milliseconds per process, so between reads PSS is estimated from VmRSS
(see ``_sample``); every recorded peak is a PSS read. Linux only.
sodbench's 9 numbers are checked against the loop's (max abs difference, expected <= 1e-10).

Data (synthetic, deterministic, written once under ``--data`` and reused): image ``i`` of a
W x H case draws from ``numpy.random.default_rng((15, W, H, i))``. At 1/8 of the size, three
white-noise images smoothed by Gaussians of sigma 24, 8 and 2 px (1/192, 1/64 and 1/16 of the
full size), each scaled to unit std, are summed with weights 1, 0.6 and 0.15 (blobs of several
sizes with irregular borders): the field F. ``zoom`` is ``cv2.resize`` to W x H, bilinear (10x
faster than ``scipy.ndimage.zoom(order=1)``). GT = 255 where ``zoom(F)`` is above the
(1 - f) quantile t of F, f uniform in [0.10, 0.30] (the foreground share), else 0.
Prediction: F blurred (Gaussian sigma 1), shifted by -3..3 px each way (edges repeated; x8 at
full size), plus 0.25 x an independent unit-std sigma-8 field (false alarms and misses) = P;
pred = 255 / (1 + exp((t - zoom(P)) / 0.08)) plus Gaussian noise of sigma 6 grey levels,
clipped to uint8. PNGs: ``cv2.imwrite`` at compression 1. Cases: 2048x2048 (12 images),
4096x4096 (8), 6000x4000 (4; arrays of shape (4000, 6000)), each with a doubled set (the same
images plus as many new ones; folders of symlinks into one pool of files per case).

Usage::

    python benchmarks/highres_speed.py --quick       # smoke: 2048x2048, 4 and 8 images
    python benchmarks/highres_speed.py               # all three cases (several minutes)
    python benchmarks/highres_speed.py --cases 6000x4000 --repeat 3 --out highres.json
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["dataset", "make_pair", "measure", "reference_loop"]

ROOT = Path(__file__).resolve().parents[1]
CASES = {"2048x2048": 12, "4096x4096": 8, "6000x4000": 4}
KEYS = ("MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE")
SEED = 15
LABELS = {"psm": "PySODMetrics loop", "default": "sodbench (all cores)",
          "jobs1": "sodbench --jobs 1", "default_x2": "doubled (all cores)",
          "jobs1_x2": "doubled, --jobs 1"}


def make_pair(width: int, height: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Image ``index`` of the ``width`` x ``height`` case: (GT, prediction), uint8 (H, W)."""
    import cv2
    from scipy import ndimage

    rng = np.random.default_rng((SEED, width, height, index))
    small = (height // 8, width // 8)

    def field(*parts):
        out = np.zeros(small, np.float32)
        for sigma, weight in parts:
            smooth = ndimage.gaussian_filter(rng.standard_normal(small, np.float32), sigma)
            out += weight * smooth / smooth.std()
        return out

    def zoom(small_field):
        return cv2.resize(small_field, (width, height), interpolation=cv2.INTER_LINEAR)

    f = field((24, 1.0), (8, 0.6), (2, 0.15))
    t = np.float32(np.quantile(f, 1 - rng.uniform(0.10, 0.30)))
    shift = rng.integers(-3, 4, 2)
    p = ndimage.shift(ndimage.gaussian_filter(f, 1.0), shift, order=0, mode="nearest")
    p += 0.25 * field((8, 1.0))
    gt = np.where(zoom(f) > t, np.uint8(255), np.uint8(0))
    with np.errstate(over="ignore"):
        pred = np.float32(255) / (1 + np.exp((t - zoom(p)) * np.float32(1 / 0.08)))
    pred += 6 * rng.standard_normal(pred.shape, np.float32)
    return gt, np.clip(pred, 0, 255).astype(np.uint8)


def dataset(root: Path, case: str, count: int) -> tuple[Path, Path, bool]:
    """(gt, pred) folders of the first ``count`` images of ``case``; True if any were made."""
    import cv2

    width, height = (int(v) for v in case.split("x"))
    if width % 8 or height % 8:
        sys.exit(f"case {case}: width and height must be multiples of 8")
    pool, folder = root / case / "pool", root / case / f"n{count}"
    made = False
    for index in range(count):
        name = f"img_{index:03d}.png"
        if not all((pool / kind / name).exists() for kind in ("gt", "pred")):
            made = True
            for kind, image in zip(("gt", "pred"), make_pair(width, height, index), strict=True):
                (pool / kind).mkdir(parents=True, exist_ok=True)
                part = pool / kind / f"part_{name}"
                cv2.imwrite(str(part), image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
                os.replace(part, pool / kind / name)
        for kind in ("gt", "pred"):
            (folder / kind).mkdir(parents=True, exist_ok=True)
            link = folder / kind / name
            if not link.is_symlink():
                link.symlink_to(pool / kind / name)
    return folder / "gt", folder / "pred", made


def reference_loop(gt_dir: Path, pred_dir: Path, out: Path) -> None:
    """The plain PySODMetrics loop over one folder pair; its 9 numbers go to ``out`` (JSON)."""
    import warnings

    import cv2
    import py_sod_metrics as psm

    warnings.simplefilter("ignore", RuntimeWarning)
    metrics = [psm.MAE(), psm.Smeasure(), psm.WeightedFmeasure(), psm.Emeasure(),
               psm.FmeasureV2({"fm": psm.FmeasureHandler(with_dynamic=True,
                                                         with_adaptive=True)})]
    for gt_path in sorted(gt_dir.iterdir()):
        gt = cv2.imread(str(gt_path), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(str(pred_dir / gt_path.name), cv2.IMREAD_GRAYSCALE)
        for metric in metrics:
            metric.step(pred, gt)
    r = {}
    for metric in metrics:
        r.update(metric.get_results())
    em, fm = r["em"]["curve"], r["fm"]["dynamic"]
    numbers = {"MAE": r["mae"], "Sm": r["sm"], "wF": r["wfm"], "maxF": fm.max(),
               "meanF": fm.mean(), "adpF": r["fm"]["adaptive"], "maxE": em.max(),
               "meanE": em.mean(), "adpE": r["em"]["adp"]}
    out.write_text(json.dumps({key: float(value) for key, value in numbers.items()}))


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux ``/proc``)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as file:
                    stack += [int(c) for c in file.read().split()]
        except OSError:
            pass
    return found


def _kib(pid: int, name: str, field: str) -> int | None:
    """The KiB of ``field`` in ``/proc/PID/name`` (0 if absent; None if unreadable)."""
    try:
        with open(f"/proc/{pid}/{name}") as file:
            return next((int(line.split()[1]) for line in file if line.startswith(field)), 0)
    except OSError:
        return None


def _pss_kib(pid: int) -> int:
    """PSS of ``pid`` (VmRSS without smaps_rollup; 0 once it is gone)."""
    pss = _kib(pid, "smaps_rollup", "Pss:")
    return _kib(pid, "status", "VmRSS:") or 0 if pss is None else pss


def _sample(pid: int, done: threading.Event, peaks: list[int]) -> None:
    """Until ``done``: every 20 ms, raise ``peaks`` to the PSS (KiB) of the tree of ``pid``
    and of its largest process.

    smaps_rollup costs milliseconds per process (more under load), so each tick reads the
    cheap RSS and estimates PSS as RSS less the process's shared excess (RSS - PSS) at its
    last smaps_rollup read; that read is redone for a new process, every 2 s, and whenever
    an estimate tops a peak, so every recorded peak is a PSS read, not an estimate.
    """
    excess, last = {}, 0.0
    while True:
        rss = {p: _kib(p, "status", "VmRSS:") or 0 for p in _tree(pid)}
        guess = {p: size - excess.get(p, 0) for p, size in rss.items()}
        if (time.monotonic() - last > 2 or not excess.keys() >= rss.keys()
                or sum(guess.values()) > peaks[0] or max(guess.values()) > peaks[1]):
            guess, last = {p: _pss_kib(p) for p in rss}, time.monotonic()
            excess.update({p: rss[p] - guess[p] for p in rss})
            peaks[:] = max(peaks[0], sum(guess.values())), max(peaks[1], max(guess.values()))
        if done.wait(0.02):
            return


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(args: list[str]) -> dict:
    """Wall s, CPU s and peak MiB (tree sum, largest process) of one subprocess run.

    The child gets its own session; on any interruption its whole process group is ended.
    """
    cpu, start = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(args, cwd=ROOT, start_new_session=True)
    done, peaks = threading.Event(), [0, 0]
    sampler = threading.Thread(target=_sample, args=(proc.pid, done, peaks), daemon=True)
    sampler.start()
    try:
        code = proc.wait()
        wall = time.perf_counter() - start
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    finally:
        done.set()
        sampler.join()
    if code:
        sys.exit(f"exit status {code}: {' '.join(args)}")
    return {"wall": wall, "cpu": _children_cpu() - cpu, "peak_mib": peaks[0] / 1024,
            "largest_mib": peaks[1] / 1024}


def run_case(gt: Path, pred: Path, label: str, jobs: int | None, repeat: int, tmp: Path):
    """Best-of-``repeat`` measures (lowest times, highest peaks) and the metrics it wrote."""
    out = tmp / f"{label}.json"
    if label == "psm":
        args = [sys.executable, __file__, "--reference", str(gt), str(pred), str(out)]
    else:
        args = [sys.executable, "-m", "sodbench.cli", "eval", "--gt", str(gt), "--pred",
                f"A={pred}", "--metrics", ",".join(KEYS), "--no-cache", "--quiet", "--json",
                str(out)] + ([] if jobs is None else ["--jobs", str(jobs)])
    runs = [measure(args) for _ in range(repeat)]
    best = {"wall": min(r["wall"] for r in runs), "cpu": min(r["cpu"] for r in runs),
            "peak_mib": max(r["peak_mib"] for r in runs),
            "largest_mib": max(r["largest_mib"] for r in runs), "runs": runs}
    document = json.loads(out.read_text())
    best["metrics"] = document if label == "psm" else document["entries"][0]["metrics"]
    print(f"  {LABELS[label]:24s} {best['wall']:8.2f} {best['cpu']:8.2f} {best['peak_mib']:9.0f} "
          f"{best['largest_mib']:9.0f}", flush=True)
    return best


def _versions() -> dict:
    import cv2
    import scipy

    git = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                         capture_output=True, text=True).stdout.strip()
    return {"python": platform.python_version(), "numpy": np.__version__, "scipy":
            scipy.__version__, "opencv": cv2.__version__, "pysodmetrics":
            metadata.version("pysodmetrics"), "sodbench": metadata.version("sodbench"),
            "git": git}


def verdicts(r: dict, cores: int) -> dict:
    """The issue's targets for one case's runs: the numbers and PASS (True) / FAIL."""
    psm, full, one = r["psm"], r["default"], r["jobs1"]
    v = {"speedup_default": psm["wall"] / full["wall"], "speedup_jobs1": psm["wall"] / one["wall"],
         "growth_default": r["default_x2"]["peak_mib"] / full["peak_mib"] - 1,
         "growth_jobs1": r["jobs1_x2"]["peak_mib"] / one["peak_mib"] - 1,
         "max_abs_diff": max(abs(run["metrics"][k] - psm["metrics"][k])
                             for run in (full, one) for k in KEYS)}
    v["pass"] = {"speed-up default >= 4x": v["speedup_default"] >= 4,
                 "peak jobs 1 <= PSM peak": one["peak_mib"] <= psm["peak_mib"],
                 f"peak default <= {cores} x PSM peak": full["peak_mib"] <= cores * psm["peak_mib"],
                 "growth x2 default <= 10%": v["growth_default"] <= 0.10,
                 "growth x2 jobs 1 <= 10%": v["growth_jobs1"] <= 0.10,
                 "max |diff| <= 1e-10": v["max_abs_diff"] <= 1e-10}
    return v


def print_table(results: dict) -> None:
    """One column per case: the runs' wall / peak, speed-ups, growth and the verdicts."""
    def row(cell):
        return [cell(r, r["verdicts"]) for r in results.values()]

    rows = {"images (doubled set)": row(lambda r, v: f"{r['n']} ({2 * r['n']})")}
    for key, label in LABELS.items():
        rows[f"{label}: wall s / peak MiB"] = row(
            lambda r, v, k=key: f"{r[k]['wall']:.1f} / {r[k]['peak_mib']:.0f}")
    for key in ("default", "jobs1"):
        rows[f"speed-up, {LABELS[key]}"] = row(lambda r, v, k=key: f"{v['speedup_' + k]:.2f}x")
        rows[f"peak growth x2, {LABELS[key]}"] = row(
            lambda r, v, k=key: f"{v['growth_' + k]:+.1%}")
    rows["max |sodbench - PSM| (9 keys)"] = row(lambda r, v: f"{v['max_abs_diff']:.1e}")
    for target in next(iter(results.values()))["verdicts"]["pass"]:
        rows[target] = row(lambda r, v, t=target: "PASS" if v["pass"][t] else "FAIL")
    print(f"\n{'':42s}" + "".join(f"{case:>15s}" for case in results))
    for title, cells in rows.items():
        print(f"{title:42s}" + "".join(f"{cell:>15s}" for cell in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="data folder (made once, then reused)",
                        default=Path(tempfile.gettempdir()) / "sodbench-highres-v1")
    parser.add_argument("--cases", default=",".join(CASES),
                        help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--repeat", type=int, default=1,
                        help="N runs each: lowest times, highest peaks")
    parser.add_argument("--quick", action="store_true", help="2048x2048 with 4 and 8 images")
    parser.add_argument("--out", type=Path, help="write all numbers here (JSON)")
    parser.add_argument("--reference", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        return reference_loop(*args.reference)
    if not sys.platform.startswith("linux") or args.repeat < 1:
        sys.exit("Linux only (memory is read from /proc); --repeat must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cases = {"2048x2048": 4} if args.quick else {}
    for case in [] if args.quick else args.cases.split(","):
        if case not in CASES:
            sys.exit(f"unknown case {case!r}: choose from {', '.join(CASES)}")
        cases[case] = CASES[case]
    cores, versions = len(os.sched_getaffinity(0)), _versions()
    start, made, sets = time.perf_counter(), False, {}
    for case, n in cases.items():
        for count in (n, 2 * n):
            *sets[case, count], new = dataset(args.data, case, count)
            made |= new
    print(f"data {args.data}: " + (f"made in {time.perf_counter() - start:.1f} s" if made
                                   else "reused"))
    load = [os.getloadavg()[0]]
    print(f"{cores} cores, metrics {','.join(KEYS)}; load average {load[0]:.2f} (other "
          "processes' load inflates wall time; CPU time is the load-independent cost)")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case, n in cases.items():
            print(f"{f'{case}, {n} images':26s} {'wall s':>8s} {'CPU s':>8s} "
                  f"{'peak MiB':>9s} {'largest':>9s}")
            r = {"n": n}
            for label, count, jobs in (("psm", n, 1), ("default", n, None), ("jobs1", n, 1),
                                       ("default_x2", 2 * n, None), ("jobs1_x2", 2 * n, 1)):
                r[label] = run_case(*sets[case, count], label, jobs, args.repeat, Path(tmp))
            r["verdicts"] = verdicts(r, cores)
            results[case] = r
    load.append(os.getloadavg()[0])
    print(f"load average after: {load[1]:.2f}")
    print_table(results)
    if args.out:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        document = {"date_utc": now, "cores": cores, "load_average": load,
                    "repeat": args.repeat, "versions": versions, "data": str(args.data),
                    "machine": platform.platform(), "cases": results}
        args.out.write_text(json.dumps(document, indent=1) + "\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit("interrupted (child processes ended)")
