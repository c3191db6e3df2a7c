import numpy as np
import pytest
from helpers import by_shape, reference_array

from sodbench.metrics._emeasure import adaptive_emeasure, emeasure_curve
from sodbench.metrics.counts import matlab_thresholds
from sodbench.metrics.validate import EPS


def test_matches_pysodmetrics(pairs):
    for indices, normalised, _, gt in by_shape(pairs):
        subset = [pairs[i] for i in indices]
        np.testing.assert_allclose(
            emeasure_curve(normalised, gt, batch=True),
            np.stack([ref["E_curve"] for *_, ref in subset]),
            atol=1e-10, rtol=0,
        )
        np.testing.assert_allclose(
            adaptive_emeasure(normalised, gt, batch=True), reference_array(subset, "adpE"),
            atol=1e-10, rtol=0,
        )


def _fan_enhanced_measure(binary: np.ndarray, gt: np.ndarray) -> float:
    """Fan's Enhancedmeasure.m, pixel by pixel (an independent check of the closed form)."""
    fm, g = binary.astype(float), gt.astype(float)
    if g.sum() == 0:
        enhanced = 1.0 - fm
    elif (1 - g).sum() == 0:
        enhanced = fm
    else:
        a, b = fm - fm.mean(), g - g.mean()
        align = 2 * a * b / (a * a + b * b + EPS)
        enhanced = (align + 1) ** 2 / 4
    return enhanced.sum() / (gt.size - 1 + EPS)


@pytest.mark.parametrize("strict", [False, True])
def test_matlab_levels_follow_fan_main_m(strict):
    rng = np.random.default_rng(7)
    gt = rng.random((2, 12, 15)) > 0.7
    gt[1] = False
    pred = np.round(rng.random(gt.shape) * 255) / 255
    pred[0, 0, :5] = matlab_thresholds()[[0, 1, 128, 254, 255]]  # values exactly on thresholds
    ours = emeasure_curve(pred, gt, levels="matlab", strict=strict, batch=True)
    for index in range(2):
        expected = [
            _fan_enhanced_measure(pred[index] > t if strict else pred[index] >= t, gt[index])
            for t in matlab_thresholds()
        ]
        np.testing.assert_allclose(ours[index], expected, atol=1e-12, rtol=0)


def test_hand_computed_closed_form():
    gt = np.array([[True, False], [False, False]])
    pred = np.array([[1.0, 1.0], [0.0, 0.0]])
    # threshold 2*mean = 1: binary [[1,1],[0,0]] -> Fan's formula pixel by pixel
    assert adaptive_emeasure(pred, gt)[0] == pytest.approx(_fan_enhanced_measure(pred >= 1, gt))


def test_degenerate_empty_gt_zero_map():
    # threshold 0 with '>=' makes every pixel positive -> 0; with '>' it is ~1
    pred, gt = np.zeros((8, 8)), np.zeros((8, 8), bool)
    assert adaptive_emeasure(pred, gt)[0] == 0
    assert adaptive_emeasure(pred, gt, strict=True)[0] == pytest.approx(64 / 63)
