"""The hybrid loss (Eq. 9) against scikit-image's SSIM and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import structural_similarity

from minet_ref.loss import deep_supervision_loss, gaussian_window, hybrid_loss, ssim, ssim_map


def test_window_is_normalised_gaussian():
    window = gaussian_window(dtype=torch.float64)
    assert window.shape == (11, 11)
    assert float(window.sum()) == pytest.approx(1.0, abs=1e-15)
    assert float(window[5, 5] / window[5, 6]) == pytest.approx(np.exp(1 / (2 * 1.5**2)))


@pytest.mark.parametrize("seed", range(3))
def test_ssim_map_matches_skimage_away_from_borders(seed):
    rng = np.random.default_rng(seed)
    gt = (rng.random((48, 40)) > 0.7).astype(np.float64)
    pred = np.clip(gt * 0.8 + rng.random((48, 40)) * 0.3, 0, 1)
    _, expected = structural_similarity(
        pred, gt, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=1.0, full=True,
    )
    got = ssim_map(torch.from_numpy(pred)[None, None], torch.from_numpy(gt)[None, None])
    inner = (slice(5, -5), slice(5, -5))
    np.testing.assert_allclose(got[0, 0].numpy()[inner], expected[inner], atol=1e-12)


def test_perfect_prediction_has_zero_loss():
    gt = torch.zeros(2, 1, 30, 30)
    gt[:, :, 10:20, 5:25] = 1
    assert float(ssim(gt, gt)) == pytest.approx(1.0, abs=1e-6)
    assert float(hybrid_loss(gt, gt)) == pytest.approx(0.0, abs=1e-6)


def test_deep_supervision_sums_bce_and_ssim_over_side_outputs():
    torch.manual_seed(0)
    gt = (torch.rand(2, 1, 24, 24) > 0.5).float()
    outputs = [torch.rand(2, 1, 24, 24) * 0.98 + 0.01 for _ in range(5)]
    expected = sum(
        F.binary_cross_entropy(o, gt) + 1 - ssim_map(o, gt).mean() for o in outputs
    )
    total = deep_supervision_loss(outputs, gt)
    assert float(total) == pytest.approx(float(expected), rel=1e-6)
    manual_bce = -(gt * outputs[0].log() + (1 - gt) * (1 - outputs[0]).log()).mean()
    assert float(F.binary_cross_entropy(outputs[0], gt)) == pytest.approx(float(manual_bce))
