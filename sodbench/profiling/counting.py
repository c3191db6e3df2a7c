"""Parameters, MACs and FLOPs of a model, counted per operator and per module.

The primary counter is PyTorch's ``torch.utils.flop_counter.FlopCounterMode`` (maintained,
dispatch-level, so functional calls such as ``F.interpolate`` are seen), extended with
per-element formulas for the element-wise operators that it counts as zero, and with a record
of every operator that still counts zero so that nothing is dropped silently. Conventions, and
why every published tool gives a different total, are in ``docs/profile.md``; the per-operator
rules of fvcore, thop and the 2020 thop release that MINet's paper used are in its table "How
the usual tools count, operator by operator".
"""

from __future__ import annotations

import math
from collections import Counter

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, flop_registry

aten = torch.ops.aten

#: FLOPs per output element of the element-wise operators (fvcore's 4 for bilinear upsampling).
ELEMENTWISE_FLOPS = {
    aten._native_batch_norm_legit_no_training: 2,
    aten.relu: 1,
    aten.relu_: 1,
    aten.add: 1,
    aten.add_: 1,
    aten.sub: 1,
    aten.mul: 1,
    aten.div: 1,
    aten.sigmoid: 1,
    aten.sigmoid_: 1,
    aten.tanh: 1,
    aten.upsample_bilinear2d: 4,
}

_CONV = {aten.convolution, aten._convolution}
_BATCH_NORM = aten._native_batch_norm_legit_no_training

#: Operators that only move or allocate memory: listed as counted-zero, marked "memory".
MEMORY_OPS = frozenset(
    f"aten.{name}"
    for name in (
        "view _unsafe_view reshape as_strided cat stack split split_with_sizes chunk unbind "
        "squeeze unsqueeze permute transpose t expand slice select clone contiguous detach "
        "alias empty empty_like zeros zeros_like ones ones_like full new_empty new_zeros "
        "_to_copy copy_ arange lift_fresh index _unsafe_index flatten"
    ).split()
)


def _first_numel(value) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)) and value:
        return _first_numel(value[0])
    return 0


def _per_element(cost: int):
    def formula(*args, out_shape=None, **kwargs) -> int:
        # Multi-output ops (batch norm) give a tuple of shapes; the first is the result.
        if out_shape and isinstance(out_shape[0], (tuple, list)):
            out_shape = out_shape[0]
        return cost * math.prod(out_shape)

    return formula


def _custom_mapping() -> dict:
    mapping = {}
    for packet, cost in ELEMENTWISE_FLOPS.items():
        formula = _per_element(cost)
        mapping[packet] = formula
        # FlopCounterMode looks the *overload* up before deciding to decompose an op, so a
        # composite op (upsample_bilinear2d.vec) registered only by packet would be split into
        # mul/add arithmetic and counted under those names.
        for overload in packet.overloads():
            mapping[getattr(packet, overload)] = formula
    return mapping


class _RecordingCounter(FlopCounterMode):
    """FlopCounterMode that also records calls, output sizes and conv bias per operator.

    ``_count_flops`` is the single place where FlopCounterMode sees every executed operator
    (after decomposition), so it is extended here rather than stacking a second dispatch mode.
    """

    def __init__(self):
        super().__init__(display=False, custom_mapping=_custom_mapping())
        self.calls = Counter()
        self.elements = Counter()
        self.bias_elements = 0
        self.largest_output = 0

    def _count_flops(self, func_packet, out, args, kwargs):
        name = str(func_packet)
        numel = _first_numel(out)
        self.largest_output = max(self.largest_output, numel)
        self.calls[name] += 1
        self.elements[name] += numel
        if func_packet in _CONV and args[2] is not None:
            self.bias_elements += numel
        return super()._count_flops(func_packet, out, args, kwargs)


def _module_hook_macs(model: nn.Module):
    """Forward hooks counting conv/linear MACs from module attributes (a cross-check)."""
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Linear):
            total[0] += output.numel() * module.in_features
        else:
            per_output = module.in_channels // module.groups * math.prod(module.kernel_size)
            total[0] += output.numel() * per_output

    kinds = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    return total, handles


