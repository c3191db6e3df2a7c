"""The engine's three kinds of keys, the groups, and the Evaluator state of dataset totals."""

import json

import numpy as np
import pytest

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics import engine
from sodbench.metrics.keys import (
    CURVE_FAMILIES,
    CURVE_LENGTHS,
    CURVE_NAMES,
    GROUPS,
    KEYS,
    METRIC_KEYS,
    expand,
)

#: Keys of every kind that need no optional extra and no RGB image.
MIXED = ("MAE", "maxF", "minFPR", "meanKappa", "adpBER", "binOA", "pooledF", "pooledKappa")


def _pairs(seed: int, count: int = 7, shape=(23, 31)):
    rng = np.random.default_rng(seed)
    gt = (rng.random((count, *shape)) > 0.6).astype(np.uint8) * 255
    pred = np.clip(gt * 0.7 + rng.integers(0, 90, gt.shape), 0, 255).astype(np.uint8)
    return pred, gt


def _same(got: dict, expected: dict, tolerance: float = 0.0) -> None:
    """Equal numbers and curves (within ``tolerance``)."""
    assert set(got) == set(expected)
    for key, value in expected.items():
        if key == "curves":
            assert set(got[key]) == set(value)
            for name, curve in value.items():
                np.testing.assert_allclose(got[key][name], curve, atol=tolerance, rtol=0)
        else:
            assert got[key] == pytest.approx(value, abs=tolerance, rel=0), key


def test_groups_and_keys_mix_in_any_case():
    assert expand(["DIS", "iou"]) == ("MAE", "Sm", "wF", "maxF", "meanE", "IoU", "HCE")
    assert expand(["all"]) == METRIC_KEYS
    assert expand(["wfm", "default"]) == GROUPS["default"]
    with pytest.raises(ValueError, match="'nope'.*groups"):
        expand(["MAE", "nope"])
    assert Evaluator().metrics == GROUPS["default"]
    assert Evaluator(metrics="defect").metrics == ("MAE", "Sm", "wF", "IoU", "OR", "PFOM")
    with pytest.raises(SodbenchError, match="unknown metric 'Fmax'"):
        Evaluator(metrics=["Fmax"])


def test_every_key_has_a_family_curve_and_total_that_exist():
    for name, key in KEYS.items():
        module = engine.family(key.family)
        assert callable(module.evaluate), name
        if key.curve is not None:
            assert key.curve in CURVE_NAMES and key.statistic in ("max", "min", "mean"), name
        if key.total is not None:
            assert key.total in module.TOTALS and callable(module.from_totals), name
        assert key.lower_is_better is False or key.statistic != "max", name
    for name in CURVE_NAMES:
        assert CURVE_FAMILIES[name] in {key.family for key in KEYS.values()}
        assert CURVE_LENGTHS[name] in (256, 257)


def test_per_update_loop_equals_one_batch_for_every_kind():
    pred, gt = _pairs(1)
    batched, looped = Evaluator(metrics=MIXED), Evaluator(metrics=MIXED)
    batched.update(pred, gt, batch=True)
    for index in range(len(pred)):
        looped.update(pred[index], gt[index])
    _same(looped.compute(), batched.compute())
    assert set(batched.compute()["curves"]) == {"precision", "recall", "F", "E", "IoU", "Dice",
                                               "FPR", "Kappa"}


def test_totals_survive_state_merge_and_pickle():
    pred, gt = _pairs(2)
    whole = Evaluator(metrics=MIXED)
    whole.update(pred, gt, batch=True)
    first, second = Evaluator(metrics=MIXED), Evaluator(metrics=MIXED)
    first.update(pred[:3], gt[:3], batch=True)
    second.update(pred[3:], gt[3:], batch=True)
    first.merge(second)
    expected = whole.compute()
    _same(first.compute(), expected, 1e-15)  # curve sums added in another order
    assert first.state()["totals"] == whole.state()["totals"]  # counts: exact
    restored = Evaluator.from_state(json.loads(json.dumps(whole.state())))
    _same(restored.compute(), expected)
    pooled = whole.state()["totals"]["binary counts"]
    assert sum(pooled) == pred.size  # TP + FP + TN + FN of every pixel


