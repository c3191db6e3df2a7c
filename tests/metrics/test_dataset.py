"""odsF, odsT, oisF, AP and AUC against scikit-learn and a plain BSDS computation.

References, all independent of sodbench's counting: scikit-learn's ``average_precision_score``
and ``roc_auc_score`` on the concatenated pixels (score = the pixel's curve level), and
:func:`_bsds`, which counts each map's pixels ``>=`` every threshold and pools the counts
as the BSDS benchmark does (ODS: per threshold over the dataset; OIS: per image at its best
threshold). Maps are min-max normalised by PySODMetrics' own ``prepare_data``.
"""

import json

import numpy as np
import pytest
from cases import random_pairs
from helpers import sd900_maps

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics._dataset import dataset_scores, from_totals
from sodbench.metrics.counts import matlab_thresholds

sklearn_metrics = pytest.importorskip("sklearn.metrics")
psm_utils = pytest.importorskip("py_sod_metrics.utils")

KEYS = ["maxF", "odsF", "odsT", "oisF", "AP", "AUC"]
UINT8_THRESHOLDS = np.arange(256)


def _f(tp, fp, fn):
    """F with beta^2 = 0.3, written out, 0 where a denominator is 0."""
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    p = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    r = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    return np.divide(1.3 * p * r, 0.3 * p + r, out=np.zeros_like(tp), where=0.3 * p + r > 0)


def _bsds(scores, masks, thresholds):
    """The BSDS computation, written out: count each image's GT and background pixels at or
    above every threshold (sorted values and ``searchsorted``), pool the counts.

    Returns ({odsF, odsT, oisF}, maxF of the mean per-image F curve, per-pixel rank = the
    number of thresholds the pixel passes, which orders pixels as the curve does).
    """
    thresholds = np.asarray(thresholds)
    tps, fps, fns, ranks = [], [], [], []
    for score, mask in zip(scores, masks, strict=True):
        fg, bg = np.sort(score[mask]), np.sort(score[~mask])
        tp = fg.size - np.searchsorted(fg, thresholds, side="left")  # score >= t
        tps.append(tp)
        fps.append(bg.size - np.searchsorted(bg, thresholds, side="left"))
        fns.append(fg.size - tp)
        ranks.append(np.searchsorted(thresholds, score.ravel(), side="right"))
    tp, fp, fn = np.array(tps), np.array(fps), np.array(fns)
    pooled = _f(tp.sum(0), fp.sum(0), fn.sum(0))
    per_image = _f(tp, fp, fn)
    best = per_image.argmax(axis=1)  # the lowest threshold among ties
    rows = np.arange(len(tp))
    ois = _f(tp[rows, best].sum(), fp[rows, best].sum(), fn[rows, best].sum())
    found = {"odsF": pooled.max(), "odsT": pooled.argmax() / 255, "oisF": float(ois)}
    return found, per_image.mean(axis=0).max(), np.concatenate(ranks)


def test_bsds_counts_match_binarising():
    """The reference's counting against literal binarisation at every threshold."""
    rng = np.random.default_rng(6)
    scores = [rng.integers(0, 256, (7, 9), dtype=np.uint8) for _ in range(3)]
    masks = [rng.random((7, 9)) > 0.6 for _ in range(3)]
    tp = np.array([[np.count_nonzero((s >= t) & m) for t in range(256)]
                   for s, m in zip(scores, masks, strict=True)])
    fp = np.array([[np.count_nonzero((s >= t) & ~m) for t in range(256)]
                   for s, m in zip(scores, masks, strict=True)])
    fn = np.array([[np.count_nonzero(m)] for m in masks]) - tp
    found, max_f, ranks = _bsds(scores, masks, UINT8_THRESHOLDS)
    pooled = _f(tp.sum(0), fp.sum(0), fn.sum(0))
    assert found["odsF"] == pooled.max() and found["odsT"] == pooled.argmax() / 255
    assert max_f == _f(tp, fp, fn).mean(0).max()
    assert ranks.tolist() == (np.concatenate([s.ravel() for s in scores]) + 1.0).tolist()


def _normalised(pairs):
    """PySODMetrics' min-max maps and bool masks of uint8 (pred, gt) pairs."""
    return zip(*(psm_utils.prepare_data(pred, gt) for pred, gt in pairs), strict=True)


def _evaluate(pairs, conventions="pysodmetrics", keys=KEYS) -> dict:
    evaluator = Evaluator(conventions, metrics=keys)
    for pred, gt in pairs:
        evaluator.update(pred, gt)
    return evaluator.compute()


