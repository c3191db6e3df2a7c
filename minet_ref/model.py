"""MINet (Shen et al., "MINet: Multi-scale Interactive Network for Real-time Salient Object
Detection of Strip Steel Surface Defects", IEEE TII 2024), assembled from :mod:`minet_ref.layers`.

Widths and module counts follow the paper's Table I; the decoder and side outputs follow
Eqs. 7-8 as the authors implement them (Kunye-Shen/MINet, ``model/MINet.py``): "x2"
upsampling is bilinear (``align_corners=True``) to the encoder feature's size, so odd input
sizes work. The authors' checkpoint loads after :func:`minet_ref.convert_official_checkpoint`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from minet_ref.layers import ConvBNReLU, ConvOut, DSConv, MIModule, WeightedSumMIModule

INPUT_SIZE = 368
"""The paper's test-time input side (Sec. IV-A2)."""
STEM_CHANNELS = 16
ENCODER_STAGES = ((32, 3), (64, 4), (96, 6), (128, 3))
"""(width, number of MI modules) of encoder stages 2-5 (Table I)."""
DECODER_CHANNELS = ((16, 16), (32, 16), (64, 32), (96, 64), (128, 96))
"""(input width, output width) of decoders 1-5; each is DSConv(dilation 2) + DSConv."""


def _upsample(x: torch.Tensor, size) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bilinear", align_corners=True)


class MINet(nn.Module):
    """The paper's network: MI-based encoder (Table I), five decoders, five side outputs.

    ``forward(x)`` takes an N x 3 x H x W batch normalised as in the paper and returns a tuple
    of five N x 1 x H x W sigmoid maps, side outputs S1..S5 (Eq. 8); S1 is the prediction.
    A new model is Xavier-initialised as in the paper (Sec. IV-A2). ``pretrained_cfg``
    (timm's name) records the test-time input size of the loaded weights: the paper's 368,
    or what a training run or the demo weights used.
    """

    def __init__(self):
        super().__init__()
        self.pretrained_cfg = {"input_size": (3, INPUT_SIZE, INPUT_SIZE)}
        self.encoder1 = ConvBNReLU(3, STEM_CHANNELS, 3, stride=2)
        in_channels = STEM_CHANNELS
        for stage, (width, n_modules) in enumerate(ENCODER_STAGES, start=2):
            blocks = [DSConv(in_channels, width, stride=2)]
            blocks += [MIModule(width) for _ in range(n_modules)]
            self.add_module(f"encoder{stage}", nn.Sequential(*blocks))
            in_channels = width
        for stage in range(5, 0, -1):  # the authors' registration order, hence key order
            width, out_width = DECODER_CHANNELS[stage - 1]
            decoder = nn.Sequential(DSConv(width, width, dilation=2), DSConv(width, out_width))
            self.add_module(f"decoder{stage}", decoder)
        for stage, (_, out_width) in enumerate(DECODER_CHANNELS, start=1):
            self.add_module(f"conv_out{stage}", ConvOut(out_width))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform conv weights, zero biases, unit BN scales (paper Sec. IV-A2)."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                module.reset_parameters()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        features = [self.encoder1(x)]
        for stage in range(2, 6):
            features.append(getattr(self, f"encoder{stage}")(features[-1]))
        decoded = [self.decoder5(features[4])]
        for stage in range(4, 0, -1):
            skip = features[stage - 1]
            up = _upsample(decoded[0], skip.shape[2:])
            decoded.insert(0, getattr(self, f"decoder{stage}")(skip + up))
        return tuple(
            _upsample(getattr(self, f"conv_out{stage}")(feature), x.shape[2:])
            for stage, feature in enumerate(decoded, start=1)
        )


def fold_bn(model: nn.Module, *, weighted_sum: bool = False) -> nn.Module:
    """Return an eval-mode copy of ``model`` with every BatchNorm folded into its convolution.

    Each ``Conv2d`` directly followed by a ``BatchNorm2d`` in an ``nn.Sequential`` gets
    ``W * g / sqrt(v + eps)`` and bias ``b + (bias - m) * g / sqrt(v + eps)`` (computed in
    float64) and the BN becomes ``Identity``. With ``weighted_sum=True`` every MI module also
    becomes a :class:`~minet_ref.layers.WeightedSumMIModule`. For inference only: outputs agree
    with the eval-mode model to float rounding (<= 1e-4 on MINet); the copy cannot be trained.
    """
    folded = _fold_sequentials(copy.deepcopy(model).eval())
    if weighted_sum:
        for parent in list(folded.modules()):
            for name, child in parent.named_children():
                if isinstance(child, MIModule):
                    setattr(parent, name, WeightedSumMIModule.from_folded(child))
    return folded


def _fold_sequentials(folded: nn.Module) -> nn.Module:
    for sequential in folded.modules():
        if not isinstance(sequential, nn.Sequential):
            continue
        for index in range(len(sequential) - 1):
            conv, bn = sequential[index], sequential[index + 1]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                sequential[index] = _fold_conv_bn(conv, bn)
                sequential[index + 1] = nn.Identity()
    return folded


def _fold_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    dtype = conv.weight.dtype
    scale = bn.weight.double() / torch.sqrt(bn.running_var.double() + bn.eps)
    bias = conv.bias.double() if conv.bias is not None else torch.zeros_like(scale)
    fused = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
        padding=conv.padding, dilation=conv.dilation, groups=conv.groups, bias=True,
    ).to(device=conv.weight.device, dtype=dtype)
    with torch.no_grad():
        fused.weight.copy_((conv.weight.double() * scale.view(-1, 1, 1, 1)).to(dtype))
        fused.bias.copy_((bn.bias.double() + (bias - bn.running_mean.double()) * scale).to(dtype))
    return fused


MODELS = {"minet": MINet}


def load_weights(model: MINet, weights) -> MINet:
    """Load a :class:`minet_ref.convert.WeightsFile` into ``model``; eval mode, input size set."""
    model.load_state_dict(weights.state_dict)
    if weights.input_size:
        model.pretrained_cfg["input_size"] = (3, int(weights.input_size), int(weights.input_size))
    return model.eval()


def create_model(
    name: str = "minet", *, weights: str | Path | None = None, device: str = "cpu"
) -> MINet:
    """Build a registered model, timm style, optionally loading weights (then in eval mode).

    Parameters
    ----------
    name : str
        Model name; only ``"minet"`` is registered.
    weights : None, "demo" or path
        None: Xavier-initialised, train mode. ``"demo"``: the project's demo weights trained on
        the synthetic sample (:func:`minet_ref.load_demo_weights`). A path: a state dict in the
        project's layout, in the authors' layout (converted), or a checkpoint of
        :mod:`minet_ref.train`; see :func:`minet_ref.convert.load_weights_file`.
    device : str
        Torch device for the model.
    """
    from sodbench.errors import SodbenchError

    if name not in MODELS:
        raise SodbenchError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}")
    model = MODELS[name]()
    if weights is not None:
        from minet_ref.convert import load_weights_file
        from minet_ref.demo import DEMO_WEIGHTS

        path = DEMO_WEIGHTS if str(weights) == "demo" else Path(weights)
        load_weights(model, load_weights_file(path))
    return model.to(device)
