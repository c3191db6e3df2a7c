"""Size-invariant keys (siMAE, simaxF, ..., sibinKappa) against PySODMetrics 1.6.2.

References: ``SizeInvarianceFmeasureV2`` with every handler (dynamic, adaptive, binary,
``sample_based=True``) and ``SizeInvarianceMAE``, reduced per image as PySODMetrics'
``TargetwiseGrayscaleMetricRecorderV2`` does (max / mean over thresholds per target, then the
mean over targets; min for FPR and BER). Where the reference fails (full GT: AssertionError;
target boxes covering the image: siMAE NaN) the test says what sodbench gives instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cases import random_pairs
from helpers import sd900_maps

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics._sizeinvariance import (
    evaluate,
    size_invariant_curves,
    size_invariant_mae,
    size_invariant_scores,
    target_boxes,
)
from sodbench.metrics.batch import Batch
from sodbench.metrics.conventions import get_conventions
from sodbench.metrics.keys import KEYS

psm = pytest.importorskip("py_sod_metrics")
from py_sod_metrics import size_invariance  # noqa: E402
from py_sod_metrics.utils import prepare_data  # noqa: E402

SI_KEYS = [name for name, key in KEYS.items() if key.family == "sizeinvariance"]
CONVENTIONS = get_conventions("pysodmetrics")
HANDLERS = {"F": psm.FmeasureHandler, "IoU": psm.IOUHandler, "Dice": psm.DICEHandler,
            "Pre": psm.PrecisionHandler, "Rec": psm.RecallHandler,
            "Spec": psm.SpecificityHandler, "FPR": psm.FPRHandler, "BER": psm.BERHandler,
            "OA": psm.OverallAccuracyHandler, "Kappa": psm.KappaHandler}
ATOL = 1e-10


def _handlers() -> dict:
    options = dict(with_dynamic=True, with_adaptive=True, with_binary=True, sample_based=True)
    return {name: cls(**options, beta=0.3) if name == "F" else cls(**options)
            for name, cls in HANDLERS.items()}


def _reduce(results: dict, mae) -> dict:
    """Every si key from PySODMetrics' results, as the example recorder reduces them."""
    out = {"siMAE": mae}
    for name, result in results.items():
        best = "min" if name in ("FPR", "BER") else "max"
        dynamic = result["dynamic"]
        dynamic = dynamic if isinstance(dynamic, list) else [dynamic[None]]  # whole image
        out[f"si{best}{name}"] = np.mean([getattr(s, best)(axis=-1).mean() for s in dynamic])
        out[f"simean{name}"] = np.mean([s.mean(axis=-1).mean() for s in dynamic])
        out[f"siadp{name}"] = result["adaptive"]
        out[f"sibin{name}"] = result["binary"]
    return out


def reference(pred, gt, *, normalize: bool = True) -> dict:
    """PySODMetrics' si values of one pair. A full GT crashes the reference (no background
    box, ``encode_bboxwise_tgts_bitwise``'s assertion); its documented meaning ("no target or
    no background": the whole image) is then the plain FmeasureV2 and MAE."""
    full = bool((gt > 128).all() if gt.dtype == np.uint8 else gt.all())
    fm = (psm.FmeasureV2 if full else size_invariance.SizeInvarianceFmeasureV2)(_handlers())
    mae = psm.MAE() if full else size_invariance.SizeInvarianceMAE()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # siMAE's 0/0 (see test below)
        fm.step(pred, gt, normalize=normalize)
        mae.step(pred, gt, normalize=normalize)
    return _reduce(fm.get_results(), next(iter(mae.get_results().values())))


def mae_without_background(pred, gt, *, normalize: bool = True) -> float:
    """siMAE when the target boxes cover the image, from PySODMetrics' own target masks: the
    background term (weight 0, area 0) is left out, each box weighs 1/K."""
    if normalize:
        pred, gt = prepare_data(pred, gt)
    count, labelled = size_invariance.parse_connected_components(gt)
    weights = size_invariance.encode_bboxwise_tgts_bitwise(count, labelled)
    total = 0.0
    for k in range(1, count + 1):
        box = size_invariance.get_kth_bit(weights, k) > 0
        total += np.abs(pred * box - (gt & box)).sum() / box.sum()
    return total / count


