"""PFOM against hand-computed cases, the synthetic anchors and a brute-force reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage
from skimage.feature import canny
from skimage.filters import threshold_otsu
from synthetic import spec_pair

from sodbench.errors import SodbenchError
from sodbench.metrics._pfom import (
    BINARIZE,
    DIRECTIONS,
    DISTANCES,
    EDGES,
    MINET_TII2024_OPTIONS,
    pfom,
)


def square(top: int, left: int, size: int = 4, shape=(10, 10)) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[top : top + size, left : left + size] = True
    return mask


def test_one_pixel_shift_of_a_square():
    # GT square rows/cols 2..5, prediction shifted one column right; both inner edges have
    # 12 pixels. Detected edge: top and bottom rows at cols 3, 4, 5 lie on the GT edge (6 at
    # d = 0); cols 6 of those rows, the left column (rows 3, 4; col 3) and the right column
    # (rows 3, 4; col 6) are 1 away (6 at d = 1): (6 + 6 / (1 + 1/9)) / 12 = 0.95.
    gt, pred = square(2, 2), square(2, 3).astype(np.float64)
    for direction, distance in itertools.product(DIRECTIONS, DISTANCES):
        assert pfom(pred, gt, direction=direction, distance=distance)[0] == pytest.approx(0.95)


def test_diagonal_shift_separates_the_distances():
    # Shift by (1, 1): the detected corner (6, 6) is sqrt(2) from the GT corner (5, 5);
    # (3, 5) and (5, 3) lie on the GT edge; the 9 others are 1 away.
    gt, pred = square(2, 2), square(3, 3).astype(np.float64)
    euclid = (2 + 9 * 0.9 + 1 / (1 + 2 / 9)) / 12
    assert pfom(pred, gt)[0] == pytest.approx(euclid, abs=1e-15)
    assert pfom(pred, gt, distance="chessboard")[0] == pytest.approx(11 / 12, abs=1e-15)
    assert pfom(pred, gt, alpha=0.25)[0] == pytest.approx((2 + 9 / 1.25 + 1 / 1.5) / 12)


def test_unequal_edge_counts_divide_by_the_larger():
    # Ideal: 4x4 square at rows/cols 2..5 (12 edge px); detected: its top-left 2x2 corner
    # (4 edge px). detected_to_ideal: (2,2) (2,3) (3,2) lie on the ideal edge, (3,3) is
    # inside the square, 1 away: (3 + 0.9) / 12.
    gt = square(2, 2)
    pred = square(2, 2, size=2).astype(np.float64)
    assert pfom(pred, gt)[0] == pytest.approx(3.9 / 12)
    # ideal_to_detected, squared distances to the nearest of the 2x2 block:
    # (2,2) (2,3) (3,2): 0; (2,4) (4,2): 1; (2,5) (5,2) (3,5) (5,3): 4; (4,5) (5,4): 5; (5,5): 8
    terms = [0, 0, 0, 1, 1, 4, 4, 4, 4, 5, 5, 8]
    expected = sum(1 / (1 + d2 / 9) for d2 in terms) / 12
    assert pfom(pred, gt, direction="ideal_to_detected")[0] == pytest.approx(expected)
    chessboard = [0, 0, 0, 1, 1, 4, 4, 4, 4, 4, 4, 4]
    expected = sum(1 / (1 + d2 / 9) for d2 in chessboard) / 12
    scores = pfom(pred, gt, direction="ideal_to_detected", distance="chessboard")
    assert scores[0] == pytest.approx(expected)


def test_perfect_prediction_scores_one_for_every_option():
    gt = square(3, 2, size=5, shape=(12, 12))
    for options in _all_options():
        assert pfom(gt.astype(np.float64), gt, **options)[0] == pytest.approx(1.0), options


def test_empty_edge_maps():
    empty = np.zeros((8, 8), dtype=bool)
    assert pfom(np.zeros((8, 8)), empty, binarize="half")[0] == 1.0
    assert pfom(np.zeros((8, 8)), square(2, 2, shape=(8, 8)), binarize="half")[0] == 0.0
    assert pfom(square(2, 2, shape=(8, 8)).astype(np.float64), empty)[0] == 0.0
    # "adaptive" turns a zero map all-true (threshold 0, >=); outside the image counts as
    # background, so its frame is a detected edge and an empty GT scores 0, not 1
    assert pfom(np.zeros((8, 8)), empty)[0] == 0.0


def test_options_are_validated():
    pred, gt = np.zeros((4, 4)), np.zeros((4, 4), dtype=bool)
    cases = {
        "binarize": "mean",
        "edges": "laplace",
        "direction": "both",
        "distance": "manhattan",
    }
    valid = {"binarize": BINARIZE, "edges": EDGES, "direction": DIRECTIONS, "distance": DISTANCES}
    for name, bad in cases.items():
        with pytest.raises(SodbenchError) as info:
            pfom(pred, gt, **{name: bad})
        message = str(info.value)
        assert f"{name}={bad!r}" in message and "\n" not in message
        assert all(value in message for value in valid[name])


def test_minet_options_are_the_documented_variant():
    assert MINET_TII2024_OPTIONS == {
        "binarize": "half",
        "edges": "matlab_sobel",
        "direction": "ideal_to_detected",
        "distance": "chessboard",
        "alpha": 0.1111,
    }


@pytest.mark.parametrize(
    ("seed", "pred_sum", "expected"),
    [(3, 669533, 0.768526), (12, 190893, 0.048854), (18, 110389, 0.0)],
)
def test_spec_anchors_raw_and_minmax(seed, pred_sum, expected):
    pred, gt = spec_pair(seed)
    assert int(pred.sum(dtype=np.int64)) == pred_sum
    raw = pred / 255
    # the anchor maps have min 0, so min-max only rescales and 2*mean scales with it
    minmax = (raw - raw.min()) / (raw.max() - raw.min())
    for image in (raw, minmax):
        assert pfom(image, gt > 128)[0] == pytest.approx(expected, abs=5e-7)


def test_batch_equals_single_images():
    pairs = [spec_pair(seed) for seed in (3, 12, 18)]
    preds = np.stack([p / 255 for p, _ in pairs])
    gts = np.stack([g > 128 for _, g in pairs])
    for options in [*_all_options(edges_only=True), MINET_TII2024_OPTIONS]:
        single = np.concatenate([pfom(p, g, **options) for p, g in zip(preds, gts, strict=True)])
        np.testing.assert_array_equal(pfom(preds, gts, batch=True, **options), single)


def _all_options(edges_only: bool = False):
    """Every option combination (or, with ``edges_only``, every binarisation and edge map)."""
    directions, distances = (
        (DIRECTIONS[:1], DISTANCES[:1]) if edges_only else (DIRECTIONS, DISTANCES)
    )
    for binarize, edges, direction, distance in itertools.product(
        BINARIZE, EDGES, directions, distances
    ):
        yield {"binarize": binarize, "edges": edges, "direction": direction, "distance": distance}


def _random_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A blob-like GT and a blurred, shifted, noisy 8-bit prediction of it (sizes 14..28)."""
    shape = tuple(rng.integers(14, 29, 2))
    gt = ndimage.gaussian_filter(rng.random(shape), sigma=2.0)
    gt = gt > np.quantile(gt, rng.uniform(0.6, 0.95))
    soft = ndimage.gaussian_filter(np.roll(gt.astype(float), rng.integers(-1, 2, 2), (0, 1)), 1)
    noisy = np.clip(soft + rng.normal(0, rng.uniform(0.02, 0.3), shape), 0, 1)
    return np.round(noisy * 255) / 255, gt


