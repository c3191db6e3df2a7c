"""Models by name (timm's ``create_model``), weights files in any layout, and the demo weights.

The registry :data:`MODELS` maps a name to its class. :func:`create_model` builds one and loads
weights into it: the weights the package ships (``pretrained=True``, timm's word) or a file
(``weights=``, timm's ``checkpoint_path``) in the project's layout, the authors' layout (adapted
by :func:`minet_ref.model.checkpoint_filter_fn`) or a :mod:`minet_ref.train` checkpoint.

The shipped weights are the project's **demo weights**: MINet trained briefly on the synthetic
sample, NOT on real data. ``scripts/make_demo_weights.py`` re-creates them (docs/minet.md,
"Demo weights"); the file carries its recipe and scores under ``"metadata"``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple

import torch

from minet_ref.model import MINet, checkpoint_filter_fn, is_official_layout
from sodbench.errors import SodbenchError

__all__ = ["DEMO_WEIGHTS", "MODELS", "WeightsFile", "create_model", "demo_metadata",
           "load_demo_weights", "load_weights", "load_weights_file", "resolve_weights"]

MODELS = {"minet": MINet}
"""The registry: model name -> model class."""

DEMO_WEIGHTS = Path(__file__).resolve().parent / "weights" / "minet_demo.pth"
"""The bundled demo weights (package data)."""


class WeightsFile(NamedTuple):
    """What :func:`load_weights_file` read."""

    state_dict: OrderedDict
    converted: bool
    """True when the file was in the authors' layout."""
    input_size: int | None
    """Side the weights were trained at, when the file records it (demo weights, train runs)."""


def resolve_weights(weights: str | os.PathLike) -> Path:
    """The file ``weights`` names: :data:`DEMO_WEIGHTS` for ``"demo"``, else the path itself.

    >>> resolve_weights("demo") == DEMO_WEIGHTS
    True
    """
    if str(weights) != "demo":
        return Path(weights)
    if not DEMO_WEIGHTS.is_file():
        raise SodbenchError(
            f"demo weights {DEMO_WEIGHTS} are missing; reinstall sodbench or re-create them "
            "(docs/minet.md, 'Demo weights')"
        )
    return DEMO_WEIGHTS


def load_weights_file(path: str | os.PathLike) -> WeightsFile:
    """Read MINet weights from ``path`` in any supported layout, on the CPU.

    Accepts a plain state dict (the project's or the authors' layout) or a dict holding one
    under ``"state_dict"`` (demo weights with ``"metadata"``, :mod:`minet_ref.train`
    checkpoints with ``"config"``).

    Raises
    ------
    sodbench.errors.SodbenchError
        One line naming the file when it is missing, unreadable or not MINet weights.

    Examples
    --------
    >>> weights = load_weights_file(DEMO_WEIGHTS)
    >>> len(weights.state_dict), weights.converted, weights.input_size
    (760, False, 128)
    """
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
    state_dict = checkpoint_filter_fn(loaded)
    _check_keys(path, state_dict)
    return WeightsFile(state_dict, converted, input_size)


def _check_keys(path: Path, state_dict) -> None:
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


def load_weights(model: MINet, weights: WeightsFile) -> MINet:
    """Load a :class:`WeightsFile` into ``model``; eval mode, input size set."""
    model.load_state_dict(weights.state_dict)
    if weights.input_size:
        model.pretrained_cfg["input_size"] = (3, int(weights.input_size), int(weights.input_size))
    return model.eval()


def create_model(
    name: str = "minet",
    pretrained: bool = False,
    *,
    weights: str | os.PathLike | None = None,
    device: str = "cpu",
) -> MINet:
    """Build a registered model, timm style, optionally loading weights (then in eval mode).

    Parameters
    ----------
    name : str
        Model name; only ``"minet"`` is registered (:data:`MODELS`).
    pretrained : bool
        Load the weights the package ships, the demo weights (:data:`DEMO_WEIGHTS`). The
        authors' checkpoint has no licence and is not shipped: give its path as ``weights``.
    weights : path or "demo", optional
        A weights file read by :func:`load_weights_file`; ``"demo"`` names the demo weights
        (the value ``--weights demo`` passes).
    device : str
        Torch device for the model.

    Returns
    -------
    MINet
        Xavier-initialised and in train mode without weights; in eval mode with them, its
        ``pretrained_cfg["input_size"]`` the size the weights record.

    Raises
    ------
    sodbench.errors.SodbenchError
        For an unknown ``name``, both ``pretrained`` and ``weights``, or a weights file that
        :func:`load_weights_file` refuses.

    Examples
    --------
    >>> model = create_model("minet", pretrained=True)
    >>> model.training, model.pretrained_cfg["input_size"]
    (False, (3, 128, 128))
    >>> create_model("resnet")
    Traceback (most recent call last):
    ...
    sodbench.errors.SodbenchError: unknown model 'resnet'; available: minet
    """
    if name not in MODELS:
        raise SodbenchError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}")
    if pretrained and weights is not None:
        raise SodbenchError(f"pretrained=True and weights={str(weights)!r}: give one of them")
    model = MODELS[name]()
    if pretrained or weights is not None:
        load_weights(model, load_weights_file(resolve_weights("demo" if pretrained else weights)))
    return model.to(device)


def load_demo_weights(device: str = "cpu") -> MINet:
    """Return :class:`minet_ref.MINet` with the shipped demo weights, in eval mode.

    The weights were trained for a few minutes on :func:`sodbench.demo.sample.generate`'s
    synthetic images: they give sensible maps on that sample and are not a model of real
    defects. The same as ``create_model("minet", pretrained=True, device=device)``.
    """
    return create_model("minet", pretrained=True, device=device)


def demo_metadata() -> dict:
    """The metadata dict stored with the demo weights (recipe, seeds, epochs, scores).

    >>> demo_metadata()["input_size"]
    128
    """
    stored = torch.load(resolve_weights("demo"), map_location="cpu", weights_only=True)
    return stored["metadata"]
