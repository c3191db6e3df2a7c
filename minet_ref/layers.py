"""Building blocks of MINet (Shen et al., IEEE TII 2024, Sec. III-A/B), apart from the network.

Module and attribute names follow the authors' code (Kunye-Shen/MINet, ``model/basic.py``) so
that their checkpoint maps onto these blocks by simple key rules
(:func:`minet_ref.model.checkpoint_filter_fn`).
The one structural difference is :class:`MIModule`'s per-channel 4 -> 1 fusion, which the
authors run as ``c`` separate ``Conv2d(4, 1, 1)`` modules and this file runs as one grouped
1x1 convolution (same parameters, same arithmetic, ~15x fewer operator calls).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["N_SCALES", "ConvBNReLU", "ConvOut", "DSConv", "MIModule", "WeightedSumMIModule"]

N_SCALES = 4
"""Dilated depthwise branches per MI module (dilation 1, 2, 4, 8; paper Eq. 2)."""


class ConvBNReLU(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + ReLU, stored as ``conv.0``, ``conv.1``, ``conv.2``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        *,
        stride: int = 1,
        dilation: int = 1,
        groups: int = 1,
    ):
        super().__init__()
        padding = dilation * (kernel_size // 2)
        self.conv = nn.Sequential(
            nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
                groups=groups,
                bias=False,
            ),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class DSConv(nn.Module):
    """Depthwise-separable 3x3 convolution (paper Eq. 1): depthwise 3x3 then pointwise 1x1.

    Each half is a :class:`ConvBNReLU`; ``stride`` and ``dilation`` apply to the depthwise half.
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, dilation: int = 1):
        super().__init__()
        self.conv = nn.Sequential(
            ConvBNReLU(in_channels, in_channels, 3, stride=stride, dilation=dilation,
                       groups=in_channels),
            ConvBNReLU(in_channels, out_channels, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class MIModule(nn.Module):
    """Multi-scale interactive module (paper Sec. III-B, Eqs. 2-4, Fig. 3).

    Four dilated 3x3 depthwise convolutions (``Dconv``), a per-channel fusion of the four
    scales (``Pconv``, Eq. 3), a cross-channel 1x1 fusion (``Pfusion``) and a residual ReLU
    (Eq. 4).

    ``Pconv`` is one ``Conv2d(4c, c, 1, groups=c)``: the branches are stacked on a new
    dimension 2 and flattened, so input channel ``4j + i`` is branch ``i`` of channel ``j``
    and group ``j`` sees exactly the four scales of channel ``j`` in dilation order, which is
    the tensor the authors build with ``chunk``/``cat`` for their ``Pconv[j]``.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.Dconv = nn.ModuleList(
            ConvBNReLU(channels, channels, 3, dilation=2**i, groups=channels)
            for i in range(N_SCALES)
        )
        self.Pconv = ConvBNReLU(N_SCALES * channels, channels, 1, groups=channels)
        self.Pfusion = ConvBNReLU(channels, channels, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        scales = torch.stack([branch(x) for branch in self.Dconv], dim=2)
        fused = self.Pconv(scales.reshape(n, N_SCALES * c, h, w))
        return self.relu(self.Pfusion(fused) + x)


class WeightedSumMIModule(nn.Module):
    """Inference-only MI module whose per-channel fusion is a weighted sum of the branches.

    Built by :meth:`from_folded` from an :class:`MIModule` whose BNs are already folded: the
    grouped ``Pconv`` then is ``relu(sum_i w[j, i] * branch_i[j] + b[j])``, computed with
    four fused multiply-adds and no interleaving copy (docs/minet.md, "Speed").
    """

    def __init__(self, dconv: nn.ModuleList, pconv: nn.Conv2d, pfusion: nn.Module):
        super().__init__()
        channels = pconv.out_channels
        self.Dconv = dconv
        self.Pfusion = pfusion
        weight = pconv.weight.detach()[:, :, 0, 0].t().reshape(N_SCALES, 1, channels, 1, 1)
        self.register_buffer("scale_weight", weight.clone())
        self.register_buffer("scale_bias", pconv.bias.detach().reshape(1, channels, 1, 1).clone())

    @classmethod
    def from_folded(cls, module: MIModule) -> WeightedSumMIModule:
        conv = module.Pconv.conv[0]
        if conv.bias is None or not isinstance(module.Pconv.conv[1], nn.Identity):
            raise ValueError("WeightedSumMIModule needs an MIModule whose BNs are folded")
        return cls(module.Dconv, conv, module.Pfusion)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [branch(x) for branch in self.Dconv]
        fused = torch.addcmul(self.scale_bias, branches[0], self.scale_weight[0])
        for branch, weight in zip(branches[1:], self.scale_weight[1:], strict=True):
            fused.addcmul_(branch, weight)
        return torch.relu_(self.Pfusion(fused.relu_()) + x)


class ConvOut(nn.Module):
    """Side-output head (paper Sec. III-C2): Dropout2d(0.1), Conv2d(c, 1, 1) with bias, sigmoid."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.conv = nn.Sequential(nn.Dropout2d(p=0.1), nn.Conv2d(in_channels, 1, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)
