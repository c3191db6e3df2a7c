import json
import pickle
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from sodbench import Evaluator
from sodbench.errors import SodbenchError
from sodbench.metrics import _pfom as pfom_module
from sodbench.metrics._overlap import overlap_ratio
from sodbench.metrics.conventions import CONVENTIONS, get_conventions
from sodbench.metrics.keys import GROUPS
from sodbench.metrics.validate import im2double, minmax

sys.path.insert(0, str(Path(__file__).parent / "metrics"))
from synthetic import spec_pair, spec_set  # noqa: E402

DEFAULT_KEYS = GROUPS["default"]  # the 0.1.0 keys, still what Evaluator() computes

CORE = [key for key in DEFAULT_KEYS if key not in ("OR", "PFOM")]


@pytest.fixture(scope="module")
def spec_data():
    return spec_set()


def test_dataset_anchors(spec_data):
    evaluator = Evaluator()
    evaluator.update(*spec_data, batch=True)
    results = evaluator.compute()
    anchors = {"MAE": 0.035434, "Sm": 0.769639, "wF": 0.371304, "maxF": 0.655204,
               "meanF": 0.540164, "maxE": 0.984838, "meanE": 0.817024, "adpF": 0.399948,
               "adpE": 0.648729, "adpIoU": 0.371484}
    assert {key: round(results[key], 6) for key in anchors} == anchors
    assert set(results) == set(DEFAULT_KEYS) | {"curves"}
    assert all(type(results[key]) is float for key in DEFAULT_KEYS)
    assert set(results["curves"]) == {"precision", "recall", "F", "E", "IoU", "Dice", "FPR"}
    assert all(curve.shape == (256,) for curve in results["curves"].values())
    # ascending thresholds: recall falls from 1 at t = 0
    assert results["curves"]["recall"][0] == pytest.approx(18 / 20)


def test_per_image_anchors():
    expected = {
        3: {"MAE": 0.026006, "Sm": 0.965005, "wF": 0.769894, "adpE": 0.985998, "adpF": 0.911654,
            "adpIoU": 0.888116, "IoU": 0.598476, "OR": 0.888116, "PFOM": 0.768526},
        12: {"MAE": 0.037508, "Sm": 0.602887, "wF": 0.176265, "adpE": 0.317546, "adpF": 0.086439,
             "adpIoU": 0.067845, "IoU": 0.121364, "OR": 0.067845, "PFOM": 0.048854},
        18: {"MAE": 0.102212, "Sm": 0.897788, "wF": 0.0, "adpE": 0.786595, "adpF": 0.0,
             "adpIoU": 0.0, "IoU": 0.0, "OR": 0.0, "PFOM": 0.0},
    }
    evaluator = Evaluator()
    for seed in expected:
        evaluator.update(*spec_pair(seed), names=[f"seed{seed}"])
    table = evaluator.per_image().set_index("name")
    for seed, values in expected.items():
        assert {key: round(table.loc[f"seed{seed}", key], 6) for key in values} == values


@pytest.mark.parametrize(
    "pred_level, gt_full, expected",
    [
        (0, False, {"MAE": 0.073425, "Sm": 0.463288, "wF": 0.0, "adpE": 0.250006,
                    "meanE": 0.250006, "maxE": 0.250006, "adpF": 0.093395, "maxF": 0.093395}),
        (128, False, {"MAE": 0.501673, "Sm": 0.399194, "wF": 0.072272, "adpF": 0.0,
                      "maxF": 0.093395}),
        (255, False, {"MAE": 0.926575, "Sm": 0.036713, "wF": 0.07496}),
        (None, True, {"MAE": 0.919139, "Sm": 0.080861, "wF": 0.184758, "adpE": 0.082677}),
    ],
)
def test_degenerate_anchors(pred_level, gt_full, expected):
    pred, gt = spec_pair(3)
    if pred_level is not None:
        pred = np.full_like(pred, pred_level)
    if gt_full:
        gt = np.full_like(gt, 255)
    evaluator = Evaluator(metrics=CORE)
    evaluator.update(pred, gt)
    results = evaluator.compute()
    assert {key: round(results[key], 6) for key in expected} == expected