def assert_matches(values: dict, expected: list, labels: list, preds=None, gts=None, *,
                   normalize: bool = True) -> None:
    """Every si key of N images (``values[key]``: (N,)) against the references (N dicts); a
    NaN reference siMAE is replaced by :func:`mae_without_background` of that pair."""
    for key in SI_KEYS:
        want = np.array([item[key] for item in expected], dtype=np.float64)
        for index in np.flatnonzero(np.isnan(want)):
            want[index] = mae_without_background(preds[index], gts[index], normalize=normalize)
        got = np.asarray(values[key], dtype=np.float64)
        bad = np.flatnonzero(~(np.abs(got - want) <= ATOL))
        assert not len(bad), (key, [(labels[i], got[i], want[i]) for i in bad[:5]])


def score(preds, gts) -> dict:
    """sodbench's per-image si keys of an N x H x W batch (uint8 maps, min-max inside)."""
    return evaluate(Batch.of(preds, gts, batch=True), CONVENTIONS, set(SI_KEYS))


# --------------------------------------------------------------------------- random pairs
@pytest.fixture(scope="module")
def random_references():
    return [(kind, pred, gt, reference(pred, gt)) for kind, pred, gt in random_pairs()]


def _by_shape(items):
    groups: dict = {}
    for item in items:
        groups.setdefault(item[1].shape, []).append(item)
    return groups.values()


def test_random_pairs_match_pysodmetrics(random_references):
    nan_mae = 0
    for group in _by_shape(random_references):
        preds, gts = [g[1] for g in group], [g[2] for g in group]
        expected = [g[3] for g in group]
        nan_mae += sum(bool(np.isnan(item["siMAE"])) for item in expected)
        assert_matches(score(np.stack(preds), np.stack(gts)), expected,
                       [f"{g[0]} {g[1].shape} #{i}" for i, g in enumerate(group)], preds, gts)
    assert nan_mae > 0  # the boxes-cover-the-image case is among the pairs


def test_float_maps_take_the_same_values(random_references):
    """The per-pixel path (float maps: levels from np.unique) on the min-max maps."""
    for group in _by_shape(random_references[::3]):
        preds, gts = [g[1] for g in group], [g[2] for g in group]
        floats = np.stack([prepare_data(pred, gt)[0] for pred, gt in zip(preds, gts, strict=True)])
        assert_matches(score(floats, np.stack(gts)), [g[3] for g in group],
                       [f"float {g[0]} {g[1].shape} #{i}" for i, g in enumerate(group)], preds, gts)


# ----------------------------------------------------------------- constructed multi-object GTs
def _multi_object() -> np.ndarray:
    gt = np.zeros((60, 80), bool)
    gt[0:10, 0:10] = True  # 100 px, top-left corner
    gt[20:40, 20:24] = gt[36:40, 20:45] = True  # L shape, its box holds the next object
    gt[22:30, 30:38] = True  # 64 px inside the L's box
    gt[24:27, 40:43] = True  # 9 px, not a target, inside the L's box
    gt[50:55, 5:10] = True  # 25 px, not a target
    gt[45, 70] = True  # one pixel
    gt[50:60, 70:80] = True  # 100 px, bottom-right corner
    gt[5:20, 60:64] = gt[12:16, 55:75] = True  # a cross, box overlapping the corner square's row
    return gt


def _small_ties() -> np.ndarray:
    gt = np.zeros((30, 30), bool)
    gt[2:5, 2:5] = gt[10:13, 20:23] = gt[27:30, 27:30] = True  # three 9 px: all are targets
    gt[20:22, 5:7] = True  # 4 px
    return gt


def _one_pixel() -> np.ndarray:
    gt = np.zeros((17, 23), bool)
    gt[0, 22] = True
    return gt


def _diagonal_pixels() -> np.ndarray:
    """50 one-pixel components (8- but not 4-connected): 50 targets of 1 x 1 boxes."""
    gt = np.zeros((50, 55), bool)
    gt[np.arange(50), np.arange(50) + 3] = True
    return gt


def _grid(count: int = 60) -> np.ndarray:
    """``count`` separate 8 x 8 squares: as many targets, boxes apart."""
    gt = np.zeros((100, 60), bool)
    for index in range(count):
        row, col = divmod(index, 6)
        gt[10 * row + 1:10 * row + 9, 10 * col + 1:10 * col + 9] = True
    return gt


