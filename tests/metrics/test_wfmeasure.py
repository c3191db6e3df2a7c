import numpy as np
import py_sod_metrics
import pytest
from helpers import per_pair, reference_array
from synthetic import spec_pair

from sodbench.metrics._wfmeasure import gaussian_kernel_1d, weighted_fmeasure
from sodbench.metrics.validate import im2double, minmax


def test_matches_pysodmetrics(pairs):
    ours, reference = per_pair(pairs, weighted_fmeasure), reference_array(pairs, "wF")
    np.testing.assert_allclose(ours, reference, atol=1e-10, rtol=0)


def test_separable_kernel_is_matlab_fspecial():
    matlab_2d = py_sod_metrics.WeightedFmeasure().matlab_style_gauss2D((7, 7), sigma=5)
    factor = gaussian_kernel_1d()
    np.testing.assert_allclose(np.outer(factor, factor), matlab_2d, atol=1e-17, rtol=0)


def test_perfect_and_empty():
    gt = np.zeros((2, 10, 12), bool)
    gt[0, 2:6, 3:9] = True
    scores = weighted_fmeasure(gt.astype(float), gt, batch=True)
    assert scores[0] == pytest.approx(1, abs=1e-12)
    assert scores[1] == 0  # empty GT: PySODMetrics' convention


def test_anchors():
    for seed, expected in ((3, 0.769894), (12, 0.176265), (18, 0.0)):
        pred, gt = spec_pair(seed)
        assert round(float(weighted_fmeasure(minmax(im2double(pred))[0], gt)[0]), 6) == expected
