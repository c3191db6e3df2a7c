"""The histogram path (uint8/bool maps) against PySODMetrics and against the per-pixel path."""

import numpy as np
import pytest
from helpers import by_shape

from sodbench import Evaluator
from sodbench.metrics import histogram as levels
from sodbench.metrics._smeasure import constant_blocks
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.metrics.keys import GROUPS

DEFAULT_KEYS = GROUPS["default"]  # the 0.1.0 keys, still what Evaluator() computes

PER_IMAGE = ("MAE", "Sm", "wF", "adpF", "adpE", "adpIoU", "adpDice", "IoU", "OR", "PFOM")


def _per_image(pairs, *, as_float: bool, profile: str = "pysodmetrics", threads: int = 1):
    """Evaluator per-image table and mean curves, fed size by size, uint8 or as p / 255."""
    evaluator = Evaluator(conventions=profile, threads=threads)
    for indices, _, raw, gt in by_shape(pairs):
        pred = raw if as_float else np.round(raw * 255).astype(np.uint8)
        evaluator.update(pred, gt, names=map(str, indices), batch=True)
    table = evaluator.per_image()
    table.index = table["name"].astype(int)
    return table.sort_index(), evaluator.compute()


@pytest.fixture(scope="module")
def level_results(pairs):
    return _per_image(pairs, as_float=False)


def test_uint8_path_matches_pysodmetrics_per_image(pairs, level_results):
    table, _ = level_results
    references = [ref for *_, ref in pairs]
    for key, ref_key in (("MAE", "MAE"), ("Sm", "Sm"), ("wF", "wF"), ("adpE", "adpE"),
                         ("adpF", "adp_F"), ("adpIoU", "adp_IoU"), ("adpDice", "adp_Dice")):
        expected = np.array([ref[ref_key] for ref in references])
        finite = ~np.isnan(expected)  # the references' NaN S-measure rows: test_smeasure.py
        edge_rows = sum(kind == "last_column" for kind, *_ in pairs)
        assert finite.sum() >= len(pairs) - edge_rows, key
        np.testing.assert_allclose(table[key].to_numpy()[finite], expected[finite],
                                   atol=1e-10, rtol=0, err_msg=key)


@pytest.mark.parametrize("profile", sorted(CONVENTIONS))
def test_uint8_path_equals_the_per_pixel_path(pairs, profile):
    """Every metric of every profile: histogram sums equal per-pixel sums within 1e-12."""
    table_u8, results_u8 = _per_image(pairs, as_float=False, profile=profile, threads=2)
    table_f, results_f = _per_image(pairs, as_float=True, profile=profile)
    for key in PER_IMAGE:
        np.testing.assert_allclose(table_u8[key], table_f[key], atol=1e-12, rtol=0,
                                   err_msg=f"{profile} {key}")
    for key in DEFAULT_KEYS:
        assert results_u8[key] == pytest.approx(results_f[key], abs=1e-12, rel=0), key
    for name, curve in results_u8["curves"].items():
        np.testing.assert_allclose(curve, results_f["curves"][name], atol=1e-12, rtol=0)


def test_threads_do_not_change_the_numbers(pairs, level_results):
    table, results = level_results
    threaded, threaded_results = _per_image(pairs, as_float=False, threads=3)
    assert threaded.equals(table)
    assert {key: threaded_results[key] for key in DEFAULT_KEYS} == {
        key: results[key] for key in DEFAULT_KEYS}


def test_bool_predictions_take_the_histogram_path():
    rng = np.random.default_rng(5)
    gt = rng.random((3, 40, 50)) > 0.7
    pred = gt ^ (rng.random(gt.shape) > 0.9)
    assert levels.has_levels(pred)
    by_level, by_pixel = Evaluator(threads=1), Evaluator(threads=1)
    by_level.update(pred, gt, batch=True)
    by_pixel.update(pred.astype(np.float64), gt, batch=True)
    a, b = by_level.compute(), by_pixel.compute()
    for key in DEFAULT_KEYS:
        assert a[key] == pytest.approx(b[key], abs=1e-12, rel=0), key