@pytest.mark.parametrize("options", list(_all_options()), ids=lambda o: "-".join(o.values()))
def test_random_maps_equal_brute_force(options):
    rng = np.random.default_rng(11)
    for _ in range(15):
        pred, gt = _random_pair(rng)
        alpha = rng.choice([1 / 9, 0.1111, 0.5])
        expected = brute_force_pfom(pred, gt, alpha=alpha, **options)
        assert pfom(pred, gt, alpha=alpha, **options)[0] == expected


# -- brute-force reference: explicit neighbourhoods and pairwise distances ---------------


def brute_force_pfom(pred, gt, *, binarize, edges, direction, distance, alpha):
    detected = _ref_edges(_ref_binarize(pred, binarize), edges)
    ideal = _ref_edges(gt, edges)
    points_d, points_i = np.argwhere(detected), np.argwhere(ideal)
    if len(points_d) == 0 or len(points_i) == 0:
        return float(len(points_d) == len(points_i))
    summed, target = (
        (points_d, points_i) if direction == "detected_to_ideal" else (points_i, points_d)
    )
    diff = np.abs(summed[:, None, :] - target[None, :, :]).astype(np.float64)
    if distance == "euclidean":
        d2 = (diff**2).sum(axis=2).min(axis=1)
    else:
        d2 = diff.max(axis=2).min(axis=1) ** 2
    return float(np.sum(1 / (1 + alpha * d2))) / max(len(points_d), len(points_i))


