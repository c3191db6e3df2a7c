import numpy as np
import pytest
from helpers import by_shape, reference_array

from sodbench.metrics._fmeasure import (
    adaptive_fmeasure,
    binary_dice,
    binary_iou,
    dice_from_counts,
    fmeasure_curves,
    fmeasure_from_counts,
    iou_from_counts,
    precision,
    recall,
)
from sodbench.metrics.counts import binary_counts, matlab_thresholds, threshold_counts


def test_curves_match_pysodmetrics(pairs):
    for indices, normalised, _, gt in by_shape(pairs):
        subset = [pairs[i] for i in indices]
        curves = fmeasure_curves(normalised, gt, batch=True)
        for name in ("precision", "recall", "F", "IoU", "Dice"):
            expected = np.stack([ref[f"{name}_curve"] for *_, ref in subset])
            np.testing.assert_allclose(curves[name], expected, atol=1e-10, rtol=0, err_msg=name)


def test_adaptive_and_binary_match_pysodmetrics(pairs):
    for indices, normalised, _, gt in by_shape(pairs):
        subset = [pairs[i] for i in indices]
        for ours, key in (
            (adaptive_fmeasure(normalised, gt, batch=True), "adp_F"),
            (binary_iou(normalised, gt, batch=True), "bin_IoU"),
            (binary_dice(normalised, gt, batch=True), "bin_Dice"),
        ):
            np.testing.assert_allclose(ours, reference_array(subset, key), atol=1e-10, rtol=0)


def test_hand_computed_counts():
    # levels trunc(255 p): 0, 127, 255, 63 ; GT on the first two pixels
    pred = np.array([[0.0, 0.5], [1.0, 0.25]])
    gt = np.array([[True, True], [False, False]])
    counts = threshold_counts(pred[None], gt[None])
    assert counts.positives[0, [0, 1, 63, 64, 127, 128, 255]].tolist() == [4, 3, 3, 2, 2, 1, 1]
    assert counts.tp[0, [0, 1, 127, 128]].tolist() == [2, 1, 1, 0]
    at_64 = counts._replace(
        tp=counts.tp[:, 64], positives=counts.positives[:, 64], fg=counts.fg[:, 0]
    )
    # threshold 64: positives {0.5, 1.0}, TP 1 -> P 0.5, R 0.5, IoU 1/3, Dice 1/2
    assert fmeasure_from_counts(at_64)[0] == pytest.approx(0.5)
    assert iou_from_counts(at_64)[0] == pytest.approx(1 / 3)
    assert dice_from_counts(at_64)[0] == pytest.approx(0.5)


def test_zero_denominators_give_zero():
    gt = np.zeros((1, 3, 3), bool)
    counts = binary_counts(np.zeros((1, 3, 3)), gt, 0.5, strict=True)
    assert fmeasure_from_counts(counts)[0] == iou_from_counts(counts)[0] == 0


def test_matlab_levels_compare_floats():
    pred = matlab_thresholds()[None, None, :]  # every threshold value once
    gt = np.ones_like(pred, dtype=bool)
    at_or_above = threshold_counts(pred, gt, levels="matlab").positives[0]
    above = threshold_counts(pred, gt, levels="matlab", strict=True).positives[0]
    assert at_or_above.tolist() == list(range(256, 0, -1))
    assert above.tolist() == list(range(255, -1, -1))


def _fan_fmeasure_calu(sal: np.ndarray, gt: np.ndarray, threshold: float):
    """Fan's Fmeasure_calu.m for one threshold: (precision, recall, F), 0s without overlap."""
    label = sal >= min(threshold, 1)
    overlap = np.count_nonzero(label & gt)
    if overlap == 0:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / np.count_nonzero(label), overlap / np.count_nonzero(gt)
    return precision, recall, 1.3 * precision * recall / (0.3 * precision + recall)


def test_matlab_levels_follow_fan_fmeasure_calu():
    rng = np.random.default_rng(11)
    gt = rng.random((3, 10, 14)) > 0.6
    pred = np.round(rng.random(gt.shape) * 255) / 255
    pred[0, 0, :4] = matlab_thresholds()[[0, 37, 128, 255]]
    counts = threshold_counts(pred, gt, levels="matlab")
    ours = np.stack([precision(counts), recall(counts), fmeasure_from_counts(counts)], axis=-1)
    for index in range(len(pred)):
        expected = [_fan_fmeasure_calu(pred[index], gt[index], t) for t in matlab_thresholds()]
        np.testing.assert_allclose(ours[index], expected, atol=1e-12, rtol=0)
