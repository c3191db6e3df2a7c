import numpy as np
from helpers import per_pair, reference_array
from synthetic import spec_pair

from sodbench.metrics._mae import mae


def test_matches_pysodmetrics(pairs):
    ours, reference = per_pair(pairs, mae), reference_array(pairs, "MAE")
    np.testing.assert_allclose(ours, reference, atol=1e-10, rtol=0)


def test_hand_computed():
    pred = np.array([[0.0, 0.5], [1.0, 0.25]])
    gt = np.array([[False, True], [True, True]])
    assert mae(pred, gt)[0] == (0 + 0.5 + 0 + 0.75) / 4


def test_raw_map_anchors():
    # MAE_raw = mean |p/255 - g| without min-max
    for seed, expected in ((3, 0.034932), (12, 0.022186), (18, 0.010822)):
        assert round(float(mae(*spec_pair(seed))[0]), 6) == expected
