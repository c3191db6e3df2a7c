"""The confusion family (every FmeasureV2 handler) against PySODMetrics 1.6.2.

One ``FmeasureV2`` per pair set holds all ten handlers twice: sample based with dynamic,
adaptive and binary results (per-image curves, ``adpX``, ``binX``), and dataset based with
binary results only (``pooledX``). Tolerance 1e-10 abs throughout.
"""

import numpy as np
import pytest
from cases import random_pairs
from helpers import sd900_maps

from sodbench import Evaluator
from sodbench.metrics import engine
from sodbench.metrics._confusion import confusion_counts
from sodbench.metrics.batch import Batch
from sodbench.metrics.conventions import get_conventions
from sodbench.metrics.keys import CONFUSION, KEYS

psm = pytest.importorskip("py_sod_metrics")

HANDLER_CLASSES = {
    "F": "FmeasureHandler", "IoU": "IOUHandler", "Dice": "DICEHandler",
    "Pre": "PrecisionHandler", "Rec": "RecallHandler", "Spec": "SpecificityHandler",
    "FPR": "FPRHandler", "BER": "BERHandler", "OA": "OverallAccuracyHandler",
    "Kappa": "KappaHandler",
}
LOWER = ("FPR", "BER")
CURVE_KEYS = [f"{'min' if s in LOWER else 'max'}{s}" for s in CONFUSION] + [
    f"mean{s}" for s in CONFUSION]
#: every dataset key of the ten handlers (maxF, meanF, adpF come from the F-measure family)
DATASET_KEYS = CURVE_KEYS + [f"{kind}{s}" for kind in ("adp", "bin", "pooled") for s in CONFUSION]
ATOL = 1e-10


def _reference(pairs, *, normalize=True):
    """Run one FmeasureV2 with the 20 handlers over ``pairs``: (handlers, get_results())."""
    handlers = {}
    for suffix, name in HANDLER_CLASSES.items():
        cls = getattr(psm, name)
        handlers[suffix] = cls(with_dynamic=True, with_adaptive=True, with_binary=True,
                               sample_based=True)
        handlers[f"pooled{suffix}"] = cls(with_dynamic=False, with_adaptive=False,
                                          with_binary=True, sample_based=False)
    fm = psm.FmeasureV2(handlers)
    for pred, gt in pairs:
        fm.step(pred, gt, normalize=normalize)
    return handlers, fm.get_results()


def _expected(results) -> dict:
    """The dataset keys as PySODMetrics gives them."""
    out = {}
    for suffix in CONFUSION:
        result = results[suffix]
        best = "min" if suffix in LOWER else "max"
        out[f"{best}{suffix}"] = getattr(result["dynamic"], best)()
        out[f"mean{suffix}"] = result["dynamic"].mean()
        out[f"adp{suffix}"] = result["adaptive"]
        out[f"bin{suffix}"] = result["binary"]
        out[f"pooled{suffix}"] = results[f"pooled{suffix}"]["binary"]
    return out


def _evaluate(pairs, keys=DATASET_KEYS) -> dict:
    evaluator = Evaluator(metrics=keys)
    for pred, gt in pairs:
        evaluator.update(pred, gt)
    return evaluator.compute()


def _check_keys(results, expected):
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, abs=ATOL, rel=0), key


def _per_image(batch: Batch) -> tuple[dict, dict]:
    """Per-image values of the batch: (adpX/binX by key, curves by handler suffix)."""
    keys = [f"{kind}{s}" for kind in ("adp", "bin") for s in CONFUSION]
    curves = tuple(CONFUSION.values())
    scores, found, _ = engine.score(batch, get_conventions("pysodmetrics"), keys, curves=curves)
    return scores, {suffix: found[curve] for suffix, curve in CONFUSION.items()}


def _check_per_image(batch, handlers, indices):
    scores, curves = _per_image(batch)
    for suffix in CONFUSION:
        handler = handlers[suffix]
        expected = np.array([handler.dynamic_results[i][::-1] for i in indices])
        np.testing.assert_allclose(curves[suffix], expected, atol=ATOL, rtol=0, err_msg=suffix)
        for kind, store in (("adp", handler.adaptive_results), ("bin", handler.binary_results)):
            np.testing.assert_allclose(scores[f"{kind}{suffix}"], [store[i] for i in indices],
                                       atol=ATOL, rtol=0, err_msg=f"{kind}{suffix}")


@pytest.fixture(scope="module")
def random_u8():
    return [(pred, gt) for _, pred, gt in random_pairs()]


@pytest.fixture(scope="module")
def reference(random_u8):
    return _reference(random_u8)


def test_keys_cover_every_handler():
    assert set(DATASET_KEYS) <= set(KEYS) and len(DATASET_KEYS) == 50


def test_per_image_curves_adaptive_binary(random_u8, reference):
    handlers, _ = reference
    by_shape = {}
    for index, (pred, _) in enumerate(random_u8):
        by_shape.setdefault(pred.shape, []).append(index)
    for indices in by_shape.values():
        batch = Batch.of(np.stack([random_u8[i][0] for i in indices]),
                         np.stack([random_u8[i][1] for i in indices]), batch=True)
        _check_per_image(batch, handlers, indices)


def test_dataset_keys(random_u8, reference):
    _, results = reference
    expected = _expected(results)
    _check_keys(_evaluate(random_u8), expected)
    # the set is not degenerate: the ten handlers give ten different maxima, pooled != mean
    assert len({round(expected[key], 6) for key in CURVE_KEYS[:10]}) == 10
    assert abs(expected["pooledF"] - expected["binF"]) > 1e-3


