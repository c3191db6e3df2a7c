"""HCE against PySODMetrics 1.6.2 ``HumanCorrectionEffortMeasure``: per image (==), the
dataset mean through the Evaluator, edge cases, SD-900 maps and the missing-OpenCV error."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from cases import random_pairs
from helpers import per_pair, reference_array, sd900_maps

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics._hce import hce, image_hce

py_sod_metrics = pytest.importorskip("py_sod_metrics")
pytest.importorskip("cv2")


def psm_hce(pred_u8: np.ndarray, gt_u8: np.ndarray, **options) -> float:
    """PySODMetrics' HCE of one uint8 pair (min-max normalised map, ``gt > 128``)."""
    metric = py_sod_metrics.HumanCorrectionEffortMeasure(**options)
    metric.step(pred_u8, gt_u8)
    return float(metric.get_results()["hce"])


def blob(shape, seed: int, quantile: float = 0.6) -> np.ndarray:
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.random(shape), min(shape) / 10)
    return field > np.quantile(field, quantile)


@pytest.fixture(scope="module")
def hce_pairs():
    """The 320 random pairs with PySODMetrics' HCE: (kind, pred, gt, {"HCE": value})."""
    return [(kind, pred, gt, {"HCE": psm_hce(pred, gt)}) for kind, pred, gt in random_pairs()]


def test_matches_pysodmetrics_per_image(hce_pairs):
    ours, reference = per_pair(hce_pairs, hce), reference_array(hce_pairs, "HCE")
    assert reference.max() > 50 and len(set(reference)) > 40  # the pairs are not all trivial
    np.testing.assert_array_equal(ours, reference)


def test_evaluator_dataset_mean(hce_pairs):
    evaluator = Evaluator(metrics=["HCE"])
    order = []
    for shape in sorted({pred.shape for _, pred, _, _ in hce_pairs}):
        group = [i for i, (_, pred, _, _) in enumerate(hce_pairs) if pred.shape == shape]
        evaluator.update(np.stack([hce_pairs[i][1] for i in group]),
                         np.stack([hce_pairs[i][2] for i in group]), batch=True)
        order += group
    reference = reference_array(hce_pairs, "HCE")[order]
    np.testing.assert_array_equal(np.asarray(evaluator.per_image()["HCE"], float), reference)
    assert evaluator.compute()["HCE"] == pytest.approx(reference.mean(), abs=1e-10, rel=0)


def test_public_function_scores_the_map_as_given(hce_pairs):
    # hce() binarises p/255 > 0.5 without min-max: PySODMetrics' cal_hce on the raw map
    metric = py_sod_metrics.HumanCorrectionEffortMeasure()
    picked = [pair for pair in hce_pairs if pair[0] in ("narrow_range", "constant")][:40]
    ours = per_pair(picked, hce, raw=True)
    reference = [metric.cal_hce(pred / 255, gt > 128) for _, pred, gt, _ in picked]
    np.testing.assert_array_equal(ours, reference)
    assert not np.array_equal(ours, reference_array(picked, "HCE"))  # min-max matters here


def edge_cases() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    square = np.zeros((40, 40), np.uint8)
    square[10:30, 8:28] = 255
    one = np.zeros((40, 40), np.uint8)
    one[20, 20] = 255
    other = np.zeros((40, 40), np.uint8)
    other[5, 33] = 255
    corner = np.zeros((40, 40), np.uint8)
    corner[:15, :12] = 255
    noisy = (blob((40, 40), 3) * 200 + rng.integers(0, 55, (40, 40))).astype(np.uint8)
    zeros, full = np.zeros((40, 40), np.uint8), np.full((40, 40), 255, np.uint8)
    small_gt = (blob((9, 13), 1) * 255).astype(np.uint8)
    small_pred = (blob((9, 13), 2, 0.4) * 255).astype(np.uint8)
    return {
        "both empty": (zeros, zeros),
        "empty GT, blob prediction": (noisy, zeros),
        "empty GT, full prediction": (full, zeros),
        "full GT, perfect": (full, full),
        "full GT, empty prediction": (zeros, full),
        "full GT, noisy prediction": (noisy, full),
        "constant 0": (zeros, square),
        "constant 128": (np.full((40, 40), 128, np.uint8), square),
        "constant 255": (full, square),
        "perfect square": (square, square),
        "one-pixel GT, empty prediction": (zeros, one),
        "one-pixel GT, one-pixel prediction elsewhere": (other, one),
        "one-pixel prediction, empty GT": (one, zeros),
        "one-pixel GT, square prediction": (square, one),
        "GT touching the border": (noisy, corner),
        "prediction touching the border": (corner, square),
        "both touching the border": (np.roll(corner, 3, axis=1), corner),
        "9 x 13": (small_pred, small_gt),
        "9 x 13, GT touching every border": (small_pred, np.full((9, 13), 255, np.uint8)),
    }


