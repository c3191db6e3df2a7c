"""The authors' checkpoint layout <-> the project's (like timm's ``checkpoint_filter_fn``).

The authors' MI module (Kunye-Shen/MINet, ``model/basic.py``) stores its per-channel fusion as
``c`` modules ``P.Pconv.{j}.conv.{0,1}.*`` with tensors of length 1; the project's
:class:`minet_ref.layers.MIModule` stores one grouped conv ``P.Pconv.conv.{0,1}.*`` of length c.
Every other key is the same in both layouts. The rules (``profiling.md`` section 4.3):
concatenate the ``c`` slices on dimension 0 in ``j`` order; keep one ``num_batches_tracked``
(all ``c`` copies must be equal); strip a DataParallel ``module.`` prefix first. The inverse
splits and replicates, and the round trip is bit-identical.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import torch

_OFFICIAL_PCONV = re.compile(r"^(?P<prefix>.+\.Pconv)\.(?P<index>\d+)\.(?P<rest>conv\..+)$")
_PROJECT_PCONV = re.compile(r"^(?P<prefix>.+\.Pconv)\.(?P<rest>conv\.\d\..+)$")
_SCALAR_BUFFER = "num_batches_tracked"


def is_official_layout(state_dict) -> bool:
    """True when ``state_dict`` has the authors' per-channel ``Pconv.{j}`` keys."""
    return any(_OFFICIAL_PCONV.match(_strip_module(key)) for key in state_dict)


def _strip_module(key: str) -> str:
    return key[len("module."):] if key.startswith("module.") else key


def convert_official_checkpoint(state_dict) -> OrderedDict:
    """Map a state dict of the authors' MINet to :class:`minet_ref.MINet`'s layout.

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
    """Inverse of :func:`convert_official_checkpoint`: the project's layout -> the authors'.

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


class WeightsFile(NamedTuple):
    """What :func:`load_weights_file` read."""

    state_dict: OrderedDict
    converted: bool
    """True when the file was in the authors' layout."""
    input_size: int | None
    """Side the weights were trained at, when the file records it (demo weights, train runs)."""


def load_weights_file(path: str | Path) -> WeightsFile:
    """Read MINet weights from ``path`` in any supported layout, on the CPU.

    Accepts a plain state dict (the project's or the authors' layout) or a dict holding one
    under ``"state_dict"`` (demo weights with ``"metadata"``, :mod:`minet_ref.train`
    checkpoints with ``"config"``).

    Raises
    ------
    sodbench.errors.SodbenchError
        One line naming the file when it is missing, unreadable or not MINet weights.
    """
    from sodbench.errors import SodbenchError

    path = Path(path)
    if not path.is_file():
        raise SodbenchError(f"weights file {path} not found; give a .pth state dict or 'demo'")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SodbenchError(
            f"weights file {path} is not a readable torch file ({reason})"
        ) from None
    input_size = None
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):
        input_size = (loaded.get("metadata") or {}).get("input_size") or (
            loaded.get("config") or {}
        ).get("size")
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not all(
        isinstance(value, torch.Tensor) for value in loaded.values()
    ):
        raise SodbenchError(f"weights file {path} does not hold a state dict of tensors")
    converted = is_official_layout(loaded)
    state_dict = convert_official_checkpoint(loaded)
    _check_keys(path, state_dict)
    return WeightsFile(state_dict, converted, input_size)


def _check_keys(path: Path, state_dict) -> None:
    from minet_ref.model import MINet
    from sodbench.errors import SodbenchError

    expected = MINet().state_dict()
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    if missing or unexpected:
        example = (missing or unexpected)[0]
        raise SodbenchError(
            f"weights file {path} is not MINet weights: {len(missing)} missing and "
            f"{len(unexpected)} unexpected keys (e.g. {example!r})"
        )
    for key, tensor in expected.items():
        if state_dict[key].shape != tensor.shape:
            raise SodbenchError(
                f"weights file {path} is not MINet weights: {key} has shape "
                f"{tuple(state_dict[key].shape)}, expected {tuple(tensor.shape)}"
            )