def test_or_and_pfom_use_the_raw_and_normalised_maps(spec_data):
    pred, gt = spec_data[0][:6], spec_data[1][:6]
    for name in CONVENTIONS:
        evaluator = Evaluator(name, metrics=["OR", "PFOM"])
        evaluator.update(pred, gt, batch=True)
        table = evaluator.per_image()
        expected = overlap_ratio(im2double(pred, batch=True), im2double(gt, batch=True),
                                 batch=True)
        np.testing.assert_array_equal(table["OR"], expected)
        options = pfom_module.MINET_TII2024_OPTIONS if name == "minet-tii2024" else {}
        expected = pfom_module.pfom(minmax(im2double(pred, batch=True)), gt > 128, batch=True,
                                    **options)
        np.testing.assert_array_equal(table["PFOM"], expected)


def test_minet_profile_uses_raw_mae():
    evaluator = Evaluator("minet-tii2024", metrics=["MAE", "Sm", "IoU"])
    for seed in (3, 12, 18):
        evaluator.update(*spec_pair(seed))
    table = evaluator.per_image()
    assert table["MAE"].round(6).tolist() == [0.034932, 0.022186, 0.010822]
    assert table["Sm"].round(6).tolist() == [0.965005, 0.602887, 0.897788]
    assert evaluator.conventions.approximate == ("PFOM",)


def test_matlab_profile_differs_where_documented():
    pred, gt = np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8)
    results = {}
    for name in ("pysodmetrics", "matlab"):
        evaluator = Evaluator(name, metrics=["adpE"])
        evaluator.update(pred, gt)
        results[name] = evaluator.compute()["adpE"]
    assert results["pysodmetrics"] == 0 and results["matlab"] == pytest.approx(64 / 63)
    # an inverted map: S-measure clamped at 0 by PySODMetrics, negative in Fan's Matlab code
    _, gt = spec_pair(3)
    scores = {}
    for name in ("pysodmetrics", "matlab"):
        evaluator = Evaluator(name, metrics=["Sm"])
        evaluator.update(255 - gt, gt)
        scores[name] = evaluator.compute()["Sm"]
    assert scores["pysodmetrics"] == 0 and scores["matlab"] < -0.05


def test_batch_equals_one_by_one_and_merge_equals_single_pass(spec_data):
    pred, gt = spec_data
    batch = Evaluator()
    batch.update(pred, gt, batch=True)
    single, first, second = Evaluator(), Evaluator(), Evaluator()
    for index in range(len(pred)):
        single.update(pred[index], gt[index], names=[str(index)])
        (first if index < 7 else second).update(pred[index], gt[index], names=[str(index)])
    first.merge(pickle.loads(pickle.dumps(second)))
    expected = batch.compute()
    for other in (single, first):
        got = other.compute()
        for key in DEFAULT_KEYS:
            assert got[key] == pytest.approx(expected[key], abs=1e-12, rel=0), key
        for name, curve in expected["curves"].items():
            np.testing.assert_allclose(got["curves"][name], curve, atol=1e-12, rtol=0)
        assert other.per_image()["name"].tolist() == [str(i) for i in range(20)]
    assert first.n_images == 20


def test_metric_selection_and_names():
    evaluator = Evaluator(metrics=["Sm", "MAE"])
    evaluator.update(*spec_pair(3), names=["a"])
    assert evaluator.metrics == ("MAE", "Sm")
    assert list(evaluator.compute()) == ["MAE", "Sm", "curves"]
    assert evaluator.per_image().columns.tolist() == ["name", "MAE", "Sm"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: Evaluator(conventions="fan"),
         "unknown conventions 'fan': choose one of pysodmetrics"),
        (lambda: Evaluator(metrics=["Fmax"]), "unknown metric 'Fmax'"),
        (lambda: Evaluator().compute(), "no images were evaluated"),
        (lambda: Evaluator().update(np.zeros((2, 4, 4)), np.zeros((2, 4, 4)), names=["a"],
                                    batch=True),
         "got 1 names for 2 images"),
        (lambda: Evaluator().update(np.full((4, 4), 200.0), np.zeros((4, 4), np.uint8)),
         "prediction is float with values up to 200.0"),
        (lambda: Evaluator().merge(Evaluator("matlab")), "cannot merge evaluators"),
    ],
)
def test_errors(call, message):
    with pytest.raises(SodbenchError, match=message):
        call()


