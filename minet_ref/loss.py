"""MINet's deep-supervised hybrid loss (paper Sec. III-D, Eq. 9): BCE + SSIM on S1..S5.

SSIM follows Wang et al., "Image quality assessment: from error visibility to structural
similarity" (IEEE TIP 2004) in the form the authors' ``train.py`` uses through pytorch_ssim:
an 11 x 11 Gaussian window (sigma 1.5), zero padding, ``C1 = 0.01^2``, ``C2 = 0.03^2`` (data
range 1), the SSIM map averaged over all pixels; the loss term is ``1 - SSIM``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["C1", "C2", "SIGMA", "WINDOW_SIZE", "deep_supervision_loss", "gaussian_window",
           "hybrid_loss", "ssim", "ssim_map"]

WINDOW_SIZE = 11
SIGMA = 1.5
C1 = 0.01**2
C2 = 0.03**2


def gaussian_window(size: int = WINDOW_SIZE, sigma: float = SIGMA, *, dtype=torch.float32):
    """The normalised 2-D Gaussian window (outer product of the 1-D one), size x size."""
    offsets = torch.arange(size, dtype=torch.float64) - size // 2
    line = torch.exp(-(offsets**2) / (2 * sigma**2))
    line = line / line.sum()
    return torch.outer(line, line).to(dtype)


def ssim_map(prediction: torch.Tensor, target: torch.Tensor, window_size: int = WINDOW_SIZE):
    """Per-pixel SSIM of two N x C x H x W tensors in [0, 1] (Gaussian window, zero padding)."""
    channels = prediction.shape[1]
    window = gaussian_window(window_size, dtype=prediction.dtype).to(prediction.device)
    window = window.expand(channels, 1, window_size, window_size)

    def blur(x):
        return F.conv2d(x, window, padding=window_size // 2, groups=channels)

    mu_p, mu_t = blur(prediction), blur(target)
    var_p = blur(prediction * prediction) - mu_p**2
    var_t = blur(target * target) - mu_t**2
    covariance = blur(prediction * target) - mu_p * mu_t
    numerator = (2 * mu_p * mu_t + C1) * (2 * covariance + C2)
    denominator = (mu_p**2 + mu_t**2 + C1) * (var_p + var_t + C2)
    return numerator / denominator


def ssim(prediction: torch.Tensor, target: torch.Tensor, window_size: int = WINDOW_SIZE):
    """Mean of :func:`ssim_map` over all pixels, channels and images.

    >>> x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    >>> round(float(ssim(x, x)), 6), bool(ssim(x, 1 - x) < 0)
    (1.0, True)
    """
    return ssim_map(prediction, target, window_size).mean()


def hybrid_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE (mean over pixels) + (1 - SSIM) for one sigmoid map and its {0, 1} ground truth."""
    return F.binary_cross_entropy(prediction, target) + 1 - ssim(prediction, target)


def deep_supervision_loss(side_outputs: Sequence[torch.Tensor], target: torch.Tensor):
    """Eq. 9: the sum of :func:`hybrid_loss` over all side outputs (MINet's five)."""
    return sum(hybrid_loss(output, target) for output in side_outputs)