@pytest.mark.parametrize("name", list(edge_cases()))
def test_edge_cases_match_pysodmetrics(name):
    pred, gt = edge_cases()[name]
    normalised = pred / 255
    if normalised.max() != normalised.min():
        normalised = (normalised - normalised.min()) / (normalised.max() - normalised.min())
    assert hce(normalised, gt > 128)[0] == psm_hce(pred, gt)


def test_edge_case_values():
    cases = edge_cases()
    for name in ("both empty", "full GT, perfect", "perfect square"):
        pred, gt = cases[name]
        assert hce(pred, gt > 128)[0] == 0, name
    pred, gt = cases["empty GT, full prediction"]
    assert hce(pred, gt > 128)[0] == 1  # one FP region, no boundary shared with anything
    pred, gt = cases["one-pixel GT, empty prediction"]
    assert hce(pred, gt > 128)[0] == 1  # the skeleton pixel: one independent FN region


def test_large_maps_match():
    gt = (blob((480, 520), 11, 0.3) * 255).astype(np.uint8)
    shifted = np.roll(blob((480, 520), 11, 0.35), (4, -3), axis=(0, 1)) ^ blob((480, 520), 12, 0.97)
    pred = (shifted * 230 + 10).astype(np.uint8)
    assert hce(pred / 255, gt > 128)[0] == psm_hce(pred, gt)


def test_relax_and_epsilon(hce_pairs):
    for relax, epsilon in ((0, 2.0), (2, 0.5), (8, 4.0)):
        for _, pred, gt, _ in hce_pairs[::16]:
            p, g = py_sod_metrics.utils.prepare_data(pred, gt)
            metric = py_sod_metrics.HumanCorrectionEffortMeasure(relax=relax, epsilon=epsilon)
            assert image_hce(p > 0.5, g, relax=relax, epsilon=epsilon) == metric.cal_hce(p, g)


def test_bad_options():
    pred = np.zeros((8, 8))
    with pytest.raises(SodbenchError, match="relax"):
        hce(pred, pred > 0, relax=-1)
    with pytest.raises(SodbenchError, match="epsilon"):
        hce(pred, pred > 0, epsilon=float("nan"))


def test_missing_opencv_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cv2", None)  # ``import cv2`` now raises ImportError
    pred, gt = np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8)
    for call in (lambda: hce(pred, gt > 0), lambda: image_hce(pred > 0, gt > 0)):
        with pytest.raises(SodbenchError) as error:
            call()
        assert str(error.value) == ("HCE needs the cv extra: pip install 'sodbench[cv]' "
                                    "(cannot import cv2: ModuleNotFoundError)")
    with pytest.raises(SodbenchError, match=r"sodbench\[cv\]"):
        Evaluator(metrics=["HCE"])  # refused before any pair is given


@pytest.mark.parametrize("method", ["SMD", "RCRR"])
def test_matches_pysodmetrics_on_sd900(sd900, method):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in range(1, 301, 10)]
    preds, gts = sd900_maps(sd900, method, stems)
    evaluator = Evaluator(metrics=["HCE"])
    evaluator.update(np.stack(preds), np.stack(gts), batch=True)
    reference = np.array([psm_hce(pred, gt) for pred, gt in zip(preds, gts, strict=True)])
    np.testing.assert_array_equal(np.asarray(evaluator.per_image()["HCE"], float), reference)
    assert evaluator.compute()["HCE"] == pytest.approx(reference.mean(), abs=1e-10, rel=0)


def test_the_gt_skeleton_is_made_once_for_every_method(hce_pairs, monkeypatch):
    """Scored against a prepared GroundTruth, HCE takes the GT skeleton from it (made at most
    once per GT image for all methods) and gives PySODMetrics' numbers."""
    import skimage.morphology  # GroundTruth imports skeletonize from it on first use

    made, counting = [], [False]  # counted while sodbench scores, not the reference
    original = skimage.morphology.skeletonize
    monkeypatch.setattr(skimage.morphology, "skeletonize",
                        lambda mask: (counting[0] and made.append(1)) or original(mask))
    picked = [pair for pair in hce_pairs if pair[1].shape == (64, 48)][:6]
    preds = np.stack([pred for _, pred, _, _ in picked])
    ground = Evaluator(metrics=["HCE"]).prepare(np.stack([gt for _, _, gt, _ in picked]),
                                                batch=True)
    for method in (preds, 255 - preds, preds // 2):  # three methods on one GT batch
        evaluator = Evaluator(metrics=["HCE"], threads=1)
        counting[0] = True
        evaluator.update(method, ground, batch=True)
        scores = evaluator.per_image()["HCE"]
        counting[0] = False
        expected = [psm_hce(pred, gt) for pred, (_, _, gt, _) in zip(method, picked, strict=True)]
        np.testing.assert_array_equal(scores, expected)
    assert 0 < len(made) <= len(picked)
