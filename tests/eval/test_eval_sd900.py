"""SD-Saliency-900's six published methods in one `sodbench eval` run (skips without the data).

The run must give exactly the numbers of :class:`sodbench.Evaluator` fed the same arrays in
the same chunks, and PySODMetrics 1.6.2's numbers within 1e-10. The default test uses the
first 30 images of each defect kind (540 pairs, a few tens of seconds); the ``slow`` one
runs all 900 x 6.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sodbench.cli import main
from sodbench.evaluator import Evaluator
from sodbench.folders.images import read_map
from sodbench.folders.pairing import natural_key
from sodbench.folders.results import load_results
from sodbench.folders.schedule import CHUNK_SIZE

py_sod_metrics = pytest.importorskip("py_sod_metrics")

METHODS = ("BC", "FT", "HC", "MCITF", "RCRR", "SMD")
#: Every key PySODMetrics can check (soft IoU, OR and PFOM are not in PySODMetrics).
METRICS = ("MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE",
           "maxIoU", "meanIoU", "adpIoU", "maxDice", "meanDice", "adpDice")


def _link_subset(sd900, out, per_kind):
    """Symlinked GT and prediction folders holding the first ``per_kind`` names of each kind."""
    names = sorted((p.stem for p in (sd900 / "GT").iterdir()), key=natural_key)
    chosen = [n for n in names if int(n.split("_")[1]) <= per_kind]
    folders = {"GT": sd900 / "GT", **{m: sd900 / "pred" / m for m in METHODS}}
    for label, source in folders.items():
        target = out / label
        target.mkdir(parents=True)
        by_stem = {p.stem: p for p in source.iterdir()}
        for name in chosen:
            (target / by_stem[name].name).symlink_to(by_stem[name])
    return out


def _pysodmetrics(preds, gts) -> dict:
    mae, sm, wf, em = (py_sod_metrics.MAE(), py_sod_metrics.Smeasure(),
                       py_sod_metrics.WeightedFmeasure(), py_sod_metrics.Emeasure())
    handlers = {name: cls(with_dynamic=True, with_adaptive=True) for name, cls in (
        ("F", py_sod_metrics.FmeasureHandler), ("IoU", py_sod_metrics.IOUHandler),
        ("Dice", py_sod_metrics.DICEHandler), ("precision", py_sod_metrics.PrecisionHandler),
        ("recall", py_sod_metrics.RecallHandler))}
    fm = py_sod_metrics.FmeasureV2(handlers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for pred, gt in zip(preds, gts, strict=True):
            for metric in (mae, sm, wf, em, fm):
                metric.step(pred, gt)
    e = em.get_results()["em"]
    out = {"MAE": mae.get_results()["mae"], "Sm": sm.get_results()["sm"],
           "wF": wf.get_results()["wfm"], "adpE": e["adp"], "curve_E": e["curve"][::-1]}
    for name, result in fm.get_results().items():
        out[f"curve_{name}"] = result["dynamic"][::-1]
        out[f"adp{name}"] = result["adaptive"]
    for name in ("F", "E", "IoU", "Dice"):
        out[f"max{name}"] = out[f"curve_{name}"].max()
        out[f"mean{name}"] = out[f"curve_{name}"].mean()
    return out


def _check(folder, tmp_path):
    json_path, csv_path = tmp_path / "r.json", tmp_path / "p.csv"
    args = ["eval", "--gt", str(folder / "GT"), "--dataset", "SD-Saliency-900",
            "--metrics", ",".join(METRICS), "--jobs", "2", "--no-cache", "--quiet",
            "--json", str(json_path), "--per-image", str(csv_path)]
    for method in METHODS:
        args += ["--pred", f"{method}={folder / method}"]
    assert main(args) == 0
    entries = load_results(json_path)["entries"]
    per_image = pd.read_csv(csv_path)
    gt_paths = sorted((folder / "GT").iterdir(), key=lambda p: natural_key(p.stem))
    gts = [read_map(p) for p in gt_paths]
    for entry, method in zip(entries, METHODS, strict=True):
        assert entry["method"] == method
        assert entry["counts"]["n_evaluated"] == entry["counts"]["n_gt"] == len(gts)
        by_stem = {p.stem: p for p in (folder / method).iterdir()}
        preds = [read_map(by_stem[p.stem]) for p in gt_paths]
        evaluator = Evaluator(metrics=METRICS)
        for start in range(0, len(gts), CHUNK_SIZE):
            chunk = Evaluator(metrics=METRICS)
            chunk.update(np.stack(preds[start:start + CHUNK_SIZE]),
                         np.stack(gts[start:start + CHUNK_SIZE]),
                         names=[p.stem for p in gt_paths[start:start + CHUNK_SIZE]],
                         batch=True)
            evaluator.merge(chunk)
        expected = evaluator.compute()
        curves = expected.pop("curves")
        assert entry["metrics"] == expected, method
        for name, values in curves.items():
            assert np.array_equal(np.asarray(entry["curves"][name]), values), (method, name)
        rows = per_image[per_image["method"] == method]
        assert list(rows["name"]) == [p.stem for p in gt_paths]
        assert np.array_equal(rows["Sm"].to_numpy(), evaluator.per_image()["Sm"].to_numpy())
        reference = _pysodmetrics(preds, gts)
        for key in METRICS:
            assert entry["metrics"][key] == pytest.approx(reference[key], abs=1e-10), (method, key)
        for name in ("precision", "recall", "F", "E", "IoU", "Dice"):
            np.testing.assert_allclose(entry["curves"][name], reference[f"curve_{name}"],
                                       rtol=0, atol=1e-10, err_msg=f"{method} {name}")


def test_six_methods_subset_match_evaluator_and_pysodmetrics(sd900, tmp_path):
    _check(_link_subset(sd900, tmp_path / "subset", per_kind=30), tmp_path)


@pytest.mark.slow
def test_six_methods_all_900_match_evaluator_and_pysodmetrics(sd900, tmp_path):
    _check(_link_subset(sd900, tmp_path / "all", per_kind=300), tmp_path)
