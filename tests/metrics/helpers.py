"""Test helpers: PySODMetrics reference values, and sodbench metric functions over the pairs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from sodbench.metrics.validate import binarize_gt, im2double, minmax

py_sod_metrics = pytest.importorskip("py_sod_metrics")


def pysodmetrics_values(pred: np.ndarray, gt: np.ndarray) -> dict:
    sm, mae, wf, em = (py_sod_metrics.Smeasure(), py_sod_metrics.MAE(),
                       py_sod_metrics.WeightedFmeasure(), py_sod_metrics.Emeasure())
    handlers = {
        name: cls(with_dynamic=True, with_adaptive=True, with_binary=True)
        for name, cls in (("F", py_sod_metrics.FmeasureHandler), ("IoU", py_sod_metrics.IOUHandler),
                          ("Dice", py_sod_metrics.DICEHandler),
                          ("precision", py_sod_metrics.PrecisionHandler),
                          ("recall", py_sod_metrics.RecallHandler))
    }
    fm = py_sod_metrics.FmeasureV2(handlers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NaN of empty S-measure quadrants
        for metric in (sm, mae, wf, em, fm):
            metric.step(pred, gt)
    out = {"Sm": sm.get_results()["sm"], "MAE": mae.get_results()["mae"],
           "wF": wf.get_results()["wfm"]}
    e = em.get_results()["em"]
    out["adpE"], out["E_curve"] = e["adp"], e["curve"][::-1]
    for name, result in fm.get_results().items():
        out[f"{name}_curve"] = result["dynamic"][::-1]
        out[f"adp_{name}"] = result["adaptive"]
        out[f"bin_{name}"] = result["binary"]
    return out


def reference_array(pairs, key: str) -> np.ndarray:
    return np.array([ref[key] for *_, ref in pairs], dtype=np.float64)


def by_shape(pairs):
    """Yield (indices, normalised pred batch, raw pred batch, bool gt batch) per image size."""
    shapes = {}
    for index, (_, pred, _, _) in enumerate(pairs):
        shapes.setdefault(pred.shape, []).append(index)
    for indices in shapes.values():
        raw = im2double(np.stack([pairs[i][1] for i in indices]), batch=True)
        gt = binarize_gt(np.stack([pairs[i][2] for i in indices]), batch=True)
        yield indices, minmax(raw), raw, gt


def per_pair(pairs, function, *, raw: bool = False) -> np.ndarray:
    """``function(pred, gt, batch=True)`` for every pair (batched by size), in pair order."""
    out = [None] * len(pairs)
    for indices, normalised, raw_map, gt in by_shape(pairs):
        values = function(raw_map if raw else normalised, gt, batch=True)
        for position, index in enumerate(indices):
            out[index] = values[position]
    return np.array(out, dtype=np.float64)


def sd900_maps(root, method: str, stems) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The uint8 prediction of ``method`` and the uint8 GT of each SD-Saliency-900 ``stem``."""
    from PIL import Image

    preds, gts = [], []
    for stem in stems:
        (path,) = (root / "pred" / method).glob(f"{stem}.*")
        preds.append(np.asarray(Image.open(path).convert("L")))
        gts.append(np.asarray(Image.open(root / "GT" / f"{stem}.png").convert("L")))
    return preds, gts