def _rings() -> np.ndarray:
    """Nested square rings: every box holds the next ones, the outer box is the image."""
    gt = np.zeros((64, 64), bool)
    for ring in range(6):
        a, b = 5 * ring, 64 - 5 * ring
        gt[a:b, a:b] = True
        gt[a + 2:b - 2, a + 2:b - 2] = False
    return gt


GTS = {"multi": _multi_object, "small ties": _small_ties, "one pixel": _one_pixel,
       "diagonal": _diagonal_pixels, "grid": _grid, "rings": _rings,
       "empty": lambda: np.zeros((20, 30), bool), "full": lambda: np.ones((20, 30), bool)}


def _predictions(gt: np.ndarray, rng) -> dict:
    from scipy import ndimage

    soft = ndimage.gaussian_filter(gt.astype(float), 1.5) + 0.3 * rng.random(gt.shape)
    return {"smooth": np.round(255 * soft / soft.max()).astype(np.uint8),
            "constant": np.full(gt.shape, 77, np.uint8),
            "binary": ((gt ^ (rng.random(gt.shape) < 0.05)) * 255).astype(np.uint8)}


@pytest.fixture(scope="module")
def constructed():
    rng = np.random.default_rng(7)
    cases = []
    for name, make in GTS.items():
        gt = make().astype(np.uint8) * 255
        for kind, pred in _predictions(gt > 0, rng).items():
            cases.append((f"{name}/{kind}", pred, gt, reference(pred, gt)))
    return cases


def test_constructed_targets_match_pysodmetrics(constructed):
    for label, pred, gt, expected in constructed:
        assert_matches(score(pred[None], gt[None]), [expected], [label], [pred], [gt])


def test_bool_and_uint16_maps():
    """The histogram path with two levels (bool) and the per-pixel path (uint16)."""
    gt = _multi_object()
    pred = gt ^ (np.random.default_rng(17).random(gt.shape) < 0.1)
    expected = reference(pred.astype(np.uint8) * 255, gt.astype(np.uint8) * 255)
    for label, as_given in (("bool", pred), ("uint16", pred.astype(np.uint16) * 65535)):
        assert_matches(score(as_given[None], gt[None]), [expected], [label])


def test_target_boxes_are_the_references_masks():
    for name, make in GTS.items():
        gt = make()
        boxes = target_boxes(gt)
        count, labelled = size_invariance.parse_connected_components(gt)
        if count == 0:
            assert boxes.shape == (0, 4), name
            continue
        if gt.all():  # the reference cannot encode a GT without background
            np.testing.assert_array_equal(boxes, [[0, gt.shape[0], 0, gt.shape[1]]])
            continue
        weights = size_invariance.encode_bboxwise_tgts_bitwise(count, labelled)
        assert len(boxes) == count, name
        for k, (top, bottom, left, right) in enumerate(boxes, start=1):
            expected = np.zeros(gt.shape, bool)
            expected[top:bottom, left:right] = True
            np.testing.assert_array_equal(size_invariance.get_kth_bit(weights, k) > 0,
                                          expected, err_msg=f"{name} target {k}")
    assert len(target_boxes(_small_ties())) == 3
    assert len(target_boxes(_diagonal_pixels())) == 50


def test_full_gt_is_the_whole_image():
    """The reference raises on a full GT; sodbench scores the whole image (one target)."""
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 256, (20, 30)).astype(np.uint8)
    gt = np.full((20, 30), 255, np.uint8)
    with pytest.raises(AssertionError):
        size_invariance.SizeInvarianceMAE().step(pred, gt)
    expected = reference(pred, gt)  # plain FmeasureV2 and MAE on the image
    assert_matches(score(pred[None], gt[None]), [expected], ["full"])


def test_boxes_covering_the_image_leave_no_background_term():
    """One target whose box is the image: the reference's siMAE is 0/0 = NaN; sodbench drops
    the zero-weight background term, which leaves the plain MAE."""
    gt = np.zeros((30, 30), np.uint8)
    gt[np.arange(30), np.arange(30)] = gt[np.arange(29), np.arange(1, 30)] = 255  # a staircase
    pred = np.random.default_rng(5).integers(0, 256, gt.shape).astype(np.uint8)
    assert np.isnan(reference(pred, gt)["siMAE"])
    plain = psm.MAE()
    plain.step(pred, gt)
    assert score(pred[None], gt[None])["siMAE"][0] == pytest.approx(
        plain.get_results()["mae"], abs=ATOL)


