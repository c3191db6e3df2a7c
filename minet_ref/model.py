"""MINet (Shen et al., "MINet: Multi-scale Interactive Network for Real-time Salient Object
Detection of Strip Steel Surface Defects", IEEE TII 2024), assembled from :mod:`minet_ref.layers`.

Widths and module counts follow the paper's Table I; the decoder and side outputs follow
Eqs. 7-8 as the authors implement them (Kunye-Shen/MINet, ``model/MINet.py``): "x2"
upsampling is bilinear (``align_corners=True``) to the encoder feature's size, so odd input
sizes work.

Beside the network, as in a timm model file: :func:`fold_bn` (an inference copy) and
:func:`checkpoint_filter_fn`, which adapts the authors' checkpoint to this layout
(:func:`to_official_checkpoint` is its inverse). The authors' MI module (``model/basic.py``)
stores its per-channel fusion as ``c`` modules ``P.Pconv.{j}.conv.{0,1}.*`` with tensors of
length 1; :class:`minet_ref.layers.MIModule` stores one grouped conv ``P.Pconv.conv.{0,1}.*``
of length ``c``. Every other key is the same in both layouts. docs/minet.md ("Checkpoint
conversion") states the rules: strip a DataParallel ``module.`` prefix, concatenate the ``c``
slices on dimension 0 in ``j`` order, keep one ``num_batches_tracked`` (all ``c`` copies must be
equal). The inverse splits and replicates, and the round trip is bit-identical.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from minet_ref.layers import ConvBNReLU, ConvOut, DSConv, MIModule, WeightedSumMIModule

__all__ = ["INPUT_SIZE", "MINet", "checkpoint_filter_fn", "fold_bn", "is_official_layout",
           "to_official_checkpoint"]

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

    Examples
    --------
    >>> model = MINet().eval()
    >>> s1, *deeper = model(torch.zeros(1, 3, 64, 96))
    >>> tuple(s1.shape), len(deeper)
    ((1, 1, 64, 96), 4)
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

    Examples
    --------
    >>> model = MINet().eval()
    >>> x = torch.rand(1, 3, 48, 48)
    >>> with torch.inference_mode():
    ...     gap = (fold_bn(model)(x)[0] - model(x)[0]).abs().max()
    >>> bool(gap <= 1e-4)
    True
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


_OFFICIAL_PCONV = re.compile(r"^(?P<prefix>.+\.Pconv)\.(?P<index>\d+)\.(?P<rest>conv\..+)$")
_PROJECT_PCONV = re.compile(r"^(?P<prefix>.+\.Pconv)\.(?P<rest>conv\.\d\..+)$")
_SCALAR_BUFFER = "num_batches_tracked"


def is_official_layout(state_dict) -> bool:
    """True when ``state_dict`` has the authors' per-channel ``Pconv.{j}`` keys."""
    return any(_OFFICIAL_PCONV.match(_strip_module(key)) for key in state_dict)


def _strip_module(key: str) -> str:
    return key[len("module."):] if key.startswith("module.") else key


def checkpoint_filter_fn(state_dict) -> OrderedDict:
    """Map a state dict of the authors' MINet to :class:`MINet`'s layout (timm's name).

    Parameters
    ----------
    state_dict : mapping of str to Tensor
        The authors' ``MINet.pth`` (8,536 tensors), optionally with a ``module.`` prefix.

    Returns
    -------
    OrderedDict
        760 tensors that :meth:`MINet.load_state_dict` accepts with ``strict=True``; a state
        dict already in the project's layout is returned unchanged (prefix stripped).

    Raises
    ------
    ValueError
        When the ``Pconv.{j}`` indices of a module are not ``0..c-1`` or the copies of
        ``num_batches_tracked`` differ.

    Examples
    --------
    >>> state = MINet().state_dict()
    >>> official = to_official_checkpoint(state)
    >>> len(state), len(official), is_official_layout(official)
    (760, 8536, True)
    >>> back = checkpoint_filter_fn({f"module.{key}": value for key, value in official.items()})
    >>> list(back) == list(state) and all(torch.equal(back[key], state[key]) for key in state)
    True
    """
    groups: dict[tuple[str, str], dict[int, torch.Tensor]] = {}
    converted = OrderedDict()
    for raw_key, tensor in state_dict.items():
        key = _strip_module(raw_key)
        match = _OFFICIAL_PCONV.match(key)
        if match is None:
            converted[key] = tensor
            continue
        target = f"{match['prefix']}.{match['rest']}"
        group = groups.setdefault((target, match["rest"]), {})
        if not group:
            converted[target] = None
        group[int(match["index"])] = tensor
    for (target, rest), slices in groups.items():
        if sorted(slices) != list(range(len(slices))):
            raise ValueError(f"{target}: Pconv indices are not 0..{len(slices) - 1}")
        ordered = [slices[index] for index in range(len(slices))]
        if rest.endswith(_SCALAR_BUFFER):
            if any(not torch.equal(item, ordered[0]) for item in ordered):
                raise ValueError(f"{target}: the per-channel {_SCALAR_BUFFER} values differ")
            converted[target] = ordered[0].clone()
        else:
            converted[target] = torch.cat(ordered, dim=0)
    return converted


def to_official_checkpoint(state_dict) -> OrderedDict:
    """Inverse of :func:`checkpoint_filter_fn`: the project's layout -> the authors'.

    Each ``P.Pconv.conv.{0,1}.*`` tensor of length ``c`` is split into ``c`` length-1 tensors
    ``P.Pconv.{j}.conv.{0,1}.*`` (``num_batches_tracked`` is replicated), emitted module by
    module in the authors' key order so that the round trip reproduces their file exactly.
    """
    pending: dict[str, list[tuple[str, torch.Tensor]]] = {}
    for key, tensor in state_dict.items():
        match = _PROJECT_PCONV.match(key)
        if match is not None:
            pending.setdefault(match["prefix"], []).append((match["rest"], tensor))
    official = OrderedDict()
    for key, tensor in state_dict.items():
        match = _PROJECT_PCONV.match(key)
        if match is None:
            official[key] = tensor
        elif match["prefix"] in pending:
            official.update(_split_pconv(match["prefix"], pending.pop(match["prefix"])))
    return official


def _split_pconv(prefix: str, entries: list[tuple[str, torch.Tensor]]) -> OrderedDict:
    channels = next(tensor.shape[0] for rest, tensor in entries if tensor.dim() > 0)
    split = OrderedDict()
    for index in range(channels):
        for rest, tensor in entries:
            if tensor.dim() == 0:
                split[f"{prefix}.{index}.{rest}"] = tensor.clone()
            else:
                split[f"{prefix}.{index}.{rest}"] = tensor[index : index + 1].clone()
    return split