def test_profiles_are_named_and_describe_themselves():
    assert set(CONVENTIONS) == {"pysodmetrics", "minet-tii2024", "matlab"}
    assert get_conventions("matlab").centroid == "half_away"
    assert all(profile.description for profile in CONVENTIONS.values())
    assert Evaluator().conventions.name == "pysodmetrics"


def test_dtypes_follow_the_documented_rules():
    pred, gt = spec_pair(3)
    results = []
    for p, g in (
        (pred, gt),
        (pred.astype(np.uint16) * 257, gt.astype(np.uint16) * 257),  # 16-bit PNG levels
        (pred / 255, gt > 128),                                      # float map, bool GT
        ((pred / 255).astype(np.float32), (gt / 255).astype(np.float32)),
    ):
        evaluator = Evaluator(metrics=CORE)
        evaluator.update(p, g)
        results.append(evaluator.compute())
    for other in results[1:]:
        for key in CORE:
            # float32 rounds p/255, so min-max lands within 1e-7 of the uint8 map
            assert other[key] == pytest.approx(results[0][key], abs=1e-6), key
    for key in CORE:
        # uint16 and float64 maps are scored pixel by pixel: the same float operations
        assert results[2][key] == results[1][key], key
        # uint8 is scored from histograms: the same per-pixel values summed in another order
        assert results[1][key] == pytest.approx(results[0][key], abs=1e-12, rel=0), key


class _RecordingPool(ThreadPoolExecutor):
    """A thread pool that keeps every Future it hands out (to count those still running)."""

    def __init__(self, workers):
        super().__init__(workers)
        self.futures = []

    def submit(self, *args, **kwargs):
        future = super().submit(*args, **kwargs)
        self.futures.append(future)
        return future


def test_threaded_wf_waits_for_at_most_max_pending_pixels_and_settles_before_reads(monkeypatch):
    """wF runs on an executor after update() returns; at most MAX_PENDING_PIXELS of images are
    in flight; every read (per_image, compute, state, merge, pickling) sees the finished
    scores, equal to a one-thread evaluator's. (The bound is checked through an injected
    executor, no longer through the Evaluator's private counters.)"""
    import sodbench.evaluator.core as core_module
    import sodbench.evaluator.pending as pending_module

    pred, gt = spec_set()
    monkeypatch.setattr(pending_module, "MAX_PENDING_PIXELS", 3 * pred[0].size)
    # chunks of 5 images: the 20 are scored by update() itself, not kept for a later chunk
    monkeypatch.setattr(core_module, "LEVEL_CHUNK_PIXELS", 5 * pred[0].size)
    serial = Evaluator(threads=1)
    serial.update(pred, gt, batch=True)
    with _RecordingPool(2) as pool:
        threaded = Evaluator(executor=pool)
        threaded.update(pred, gt, batch=True)
        assert len(pool.futures) == len(pred)
        assert sum(not future.done() for future in pool.futures) <= 3
        copy = pickle.loads(pickle.dumps(threaded))
        assert copy.per_image().equals(serial.per_image())
        assert threaded.state() == serial.state()
    monkeypatch.setattr(pending_module, "MAX_PENDING_PIXELS", 0)  # waits for every score
    with _RecordingPool(2) as pool:
        drained = Evaluator(executor=pool)
        drained.update(pred, gt, batch=True)
        assert all(future.done() for future in pool.futures)
        assert drained.compute()["wF"] == serial.compute()["wF"]
    merged = Evaluator(threads=2)
    merged.update(pred[:5], gt[:5], batch=True)
    later = Evaluator(threads=2)
    later.update(pred[5:], gt[5:], batch=True)
    merged.merge(later)
    assert merged.per_image()["wF"].tolist() == serial.per_image()["wF"].tolist()


