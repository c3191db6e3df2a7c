"""wF's distance transform on the GT's bounding box grown by SATURATION_DISTANCE: the same
context (weights, nearest GT pixels) as on the whole image, bit for bit, and the same scores
as PySODMetrics."""

import numpy as np
import py_sod_metrics
import pytest

from sodbench.metrics import _wfmeasure
from sodbench.metrics._wfmeasure import SATURATION_DISTANCE, context, weighted_fmeasure


def _masks(seed=0, count=24):
    """Masks larger than two saturation distances, so the crop cuts: points, boxes, lattices
    (many equidistant GT pixels: scipy's tie-breaking shows), discs, objects at the border."""
    rng = np.random.default_rng(seed)
    for trial in range(count):
        height, width = (int(v) for v in rng.integers(2 * SATURATION_DISTANCE + 20, 900, 2))
        mask = np.zeros((height, width), bool)
        kind = trial % 6
        row, col = int(rng.integers(0, height - 120)), int(rng.integers(0, width - 120))
        if kind == 0:
            mask[rng.integers(0, height, 4), rng.integers(0, width, 4)] = True
        elif kind == 1:
            mask[row:row + int(rng.integers(1, 80)), col:col + int(rng.integers(1, 80))] = True
        elif kind == 2:
            mask[row:row + 100:2, col:col + 100:3] = True
        elif kind == 3:
            rows, cols = np.ogrid[:height, :width]
            mask |= (rows - row) ** 2 + (cols - col) ** 2 < int(rng.integers(1, 900))
        elif kind == 4:  # on the image border: the crop is clipped on one side only
            mask[:5, col:col + 50] = True
            mask[row, -1] = True
        else:  # two objects far apart: the crop spans both, ties along the bisector
            mask[row, 10] = mask[row, width - 11] = True
        yield mask


def _same(first, second) -> bool:
    return all(np.array_equal(one, other) for one, other in zip(first, second, strict=True))


@pytest.mark.parametrize("mask", list(_masks()), ids=lambda mask: f"{mask.shape}")
def test_cropped_transform_gives_the_whole_image_context(mask):
    cropped, whole = context(mask), context(mask, crop=False)
    assert _same(cropped, whole)
    assert cropped.weight.dtype == np.float64 and cropped.nearest.dtype == np.int32


def test_importance_is_the_formula_for_every_squared_distance():
    squared = np.arange(2 * 2048 ** 2)
    formula = 2 - np.exp(np.log(0.5) / 5 * np.sqrt(squared))
    clipped = np.minimum(squared, len(_wfmeasure._IMPORTANCE) - 1)
    assert np.array_equal(_wfmeasure._IMPORTANCE[clipped], formula)


def test_scores_on_large_images_match_pysodmetrics():
    rng = np.random.default_rng(5)
    masks = list(_masks(seed=5, count=6))
    for mask in masks:
        gt = (mask * 255).astype(np.uint8)
        pred = rng.integers(0, 256, mask.shape, dtype=np.uint8)
        pred[mask] = np.maximum(pred[mask], 180)
        reference = py_sod_metrics.WeightedFmeasure()
        reference.step(pred, gt)
        ours = weighted_fmeasure(pred / 255.0, mask)[0]
        assert ours == pytest.approx(reference.get_results()["wfm"], abs=1e-12)
