"""Rows of benchmarks/metrics_speed.py for the PySODMetrics 1.6.2 families beyond the SOD table
set: each PySODMetrics class stepped per pair against ``Evaluator(metrics=<keys>)`` updated per
pair, on the same pairs in one process, with every key checked against the reference. The
dataset-wide AP and AUC, which PySODMetrics lacks, are set against scikit-learn.

The references are reduced to sodbench's keys the way PySODMetrics' README and example recorder
(examples/metric_recorder.py) do: ``dynamic.max()``/``.mean()`` of the mean curve (``.min()`` for
the lower-is-better FPR and BER), ``adaptive``, ``binary``; the size-invariant curves per image as
the mean over components of each component curve's max (mean), then the mean over images.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import py_sod_metrics as psm
from PIL import Image

from sodbench import Evaluator
from sodbench.metrics.keys import CONFUSION, GROUPS, KEYS

__all__ = ["FAMILIES", "family_rows", "sd900_pairs"]

_HANDLERS = {
    "F": lambda **kw: psm.FmeasureHandler(**kw, beta=0.3), "IoU": psm.IOUHandler,
    "Dice": psm.DICEHandler, "Pre": psm.PrecisionHandler, "Rec": psm.RecallHandler,
    "Spec": psm.SpecificityHandler, "FPR": psm.FPRHandler, "BER": psm.BERHandler,
    "OA": psm.OverallAccuracyHandler, "Kappa": psm.KappaHandler,
}


def _best(suffix: str) -> str:
    return "min" if f"min{suffix}" in KEYS or f"simin{suffix}" in KEYS else "max"


def sd900_pairs(root: Path, count: int, *, images: bool = False):
    """``count`` uint8 (pred, gt[, RGB image]) stacks of SD-Saliency-900, spread over its 900
    GT masks, the prediction of pair ``i`` from method ``i % 6`` (pairing by file stem)."""
    methods = sorted(path for path in (root / "pred").iterdir() if path.is_dir())
    gt_paths = sorted((root / "GT").iterdir())
    gt_paths = gt_paths[:: max(1, len(gt_paths) // count)][:count]
    preds, gts, rgbs = [], [], []
    for index, gt_path in enumerate(gt_paths):
        (pred_path,) = (methods[index % len(methods)]).glob(f"{gt_path.stem}.*")
        preds.append(np.asarray(Image.open(pred_path).convert("L")))
        gts.append(np.asarray(Image.open(gt_path).convert("L")))
        if images:
            (image_path,) = (root / "Img").glob(f"{gt_path.stem}.*")
            rgbs.append(np.asarray(Image.open(image_path).convert("RGB")))
    out = (np.stack(preds), np.stack(gts))
    return (*out, np.stack(rgbs)) if images else out


# --- PySODMetrics side: (make the metric objects, step one pair, reduce to sodbench keys) ---

def _confusion_reference():
    sample = dict(with_dynamic=True, with_adaptive=True, with_binary=True, sample_based=True)
    pooled = dict(with_dynamic=False, with_adaptive=False, with_binary=True, sample_based=False)
    handlers = {**{x: make(**sample) for x, make in _HANDLERS.items()},
                **{f"pooled{x}": make(**pooled) for x, make in _HANDLERS.items()}}
    metric = psm.FmeasureV2(handlers)

    def reduce() -> dict:
        results = metric.get_results()
        out = {}
        for x in CONFUSION:
            dynamic = results[x]["dynamic"]
            best = _best(x)
            out[f"{best}{x}"] = getattr(dynamic, best)()
            out[f"mean{x}"] = dynamic.mean()
            out[f"adp{x}"] = results[x]["adaptive"]
            out[f"bin{x}"] = results[x]["binary"]
            out[f"pooled{x}"] = results[f"pooled{x}"]["binary"]
        return out
    return (lambda pred, gt, image: metric.step(pred, gt)), reduce


def _msiou_reference():
    metric = psm.MSIoU(with_dynamic=True, with_adaptive=True, with_binary=True)

    def reduce() -> dict:
        results = metric.get_results()
        return {"maxMSIoU": results["dynamic"].max(), "meanMSIoU": results["dynamic"].mean(),
                "adpMSIoU": results["adaptive"], "binMSIoU": results["binary"]}
    return (lambda pred, gt, image: metric.step(pred, gt)), reduce


def _sizeinvariance_reference():
    options = dict(with_dynamic=True, with_adaptive=True, with_binary=True, sample_based=True)
    metric = psm.SizeInvarianceFmeasureV2({x: make(**options) for x, make in _HANDLERS.items()})
    mae = psm.SizeInvarianceMAE()

    def step(pred, gt, image):
        metric.step(pred, gt)
        mae.step(pred, gt)

    def reduce() -> dict:
        results = metric.get_results()
        out = {"siMAE": mae.get_results()["si_mae"]}
        for x in CONFUSION:
            best = _best(x)
            curves = results[x]["dynamic"]  # per image: components x 256
            out[f"si{best}{x}"] = np.mean([getattr(c, best)(axis=-1).mean() for c in curves])
            out[f"simean{x}"] = np.mean([c.mean(axis=-1).mean() for c in curves])
            out[f"siadp{x}"] = results[x]["adaptive"]
            out[f"sibin{x}"] = results[x]["binary"]
        return out
    return step, reduce


def _dataset_reference():
    """AP and AUC by scikit-learn on every pixel of the dataset, scored by its curve level
    (``trunc(255 P)`` of PySODMetrics' min-max map): no PySODMetrics class has them."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    levels, labels = [], []

    def step(pred, gt, image):
        normalised, mask = psm.utils.prepare_data(pred, gt)
        levels.append((normalised * 255).astype(np.uint8).ravel())
        labels.append(mask.ravel())

    def reduce() -> dict:
        score, truth = np.concatenate(levels), np.concatenate(labels)
        return {"AP": average_precision_score(truth, score), "AUC": roc_auc_score(truth, score)}
    return step, reduce


def _single_reference(cls, result: str, key: str, *, image: bool = False):
    metric = cls()

    def step(pred, gt, rgb):
        if image:
            metric.step(pred, gt, img=rgb)
        else:
            metric.step(pred, gt)
    return step, lambda: {key: metric.get_results()[result]}


#: Family row -> (PySODMetrics side, sodbench keys, pairs of a full run, needs RGB images).
FAMILIES = {
    "confusion (10 handlers x 5)": (
        _confusion_reference,
        [k.name for k in KEYS.values() if k.family == "confusion"
         or (k.family == "fmeasure" and k.name in GROUPS["pysodmetrics"])], 900, False),
    "MSIoU": (_msiou_reference, [k.name for k in KEYS.values() if k.family == "msiou"], 90,
              False),
    "size-invariant (siMAE + 10 x 4)": (
        _sizeinvariance_reference,
        [k.name for k in KEYS.values() if k.family == "sizeinvariance"], 300, False),
    "HCE": (lambda: _single_reference(psm.HumanCorrectionEffortMeasure, "hce", "HCE"),
            ["HCE"], 300, False),
    "CM": (lambda: _single_reference(psm.ContextMeasure, "cm", "CM"), ["CM"], 300, False),
    "CCM": (lambda: _single_reference(psm.CamouflageContextMeasure, "ccm", "CCM", image=True),
            ["CCM"], 90, True),
    "AP, AUC (vs scikit-learn)": (_dataset_reference, ["AP", "AUC"], 300, False),
}


def _run_reference(make, preds, gts, rgbs) -> dict:
    step, reduce = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for index in range(len(preds)):
            step(preds[index], gts[index], None if rgbs is None else rgbs[index])
        return reduce()


def _run_sodbench(keys, preds, gts, rgbs) -> dict:
    evaluator = Evaluator(metrics=keys)
    for index in range(len(preds)):
        evaluator.update(preds[index], gts[index],
                         image=None if rgbs is None else rgbs[index])
    return evaluator.compute()


def _timed(function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def family_rows(data: Path, *, quick: bool = False) -> None:
    """Print one row per family; assert every key within 1e-10 (CM, CCM: 1e-6)."""
    source = "SD-Saliency-900" if (data / "GT").is_dir() else "synthetic"
    print(f"families beyond the table set, one update() per pair ({source}):")
    for label, (make, keys, count, needs_images) in FAMILIES.items():
        count = max(6, count // 10) if quick else count
        if source == "SD-Saliency-900":
            pairs = sd900_pairs(data, count, images=needs_images)
        else:
            pairs = _synthetic(count, needs_images)
        preds, gts, rgbs = (*pairs, None) if len(pairs) == 2 else pairs
        reference, ref_wall, ref_cpu = _timed(_run_reference, make, preds, gts, rgbs)
        ours, our_wall, our_cpu = _timed(_run_sodbench, keys, preds, gts, rgbs)
        missing = sorted(set(keys) - set(reference))
        worst = max(abs(ours[key] - reference[key]) for key in reference)
        print(f"  {label:32s} {len(preds):4d} pairs | reference "
              f"{1e3 * ref_cpu / len(preds):7.1f} ms/pair CPU ({ref_wall:6.1f} s wall) | "
              f"sodbench {1e3 * our_cpu / len(preds):6.1f} ms/pair CPU ({our_wall:5.1f} s wall)"
              f" | speed-up {ref_wall / our_wall:5.1f}x wall, {ref_cpu / our_cpu:5.1f}x CPU | "
              f"{len(reference)} keys, max |difference| {worst:.1e}"
              + (f" | not in the reference: {missing}" if missing else ""))
        assert worst <= (1e-6 if label in ("CM", "CCM") else 1e-10), (label, worst)


def _synthetic(count: int, images: bool):
    from metrics_speed import synthetic_pairs

    preds, gts = synthetic_pairs(count, 200, seed=3)
    if not images:
        return preds, gts
    rng = np.random.default_rng(4)
    texture = rng.integers(0, 256, (count, 200, 200, 3), dtype=np.uint8)
    return preds, gts, texture
