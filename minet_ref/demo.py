"""The project's demo weights: MINet trained briefly on the synthetic sample, NOT on real data.

``python -m minet_ref.make_demo`` re-creates the file (docs/minet.md, "Demo weights"); the file
carries the recipe and its validation scores under ``"metadata"``.
"""

from __future__ import annotations

from pathlib import Path

import torch

DEMO_WEIGHTS = Path(__file__).resolve().parent / "weights" / "minet_demo.pth"


def demo_metadata() -> dict:
    """The metadata dict stored with the demo weights (recipe, seeds, epochs, scores)."""
    return torch.load(DEMO_WEIGHTS, map_location="cpu", weights_only=True)["metadata"]


def load_demo_weights(device: str = "cpu"):
    """Return :class:`minet_ref.MINet` with the shipped demo weights, in eval mode.

    The weights were trained for a few minutes on :func:`sodbench.demo.sample.generate`'s synthetic
    images: they give sensible maps on that sample and are not a model of real defects.
    """
    from minet_ref.model import create_model
    from sodbench.errors import SodbenchError

    if not DEMO_WEIGHTS.is_file():
        raise SodbenchError(
            f"demo weights {DEMO_WEIGHTS} are missing; reinstall sodbench or re-create them "
            "(docs/minet.md, 'Demo weights')"
        )
    return create_model("minet", weights=DEMO_WEIGHTS, device=device)
