"""Model profiling: parameters, MACs/FLOPs and speed under a stated protocol.

``sodbench.profile(model, input_shape=...)`` returns a :class:`ProfileRecord`, a dataclass
described with its JSON file in :mod:`sodbench.profiling.record`;
:mod:`sodbench.profiling.backends` runs a model through TorchScript or ONNX Runtime with an
equivalence check. See ``docs/profile.md``.

Profiling needs PyTorch (``pip install sodbench[torch]``); reading and writing records does
not, so ``sodbench table --profile-json`` works on a machine without torch.
"""

from __future__ import annotations

from sodbench.errors import SodbenchError
from sodbench.profiling.record import ProfileRecord, dump_profile, load_profile

__all__ = ["ProfileRecord", "profile", "dump_profile", "load_profile"]


def __getattr__(name: str):
    if name != "profile":
        raise AttributeError(f"module 'sodbench.profiling' has no attribute {name!r}")
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise SodbenchError(
            "profiling needs PyTorch, which is not installed: pip install sodbench[torch]"
        ) from error
    from sodbench.profiling.profiler import profile

    return profile
