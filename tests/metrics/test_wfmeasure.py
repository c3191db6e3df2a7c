import numpy as np
import py_sod_metrics
import pytest
from helpers import per_pair, reference_array
from scipy import ndimage
from synthetic import spec_pair

from sodbench.metrics import _wfmeasure
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


@pytest.mark.parametrize("height, width", [(1, 1), (1, 9), (2, 5), (3, 3), (6, 4), (7, 7),
                                           (31, 40), (32, 40), (33, 40), (65, 2049),
                                           (100, 3), (517, 611)])
def test_vertical_pass_is_scipys_correlate1d_bit_for_bit(height, width, monkeypatch):
    # the wF blur's first pass, rewritten from scipy.ndimage.correlate1d(axis=0) for speed:
    # equal to the last bit on values of every scale, on heights below, at and across the
    # block edges (the smallest block is 32 rows; and blocks of 32 rows at any width)
    rng = np.random.default_rng(height * 7919 + width)
    image = rng.random((height, width)) * 10.0 ** rng.integers(-8, 3, (height, width))
    image[rng.random((height, width)) < 0.3] = 0  # the zero GT-side errors of real maps
    expected = ndimage.correlate1d(image, _wfmeasure._KERNEL, axis=0, mode="constant")
    for block_values in (_wfmeasure._BLOCK_VALUES, 1):
        monkeypatch.setattr(_wfmeasure, "_BLOCK_VALUES", block_values)
        padded = np.full((height + 6, width), np.nan)
        padded[:3] = padded[-3:] = 0
        padded[3:-3] = image
        assert np.array_equal(_wfmeasure.vertical_pass(padded, height), expected)


def test_vertical_pass_reads_only_the_zero_rows_around_the_image():
    image = np.arange(12.0).reshape(4, 3)
    padded = np.zeros((10, 3))
    padded[3:7] = image
    expected = ndimage.correlate1d(image, _wfmeasure._KERNEL, axis=0, mode="constant")
    assert np.array_equal(_wfmeasure.vertical_pass(padded, 4), expected)
    padded[0] = 1.0  # a row the kernel reaches from the first image row
    assert not np.array_equal(_wfmeasure.vertical_pass(padded, 4), expected)
