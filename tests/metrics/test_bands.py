"""The histogram pass runs in bands of rows (bounded memory): every number equals the
whole-image pass bit for bit, on odd sizes, with a band edge through an object and one-pixel
objects on band borders."""

import numpy as np
import pytest

from sodbench.evaluator import Evaluator
from sodbench.metrics import histogram
from sodbench.metrics.keys import expand

KEYS = [key for key in expand(["all"]) if key not in ("HCE", "CM", "CCM")]


def _pairs(seed: int, height: int, width: int, count: int = 3):
    rng = np.random.default_rng(seed)
    preds, gts = [], []
    for _ in range(count):
        gt = np.zeros((height, width), np.uint8)
        gt[height // 3: 2 * height // 3 + 1, width // 4: width // 2] = 255  # crosses bands
        gt[3, rng.integers(0, width)] = 255  # one-pixel objects on band rows 3 and 4
        gt[4, rng.integers(0, width)] = 255
        gt[-1, -1] = 255
        pred = rng.integers(0, 256, (height, width), dtype=np.uint8)
        pred[gt > 0] = np.maximum(pred[gt > 0], 150)
        preds.append(pred)
        gts.append(gt)
    return np.stack(preds), np.stack(gts)


def _scores(pred, gt, dtype, conventions):
    evaluator = Evaluator(conventions, metrics=KEYS, threads=1)
    evaluator.update(pred.astype(dtype) if dtype is not bool else pred > 127, gt, batch=True)
    return evaluator.compute(), evaluator.per_image()


@pytest.mark.parametrize("height, width", [(37, 53), (101, 7), (64, 129)])
@pytest.mark.parametrize("dtype", [np.uint8, bool])
@pytest.mark.parametrize("conventions", ["pysodmetrics", "matlab"])
def test_banded_histogram_gives_the_whole_image_numbers(monkeypatch, height, width, dtype,
                                                        conventions):
    pred, gt = _pairs(height * width, height, width)
    monkeypatch.setattr(histogram, "BAND_PIXELS", 1 << 40)
    whole, whole_rows = _scores(pred, gt, dtype, conventions)
    for band in (1, 4 * width, 4 * width + 1, 3 * width - 1):  # 1 row, 4 rows, 3 rows
        monkeypatch.setattr(histogram, "BAND_PIXELS", band)
        banded, banded_rows = _scores(pred, gt, dtype, conventions)
        curves = banded.pop("curves")
        expected_curves = dict(whole)["curves"]
        assert {key: value for key, value in banded.items()} == {
            key: value for key, value in whole.items() if key != "curves"}
        for name, curve in curves.items():
            assert np.array_equal(curve, expected_curves[name]), name
        assert banded_rows.equals(whole_rows)


def test_band_counts_equal_one_pass_with_and_without_split_points():
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 256, (2, 45, 31), dtype=np.uint8)
    mask = rng.random(levels.shape) > 0.5
    rows, cols = np.array([0, 23]), np.array([31, 1])
    one = histogram.histogram(levels, mask, rows, cols, band_pixels=1 << 40)
    for band in (1, 31, 32, 200):
        banded = histogram.histogram(levels, mask, rows, cols, band_pixels=band)
        assert np.array_equal(banded, one)
        assert np.array_equal(histogram.histogram(levels, mask, band_pixels=band)[:, 0],
                              one.sum(axis=1))
    assert one.sum() == levels.size
