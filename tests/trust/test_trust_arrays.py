"""Catalogue: arrays handed to the Python API whose axes or values cannot be what was meant.

Reported: ``Evaluator.update(pred, gt)`` with two H x W x 3 arrays silently scored H images
of W x 3 pixels (MAE 0.3271 instead of 0.0892, ``per_image()`` with H rows); a negative float
prediction was refused with "values up to -0.1". A 3-D array is now a batch only with
``batch=True``, in the Evaluator and in every public metric function.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from trust_helpers import digests, one_line_error

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.folders.images import read_map
from sodbench.metrics import _emeasure as emeasure
from sodbench.metrics import _fmeasure as fmeasure
from sodbench.metrics import _iou as iou
from sodbench.metrics import _mae as mae
from sodbench.metrics import _overlap as overlap
from sodbench.metrics import _pfom as pfom
from sodbench.metrics import _smeasure as smeasure
from sodbench.metrics import _wfmeasure as wfmeasure
from sodbench.metrics.groundtruth import GroundTruth

FUNCTIONS = {
    "mae": mae.mae, "smeasure": smeasure.smeasure,
    "weighted_fmeasure": wfmeasure.weighted_fmeasure,
    "emeasure_curve": emeasure.emeasure_curve, "adaptive_emeasure": emeasure.adaptive_emeasure,
    "fmeasure_curves": lambda p, g, **kw: fmeasure.fmeasure_curves(p, g, **kw)["F"],
    "adaptive_fmeasure": fmeasure.adaptive_fmeasure, "binary_iou": fmeasure.binary_iou,
    "binary_dice": fmeasure.binary_dice, "soft_iou": iou.soft_iou,
    "overlap_ratio": overlap.overlap_ratio, "overlap_ratio_curve": overlap.overlap_ratio_curve,
    "pfom": pfom.pfom,
}


def _pair(sample, stem="In_1"):
    return read_map(sample / "pred" / "GoodNet" / f"{stem}.png"), read_map(sample / "GT" /
                                                                          f"{stem}.png")


def _rgb(array):
    return np.dstack([array, array, array])


def test_rgb_arrays_in_update_are_refused_not_scored_as_rows(sample):
    pred, gt = _pair(sample)
    evaluator = Evaluator(metrics=["MAE"])
    message = one_line_error(lambda: evaluator.update(_rgb(pred), _rgb(gt)))
    assert message.startswith("prediction has shape (48, 48, 3), which looks like an "
                              "H x W x 3 colour image: pass one channel (e.g. map[..., 0])")
    assert evaluator.n_images == 0
    # the GT alone is refused the same way, and an RGBA one names its 4 channels
    message = one_line_error(lambda: evaluator.update(pred, np.dstack([_rgb(gt), gt])))
    assert message.startswith("ground truth has shape (48, 48, 4), which looks like an "
                              "H x W x 4 colour image")
    # what the caller meant: one image, channel 0 (what the folder reader takes)
    evaluator.update(_rgb(pred)[..., 0], _rgb(gt)[..., 0])
    assert len(evaluator.per_image()) == 1
    # the old reading is still one keyword away, and gives H rows of other numbers
    rows = Evaluator(metrics=["MAE"])
    rows.update(_rgb(pred), _rgb(gt), batch=True)
    assert len(rows.per_image()) == 48
    assert rows.compute()["MAE"] != evaluator.compute()["MAE"]


def test_channel_zero_equals_the_folder_reader_on_rgb_files(cli, sample, tmp_path):
    """The fix the message gives (channel 0) scores what `sodbench eval` scores on the same
    maps saved as RGB files."""
    rgb_gt, rgb_pred = tmp_path / "GT", tmp_path / "pred"
    rgb_gt.mkdir()
    rgb_pred.mkdir()
    stems = ["In_1", "Pa_2", "Sc_3"]
    for stem in stems:
        pred, gt = _pair(sample, stem)
        Image.fromarray(_rgb(pred)).save(rgb_pred / f"{stem}.png")
        Image.fromarray(_rgb(gt)).save(rgb_gt / f"{stem}.png")
    before = digests(rgb_gt, rgb_pred)
    run = cli("eval", "--gt", rgb_gt, "--pred", f"M={rgb_pred}", "--jobs", "1", "--no-cache",
              "--quiet", "--json", tmp_path / "r.json")
    assert run.code == 0, run.err
    assert digests(rgb_gt, rgb_pred) == before
    entry = json.loads((tmp_path / "r.json").read_text())["entries"][0]
    evaluator = Evaluator()
    for stem in stems:
        pred = np.asarray(Image.open(rgb_pred / f"{stem}.png"))
        gt = np.asarray(Image.open(rgb_gt / f"{stem}.png"))
        assert pred.shape == (48, 48, 3)
        evaluator.update(pred[..., 0], gt[..., 0], names=[stem])
    expected = evaluator.compute()
    for key in ("MAE", "Sm", "wF", "adpF", "IoU", "OR"):
        assert entry["metrics"][key] == pytest.approx(expected[key], abs=1e-12, rel=0), key


def test_a_stack_without_batch_true_is_refused_and_says_how(sample):
    pred, gt = _pair(sample)
    preds, gts = np.stack([pred, pred[::-1]]), np.stack([gt, gt[::-1]])
    message = one_line_error(lambda: Evaluator().update(preds, gts))
    assert message == ("prediction has shape (2, 48, 48): pass batch=True to score it as 2 maps "
                       "of 48 x 48, or pass one H x W map")
    ground_message = one_line_error(lambda: Evaluator().prepare(gts))
    assert ground_message.startswith("ground truth has shape (2, 48, 48): pass batch=True")
    assert one_line_error(lambda: GroundTruth(gts)) == ground_message
    batched = Evaluator(threads=1)
    batched.update(preds, Evaluator().prepare(gts, batch=True), batch=True)
    one_by_one = Evaluator(threads=1)
    for index in range(2):
        one_by_one.update(preds[index], gts[index], names=[str(index)])
    assert batched.per_image().equals(one_by_one.per_image())


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_metric_function_needs_batch_true_for_three_axes(sample, name):
    function = FUNCTIONS[name]
    pred, gt = _pair(sample)
    pred = pred / 255
    gt = gt > 128
    rgb = one_line_error(lambda: function(_rgb(pred), _rgb(gt)))
    assert "looks like an H x W x 3 colour image: pass one channel" in rgb
    preds, gts = np.stack([pred, pred.T]), np.stack([gt, gt.T])
    stack = one_line_error(lambda: function(preds, gts))
    assert "pass batch=True to score it as 2 maps of 48 x 48" in stack
    batched = function(preds, gts, batch=True)
    single = np.concatenate([function(preds[i], gts[i]) for i in range(2)])
    np.testing.assert_array_equal(batched, single)


def test_four_axes_are_refused_with_batch_true_too():
    message = one_line_error(
        lambda: mae.mae(np.zeros((2, 4, 4, 3)), np.zeros((2, 4, 4, 3), bool), batch=True))
    assert message == ("prediction must be H x W, or N x H x W with batch=True, got shape "
                       "(2, 4, 4, 3) (take one channel of an RGB map first)")


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (-0.1, 0.9, "prediction is float with values down to -0.1: must lie in [0, 1]; "
                    "apply the sigmoid to logits, or clip"),
        (0.0, 255.0, "prediction is float with values up to 255.0: pass uint8, or divide by "
                     "255 for a float map in [0, 1]"),
        (-3.0, 4.0, "prediction is float with values in [-3.0, 4.0]: must lie in [0, 1]; "
                    "apply the sigmoid"),
    ],
)
def test_out_of_range_float_prediction_says_which_bound(low, high, expected):
    pred = np.linspace(low, high, 16).reshape(4, 4)
    gt = np.zeros((4, 4), np.uint8)
    assert one_line_error(lambda: Evaluator().update(pred, gt)).startswith(expected)


def test_negative_float_prediction_file_names_the_pair(cli, sample, tmp_path):
    target = sample / "pred" / "GoodNet"
    values = read_map(target / "In_1.png") / 255 - 0.1
    (target / "In_1.png").unlink()
    np.save(target / "In_1.npy", values)
    before = digests(sample)
    run = cli("eval", "--gt", sample / "GT", "--pred", f"GoodNet={target}", "--jobs", "1",
              "--no-cache", "--quiet", "--json", tmp_path / "r.json")
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: GT {sample / 'GT' / 'In_1.png'}, prediction "
                           f"{target / 'In_1.npy'}: prediction is float with values down to "
                           "-0.1")
    assert "must lie in [0, 1]" in line
    assert digests(sample) == before and not (tmp_path / "r.json").exists()


def test_a_list_of_maps_of_different_sizes_is_one_line():
    small, large = np.zeros((4, 4), np.uint8), np.zeros((5, 5), np.uint8)
    with pytest.raises(SodbenchError, match="maps of different shapes"):
        Evaluator().update([small, large], [small, large], batch=True)