def count_parameters(model: nn.Module) -> dict:
    """Total and trainable parameters (shared tensors once) and buffer elements."""
    params = list(model.parameters())
    return {
        "total": sum(p.numel() for p in params),
        "trainable": sum(p.numel() for p in params if p.requires_grad),
        "buffers": sum(b.numel() for b in model.buffers()),
    }


def _split_flops(counts: dict) -> tuple[int, int]:
    core = sum(v for k, v in counts.items() if k in flop_registry)
    return core, sum(counts.values()) - core


def _by_module(model: nn.Module, root: str, flop_counts: dict) -> dict:
    rows = {}
    for child_name, child in model.named_children():
        core, elementwise = _split_flops(flop_counts.get(f"{root}.{child_name}", {}))
        rows[child_name] = {
            "params": sum(p.numel() for p in child.parameters()),
            "macs": core // 2,
            "flops": core,
            "flops_with_elementwise": core + elementwise,
        }
    core, elementwise = _split_flops(flop_counts.get(root, {}))
    rest = {
        "params": sum(p.numel() for p in model.parameters(recurse=False)),
        "macs": core // 2 - sum(r["macs"] for r in rows.values()),
        "flops": core - sum(r["flops"] for r in rows.values()),
        "flops_with_elementwise": core + elementwise
        - sum(r["flops_with_elementwise"] for r in rows.values()),
    }
    if any(rest.values()):
        rows["(own forward)"] = rest
    return rows


def _by_operator(counter: _RecordingCounter) -> tuple[dict, list]:
    flops = {str(k): v for k, v in counter.flop_counts.get("Global", {}).items()}
    counted, uncounted = {}, []
    for name, calls in sorted(counter.calls.items()):
        value = flops.get(name, 0)
        row = {"calls": calls, "output_elements": counter.elements[name], "flops": value}
        if value:
            counted[name] = row
        else:
            kind = "memory" if name in MEMORY_OPS else "compute, not counted"
            uncounted.append({"op": name, "kind": kind, **row})
    return counted, uncounted


def count_complexity(model: nn.Module, example: torch.Tensor) -> dict:
    """Count MACs, FLOPs and their breakdowns for one forward pass of ``model(example)``.

    Parameters
    ----------
    model : nn.Module
        Counted as it is (call ``eval()`` first for inference counts); hooks are removed and
        nothing is left on it.
    example : torch.Tensor
        The input; counts are for this batch (the caller passes batch 1 for per-image figures).

    Returns
    -------
    dict
        ``macs``, ``flops`` (2 x MACs), ``flops_with_elementwise``, ``paper_compatible_macs``,
        ``module_hook_macs``, ``bias_elements``, ``batch_norm_elements``,
        ``bilinear_output_elements``, ``batch_norm_affine``, ``largest_output_elements`` (of
        one operator: a lower bound of the memory a forward needs) and the breakdowns
        ``by_operator``, ``by_module`` and ``uncounted_ops``.
    """
    counter = _RecordingCounter()
    hook_total, handles = _module_hook_macs(model)
    try:
        with torch.inference_mode(), counter:
            model(example)
    finally:
        for handle in handles:
            handle.remove()
    flop_counts = {k: dict(v) for k, v in counter.flop_counts.items()}
    core, elementwise = _split_flops(flop_counts.get("Global", {}))
    batch_norm = counter.elements[str(_BATCH_NORM)]
    by_operator, uncounted = _by_operator(counter)
    return {
        "macs": core // 2,
        "flops": core,
        "flops_with_elementwise": core + elementwise,
        "paper_compatible_macs": core // 2 + counter.bias_elements + 2 * batch_norm,
        "module_hook_macs": hook_total[0],
        "bias_elements": counter.bias_elements,
        "batch_norm_elements": batch_norm,
        "bilinear_output_elements": counter.elements[str(aten.upsample_bilinear2d)],
        "largest_output_elements": counter.largest_output,
        "batch_norm_affine": all(
            m.affine for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
        ),
        "by_operator": by_operator,
        "by_module": _by_module(model, type(model).__name__, flop_counts),
        "uncounted_ops": uncounted,
    }
