"""Reference values of PySODMetrics 1.6.2 on the random pairs, computed once per session."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cases import random_pairs

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


@pytest.fixture(scope="session")
def pairs():
    """The random pairs with their PySODMetrics values: list of (kind, pred, gt, reference)."""
    return [(kind, pred, gt, pysodmetrics_values(pred, gt)) for kind, pred, gt in random_pairs()]


def reference_array(pairs, key: str) -> np.ndarray:
    return np.array([ref[key] for *_, ref in pairs], dtype=np.float64)
