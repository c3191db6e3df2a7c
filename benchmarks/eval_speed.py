"""Whole-command wall time of ``sodbench eval`` against a PySODMetrics loop, side by side.

Both read every GT and prediction file of the same folders and compute the same metric set:
MAE, S-measure, weighted F, E-measure (adp/mean/max) and FmeasureV2 with the F, IoU and
Dice handlers (adp/mean/max). The reference is the loop PySODEvalToolkit runs: OpenCV
grey reading (PIL when OpenCV is missing), one ``step`` per image and metric. sodbench
runs as a subprocess (interpreter start-up included) with the cache off, once with
``--jobs 1`` and once with the default (all cores). Wall time is the target; CPU time
(user + system, all processes) is printed too because on a shared machine other
processes' load inflates wall time.

Usage::

    python benchmarks/eval_speed.py                       # SD-Saliency-900, six methods
    python benchmarks/eval_speed.py --per-kind 30         # quick: 90 images per method
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SD900 = ROOT.parent / "shared" / "data" / "sd-saliency-900"
METRICS = "MAE,Sm,wF,maxF,meanF,adpF,maxE,meanE,adpE,maxIoU,meanIoU,adpIoU,maxDice,meanDice,adpDice"


def _reader():
    try:
        import cv2

        return "cv2", lambda path: cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    except ImportError:
        from PIL import Image

        return "PIL", lambda path: np.asarray(Image.open(path).convert("L"))


def reference_loop(gt_dir: Path, preds: dict[str, Path]) -> tuple[float, float]:
    """(wall, CPU) seconds of the PySODMetrics loop over every method (reading included)."""
    import py_sod_metrics as psm

    _, read = _reader()
    start, cpu = time.perf_counter(), time.process_time()
    for pred_dir in preds.values():
        by_stem = {p.stem: p for p in pred_dir.iterdir()}
        metrics = [psm.MAE(), psm.Smeasure(), psm.WeightedFmeasure(), psm.Emeasure(),
                   psm.FmeasureV2({
                       "fm": psm.FmeasureHandler(with_dynamic=True, with_adaptive=True),
                       "iou": psm.IOUHandler(with_dynamic=True, with_adaptive=True),
                       "dice": psm.DICEHandler(with_dynamic=True, with_adaptive=True)})]
        for gt_path in sorted(gt_dir.iterdir()):
            gt, pred = read(gt_path), read(by_stem[gt_path.stem])
            for metric in metrics:
                metric.step(pred, gt)
        for metric in metrics:
            metric.get_results()
    return time.perf_counter() - start, time.process_time() - cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sodbench_command(gt_dir: Path, preds: dict[str, Path], jobs: int | None):
    """(wall, CPU) seconds of one ``sodbench eval`` process and its workers."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "sodbench.cli", "eval", "--gt", str(gt_dir),
                "--metrics", METRICS, "--no-cache", "--quiet", "--json", f"{tmp}/r.json"]
        for name, folder in preds.items():
            args += ["--pred", f"{name}={folder}"]
        if jobs is not None:
            args += ["--jobs", str(jobs)]
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(args, check=True, cwd=ROOT)
        return time.perf_counter() - start, _children_cpu() - cpu


def _subset(root: Path, per_kind: int, out: Path) -> tuple[Path, dict[str, Path]]:
    """Symlinked folders with the first ``per_kind`` images of each kind."""
    methods = sorted(p.name for p in (root / "pred").iterdir())
    for label, source in [("GT", root / "GT")] + [(m, root / "pred" / m) for m in methods]:
        (out / label).mkdir(parents=True)
        for path in source.iterdir():
            if int(path.stem.split("_")[1]) <= per_kind:
                (out / label / path.name).symlink_to(path)
    return out / "GT", {m: out / m for m in methods}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SD900, help="SD-Saliency-900 folder")
    parser.add_argument("--per-kind", type=int, default=300, help="images per defect kind")
    args = parser.parse_args()
    if not (args.data / "GT").is_dir():
        sys.exit(f"SD-Saliency-900 not found at {args.data} (research data, not shipped)")
    warnings.simplefilter("ignore", RuntimeWarning)
    with tempfile.TemporaryDirectory() as tmp:
        gt_dir, preds = _subset(args.data, args.per_kind, Path(tmp))
        n_pairs = len(list(gt_dir.iterdir())) * len(preds)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(f"{n_pairs} pairs ({len(preds)} methods), {cores} cores, reader "
              f"{_reader()[0]}, metrics {METRICS}")
        print(f"load average before: {os.getloadavg()[0]:.2f} (other processes skew wall time;"
              " CPU time is the load-independent cost)")
        print(f"{'':32s} {'wall s':>8s} {'ratio':>6s} {'CPU s':>8s} {'ratio':>6s}")
        wall, cpu = reference_loop(gt_dir, preds)
        print(f"{'PySODMetrics loop':32s} {wall:8.2f} {1:6.2f} {cpu:8.2f} {1:6.2f}")
        for label, jobs in (("sodbench eval --jobs 1", 1),
                            (f"sodbench eval (default: {cores} jobs)", None)):
            seconds, cpu_seconds = sodbench_command(gt_dir, preds, jobs)
            print(f"{label:32s} {seconds:8.2f} {wall / seconds:6.2f} {cpu_seconds:8.2f} "
                  f"{cpu / cpu_seconds:6.2f}")


if __name__ == "__main__":
    main()
