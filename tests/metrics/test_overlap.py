"""OR against hand-computed cases, the synthetic anchors and a per-image Matlab reading.

The synthetic pairs: tests/metrics/synthetic.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image
from synthetic import spec_pair, spec_set

from sodbench.errors import SodbenchError
from sodbench.metrics._overlap import overlap_ratio, overlap_ratio_curve

METHODS = ("BC", "FT", "HC", "MCITF", "RCRR", "SMD")


def matlab_or(pred_u8: np.ndarray, gt_u8: np.ndarray, threshold: float | None = None) -> float:
    """``CalOverlapRatio.m`` line by line on one image (uint8 files, im2double first)."""

    def im2uint8(x: np.ndarray) -> np.ndarray:  # grayto8.c: val*255.0 + 0.5, clip, cast
        out = np.zeros(x.shape, dtype=np.uint8)
        for idx, val in np.ndenumerate(x):
            if not np.isnan(val):
                out[idx] = int(min(max(val * 255.0 + 0.5, 0.0), 255.0))
        return out

    fg = pred_u8.astype(np.float64) / 255
    gt = gt_u8.astype(np.float64) / 255
    with np.errstate(invalid="ignore"):
        fg = (fg - fg.min()) / (fg.max() - fg.min())
        gt = (gt - gt.min()) / (gt.max() - gt.min())
    fg8, gt8 = im2uint8(fg), im2uint8(gt)
    if threshold is None:
        threshold = float(int(fg8.astype(np.int64).sum())) / fg8.size * 2
    intersection = int(np.sum((fg8 >= threshold) & (gt8 > 25)))
    union = int(np.sum((fg8 >= threshold) | (gt8 > 25)))
    return intersection / union if intersection != 0 else 0.0


def test_hand_computed_with_half_ties():
    # levels 0, 1, 3 -> min-max 0, 1/3, 1 -> 255/3 = 85 exactly; 1, 2 of 0..2 -> 127.5 tie
    pred = np.array([[0, 1, 3, 3], [0, 0, 1, 2]], dtype=np.uint8)
    gt = np.array([[0, 0, 255, 255], [0, 0, 0, 255]], dtype=np.uint8)
    # FG8 = [0 85 255 255; 0 0 85 170], mean = 850/8 = 106.25, thr 212.5 -> B = two 255s
    assert overlap_ratio(pred, gt)[0] == pytest.approx(2 / 3, abs=0)
    half = np.array([[0, 1, 2, 2]], dtype=np.uint8) / 255
    # (1/255 - 0) / (2/255) * 255 + 0.5 = 128 (a tie rounded up, as grayto8 does)
    gt_half = np.array([[False, True, True, False]])
    # FG8 = [0 128 255 255], mean 159.5, thr 319 > 255 -> nothing positive -> OR 0
    assert overlap_ratio(half, gt_half)[0] == 0.0
    curve = overlap_ratio_curve(half, gt_half)[0]
    assert curve[128] == pytest.approx(2 / 3) and curve[129] == pytest.approx(1 / 3)


def test_tie_below_half_rounds_down_like_matlab():
    # levels 1, 2, 35: exact arithmetic gives 255 * 1/34 = 7.5 (rounds to 8), Matlab's
    # doubles give 7.499999999999998 (rounds to 7)
    levels = np.array([[1, 2, 35, 2]], dtype=np.uint8)
    assert (2 / 255 - 1 / 255) / (35 / 255 - 1 / 255) * 255.0 < 7.5
    gt = np.array([[0, 255, 255, 0]], dtype=np.uint8)
    # FG8 = [0 7 255 7], mean 67.25, thr 134.5 -> B = {2}; G = {1, 2} -> 1/2
    assert overlap_ratio(levels, gt)[0] == 0.5
    curve = overlap_ratio_curve(levels, gt)[0]
    # t = 7: B = {1, 2, 3}, |B & G| = 2, |B | G| = 3; t = 8 already excludes the 7s
    assert curve[7] == pytest.approx(2 / 3) and curve[8] == pytest.approx(1 / 2)


def test_constant_prediction_scores_gt_fraction():
    gt = np.zeros((10, 10), dtype=bool)
    gt[2:5, 3:7] = True
    for value in (0.0, 0.4, 1.0):
        assert overlap_ratio(np.full((10, 10), value), gt)[0] == pytest.approx(12 / 100)


def test_empty_or_full_gt_scores_zero():
    pred = np.linspace(0, 1, 100).reshape(10, 10)
    assert overlap_ratio(pred, np.zeros((10, 10), dtype=bool))[0] == 0.0
    assert overlap_ratio(pred, np.ones((10, 10), dtype=bool))[0] == 0.0


def test_mean_above_half_scores_zero():
    pred = np.full((10, 10), 1.0)
    pred[0, 0] = 0.0
    gt = pred > 0.5
    assert overlap_ratio(pred, gt)[0] == 0.0


def test_perfect_binary_prediction_scores_one():
    gt = np.zeros((20, 20), dtype=bool)
    gt[5:9, 2:12] = True
    assert overlap_ratio(gt.astype(np.float64), gt)[0] == 1.0


def test_input_dtypes_are_im2double():
    pred, gt = spec_pair(3)
    expected = overlap_ratio(pred / 255, gt / 255)
    np.testing.assert_array_equal(overlap_ratio(pred, gt), expected)
    np.testing.assert_array_equal(overlap_ratio(pred, gt > 128), expected)
    np.testing.assert_array_equal(overlap_ratio(pred.astype(np.uint16) * 257, gt), expected)


def test_invalid_shapes_raise_one_line_errors():
    with pytest.raises(SodbenchError, match="differs from ground truth shape"):
        overlap_ratio(np.zeros((4, 4)), np.zeros((4, 5)))
    with pytest.raises(SodbenchError, match="N x H x W"):
        overlap_ratio(np.zeros(4), np.zeros(4))
    with pytest.raises(SodbenchError, match="prediction has dtype int32"):
        overlap_ratio(np.zeros((4, 4), dtype=np.int32), np.zeros((4, 4)))
    with pytest.raises(SodbenchError, match="ground truth is float with values up to 255"):
        overlap_ratio(np.zeros((4, 4)), np.full((4, 4), 255.0))


@pytest.mark.parametrize(
    ("seed", "pred_sum", "expected"),
    [(3, 669533, 0.888116), (12, 190893, 0.067845), (18, 110389, 0.0)],
)
def test_spec_anchors(seed, pred_sum, expected):
    pred, gt = spec_pair(seed)
    assert int(pred.sum(dtype=np.int64)) == pred_sum
    assert overlap_ratio(pred / 255, gt / 255)[0] == pytest.approx(expected, abs=5e-7)
    assert overlap_ratio(pred, gt)[0] == matlab_or(pred, gt)


def test_batch_equals_single_images_and_curve_matches_reference():
    preds, gts = spec_set()  # 20 maps of 200x200: several internal chunks
    single = np.concatenate([overlap_ratio(p, g) for p, g in zip(preds, gts, strict=True)])
    np.testing.assert_array_equal(overlap_ratio(preds, gts, batch=True), single)
    pairs = [spec_pair(seed) for seed in (3, 12, 18)]
    preds = np.stack([p for p, _ in pairs])
    gts = np.stack([g for _, g in pairs])
    curve = overlap_ratio_curve(preds, gts, batch=True)
    assert curve.shape == (3, 256)
    for image, (p, g) in enumerate(pairs):
        for threshold in (0, 1, 40, 100, 128, 200, 255):
            assert curve[image, threshold] == _reference_vectorised(p, g, threshold)


def test_random_maps_equal_reference():
    rng = np.random.default_rng(7)
    for _ in range(40):
        low, high = sorted(rng.integers(0, 256, 2))
        pred = rng.integers(low, high + 1, (9, 11)).astype(np.uint8)
        gt = (rng.random((9, 11)) < rng.uniform(0, 0.6)).astype(np.uint8) * 255
        assert overlap_ratio(pred, gt)[0] == matlab_or(pred, gt)
        for threshold in rng.integers(0, 256, 4):
            assert overlap_ratio_curve(pred, gt)[0, threshold] == matlab_or(pred, gt, threshold)


def _read_channel_one(path) -> np.ndarray:
    image = np.asarray(Image.open(path))
    return image[..., 0] if image.ndim == 3 else image


@pytest.fixture(scope="module")
def sd900_gt(sd900) -> dict[str, np.ndarray]:
    return {f.stem: _read_channel_one(f) for f in sorted((sd900 / "GT").glob("*.png"))}


@pytest.mark.parametrize("method", METHODS)
def test_sd900_maps_equal_reference(sd900, sd900_gt, method):
    files = sorted((sd900 / "pred" / method).iterdir())
    assert len(files) == 900
    preds = np.stack([_read_channel_one(f) for f in files])
    gts = np.stack([sd900_gt[f.stem] for f in files])
    fast = overlap_ratio(preds / 255, gts / 255, batch=True)
    for image, (pred, gt) in enumerate(zip(preds, gts, strict=True)):
        assert fast[image] == _reference_vectorised(pred, gt), files[image].name


def _reference_vectorised(pred: np.ndarray, gt: np.ndarray, threshold: float | None = None):
    """:func:`matlab_or` without the per-pixel loop (for 200x200 maps), same Matlab steps."""
    fg = pred.astype(np.float64) / 255
    g = gt.astype(np.float64) / 255
    with np.errstate(invalid="ignore"):
        fg = (fg - fg.min()) / (fg.max() - fg.min())
        g = (g - g.min()) / (g.max() - g.min())
    fg8 = np.where(np.isnan(fg), 0, np.clip(fg * 255.0 + 0.5, 0, 255)).astype(np.uint8)
    g8 = np.where(np.isnan(g), 0, np.clip(g * 255.0 + 0.5, 0, 255)).astype(np.uint8)
    if threshold is None:
        threshold = float(fg8.astype(np.int64).sum()) / fg8.size * 2
    positive, obj = fg8 >= threshold, g8 > 25
    intersection = int(np.sum(positive & obj))
    return intersection / int(np.sum(positive | obj)) if intersection else 0.0


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 7), st.integers(1, 7))),
    st.data(),
)
def test_any_uint8_map_equals_reference(pred, data):
    gt = data.draw(arrays(np.bool_, pred.shape)).astype(np.uint8) * 255
    assert overlap_ratio(pred, gt)[0] == matlab_or(pred, gt)
    threshold = data.draw(st.integers(0, 255))
    assert overlap_ratio_curve(pred, gt)[0, threshold] == matlab_or(pred, gt, threshold)
