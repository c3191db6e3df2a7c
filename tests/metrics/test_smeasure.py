import warnings

import numpy as np
import py_sod_metrics
import pytest
from helpers import per_pair, reference_array
from synthetic import spec_pair

from sodbench.metrics._smeasure import smeasure
from sodbench.metrics.validate import im2double, minmax


def test_matches_pysodmetrics(pairs):
    ours, ref = per_pair(pairs, smeasure), reference_array(pairs, "Sm")
    finite = ~np.isnan(ref)
    np.testing.assert_allclose(ours[finite], ref[finite], atol=1e-10, rtol=0)
    # the reference's NaN (GT only in the last column) is a finite score in [0, 1] here
    assert (~finite).sum() >= 30 and np.isfinite(ours[~finite]).all()
    assert ((ours >= 0) & (ours <= 1)).all()


def _last_column_gt():
    gt = np.zeros((4, 4), bool)
    gt[:, -1] = True
    return gt


@pytest.mark.parametrize("pred, expected", [(None, 1.0), (0.5, 0.4)])
def test_empty_quadrant_is_defined(pred, expected):
    # Centroid (1.5, 3) -> split at row 2 (half-even), column 4 = W: the right blocks are empty.
    # Perfect map: every term is 1. Constant 0.5: object terms 2*0.5/(0.25+1) = 0.8, the two
    # non-empty blocks have no covariance (score 0), so S = 0.5*0.8 + 0.5*0 = 0.4.
    gt = _last_column_gt()
    pred = gt.astype(float) if pred is None else np.full(gt.shape, pred)
    reference = py_sod_metrics.Smeasure()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference.step(pred, gt, normalize=False)
    assert np.isnan(reference.get_results()["sm"])
    assert smeasure(pred, gt)[0] == pytest.approx(expected, abs=1e-12)


def test_degenerate_gt():
    pred = np.array([[0.2, 0.4], [0.6, 0.8]])
    assert smeasure(pred, np.zeros((2, 2), bool))[0] == pytest.approx(0.5)
    assert smeasure(pred, np.ones((2, 2), bool))[0] == pytest.approx(0.5)


def test_centroid_rounding_conventions_differ_on_half_means():
    # 0-based mean column 2.5 (k = 2 even): numpy rounds to 2, Matlab's 1-based 3.5 to 4
    gt = np.zeros((6, 8), bool)
    gt[1:5, 2:4] = True
    pred = np.clip(gt + np.linspace(0, 0.3, 48).reshape(6, 8), 0, 1)
    half_even = smeasure(pred, gt, centroid="half_even")[0]
    half_away = smeasure(pred, gt, centroid="half_away")[0]
    assert half_even != pytest.approx(half_away, abs=1e-6)
    reference = py_sod_metrics.Smeasure()
    reference.step(pred, gt, normalize=False)
    assert half_even == pytest.approx(reference.get_results()["sm"], abs=1e-12)


def test_clamp_only_changes_negative_scores():
    rng = np.random.default_rng(5)
    gt = rng.random((6, 20, 20)) > 0.5
    pred = 1.0 - gt + rng.normal(0, 0.01, gt.shape).clip(-0.0, 0.0)
    clamped, raw = smeasure(pred, gt, batch=True), smeasure(pred, gt, clamp=False, batch=True)
    assert (clamped == np.maximum(raw, 0)).all() and (raw < 0).any()


def test_anchors():
    for seed, expected in ((3, 0.965005), (12, 0.602887), (18, 0.897788)):
        pred, gt = spec_pair(seed)
        assert round(float(smeasure(minmax(im2double(pred))[0], gt)[0]), 6) == expected