def _check(results, pairs, *, matlab=False):
    """Every key of ``results`` against scikit-learn and the brute force."""
    maps, masks = _normalised(pairs)
    if matlab:
        scores, thresholds = maps, matlab_thresholds()
    else:
        scores, thresholds = [(m * 255).astype(np.uint8) for m in maps], UINT8_THRESHOLDS
    expected, max_f, ranks = _bsds(scores, masks, thresholds)
    gt_all = np.concatenate([mask.ravel() for mask in masks])
    if not matlab:  # the rank is level + 1: sklearn on the plain uint8 levels, as specified
        ranks = np.concatenate([score.ravel() for score in scores])
    expected["AP"] = sklearn_metrics.average_precision_score(gt_all, ranks)
    expected["AUC"] = sklearn_metrics.roc_auc_score(gt_all, ranks)
    expected["maxF"] = max_f
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, abs=1e-12, rel=0), key
    return expected


@pytest.fixture(scope="module")
def random_u8():
    return [(pred, gt) for _, pred, gt in random_pairs()]


def test_random_pairs(random_u8):
    results = _evaluate(random_u8)
    expected = _check(results, random_u8)
    assert 0.5 < expected["AP"] < 0.99 and 0.5 < expected["AUC"] < 1  # not a degenerate set


def test_random_pairs_matlab_conventions(random_u8):
    pairs = random_u8[::2]
    results = _evaluate(pairs, "matlab")
    _check(results, pairs, matlab=True)
    # Fan's float thresholds and the uint8 levels bin some pixels differently
    assert results["AP"] != _evaluate(pairs)["AP"]


@pytest.mark.parametrize("method", ["SMD", "MCITF"])
def test_sd900(sd900, method):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in range(1, 301, 20)]
    pairs = list(zip(*sd900_maps(sd900, method, stems), strict=True))
    _check(_evaluate(pairs), pairs)


def test_float_predictions(random_u8):
    """Float maps are counted pixel by pixel (the per-pixel backend), off the uint8 grid."""
    rng = np.random.default_rng(5)
    pairs = [(np.clip(pred / 255 + rng.uniform(-0.003, 0.003, pred.shape), 0, 1), gt)
             for pred, gt in random_u8[:80]]
    maps = [(pred - pred.min()) / (pred.max() - pred.min()) if np.ptp(pred) else pred
            for pred, _ in pairs]
    masks = [gt > 128 for _, gt in pairs]
    results = _evaluate(pairs)
    expected, max_f, _ = _bsds([(m * 255).astype(np.uint8) for m in maps], masks,
                               UINT8_THRESHOLDS)
    levels = np.concatenate([(m * 255).astype(np.uint8).ravel() for m in maps])
    gt_all = np.concatenate([mask.ravel() for mask in masks])
    expected.update(AP=sklearn_metrics.average_precision_score(gt_all, levels),
                    AUC=sklearn_metrics.roc_auc_score(gt_all, levels), maxF=max_f)
    for key, value in expected.items():
        assert results[key] == pytest.approx(value, abs=1e-12, rel=0), key
    # one size only: the public function on the same min-max maps gives the same numbers
    same = [index for index, (pred, _) in enumerate(pairs) if pred.shape == (64, 48)]
    scores = dataset_scores(np.stack([maps[i] for i in same]),
                            np.stack([masks[i] for i in same]), batch=True)
    ours = _evaluate([pairs[i] for i in same])
    for key, value in scores.items():
        assert value == pytest.approx(ours[key], abs=1e-12, rel=0), key


def test_dataset_scores_matlab_levels():
    rng = np.random.default_rng(8)
    pred = np.round(rng.random((4, 12, 10)) * 255) / 255
    pred[0, 0, :6] = matlab_thresholds()[[0, 1, 77, 128, 200, 255]]
    gt = rng.random(pred.shape) > 0.7
    expected, _, ranks = _bsds(pred, gt, matlab_thresholds())
    scores = dataset_scores(pred, gt, batch=True, levels="matlab")
    expected["AP"] = sklearn_metrics.average_precision_score(gt.ravel(), ranks)
    expected["AUC"] = sklearn_metrics.roc_auc_score(gt.ravel(), ranks)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-12, rel=0), key


def test_hand_computed():
    # levels 229 153 51 0 | 204 25 178 76; GT {229, 153} | {204}
    pred = np.array([[[0.9, 0.6], [0.2, 0.0]], [[0.8, 0.1], [0.7, 0.3]]])
    gt = np.array([[[1, 1], [0, 0]], [[1, 0], [0, 0]]], bool)
    scores = dataset_scores(pred, gt, batch=True)
    # pooled at t = 179..204: TP 2 of 3, FP 0 -> P 1, R 2/3; at t = 154..178: TP 2, FP 1
    assert scores["odsF"] == pytest.approx(1.3 * (2 / 3) / (0.3 + 2 / 3))
    assert scores["odsT"] == 179 / 255
    assert scores["oisF"] == 1.0  # image 1 at t = 52..153, image 2 at t = 179..204
    # descending: R 1/3 at P 1, 2/3 at P 1, then 178 (FP), then 153: R 1 at P 3/4
    assert scores["AP"] == pytest.approx(1 / 3 + 1 / 3 + 1 / 3 * 3 / 4)
    # one negative (178) above one positive (153) out of 3 x 5 pairs
    assert scores["AUC"] == pytest.approx(1 - 1 / 15)


