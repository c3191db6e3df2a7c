"""Model profiling: parameters, MACs/FLOPs and speed under a stated protocol (needs torch).

``sodbench.profile(model, input_shape=...)`` returns the record described in
:mod:`sodbench.profiling.record`; :mod:`sodbench.profiling.backends` runs a model through
TorchScript or ONNX Runtime with an equivalence check. See ``docs/profile.md``.
"""

from __future__ import annotations

from sodbench.errors import SodbenchError

try:
    import torch  # noqa: F401
except ImportError as error:
    raise SodbenchError(
        "profiling needs PyTorch, which is not installed: pip install sodbench[torch]"
    ) from error

from sodbench.profiling.profiler import profile  # noqa: E402
from sodbench.profiling.record import dump_profile, load_profile  # noqa: E402

__all__ = ["profile", "dump_profile", "load_profile"]
