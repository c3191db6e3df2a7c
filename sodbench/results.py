"""The results file: what ``sodbench eval`` writes and ``table``/``plot``/``check`` read.

One JSON document (``"format": "sodbench.results"``, ``"schema": 1``)::

    {
      "format": "sodbench.results", "schema": 1,
      "provenance": {"sodbench_version": ..., "profile": ..., "created": ISO-8601,
                     "options": {...}, "resize_policy": ..., "python": ..., "numpy": ...},
      "entries": [
        {"dataset": "SD-Saliency-900", "method": "MCITF",
         "profile": "pysodmetrics",
         "counts": {"n_evaluated": 900, "n_gt": 900, "n_resized": 0, "coverage": 1.0,
                    "images_sha256": ...},  # SHA-256 of the sorted scored names, "\\n"-joined
         "metrics": {"MAE": 0.01, "Sm": 0.9, ...},        # canonical scalar keys, full precision
         "curves": {"threshold": [0, ..., 255],            # ascending threshold order
                    "precision": [...], "recall": [...], "F": [...], "E": [...], "IoU": [...],
                    "Dice": [...]},
         "notes": ["..."]}
      ]
    }

Values are stored with full float64 precision (JSON floats round-trip exactly); rounding
happens only when a table is rendered. NaN is written as ``null``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from sodbench.errors import SodbenchError
from sodbench.inputs import open_input
from sodbench.outputs import atomic_write

FORMAT = "sodbench.results"
SCHEMA = 1

#: Canonical scalar metric keys, in the order tables print them.
METRIC_KEYS = (
    "MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE",
    "maxIoU", "meanIoU", "adpIoU", "maxDice", "meanDice", "adpDice", "IoU", "OR", "PFOM",
)
#: Metrics where smaller is better; every other metric is larger-is-better.
LOWER_IS_BETTER = frozenset({"MAE"})


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _nan_to_none(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_nan_to_none(item) for item in value]
    if hasattr(value, "tolist"):
        return _nan_to_none(value.tolist())
    return value


def dump_results(document: dict, path: str | os.PathLike) -> None:
    """Write a results document atomically (see the module docstring for the layout)."""
    document = {"format": FORMAT, "schema": SCHEMA, **document}
    atomic_write(path, json.dumps(_nan_to_none(document), indent=1, allow_nan=False) + "\n")


def load_results(path: str | os.PathLike) -> dict:
    """Read and validate a results file; a bad file raises a one-line :class:`SodbenchError`."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise SodbenchError(f"{path}: no such results file (write one with `sodbench eval --json`)")
    try:
        with open_input(path) as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise SodbenchError(f"{path}: not valid JSON ({type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SodbenchError(
            f"{path}: not a sodbench results file (expected \"format\": \"{FORMAT}\"; "
            "write one with `sodbench eval --json`)"
        )
    if document.get("schema") != SCHEMA:
        raise SodbenchError(
            f"{path}: results schema {document.get('schema')!r} is not supported "
            f"(this sodbench reads schema {SCHEMA})"
        )
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise SodbenchError(f"{path}: \"entries\" must be a list of (dataset, method) results")
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry)
        if problem:
            raise SodbenchError(f"{path}: entry {index} {problem}; write the file with "
                                "`sodbench eval --json`")
    return document


def _entry_problem(entry) -> str | None:
    """What makes one results entry unusable, or None."""
    if not isinstance(entry, dict):
        return "is not an object"
    missing = [key for key in ("dataset", "method", "metrics") if key not in entry]
    if missing:
        return f"lacks {', '.join(missing)}"
    if not all(isinstance(entry[key], str) for key in ("dataset", "method")):
        return "has a dataset or method that is not a string"
    metrics = entry["metrics"]
    if not isinstance(metrics, dict) or not all(
            value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
            for value in metrics.values()):
        return "has \"metrics\" that are not numbers by key"
    for key in ("counts", "curves", "provenance"):
        if key in entry and not isinstance(entry[key], dict):
            return f"has \"{key}\" that is not an object"
    if "notes" in entry and not isinstance(entry["notes"], list):
        return "has \"notes\" that are not a list"
    return None
