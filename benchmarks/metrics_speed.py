"""sodbench vs PySODMetrics 1.6.2 on the same metric set, side by side in one process.

Metric set (what PySODMetrics users compute for a SOD table): MAE, S-measure, weighted F,
E-measure (256-threshold curve + adaptive) and FmeasureV2 with F, IoU and Dice handlers
(curve + adaptive + binary). Data: synthetic blob/scratch pairs (900 of 200 x 200 and 100 of
1024 x 1024 by default), fed to sodbench in batches of 16. Prints the time of each side, the
ratio, and checks every number agrees within 1e-10.

A third case ports a PySODMetrics loop as it stands: one ``Evaluator.update(pred, gt)`` per
200 x 200 pair, on the same metric set without the binary handlers (as measured since 0.1.0;
the batched cases include them as ``binF``, ``binIoU``, ``binDice``). Its pairs are the 900
SD-Saliency-900 GT masks with the maps of its six published methods in turn (``--data``),
or the synthetic 200 x 200 pairs when that folder is absent.

Both run in this one process. sodbench's Evaluator uses its default threads (every core: the
wF distance transforms run on worker threads beside the other metrics), PySODMetrics is
single-threaded; so the wall-time ratio is what a user waits for, and the CPU-time ratio is
the work per core.

A row per metric family PySODMetrics 1.6.2 added beyond that set (the confusion-matrix
handlers, MSIoU, the size-invariant metrics, HCE, CM, CCM) follows: the PySODMetrics class
stepped per pair against ``Evaluator(metrics=<the family's keys>)`` updated per pair, the way a
user ports such a loop, on SD-Saliency-900 pairs (synthetic 200 x 200 pairs without the data;
CCM reads the dataset's images as RGB). The family rows are in :mod:`families`.

    .venv/bin/python benchmarks/metrics_speed.py            # full run
    .venv/bin/python benchmarks/metrics_speed.py --quick    # 90 + 10 + 90 pairs, short rows
    .venv/bin/python benchmarks/metrics_speed.py --families-only
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import py_sod_metrics as psm
from families import family_rows, sd900_pairs
from scipy import ndimage

from sodbench import Evaluator

KEYS = ("MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE",
        "maxIoU", "meanIoU", "adpIoU", "maxDice", "meanDice", "adpDice")
CHUNK = 16
SD900 = Path(__file__).resolve().parents[2] / "shared" / "data" / "sd-saliency-900"


def synthetic_pairs(count: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` uint8 (pred, gt) pairs: smoothed random blobs or thin lines plus noise."""
    rng = np.random.default_rng(seed)
    preds = np.empty((count, size, size), np.uint8)
    gts = np.empty((count, size, size), np.uint8)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for index in range(count):
        if index % 3 == 2:
            a, b = rng.uniform(0.1, 0.9, 2)
            mask = np.abs(yy - (a + (b - a) * xx)) < rng.uniform(0.003, 0.012)
        else:
            field = ndimage.gaussian_filter(rng.random((size // 8, size // 8)), 1.5)
            field = ndimage.zoom(field, 8, order=1)
            mask = field > np.quantile(field, rng.uniform(0.6, 0.97))
        shifted = np.roll(mask.astype(float), rng.integers(-3, 4, 2), (0, 1))
        soft = ndimage.uniform_filter(shifted, 5)
        noise = 0.1 * rng.standard_normal((size // 4, size // 4)).repeat(4, 0).repeat(4, 1)
        preds[index] = np.round(np.clip(0.9 * soft + noise, 0, 1) * 255)
        gts[index] = mask * 255
    return preds, gts


def run_pysodmetrics(preds, gts, binary: bool = True) -> dict:
    handlers = {
        name: handler(with_dynamic=True, with_adaptive=True, with_binary=binary)
        for name, handler in (("F", psm.FmeasureHandler), ("IoU", psm.IOUHandler),
                              ("Dice", psm.DICEHandler))
    }
    metrics = {"MAE": psm.MAE(), "Sm": psm.Smeasure(), "wF": psm.WeightedFmeasure(),
               "E": psm.Emeasure(), "V2": psm.FmeasureV2(handlers)}
    for pred, gt in zip(preds, gts, strict=True):
        for metric in metrics.values():
            metric.step(pred, gt)
    fm = metrics["V2"].get_results()
    e = metrics["E"].get_results()["em"]
    out = {"MAE": metrics["MAE"].get_results()["mae"], "Sm": metrics["Sm"].get_results()["sm"],
           "wF": metrics["wF"].get_results()["wfm"], "adpE": e["adp"], "maxE": e["curve"].max(),
           "meanE": e["curve"].mean()}
    for name in ("F", "IoU", "Dice"):
        out[f"max{name}"] = fm[name]["dynamic"].max()
        out[f"mean{name}"] = fm[name]["dynamic"].mean()
        out[f"adp{name}"] = fm[name]["adaptive"]
        if binary:
            out[f"bin{name}"] = fm[name]["binary"]
    return out


def run_pysodmetrics_per_image(preds, gts) -> dict:
    return run_pysodmetrics(preds, gts, binary=False)


def run_sodbench(preds, gts) -> dict:
    evaluator = Evaluator(metrics=KEYS + ("binF", "binIoU", "binDice"))
    for start in range(0, len(preds), CHUNK):
        evaluator.update(preds[start : start + CHUNK], gts[start : start + CHUNK], batch=True)
    return evaluator.compute()


def run_sodbench_per_image(preds, gts) -> dict:
    """A ported PySODMetrics loop: one ``update`` per H x W pair."""
    evaluator = Evaluator(metrics=KEYS)
    for pred, gt in zip(preds, gts, strict=True):
        evaluator.update(pred, gt)
    return evaluator.compute()


def _timed(function, *args):
    """(result, wall seconds, CPU seconds of this process): CPU time is the steadier figure on a
    shared machine, wall time what a user waits."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def compare(preds, gts, label: str, per_image: bool = False) -> None:
    """Time both sides on the same pairs; print one line: ``count pairs of HxW<label>: ...``."""
    count, height, width = preds.shape
    reference_run, our_run = ((run_pysodmetrics_per_image, run_sodbench_per_image) if per_image
                              else (run_pysodmetrics, run_sodbench))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference, ref_wall, ref_cpu = _timed(reference_run, preds, gts)
    ours, our_wall, our_cpu = _timed(our_run, preds, gts)
    worst = max(abs(ours[key] - reference[key]) for key in reference)
    print(f"{count:4d} pairs of {height}x{width}{label}: "
          f"PySODMetrics {ref_wall:6.1f} s wall {ref_cpu:6.1f} s CPU "
          f"({1e3 * ref_cpu / count:6.1f} ms/pair) | "
          f"sodbench {our_wall:6.1f} s wall {our_cpu:6.1f} s CPU "
          f"({1e3 * our_cpu / count:6.1f} ms/pair) | "
          f"speed-up {ref_wall / our_wall:3.1f}x wall, {ref_cpu / our_cpu:3.1f}x CPU | "
          f"max |difference| {worst:.1e}")
    assert worst <= 1e-10, f"results differ by {worst}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="90 + 10 + 90 pairs instead of 900 + 100 + 900")
    parser.add_argument("--data", type=Path, default=SD900,
                        help="SD-Saliency-900 folder for the per-image case")
    parser.add_argument("--families-only", action="store_true",
                        help="only the rows of the families beyond the SOD table set")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(f"sodbench Evaluator threads: {Evaluator().threads} (the cores of this process)")
    if not args.families_only:
        table_set(args, scale)
    family_rows(args.data, quick=args.quick)


def table_set(args, scale: int) -> None:
    """The SOD table set: batched at two sizes, then one update() per pair."""
    compare(*synthetic_pairs(900 // scale, 200, seed=0), "")
    compare(*synthetic_pairs(100 // scale, 1024, seed=1), "")
    if (args.data / "GT").is_dir():
        pairs, source = sd900_pairs(args.data, 900 // scale), "SD-Saliency-900"
    else:
        pairs, source = synthetic_pairs(900 // scale, 200, seed=0), "synthetic"
    compare(*pairs, f", one update() per pair ({source})", per_image=True)


if __name__ == "__main__":
    main()
