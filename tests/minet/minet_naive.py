"""A plain per-channel MINet in the authors' checkpoint layout: the parity oracle and the
speed baseline. Independent of ``minet_ref``: its own blocks, and the MI module's 4 -> 1
fusion is ``c`` separate ``Conv2d(4, 1, 1) + BN + ReLU`` modules over ``chunk``/``cat`` slices,
the structure the authors' checkpoint (``../shared/minet_official``) was saved from.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class _Unit(nn.Module):
    def __init__(self, cin, cout, k, stride=1, dilation=1, groups=1):
        super().__init__()
        pad = dilation if k == 3 else 0
        self.conv = nn.Sequential(
            nn.Conv2d(cin, cout, k, stride, pad, dilation=dilation, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.conv(x)


class _Separable(nn.Module):
    def __init__(self, cin, cout, stride=1, dilation=1):
        super().__init__()
        self.conv = nn.Sequential(
            _Unit(cin, cin, 3, stride, dilation, groups=cin), _Unit(cin, cout, 1)
        )

    def forward(self, x):
        return self.conv(x)


class NaiveMI(nn.Module):
    """MI module with one Conv2d(4, 1, 1) per channel (the loop this project replaces)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.Dconv = nn.ModuleList([_Unit(c, c, 3, dilation=d, groups=c) for d in (1, 2, 4, 8)])
        self.Pconv = nn.ModuleList([_Unit(4, 1, 1) for _ in range(c)])
        self.Pfusion = _Unit(c, c, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        pieces = [torch.chunk(branch(x), self.c, dim=1) for branch in self.Dconv]
        per_channel = []
        for j in range(self.c):
            four = torch.cat([pieces[0][j], pieces[1][j], pieces[2][j], pieces[3][j]], dim=1)
            per_channel.append(self.Pconv[j](four))
        return self.relu(self.Pfusion(torch.cat(per_channel, dim=1)) + x)


class _Head(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Sequential(nn.Dropout2d(0.1), nn.Conv2d(c, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return self.conv(x)


class NaiveMINet(nn.Module):
    """Whole network in the authors' layout; loads their ``MINet.pth`` with ``strict=True``."""

    def __init__(self):
        super().__init__()
        self.encoder1 = _Unit(3, 16, 3, stride=2)
        self.encoder2 = nn.Sequential(_Separable(16, 32, 2), *[NaiveMI(32) for _ in range(3)])
        self.encoder3 = nn.Sequential(_Separable(32, 64, 2), *[NaiveMI(64) for _ in range(4)])
        self.encoder4 = nn.Sequential(_Separable(64, 96, 2), *[NaiveMI(96) for _ in range(6)])
        self.encoder5 = nn.Sequential(_Separable(96, 128, 2), *[NaiveMI(128) for _ in range(3)])
        self.decoder5 = nn.Sequential(_Separable(128, 128, dilation=2), _Separable(128, 96))
        self.decoder4 = nn.Sequential(_Separable(96, 96, dilation=2), _Separable(96, 64))
        self.decoder3 = nn.Sequential(_Separable(64, 64, dilation=2), _Separable(64, 32))
        self.decoder2 = nn.Sequential(_Separable(32, 32, dilation=2), _Separable(32, 16))
        self.decoder1 = nn.Sequential(_Separable(16, 16, dilation=2), _Separable(16, 16))
        self.conv_out1 = _Head(16)
        self.conv_out2 = _Head(16)
        self.conv_out3 = _Head(32)
        self.conv_out4 = _Head(64)
        self.conv_out5 = _Head(96)

    def forward(self, x):
        def up(t, ref):
            return F.interpolate(t, size=ref.shape[2:], mode="bilinear", align_corners=True)

        e1 = self.encoder1(x)
        e2 = self.encoder2(e1)
        e3 = self.encoder3(e2)
        e4 = self.encoder4(e3)
        e5 = self.encoder5(e4)
        d5 = self.decoder5(e5)
        d4 = self.decoder4(e4 + up(d5, e4))
        d3 = self.decoder3(e3 + up(d4, e3))
        d2 = self.decoder2(e2 + up(d3, e2))
        d1 = self.decoder1(e1 + up(d2, e1))
        heads = (self.conv_out1, self.conv_out2, self.conv_out3, self.conv_out4, self.conv_out5)
        return tuple(up(h(d), x) for h, d in zip(heads, (d1, d2, d3, d4, d5), strict=True))


def randomise(model: nn.Module, seed: int) -> nn.Module:
    """Random conv weights and random BN affine parameters and running statistics."""
    gen = torch.Generator().manual_seed(seed)
    steps = int(torch.randint(1, 10**5, (1,), generator=gen))  # the authors' copies are equal
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                fan_in = module.weight[0].numel()
                module.weight.normal_(0, (2.0 / fan_in) ** 0.5, generator=gen)
                if module.bias is not None:
                    module.bias.normal_(0, 0.5, generator=gen)
            elif isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5, generator=gen)
                module.bias.normal_(0, 0.2, generator=gen)
                module.running_mean.normal_(0, 0.2, generator=gen)
                module.running_var.uniform_(0.5, 2.0, generator=gen)
                module.num_batches_tracked.fill_(steps)
    return model
