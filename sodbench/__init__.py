"""sodbench: exact, fast evaluation and benchmarking for salient object detection.

The top-level names are imported lazily so that ``import sodbench`` stays cheap and never
imports torch: ``sodbench.Evaluator`` (metrics), ``sodbench.evaluate`` (folders),
``sodbench.profile`` (models, needs the ``torch`` extra).
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0.dev0"

_LAZY = {
    "Evaluator": "sodbench.evaluator",
    "evaluate": "sodbench.folders.evaluation",
    "profile": "sodbench.profiling",
    "SodbenchError": "sodbench.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sodbench' has no attribute {name!r}")
