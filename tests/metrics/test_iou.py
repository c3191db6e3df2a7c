import numpy as np
from synthetic import spec_pair

from sodbench.metrics._iou import soft_iou


def test_hand_computed():
    pred = np.array([[0.5, 1.0], [0.0, 0.25]])
    gt = np.array([[True, True], [False, False]])
    # intersection 1.5, sum(pred) 1.75, |G| 2
    assert soft_iou(pred, gt)[0] == 1.5 / (1.75 + 2 - 1.5)


def test_binary_maps_give_count_iou_and_are_symmetric():
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 3, 20, 20)) > 0.6
    counts = (a & b).sum((1, 2)) / (a | b).sum((1, 2))
    np.testing.assert_allclose(soft_iou(a, b, batch=True), counts, atol=1e-15, rtol=0)
    np.testing.assert_allclose(soft_iou(a, b, batch=True), soft_iou(b, a, batch=True),
                               atol=1e-15, rtol=0)


def test_both_empty_is_zero():
    assert soft_iou(np.zeros((3, 3)), np.zeros((3, 3), bool))[0] == 0


def test_anchors():
    for seed, expected in ((3, 0.598476), (12, 0.121364), (18, 0.0)):
        assert round(float(soft_iou(*spec_pair(seed))[0]), 6) == expected