def test_a_damaged_or_missing_total_is_refused():
    pred, gt = _pairs(3)
    evaluator = Evaluator(metrics=["pooledF"])
    evaluator.update(pred, gt, batch=True)
    state = evaluator.state()
    with pytest.raises(SodbenchError, match="does not match"):
        Evaluator.from_state({key: value for key, value in state.items() if key != "totals"})
    with pytest.raises(SodbenchError, match=r"totals\['binary counts'\] must be a list of 4"):
        Evaluator.from_state({**state, "totals": {"binary counts": [1, 2]}})
    with pytest.raises(SodbenchError, match="NaN"):
        Evaluator.from_state({**state, "totals": {"binary counts": [1, 2, float("nan"), 4]}})


def test_a_state_without_totals_loads_when_its_keys_need_none():
    pred, gt = _pairs(4)
    evaluator = Evaluator(threads=1)
    evaluator.update(pred, gt, batch=True)
    old = {key: value for key, value in evaluator.state().items() if key != "totals"}
    _same(Evaluator.from_state(old).compute(), evaluator.compute())


def test_lower_is_better_curve_keys_take_the_minimum():
    pred, gt = _pairs(5)
    evaluator = Evaluator(metrics=["minFPR", "meanFPR", "minBER"])
    evaluator.update(pred, gt, batch=True)
    results = evaluator.compute()
    assert results["minFPR"] == results["curves"]["FPR"].min()
    assert results["meanFPR"] == pytest.approx(results["curves"]["FPR"].mean(), abs=0)
    assert results["minBER"] == results["curves"]["BER"].min()


def test_every_key_is_the_same_from_histograms_and_from_pixels():
    """uint8 maps (histogram backend) and the same maps as float64 (per-pixel backend) give
    every key of the ``all`` group within 1e-12, under every set of conventions."""
    from cases import random_pairs

    pairs = random_pairs(48, seed=7)
    rng = np.random.default_rng(8)
    for conventions in ("pysodmetrics", "matlab"):
        by_level, by_pixel = (Evaluator(conventions, metrics="all", threads=1) for _ in "ab")
        for index, (_, pred, gt) in enumerate(pairs):
            image = rng.integers(0, 256, (*pred.shape, 3), dtype=np.uint8)
            by_level.update(pred, gt, image=image, names=[str(index)])
            by_pixel.update(pred / 255, gt, image=image, names=[str(index)])
        levels, pixels = by_level.per_image(), by_pixel.per_image()
        for key in levels.columns[1:]:
            np.testing.assert_allclose(levels[key], pixels[key], atol=1e-12, rtol=0,
                                       err_msg=f"{conventions} {key}")
        _same(by_level.compute(), by_pixel.compute(), 1e-12)


def test_threaded_keys_are_the_same_on_any_executor():
    """wF, HCE, CM and CCM run per image on the Evaluator's threads or a given executor:
    the same numbers in the same order as in the caller's thread."""
    from concurrent.futures import ThreadPoolExecutor

    pred, gt = _pairs(9, count=12, shape=(40, 37))
    rng = np.random.default_rng(10)
    images = rng.integers(0, 256, (*pred.shape, 3), dtype=np.uint8)
    keys = ["wF", "HCE", "CM", "CCM", "MAE"]
    runs = [Evaluator(metrics=keys, threads=1), Evaluator(metrics=keys, threads=3)]
    with ThreadPoolExecutor(2) as pool:
        runs.append(Evaluator(metrics=keys, executor=pool))
        for evaluator in runs:
            evaluator.update(pred[:5], gt[:5], image=images[:5], batch=True)
            for index in range(5, len(pred)):
                evaluator.update(pred[index], gt[index], image=images[index])
        tables = [evaluator.per_image() for evaluator in runs]
    assert tables[1].equals(tables[0]) and tables[2].equals(tables[0])
    assert all(isinstance(value, float) for value in tables[1]["CCM"])