def test_small_updates_wait_for_a_chunk_and_give_the_numbers_of_one_update():
    """Per-image update() calls are validated at once but scored a chunk at a time; the values
    are those of one update() per image scored alone (same per-image values, same curve sums
    added one update at a time), and every read scores what waits."""
    pred, gt = spec_set()
    alone, buffered = [], Evaluator(threads=1)
    for index in range(len(pred)):
        single = Evaluator(threads=1)
        single.update(pred[index], gt[index], names=[str(index)])
        alone.append(single)
        buffered.update(pred[index], gt[index])
    with pytest.raises(SodbenchError, match="differs from ground truth shape"):
        buffered.update(pred[0], gt[0][:-1])  # refused at once, not when the chunk is scored
    assert buffered.n_images == len(pred)
    merged = alone[0]
    for single in alone[1:]:
        merged.merge(single)
    assert buffered.state() == merged.state()
    mixed = Evaluator(threads=1)
    mixed.update(pred[0], gt[0])
    mixed.update(pred[1].astype(np.float64) / 255, gt[1])  # another dtype: scored apart
    mixed.update(pred[2:], gt[2:], batch=True)
    assert mixed.per_image()["name"].tolist() == [str(i) for i in range(len(pred))]


def test_reset_forgets_the_pairs_and_keeps_the_settings():
    pred, gt = spec_set()
    evaluator = Evaluator("matlab", metrics=["MAE", "maxF"], threads=1)
    evaluator.update(pred[:3], gt[:3], batch=True)
    evaluator.reset()
    assert evaluator.n_images == 0
    evaluator.update(pred, gt, batch=True)
    fresh = Evaluator("matlab", metrics=["MAE", "maxF"], threads=1)
    fresh.update(pred, gt, batch=True)
    assert evaluator.state() == fresh.state()


def test_threads_must_be_positive():
    with pytest.raises(SodbenchError, match="threads=0: must be at least 1"):
        Evaluator(threads=0)


def test_prepared_ground_truth_is_reused_and_checked(spec_data):
    pred, gt = spec_data
    direct, prepared = Evaluator(threads=1), Evaluator(threads=1)
    ground = prepared.prepare(gt, batch=True)
    direct.update(pred, gt, batch=True)
    prepared.update(pred, ground, batch=True)
    again, again_direct = Evaluator(threads=1), Evaluator(threads=1)
    again.update(pred[::-1].copy(), ground, batch=True)  # its contexts are made already: reused
    again_direct.update(pred[::-1].copy(), gt, batch=True)
    assert prepared.per_image().equals(direct.per_image())
    assert again.per_image().equals(again_direct.per_image())
    with pytest.raises(SodbenchError, match="prepared under conventions 'pysodmetrics'"):
        # Matlab rounds the centroid
        Evaluator(conventions="matlab").update(pred, ground, batch=True)
    Evaluator(conventions="minet-tii2024").update(pred, ground, batch=True)  # same GT conventions


def test_state_round_trip_is_exact(spec_data):
    pred, gt = spec_data
    evaluator = Evaluator(threads=1)
    evaluator.update(pred, gt, batch=True)
    restored = Evaluator.from_state(json.loads(json.dumps(evaluator.state())))
    assert restored.per_image().equals(evaluator.per_image())
    got, expected = restored.compute(), evaluator.compute()
    assert {k: got[k] for k in DEFAULT_KEYS} == {k: expected[k] for k in DEFAULT_KEYS}
    with pytest.raises(SodbenchError, match="does not match"):
        Evaluator.from_state({**evaluator.state(), "metrics": ["MAE"]})