def _ref_binarize(pred, method):
    if method == "adaptive":
        return pred >= min(2 * pred.mean(), 1.0)
    if method == "half":
        return pred > 0.5
    if method == "otsu":
        return pred > threshold_otsu(pred)
    scaled = (pred - pred.min()) / (pred.max() - pred.min())  # smd: Matlab im2uint8
    levels = np.floor(np.clip(scaled * 255.0 + 0.5, 0, 255))
    return levels >= levels.sum() / levels.size * 2


def _ref_edges(mask, method):
    if method == "canny":
        return canny(mask.astype(np.float64), sigma=1.0)
    height, width = mask.shape
    if method in ("inner4", "inner8"):
        steps = [(-1, 0), (1, 0), (0, -1), (0, 1)]
        if method == "inner8":
            steps += [(-1, -1), (-1, 1), (1, -1), (1, 1)]
        padded = np.pad(mask, 1)
        out = np.zeros_like(mask)
        for y, x in np.argwhere(mask):
            out[y, x] = any(not padded[y + 1 + dy, x + 1 + dx] for dy, dx in steps)
        return out
    kernel = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64)
    mode = "edge" if method == "matlab_sobel" else "constant"
    padded = np.pad(mask.astype(np.float64), 1, mode=mode)
    windows = [(i, j, padded[i : i + height, j : j + width]) for i in range(3) for j in range(3)]
    by = sum(kernel[i, j] * window for i, j, window in windows)
    bx = sum(kernel[j, i] * window for i, j, window in windows)
    if method == "sobel_any":
        return (bx != 0) | (by != 0)
    magnitude = (bx / 8) ** 2 + (by / 8) ** 2
    return magnitude > 4 * magnitude.sum() / magnitude.size


masks = arrays(np.bool_, st.tuples(st.integers(3, 12), st.integers(3, 12)))


@settings(max_examples=40, deadline=None)
@given(masks, st.data())
def test_swapping_maps_swaps_the_direction(first, data):
    second = data.draw(arrays(np.bool_, first.shape))
    for edges, distance in itertools.product(EDGES, DISTANCES):
        options = {"binarize": "half", "edges": edges, "distance": distance}
        forward = pfom(first * 1.0, second, direction="detected_to_ideal", **options)
        backward = pfom(second * 1.0, first, direction="ideal_to_detected", **options)
        assert forward[0] == backward[0]
        assert 0.0 <= forward[0] <= 1.0


@settings(max_examples=40, deadline=None)
@given(masks)
def test_perfect_binary_prediction_scores_one(gt):
    # Otsu's threshold of a constant map is that value, and ``>`` then drops every pixel
    binarizations = ("half", "otsu") if gt.min() != gt.max() else ("half",)
    for binarize, edges in itertools.product(binarizations, EDGES):
        assert pfom(gt.astype(np.float64), gt, binarize=binarize, edges=edges)[0] == 1.0