def _constant_quadrant_pair():
    """Two GT blobs (top right, bottom left) around an all-background top-left quadrant, and a
    prediction that is one level there, chosen so that np.mean of that quadrant is not the
    level itself: whether its SSIM is 0 or 1 then hangs on the last bit of the mean."""
    gt = np.zeros((40, 40), np.uint8)
    gt[:10, 30:] = 255
    gt[30:, :10] = 255  # centroid (19.5, 19.5): split at 21, so [:21, :21] has no GT pixel
    base = (np.arange(40)[:, None] * 3 + np.arange(40)[None, :] * 2).astype(np.uint8)
    base[gt > 0] = 250
    for level in range(1, 250):
        pred = base.copy()
        pred[:21, :21] = level
        normalised = (pred / 255 - pred.min() / 255) / (pred.max() / 255 - pred.min() / 255)
        block = normalised[:21, :21]
        if np.mean(block) != block[0, 0]:
            return pred, gt
    raise AssertionError("no level whose quadrant mean rounds away from it")


def test_constant_quadrant_uses_the_reference_mean():
    pred, gt = _constant_quadrant_pair()
    by_level, by_pixel = Evaluator(metrics=["Sm"]), Evaluator(metrics=["Sm"])
    by_level.update(pred, gt)
    by_pixel.update(pred / 255, gt)
    assert by_level.compute()["Sm"] == pytest.approx(by_pixel.compute()["Sm"], abs=1e-12)
    mask = gt[None] > 128
    hist = levels.histogram(pred[None], mask, np.array([21]), np.array([21]))
    assert constant_blocks(hist, levels.tables(hist, pred.dtype).normalised).tolist() == [
        [0, 0]]
    py_sod_metrics = pytest.importorskip("py_sod_metrics")
    reference = py_sod_metrics.Smeasure()
    reference.step(pred, gt)
    assert by_level.compute()["Sm"] == pytest.approx(reference.get_results()["sm"], abs=1e-10)


def _tie_pair():
    """Levels 0 (534 px), 3 (365 px) and 255 (1 px) in 30 x 30: mean(P) = (365 * 3 + 255) /
    (255 * 900) = 3 / 510, so the adaptive threshold 2 mean(P) is the level 3 / 255 itself and
    365 pixels are in or out of the binary map by the last bit of the mean."""
    pred = np.zeros((30, 30), np.uint8)
    pred.flat[:365] = 3
    pred.flat[365] = 255
    gt = np.zeros((30, 30), np.uint8)
    gt.flat[200:700] = 255
    return pred, gt


def test_adaptive_threshold_tie_uses_the_reference_mean():
    pred, gt = _tie_pair()
    hist = levels.histogram(pred[None], gt[None] > 128, np.zeros(1, int), np.zeros(1, int))
    table = levels.tables(hist, pred.dtype).normalised
    histogram_mean = levels.image_mean(hist, table)[0]
    reference_mean = np.mean(pred / 255)
    # the case matters: the histogram sum alone would put the 365 pixels on the other side
    assert (table[0, 3] >= 2 * histogram_mean) != (table[0, 3] >= 2 * reference_mean)
    calls = []

    def exact(images):
        calls.append(list(images))
        return np.array([reference_mean])

    assert levels.adaptive_threshold(hist, table, exact)[0] == 2 * reference_mean
    assert calls == [[0]]
    by_level, by_pixel = Evaluator(metrics=["adpF", "adpE"]), Evaluator(metrics=["adpF", "adpE"])
    by_level.update(pred, gt)
    by_pixel.update(pred / 255, gt)
    a, b = by_level.compute(), by_pixel.compute()
    assert (a["adpF"], a["adpE"]) == (b["adpF"], b["adpE"])
    py_sod_metrics = pytest.importorskip("py_sod_metrics")
    em = py_sod_metrics.Emeasure()
    em.step(pred, gt)
    assert a["adpE"] == pytest.approx(em.get_results()["em"]["adp"], abs=1e-10)
