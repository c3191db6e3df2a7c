"""The MINet of Shen et al. (IEEE TII 2024), faithful to the authors' checkpoint and fast.

``MINet`` (the network), its blocks in ``minet_ref.layers``, ``convert_official_checkpoint``
(the authors' checkpoint -> this layout), ``create_model`` (timm-style), ``fold_bn``
(inference speed-up) and ``load_demo_weights`` (the project's demo weights).
"""

from minet_ref.convert import convert_official_checkpoint, to_official_checkpoint
from minet_ref.demo import load_demo_weights
from minet_ref.layers import ConvBNReLU, ConvOut, DSConv, MIModule
from minet_ref.model import MINet, create_model, fold_bn

__all__ = [
    "ConvBNReLU",
    "ConvOut",
    "DSConv",
    "MIModule",
    "MINet",
    "convert_official_checkpoint",
    "create_model",
    "fold_bn",
    "load_demo_weights",
    "to_official_checkpoint",
]
