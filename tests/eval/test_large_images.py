"""Large images: chunks cut into pieces by pixels, joined bit for bit; the scoring walks a
chunk one GT image at a time."""

from __future__ import annotations

import numpy as np
import pytest
from eval_helpers import InProcess, Reversed
from PIL import Image

from sodbench.errors import SodbenchError
from sodbench.evaluator import SINGLE_IMAGE_PIXELS, Evaluator
from sodbench.folders import evaluation
from sodbench.folders.images import map_pixels, read_map
from sodbench.folders.pairing import pair_folders
from sodbench.folders.schedule import plan

METRICS = ["MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE", "IoU"]


def _write(folder, name, array):
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(folder / f"{name}.png")


def _large_set(root, shapes, seed=0):
    """GT masks and two methods' uint8 maps of the given (H, W) shapes, blobs with soft
    borders (so ties and every metric branch occur)."""
    rng = np.random.default_rng(seed)
    for index, (height, width) in enumerate(shapes):
        rows, cols = np.ogrid[:height, :width]
        centre = rng.uniform(0.3, 0.7, 2) * (height, width)
        radius = rng.uniform(0.1, 0.3) * min(height, width)
        distance = np.hypot(rows - centre[0], cols - centre[1]) - radius
        gt = np.where(distance < 0, 255, 0).astype(np.uint8)
        gt[rng.integers(0, height, 5), rng.integers(0, width, 5)] = 255  # one-pixel objects
        _write(root / "GT", f"im{index}", gt)
        for method, blur in (("A", 20.0), ("B", 60.0)):
            soft = 1 / (1 + np.exp(distance / blur)) + rng.normal(0, 0.05, distance.shape)
            _write(root / method, f"im{index}", np.clip(soft * 255, 0, 255).astype(np.uint8))
    return root


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    side = int(np.ceil(np.sqrt(SINGLE_IMAGE_PIXELS)))
    shapes = [(side, side + 3), (side + 7, side), (side, side + 3), (side + 1, side + 1),
              (side, side + 3)]
    return _large_set(tmp_path_factory.mktemp("large"), shapes)


def _evaluate(root, **arguments):
    document = evaluation.evaluate(root / "GT", {"A": root / "A", "B": root / "B"},
                                   metrics=METRICS, **arguments)
    return document["entries"]


def _same(first, second):
    for one, other in zip(first, second, strict=True):
        assert one["metrics"] == other["metrics"]
        for name, curve in one["curves"].items():
            assert np.array_equal(curve, other["curves"][name]), name


def test_a_budget_of_one_pixel_scores_one_image_per_unit_with_the_same_bits(large):
    executor = InProcess()
    pieces = _evaluate(large, executor=executor, unit_pixels=1)
    assert len(executor.units) == 5 and all(len(pairs) == 1 for unit in executor.units
                                            for pairs in unit)
    whole = InProcess()
    together = _evaluate(large, executor=whole, unit_pixels=1 << 40)
    assert len(whole.units) == 1
    _same(pieces, together)
    _same(pieces, _evaluate(large, jobs=2))  # default budget, worker processes
    _same(pieces, _evaluate(large, executor=Reversed(5), unit_pixels=1))  # last piece first
    _same(pieces, _evaluate(large, jobs=1, chunk_size=32))


def test_joined_pieces_equal_one_evaluator_fed_pair_by_pair(large):
    """The reference: one Evaluator per method, the pairs added one by one."""
    for method, entry in zip("AB", _evaluate(large, jobs=1, unit_pixels=1), strict=True):
        evaluator = Evaluator(metrics=METRICS)
        for path in sorted((large / "GT").iterdir()):
            evaluator.update(read_map(large / method / path.name), read_map(path))
        expected = evaluator.compute()
        assert {key: entry["metrics"][key] for key in METRICS} == {
            key: expected[key] for key in METRICS}


def test_only_chunks_of_large_images_are_cut(large, tmp_path):
    mixed = _large_set(tmp_path / "mixed", [(600, 900), (20, 30), (600, 900)])
    pairing = {0: pair_folders(mixed / "GT", mixed / "A")}
    pixels = {pair[1]: map_pixels(pair[1]) for pair in pairing[0].pairs}
    assert sorted(pixels.values()) == [600, 540000, 540000]
    units = plan(pairing, {0: "GT"}, pixels=pixels, unit_pixels=1)
    assert [(unit.piece, unit.pieces) for unit in units] == [(0, 1)]  # a small image inside
    big = {0: pair_folders(large / "GT", large / "A")}
    pixels = {pair[1]: map_pixels(pair[1]) for pair in big[0].pairs}
    budget = 2 * max(pixels.values())
    units = plan(big, {0: "GT"}, pixels=pixels, unit_pixels=budget)
    assert [[pair[0] for pair in unit.pairs[0]] for unit in units] == [
        ["im0", "im1"], ["im2", "im3"], ["im4"]]
    assert [(unit.chunk, unit.piece, unit.pieces) for unit in units] == [
        (0, 0, 3), (0, 1, 3), (0, 2, 3)]
    units = plan(big, {0: "GT"}, pixels=pixels, unit_pixels=budget, chunk_size=2)
    assert [(unit.chunk, unit.piece, unit.pieces) for unit in units] == [
        (0, 0, 1), (1, 0, 1), (2, 0, 1)]
    assert plan(big, {0: "GT"}, unit_pixels=1)[0].pieces == 1  # sizes unknown: not cut


@pytest.mark.parametrize("bad", [0, -5, 1.5, True])
def test_unit_pixels_must_be_a_whole_number(large, bad):
    with pytest.raises(SodbenchError, match=r"^unit_pixels=.*: must be a whole number"):
        _evaluate(large, jobs=1, unit_pixels=bad)