# ------------------------------------------------------------------------ public functions
def test_public_functions_score_the_map_as_given(constructed):
    """size_invariant_* on float maps without min-max, against PySODMetrics with
    ``normalize=False``."""
    rng = np.random.default_rng(11)
    for label, _, gt_u8, _ in constructed[::2]:
        gt = gt_u8 > 128
        pred = rng.random(gt.shape) * 0.6  # no min-max: values stay below 0.6
        expected = reference(pred, gt, normalize=False)
        values = {"siMAE": size_invariant_mae(pred, gt)}
        for handler in HANDLERS:
            values.update(size_invariant_scores(pred, gt, handler))
        assert set(values) == set(SI_KEYS)
        assert_matches(values, [expected], [label], [pred], [gt], normalize=False)


def test_curves_are_the_references_dynamic_results():
    rng = np.random.default_rng(13)
    gt = _multi_object()
    preds = rng.random((2, *gt.shape))
    for handler in ("F", "Kappa", "BER"):
        curves = size_invariant_curves(preds, np.stack([gt, gt]), handler, batch=True)
        fm = size_invariance.SizeInvarianceFmeasureV2(
            {handler: HANDLERS[handler](with_dynamic=True, with_adaptive=False)})
        for pred in preds:
            fm.step(pred, gt, normalize=False)
        for mine, theirs in zip(curves, fm.get_results()[handler]["dynamic"], strict=True):
            assert mine.shape == (len(target_boxes(gt)), 256)
            np.testing.assert_allclose(mine, theirs[:, ::-1], atol=ATOL, rtol=0)


def test_errors_are_one_line():
    gt = _small_ties()
    with pytest.raises(SodbenchError, match="unknown handler 'AUC'"):
        size_invariant_scores(gt.astype(float), gt, "AUC")
    with pytest.raises(SodbenchError, match="batch=True"):
        size_invariant_mae(np.zeros((2, 5, 5)), np.zeros((2, 5, 5), bool))


# ------------------------------------------------------------------------ dataset values
def test_evaluator_dataset_values(random_references):
    """The Evaluator's averages against one reference object stepped over every image."""
    group = [item for item in random_references
             if item[1].shape == (120, 90) and item[0] != "full"
             and not np.isnan(item[3]["siMAE"])]
    preds, gts = np.stack([g[1] for g in group]), np.stack([g[2] for g in group])
    evaluator = Evaluator(metrics=SI_KEYS, threads=1)
    evaluator.update(preds[:5], gts[:5], batch=True)
    for pred, gt in zip(preds[5:], gts[5:], strict=True):
        evaluator.update(pred, gt)
    results = evaluator.compute()
    fm = size_invariance.SizeInvarianceFmeasureV2(_handlers())
    mae = size_invariance.SizeInvarianceMAE()
    for pred, gt in zip(preds, gts, strict=True):
        fm.step(pred, gt)
        mae.step(pred, gt)
    expected = _reduce(fm.get_results(), mae.get_results()["si_mae"])
    assert len(group) > 20
    for key in SI_KEYS:
        assert results[key] == pytest.approx(expected[key], abs=ATOL), key


# ------------------------------------------------------------------------ SD-Saliency-900
@pytest.mark.parametrize("method", ["SMD", "RCRR"])
def test_sd900_matches_pysodmetrics(sd900, method):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in range(1, 301, 30)]
    preds, gts = sd900_maps(sd900, method, stems)
    evaluator = Evaluator(metrics=SI_KEYS, threads=1)
    evaluator.update(np.stack(preds), np.stack(gts), names=stems, batch=True)
    table = evaluator.per_image()
    expected = [reference(pred, gt) for pred, gt in zip(preds, gts, strict=True)]
    assert_matches({key: table[key].to_numpy() for key in SI_KEYS}, expected,
                   [f"{method} {stem}" for stem in stems], preds, gts)
    assert sum(len(target_boxes(gt)) for gt in gts) > len(stems)  # multi-object images
