"""MSIoU (maxMSIoU, meanMSIoU, adpMSIoU, binMSIoU and the 257-point curve) against PySODMetrics
1.6.2 ``MSIoU`` on random pairs of every kind and size, edge cases and SD-Saliency-900 maps."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from cases import random_pairs
from PIL import Image
from scipy import ndimage

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics._msiou import CURVE_LENGTH, msiou_curve, multiscale_iou

py_sod_metrics = pytest.importorskip("py_sod_metrics")

KEYS = ["maxMSIoU", "meanMSIoU", "adpMSIoU", "binMSIoU"]
# PySODMetrics takes ~0.8 s a 200 x 200 pair: pairs 0..39 are every kind at every size
# (kind = index % 8, size = index // 8 % 5, incl. 9 x 13), 48..55 every kind again at 64 x 48.
SUBSET = [*range(40), *range(48, 56)]
TOLERANCE = 1e-12  # the values are ratios of integer counts: equal in practice


def reference(pred: np.ndarray, gt: np.ndarray, metric=None) -> dict:
    """PySODMetrics' curve (257), adaptive and binary MSIoU of one uint8 pair."""
    metric = metric or py_sod_metrics.MSIoU(with_dynamic=True, with_adaptive=True,
                                            with_binary=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.trapz in numpy 2
        metric.step(pred, gt)
    results = metric.get_results()
    return {"curve": results["dynamic"], "adp": results["adaptive"], "bin": results["binary"]}


def ours(pred, gt) -> dict:
    """The same three through an Evaluator on one pair (per-image keys and the mean curve)."""
    evaluator = Evaluator(metrics=KEYS)
    evaluator.update(pred, gt)
    results = evaluator.compute()
    return {"curve": results["curves"]["MSIoU"], "adp": results["adpMSIoU"],
            "bin": results["binMSIoU"], "max": results["maxMSIoU"], "mean": results["meanMSIoU"]}


def assert_same(mine: dict, ref: dict, what: str = "") -> None:
    np.testing.assert_allclose(mine["curve"], ref["curve"], atol=TOLERANCE, rtol=0, err_msg=what)
    for key in ("adp", "bin"):
        assert abs(mine[key] - ref[key]) <= TOLERANCE, (what, key, mine[key], ref[key])


@pytest.fixture(scope="module")
def subset():
    """(kind, pred, gt, PySODMetrics values) of the chosen random pairs."""
    pairs = random_pairs()
    return [(pairs[i][0], pairs[i][1], pairs[i][2], reference(pairs[i][1], pairs[i][2]))
            for i in SUBSET]


def test_subset_covers_every_kind_and_size(subset):
    kinds = {kind for kind, *_ in subset}
    sizes = {pred.shape for _, pred, _, _ in subset}
    assert len(kinds) == 8 and (9, 13) in sizes and len(sizes) == 5


def by_shape(subset):
    """(indices, uint8 preds, uint8 GTs) per image size."""
    shapes: dict = {}
    for index, (_, pred, _, _) in enumerate(subset):
        shapes.setdefault(pred.shape, []).append(index)
    for indices in shapes.values():
        yield (indices, np.stack([subset[i][1] for i in indices]),
               np.stack([subset[i][2] for i in indices]))


@pytest.mark.parametrize("backend", ["uint8", "float"])
def test_curve_matches_pysodmetrics_per_image(subset, backend):
    worst = 0.0
    for indices, preds, gts in by_shape(subset):
        # the float map p / 255 takes the per-pixel path; PySODMetrics min-maxes p / 255 too
        maps = preds if backend == "uint8" else preds / 255
        curves = msiou_curve(maps, gts, batch=True)
        assert curves.shape == (len(indices), CURVE_LENGTH)
        for position, index in enumerate(indices):
            expected = subset[index][3]["curve"]
            worst = max(worst, float(np.abs(curves[position] - expected).max()))
    assert worst <= TOLERANCE


def test_per_image_keys_match_pysodmetrics(subset):
    evaluator = Evaluator(metrics=KEYS)
    for _, pred, gt, _ in subset:
        evaluator.update(pred, gt)
    table = evaluator.per_image()
    for key, ref_key in (("adpMSIoU", "adp"), ("binMSIoU", "bin")):
        expected = [ref[ref_key] for *_, ref in subset]
        np.testing.assert_allclose(table[key], expected, atol=TOLERANCE, rtol=0, err_msg=key)


def test_dataset_values_match_pysodmetrics(subset):
    evaluator = Evaluator(metrics=KEYS)
    for _, pred, gt, _ in subset:
        evaluator.update(pred, gt)
    results = evaluator.compute()
    # PySODMetrics' get_results: the mean curve over images, the means of adaptive and binary
    curve = np.mean(np.array([ref["curve"] for *_, ref in subset]), axis=0)
    assert abs(results["maxMSIoU"] - curve.max()) <= 1e-10
    assert abs(results["meanMSIoU"] - curve.mean()) <= 1e-10
    assert abs(results["adpMSIoU"] - np.mean([ref["adp"] for *_, ref in subset])) <= 1e-10
    assert abs(results["binMSIoU"] - np.mean([ref["bin"] for *_, ref in subset])) <= 1e-10
    np.testing.assert_allclose(results["curves"]["MSIoU"], curve, atol=1e-10, rtol=0)


def edge_cases():
    rng = np.random.default_rng(7)
    box = np.zeros((20, 24), np.uint8)
    box[5:12, 6:15] = 255
    soft = (rng.random((20, 24)) * 255).astype(np.uint8)
    one = np.zeros((20, 24), np.uint8)
    one[9, 11] = 255
    corner = np.zeros((20, 24), np.uint8)
    corner[0, 0] = 255
    border = np.zeros((20, 24), np.uint8)
    border[-3:, :] = 255  # the bottom three rows: an object along the border
    noise_gt = (rng.random((100, 100)) < 0.5).astype(np.uint8) * 255

    def levels16(shape):  # 16 grey levels: PySODMetrics scores only ~17 thresholds
        return (rng.integers(0, 16, shape) * 17).astype(np.uint8)

    return {
        "empty GT": (soft, np.zeros_like(box)),
        "empty GT, empty pred": (np.zeros_like(box), np.zeros_like(box)),
        "full GT": (soft, np.full_like(box, 255)),
        "full GT and pred": (np.full_like(box, 255), np.full_like(box, 255)),
        "constant 0": (np.zeros_like(box), box),
        "constant 128": (np.full_like(box, 128), box),
        "constant 255": (np.full_like(box, 255), box),
        "one-pixel GT and pred": (one, one),
        "one-pixel GT, soft pred": (soft, one),
        "corner pixel": (corner, corner),
        "object on the border": (soft, border),
        "perfect": (box, box),
        "1 x 1": (np.array([[200]], np.uint8), np.array([[255]], np.uint8)),
        "1 x 7": (soft[:1, :7], box[5:6, 4:11]),
        "2 x 3": (soft[:2, :3], box[4:6, 5:8]),
        "5 x 530 (cell 512 twice)": (levels16((5, 530)),
                                     np.tile(box[4:9, :10], (1, 53))),
        "515 x 3": (levels16((515, 3)),
                    np.repeat(box[:, 12:15], 26, axis=0)[:515]),
        "37 x 41": (levels16((37, 41)),
                    (rng.random((37, 41)) < 0.2).astype(np.uint8) * 255),
        # 520 rows: the 512-cells start at row 8. The bright object (rows 8..10) alone reaches
        # the upper thresholds, and the row above it, in the first cell row, is its edge
        "object at a 512-cell boundary": tile_boundary_case(rng),
        # > 2048 GT edge cells: PySODMetrics' float16 denominator rounds (2049 -> 2048 ...)
        "noise GT (float16 sums)": (levels16((100, 100)), noise_gt),
    }


def tile_boundary_case(rng):
    pred = rng.integers(0, 41, (520, 60)).astype(np.uint8)
    pred[8:11, 5:55] = rng.integers(150, 256, (3, 50))
    gt = np.zeros((520, 60), np.uint8)
    gt[8:14, 2:58] = 255
    return pred, gt


@pytest.mark.parametrize("name", list(edge_cases()))
def test_edge_cases_match_pysodmetrics(name):
    pred, gt = edge_cases()[name]
    mine, ref = ours(pred, gt), reference(pred, gt)
    assert_same(mine, ref, name)
    assert abs(mine["max"] - ref["curve"].max()) <= TOLERANCE
    assert abs(mine["mean"] - ref["curve"].mean()) <= TOLERANCE


def test_edge_case_values():
    cases = edge_cases()
    # the denominators count GT edge cells only: an empty GT scores 1 whatever the prediction
    empty = ours(*cases["empty GT"])
    assert np.all(empty["curve"] == 1) and empty["adp"] == 1 and empty["bin"] == 1
    # perfect binary prediction: 1 on every threshold that reproduces the mask (1..255)
    perfect = ours(*cases["perfect"])
    assert np.all(perfect["curve"][1:256] == 1) and perfect["bin"] == 1
    # threshold 256 is the empty mask: sum of 1 / (|E_G,c| + 1) under the trapezoid, < 1
    assert perfect["curve"][256] < 1
    # a GT with > 2048 edge cells: PySODMetrics sums the float16 edge maps, so the
    # denominator is float16(count) + 1 in float16, not count + 1; the empty mask (t = 256)
    # scores the trapezoid of 1 / denominator
    pred, gt = cases["noise GT (float16 sums)"]
    counts = gt_edge_cells(gt > 128)
    assert counts[0] > 2048
    with np.errstate(over="ignore"):
        rounded = (counts.astype(np.float16) + np.float16(1)).astype(np.float64)
    exact = trapezoid(1 / (counts + 1))
    assert ours(pred, gt)["curve"][256] == trapezoid(1 / rounded) != exact


def gt_edge_cells(mask: np.ndarray) -> np.ndarray:
    """Box-counted Sobel edge cells of a mask at the 10 cell sizes, written from the paper's
    description with scipy (float Sobel, zero padding, top/left grid padding)."""
    image = mask.astype(np.float64)
    edges = np.hypot(ndimage.sobel(image, 0, mode="constant"),
                     ndimage.sobel(image, 1, mode="constant")) > 0
    counts = []
    for size in 2 ** np.arange(10):
        pad = [(-edges.shape[0] % size, 0), (-edges.shape[1] % size, 0)]
        grid = np.pad(edges, pad)
        h, w = grid.shape
        counts.append(grid.reshape(h // size, size, w // size, size).any(axis=(1, 3)).sum())
    return np.array(counts)


def trapezoid(ratios: np.ndarray) -> float:
    return float(np.trapezoid(ratios, dx=1 / 9))


def test_multiscale_iou_of_masks_matches_pysodmetrics():
    rng = np.random.default_rng(3)
    metric = py_sod_metrics.MSIoU(with_dynamic=False, with_adaptive=False)
    masks = rng.random((6, 23, 29)) < rng.random((6, 1, 1))
    gts = rng.random((6, 23, 29)) < 0.1
    gts[0] = False
    scores = multiscale_iou(masks, gts, batch=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = [metric.binarizing(mask, metric.get_edge(gt)) for mask, gt in zip(
            masks, gts, strict=True)]
    np.testing.assert_allclose(scores, expected, atol=TOLERANCE, rtol=0)
    assert scores[0] == 1  # empty GT


def test_three_axes_need_batch():
    with pytest.raises(SodbenchError):
        multiscale_iou(np.zeros((2, 4, 4), bool), np.zeros((2, 4, 4), bool))
    with pytest.raises(SodbenchError):
        msiou_curve(np.zeros((4, 4)), np.zeros((5, 4), bool))


def test_sd900_maps_match_pysodmetrics(sd900):
    metric = py_sod_metrics.MSIoU(with_dynamic=True, with_adaptive=True, with_binary=True)
    evaluator = Evaluator(metrics=KEYS)
    worst = 0.0
    for stem in ("In_1", "Pa_40", "Sc_150", "Sc_299"):
        (path,) = (sd900 / "pred" / "SMD").glob(f"{stem}.*")
        pred = np.asarray(Image.open(path).convert("L"))
        gt = np.asarray(Image.open(sd900 / "GT" / f"{stem}.png").convert("L"))
        reference(pred, gt, metric)  # accumulates; the image's values are the last entries
        mine = msiou_curve(pred, gt)[0]
        worst = max(worst, float(np.abs(mine - metric.dynamic_results[-1]).max()))
        evaluator.update(pred, gt)
        table = evaluator.per_image()
        assert abs(table["adpMSIoU"].iloc[-1] - metric.adaptive_results[-1]) <= TOLERANCE
        assert abs(table["binMSIoU"].iloc[-1] - metric.binary_results[-1]) <= TOLERANCE
    assert worst <= TOLERANCE
    expected, results = metric.get_results(), evaluator.compute()
    assert abs(results["maxMSIoU"] - expected["dynamic"].max()) <= 1e-10
    assert abs(results["meanMSIoU"] - expected["dynamic"].mean()) <= 1e-10
    assert abs(results["adpMSIoU"] - expected["adaptive"]) <= 1e-10
    assert abs(results["binMSIoU"] - expected["binary"]) <= 1e-10