def test_float_predictions(random_u8):
    """Float maps go through the per-pixel backend; PySODMetrics gets the same min-max map."""
    rng = np.random.default_rng(9)
    floats = [(np.clip(pred / 255 + rng.uniform(-0.003, 0.003, pred.shape), 0, 1), gt)
              for pred, gt in random_u8[:48]]
    normalised = [((p - p.min()) / (p.max() - p.min()) if np.ptp(p) else p, gt > 128)
                  for p, gt in floats]
    handlers, results = _reference(normalised, normalize=False)
    _check_keys(_evaluate(floats), _expected(results))
    same = [i for i, (pred, _) in enumerate(floats) if pred.shape == (200, 200)]
    batch = Batch.of(np.stack([floats[i][0] for i in same]),
                     np.stack([floats[i][1] for i in same]), batch=True)
    assert not batch.has_levels
    _check_per_image(batch, handlers, same)


@pytest.mark.parametrize("method", ["SMD", "MCITF"])
def test_sd900(sd900, method):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in range(1, 301, 20)]
    pairs = list(zip(*sd900_maps(sd900, method, stems), strict=True))
    handlers, results = _reference(pairs)
    _check_keys(_evaluate(pairs), _expected(results))
    batch = Batch.of(np.stack([p for p, _ in pairs]), np.stack([g for _, g in pairs]),
                     batch=True)
    _check_per_image(batch, handlers, range(len(pairs)))


def test_confusion_counts(random_u8):
    """TP, FP, TN, FN of ``pred > 0.5`` on the map as given, as FmeasureV2.get_statistics."""
    for pred, gt in random_u8[:40]:
        normalised, mask = psm.utils.prepare_data(pred, gt)
        stats = psm.FmeasureV2.get_statistics(normalised > 0.5, mask, np.count_nonzero(mask),
                                              np.count_nonzero(~mask))
        ours = confusion_counts(normalised, mask)
        assert ours.tolist() == [[stats["tp"], stats["fp"], stats["tn"], stats["fn"]]]
    # uint8 is divided by 255 without min-max; the threshold is strict; batches give rows
    pred = np.array([[[128, 127], [255, 0]], [[100, 100], [100, 100]]], np.uint8)
    gt = np.array([[[1, 0], [0, 1]], [[1, 1], [1, 1]]], bool)
    assert confusion_counts(pred, gt, batch=True).tolist() == [[1, 1, 1, 1], [0, 0, 0, 4]]
    assert confusion_counts(pred, gt, threshold=100 / 255, batch=True).tolist() == [
        [1, 2, 0, 1], [0, 0, 0, 4]]
    assert confusion_counts(pred, gt, batch=True).dtype == np.int64


def _one(pred, gt):
    """Every dataset key of a one-pair dataset, checked against PySODMetrics."""
    _, results = _reference([(pred, gt)])
    ours = _evaluate([(pred, gt)])
    _check_keys(ours, _expected(results))
    return ours


def test_empty_gt():
    gt = np.zeros((9, 13), np.uint8)
    zero = _one(np.zeros_like(gt), gt)  # constant 0: nothing predicted
    assert [zero[f"bin{s}"] for s in CONFUSION] == [0, 0, 0, 0, 0, 1, 0, 0.5, 1, 0]
    pred = np.zeros_like(gt)
    pred[:3] = 255  # 39 false positives out of 117 pixels
    some = _one(pred, gt)
    assert some["binBER"] == pytest.approx(1 - (78 / 117) / 2)  # TPR taken as 0
    assert some["binFPR"] == pytest.approx(39 / 117) and some["binRec"] == 0


def test_full_gt():
    gt = np.full((9, 13), 255, np.uint8)
    full = _one(np.full_like(gt, 255), gt)  # a constant map stays as it is: all > 0.5
    assert [full[f"bin{s}"] for s in CONFUSION] == [1, 1, 1, 1, 1, 0, 0, 0.5, 1, 0]
    pred = np.full_like(gt, 255)
    pred[0, 0] = 0  # one pixel missed: PySODMetrics' chance term makes Kappa -(n - 1)
    missed = _one(pred, gt)
    assert missed["binKappa"] == pytest.approx(-116, abs=1e-9)


def test_constant_predictions():
    rng = np.random.default_rng(12)
    gt = np.zeros((11, 15), np.uint8)
    gt[0, :7] = 255  # touches the border
    gt[6, 9] = 255  # one-pixel object
    for level in (0, 1, 127, 128, 254, 255, int(rng.integers(0, 256))):
        _one(np.full(gt.shape, level, np.uint8), gt)


def test_kappa_chance_term_is_the_references():
    """TP 3, FP 1, TN 4, FN 2, OA 0.7: the reference's (TN+FN)(TN+TP) gives
    p = (4 * 5 + 6 * 7) / 100 = 0.62, kappa 0.08 / 0.38; the textbook's (TN+FN)(TN+FP) would
    give p = 0.5, kappa 0.4."""
    gt = np.array([[1, 1, 1, 1, 1, 0, 0, 0, 0, 0]], np.uint8) * 255
    pred = np.array([[1, 1, 1, 0, 0, 1, 0, 0, 0, 0]], np.uint8) * 255
    assert confusion_counts(pred, gt > 0).tolist() == [[3, 1, 4, 2]]
    assert _one(pred, gt)["binKappa"] == pytest.approx(0.08 / 0.38)
