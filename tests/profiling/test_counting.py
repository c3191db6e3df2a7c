"""Hand-counted parameters, MACs and FLOPs of small modules (arithmetic written out)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from sodbench.profiling.counting import count_complexity, count_parameters  # noqa: E402


def _count(module: nn.Module, *shape: int) -> dict:
    return count_complexity(module.eval(), torch.randn(*shape))


def test_dense_conv():
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    counts = _count(conv, 1, 3, 16, 16)
    # 8 x 16 x 16 outputs, each 3 channels x 3 x 3 taps
    assert counts["macs"] == 8 * 16 * 16 * (3 * 3 * 3) == 55_296
    assert counts["flops"] == 2 * 55_296
    assert counts["module_hook_macs"] == 55_296
    assert count_parameters(conv) == {"total": 8 * 3 * 3 * 3, "trainable": 216, "buffers": 0}


def test_depthwise_conv():
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False)
    counts = _count(conv, 1, 8, 16, 16)
    # each output element sees one input channel (8 / 8) x 9 taps
    assert counts["macs"] == 8 * 16 * 16 * 9 == 18_432
    assert count_parameters(conv)["total"] == 8 * 1 * 3 * 3


def test_grouped_conv_with_bias():
    conv = nn.Conv2d(8, 16, 1, groups=4)
    counts = _count(conv, 1, 8, 16, 16)
    # 16 x 16 x 16 outputs, each sees 8 / 4 = 2 input channels x 1 tap; the bias is not a MAC
    assert counts["macs"] == 16 * 16 * 16 * 2 == 8_192
    assert counts["bias_elements"] == 16 * 16 * 16
    # thop 2020: + 1 per biased output element
    assert counts["paper_compatible_macs"] == 8_192 + 4_096
    assert count_parameters(conv)["total"] == 16 * 2 * 1 * 1 + 16


def test_dilated_strided_conv():
    conv = nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4, bias=False)
    counts = _count(conv, 1, 4, 10, 10)
    # padding 2 with dilation 2 keeps 10 x 10; dilation does not change taps per output
    assert counts["macs"] == 4 * 10 * 10 * 9 == 3_600
    strided = nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False)
    # 368 -> 184 as MINet's stem: 16 x 184 x 184 outputs x 27
    assert _count(strided, 1, 3, 368, 368)["macs"] == 16 * 184 * 184 * 27 == 14_625_792


def test_linear_2d_and_3d():
    linear = nn.Linear(20, 10)
    assert _count(linear, 1, 20)["macs"] == 10 * 20 == 200
    # a 5 x 20 token matrix: 5 x 10 outputs x 20 inputs
    assert _count(linear, 1, 5, 20)["macs"] == 5 * 10 * 20 == 1_000
    assert count_parameters(linear)["total"] == 20 * 10 + 10


def test_bilinear_upsampling_is_one_operator():
    up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    counts = _count(up, 1, 2, 4, 4)
    assert counts["macs"] == 0
    # 2 x 8 x 8 = 128 output elements at 4 FLOPs each (fvcore's convention)
    assert counts["flops_with_elementwise"] == 4 * 128 == 512
    assert counts["bilinear_output_elements"] == 128
    # registered by overload, so it is not decomposed into mul/add arithmetic
    assert list(counts["by_operator"]) == ["aten.upsample_bilinear2d"]
    assert not [z for z in counts["uncounted_ops"] if z["kind"] != "memory"]


def test_batch_norm_relu_add_sigmoid():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(4)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            return torch.sigmoid(self.relu(self.bn(x)) + x)

    block = Block()
    counts = _count(block, 1, 4, 5, 5)
    elements = 4 * 5 * 5
    ops = counts["by_operator"]
    assert ops["aten._native_batch_norm_legit_no_training"]["flops"] == 2 * elements
    assert ops["aten.relu_"]["flops"] == elements
    assert ops["aten.add"]["flops"] == elements
    assert ops["aten.sigmoid"]["flops"] == elements
    assert counts["flops_with_elementwise"] == (2 + 1 + 1 + 1) * elements
    assert counts["macs"] == counts["flops"] == 0
    assert counts["paper_compatible_macs"] == 2 * elements
    assert count_parameters(block) == {"total": 8, "trainable": 8, "buffers": 4 + 4 + 1}


def test_frozen_parameters_are_not_trainable():
    conv = nn.Conv2d(3, 4, 1)
    conv.bias.requires_grad_(False)
    assert count_parameters(conv) == {"total": 16, "trainable": 12, "buffers": 0}


def test_fft_is_reported_as_uncounted_compute():
    class Spectral(nn.Module):
        def forward(self, x):
            return torch.fft.rfft2(x).abs()

    counts = _count(Spectral(), 1, 2, 8, 8)
    uncounted = {z["op"]: z for z in counts["uncounted_ops"]}
    assert uncounted["aten._fft_r2c"]["kind"] == "compute, not counted"
    assert uncounted["aten._fft_r2c"]["output_elements"] == 2 * 8 * 5
    assert uncounted["aten.abs"]["calls"] == 1
    assert counts["flops_with_elementwise"] == 0


def test_custom_autograd_function_is_seen_op_by_op():
    # FlopCounterMode works below autograd, so a custom Function's forward is visible as the
    # aten ops it runs: mul is counted, exp is listed as counted-zero compute.
    class ScaledExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x * 3).exp()

        @staticmethod
        def backward(ctx, grad):
            raise NotImplementedError

    class Net(nn.Module):
        def forward(self, x):
            return ScaledExp.apply(x)

    counts = _count(Net(), 1, 3, 4, 4)
    assert counts["by_operator"]["aten.mul"]["flops"] == 48
    assert {z["op"] for z in counts["uncounted_ops"]} == {"aten.exp"}


def test_by_module_splits_children_and_own_forward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.head = nn.Sequential(nn.Conv2d(4, 1, 1, bias=False), nn.Sigmoid())

        def forward(self, x):
            return nn.functional.interpolate(self.head(self.stem(x)), scale_factor=2.0,
                                             mode="bilinear", align_corners=False)

    counts = _count(Net(), 1, 3, 6, 6)
    modules = counts["by_module"]
    assert modules["stem"]["macs"] == 4 * 36 * 27
    assert modules["head"]["macs"] == 36 * 4
    assert modules["head"]["flops_with_elementwise"] == 2 * 36 * 4 + 36  # conv + sigmoid
    assert modules["(own forward)"]["flops_with_elementwise"] == 4 * 144  # the interpolate
    assert sum(m["flops_with_elementwise"] for m in modules.values()) == counts[
        "flops_with_elementwise"]
