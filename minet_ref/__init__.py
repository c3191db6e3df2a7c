"""The MINet of Shen et al. (IEEE TII 2024), faithful to the authors' checkpoint and fast.

Laid out as a timm model family, each module importing only those above it in this list:

- :mod:`minet_ref.layers`: the building blocks (``ConvBNReLU``, ``DSConv``, ``MIModule``, ...);
- :mod:`minet_ref.model`: the network ``MINet``, ``fold_bn`` (inference copy),
  ``checkpoint_filter_fn`` (the authors' checkpoint -> this layout) and its inverse
  ``to_official_checkpoint``;
- ``minet_ref._builder``: the registry, ``create_model`` (timm style), weights files and the
  bundled demo weights;
- :mod:`minet_ref.loss`, :mod:`minet_ref.predict` (the authors' test pipeline) and
  :mod:`minet_ref.train` (the paper's recipe), imported on their own.

>>> import minet_ref
>>> model = minet_ref.create_model("minet")
>>> sum(parameter.numel() for parameter in model.parameters())
277477
"""

from minet_ref._builder import (
    DEMO_WEIGHTS,
    MODELS,
    WeightsFile,
    create_model,
    demo_metadata,
    load_demo_weights,
    load_weights,
    load_weights_file,
    resolve_weights,
)
from minet_ref.layers import ConvBNReLU, ConvOut, DSConv, MIModule
from minet_ref.model import (
    INPUT_SIZE,
    MINet,
    checkpoint_filter_fn,
    fold_bn,
    is_official_layout,
    to_official_checkpoint,
)

__all__ = [
    "DEMO_WEIGHTS",
    "INPUT_SIZE",
    "MODELS",
    "ConvBNReLU",
    "ConvOut",
    "DSConv",
    "MIModule",
    "MINet",
    "WeightsFile",
    "checkpoint_filter_fn",
    "create_model",
    "demo_metadata",
    "fold_bn",
    "is_official_layout",
    "load_demo_weights",
    "load_weights",
    "load_weights_file",
    "resolve_weights",
    "to_official_checkpoint",
]
