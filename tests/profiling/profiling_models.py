"""Small models shared by the profiling tests."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class TinySOD(nn.Module):
    """A MINet-shaped toy: strided stem, depthwise block with residual, bilinear side output."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                  nn.ReLU(inplace=True))
        self.block = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 2, dilation=2, groups=8, bias=False),
                                   nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.head = nn.Conv2d(8, 1, 1)

    def forward(self, x):
        feature = self.stem(x)
        feature = feature + self.block(feature)
        out = torch.sigmoid(self.head(feature))
        up = F.interpolate(out, size=x.shape[2:], mode="bilinear", align_corners=True)
        return up, out