def test_max_ods_ois_differ():
    """Objects of very different sizes: maxF weighs images equally, odsF weighs pixels, oisF
    lets each image pick its threshold."""
    rng = np.random.default_rng(3)
    pairs = []
    for size, level in ((40, 150), (3, 240), (20, 90)):
        gt = np.zeros((48, 48), np.uint8)
        gt[2:2 + size, 5:5 + size] = 255
        pred = np.clip(rng.normal(0, 40, gt.shape) + np.where(gt > 0, level, 60), 0, 255)
        pairs.append((pred.astype(np.uint8), gt))
    results = _evaluate(pairs)
    _check(results, pairs)
    values = sorted(results[key] for key in ("maxF", "odsF", "oisF"))
    assert np.diff(values).min() > 0.01, values


def test_empty_ground_truths():
    rng = np.random.default_rng(1)
    pairs = [(rng.integers(0, 256, (9, 13), dtype=np.uint8), np.zeros((9, 13), np.uint8))
             for _ in range(3)]
    results = _evaluate(pairs, keys=["odsF", "odsT", "oisF"])
    assert (results["odsF"], results["odsT"], results["oisF"]) == (0.0, 0.0, 0.0)
    for key in ("AP", "AUC"):
        with pytest.raises(SodbenchError, match=f"^{key} is undefined.*no foreground") as error:
            _evaluate(pairs, keys=[key])
        assert "\n" not in str(error.value)


def test_full_ground_truths():
    rng = np.random.default_rng(2)
    pairs = [(rng.integers(0, 256, (9, 13), dtype=np.uint8), np.full((9, 13), 255, np.uint8))
             for _ in range(3)]
    results = _evaluate(pairs, keys=["odsF", "odsT", "oisF", "AP"])
    # every threshold has precision 1; t = 0 predicts every pixel: recall 1
    assert (results["odsF"], results["odsT"], results["oisF"]) == (1.0, 0.0, 1.0)
    gt_all = np.ones(3 * 9 * 13, bool)
    assert results["AP"] == sklearn_metrics.average_precision_score(
        gt_all, rng.random(gt_all.size)) == 1.0
    with pytest.raises(SodbenchError, match="^AUC is undefined.*no background"):
        _evaluate(pairs, keys=["AUC"])


def test_constant_predictions_and_small_objects():
    """Constant maps (one level each), one-pixel objects, objects on the border."""
    rng = np.random.default_rng(4)
    pairs = []
    for level in (0, 1, 128, 255):
        gt = np.zeros((11, 15), np.uint8)
        gt[rng.integers(0, 11), rng.integers(0, 15)] = 255
        pairs.append((np.full(gt.shape, level, np.uint8), gt))
    border = np.zeros((11, 15), np.uint8)
    border[:, -2:] = 255
    pairs.append((np.where(border > 0, 200, rng.integers(0, 230, border.shape)).astype(np.uint8),
                  border))
    one = np.zeros((11, 15), np.uint8)
    one[0, 0] = 255
    pairs.append((rng.integers(0, 256, one.shape).astype(np.uint8), one))
    _check(_evaluate(pairs), pairs)
    results = _evaluate(pairs[:4])  # constant maps only: no threshold separates anything
    assert results["AUC"] == pytest.approx(0.5, abs=1e-12)
    assert results["AP"] == pytest.approx(4 / (4 * 11 * 15), abs=1e-12)


def test_merge_and_state_round_trip(random_u8):
    pairs = random_u8[:120]
    whole = _evaluate(pairs)
    first, second = Evaluator(metrics=KEYS), Evaluator(metrics=KEYS)
    for index, (pred, gt) in enumerate(pairs):
        (first if index < 50 else second).update(pred, gt)
    first.merge(second)
    merged = first.compute()
    restored = Evaluator.from_state(json.loads(json.dumps(first.state()))).compute()
    for key in KEYS:  # pooled counts are integers: exact; maxF sums per-image F values
        assert merged[key] == restored[key], key
        assert merged[key] == pytest.approx(whole[key], abs=1e-15 if key == "maxF" else 0)


def test_unknown_key():
    with pytest.raises(ValueError, match="dataset family"):
        from_totals("maxF", {})
