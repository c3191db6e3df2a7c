"""The results file: what ``sodbench eval`` writes and ``table``/``plot``/``check`` read.

One JSON document (``"format": "sodbench.results"``, ``"schema": 1``)::

    {
      "format": "sodbench.results", "schema": 1,
      "provenance": {"sodbench_version": ..., "conventions": ..., "created": ISO-8601,
                     "options": {...}, "resize_policy": ..., "python": ..., "numpy": ...,
                     "execution": {"scheduler": "processes", "workers": 2}},
      "entries": [
        {"dataset": "SD-Saliency-900", "method": "MCITF",
         "conventions": "pysodmetrics",
         "counts": {"n_evaluated": 900, "n_gt": 900, "n_resized": 0, "coverage": 1.0,
                    "images_sha256": ...},  # SHA-256 of the sorted scored names, "\\n"-joined
         "metrics": {"MAE": 0.01, "Sm": 0.9, ...},        # canonical scalar keys, full precision
         "curves": {"threshold": [0, ..., 255],            # ascending threshold order
                    "precision": [...], "recall": [...], "F": [...], "E": [...], "IoU": [...],
                    "Dice": [...], "FPR": [...]},  # and Spec, BER, OA, Kappa if chosen
         "subsets": {"In": {"counts": {"n_evaluated": 300, "images_sha256": ...},
                            "metrics": {...}, "curves": {...}}, ...},  # with eval --subset
         "notes": ["..."]}
      ]
    }

Values are stored with full float64 precision (JSON floats round-trip exactly); rounding
happens only when a table is rendered. NaN is written as ``null``. Each key's value must lie
in its range (:attr:`sodbench.metrics.keys.Key.bounds`), each curve's in the range of the
keys read from it; every curve has one value per threshold, 0..255 (the
257-point MSIoU curve is not stored, :mod:`sodbench.folders.entries`).

sodbench 0.1.0 named the metric conventions ``"profile"`` (in the provenance and in each
entry); :func:`load_results` reads such files and returns them with ``"conventions"``, so
every reader sees one word.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from sodbench.errors import SodbenchError
from sodbench.folders.inputs import open_input
from sodbench.folders.outputs import atomic_write
from sodbench.metrics.keys import KEYS, range_text

__all__ = ["FORMAT", "SCHEMA", "dump_results", "load_results", "stamp"]

FORMAT = "sodbench.results"
SCHEMA = 1
# the 0.1.0 name of "conventions" in provenance and entries, still read
_OLD_WORD = "profile"
_WRITE_IT = "write the file with dump_results (as `sodbench eval` does)"


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


def stamp(document: dict) -> dict:
    """``document`` (provenance, entries) with the format and schema of a results file first.

    The one place that stamps them: :func:`dump_results` and ``sodbench.evaluate`` both use it.

    >>> stamp({"entries": []})
    {'format': 'sodbench.results', 'schema': 1, 'entries': []}
    """
    for key, value in (("format", FORMAT), ("schema", SCHEMA)):
        if document.get(key, value) != value:
            raise SodbenchError(f"a document of {key} {document[key]!r} is not a results "
                                f"document ({key} {value!r})")
    return {"format": FORMAT, "schema": SCHEMA, **document}


def dump_results(document: dict, path: str | os.PathLike) -> None:
    """Write a results document atomically (see the module docstring for the layout).

    Parameters
    ----------
    document : dict
        ``{"provenance", "entries"}``, stamped or not (see :func:`stamp`).
    path : path-like
        The JSON file to write; NaN is written as ``null``.
    """
    text = json.dumps(_nan_to_none(stamp(document)), indent=1, allow_nan=False)
    atomic_write(path, text + "\n")


def load_results(path: str | os.PathLike) -> dict:
    """Read and validate a results file; a bad file raises a one-line :class:`SodbenchError`.

    Parameters
    ----------
    path : path-like
        A file written by :func:`dump_results` (by this version or by 0.1.0).

    Returns
    -------
    dict
        The document, with the metric conventions under ``"conventions"`` in the provenance
        and in every entry that names them (0.1.0 files say ``"profile"``).
    """
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        raise SodbenchError(f"{path}: no such results file ({_WRITE_IT})")
    try:
        with open_input(path) as handle:
            document = json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise SodbenchError(f"{path}: not valid JSON ({type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else ''})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise SodbenchError(
            f"{path}: not a sodbench results file (expected \"format\": \"{FORMAT}\"; "
            f"{_WRITE_IT})"
        )
    if document.get("schema") != SCHEMA:
        raise SodbenchError(
            f"{path}: results schema {document.get('schema')!r} is not supported "
            f"(this sodbench reads schema {SCHEMA})"
        )
    if not isinstance(document.get("provenance", {}), dict):
        raise SodbenchError(f"{path}: \"provenance\" must be an object; {_WRITE_IT}")
    problem = _conventions_problem(document.get("provenance", {}))
    if problem:
        raise SodbenchError(f"{path}: \"provenance\" {problem}; {_WRITE_IT}")
    entries = document.get("entries")
    if not isinstance(entries, list):
        raise SodbenchError(f"{path}: \"entries\" must be a list of (dataset, method) results")
    for index, entry in enumerate(entries):
        problem = _entry_problem(entry)
        if problem:
            raise SodbenchError(f"{path}: entry {index} {problem}; {_WRITE_IT}")
    if "provenance" in document:
        document["provenance"] = _new_word(document["provenance"])
    document["entries"] = [_new_word(entry) for entry in entries]
    return document


def _new_word(record: dict) -> dict:
    """``record`` with its 0.1.0 key "profile" named "conventions", in the same place."""
    return {("conventions" if key == _OLD_WORD else key): value for key, value in record.items()}


def _conventions_problem(record: dict) -> str | None:
    """Why the conventions named by a provenance block or an entry cannot be read, or None."""
    for key in ("conventions", _OLD_WORD):
        if key in record and not isinstance(record[key], str):
            return f"has a \"{key}\" that is not a string"
    if {"conventions", _OLD_WORD} <= record.keys() and record["conventions"] != record[_OLD_WORD]:
        return (f"names the conventions twice, differently (\"conventions\" "
                f"{record['conventions']!r}, \"{_OLD_WORD}\" {record[_OLD_WORD]!r})")
    return None


def _entry_problem(entry) -> str | None:
    """What makes one results entry unusable, or None."""
    if not isinstance(entry, dict):
        return "is not an object"
    missing = [key for key in ("dataset", "method", "metrics") if key not in entry]
    if missing:
        return f"lacks {', '.join(missing)}"
    if not all(isinstance(entry[key], str) for key in ("dataset", "method")):
        return "has a dataset or method that is not a string"
    if not all(entry[key].strip() for key in ("dataset", "method")):
        return "has an empty dataset or method name"
    if "provenance" in entry and not isinstance(entry["provenance"], dict):
        return "has \"provenance\" that is not an object"
    if "notes" in entry and not (isinstance(entry["notes"], list)
                                 and all(isinstance(note, str) for note in entry["notes"])):
        return "has \"notes\" that are not a list of strings"
    return (_scores_problem(entry) or _conventions_problem(entry)
            or _subsets_problem(entry.get("subsets", {})))


def _scores_problem(block: dict) -> str | None:
    """What makes the metrics, counts and curves of an entry (or of a subset) unusable."""
    metrics = block["metrics"]
    if not isinstance(metrics, dict) or not all(_is_number(value) or _is_missing(value)
                                                for value in metrics.values()):
        return "has \"metrics\" that are not numbers by key (or null)"
    for key, value in metrics.items():
        # every canonical metric has its range: 1e308 or a percentage would rank silently
        if key in KEYS and _is_number(value) and not _in_range(key, value):
            return f"has {key} = {value!r}, outside {_range_text(key)}"
    for key in ("counts", "curves"):
        if key in block and not isinstance(block[key], dict):
            return f"has \"{key}\" that is not an object"
    return _counts_problem(block.get("counts") or {}) or _curves_problem(block.get("curves") or {})


def _subsets_problem(subsets) -> str | None:
    """Subsets are an object of name -> {counts, metrics, curves}, as an entry's."""
    if not isinstance(subsets, dict):
        return "has \"subsets\" that is not an object of subset name -> scores"
    for name, block in subsets.items():
        if not name.strip() or not isinstance(block, dict) or "metrics" not in block:
            return f"has a subset {name!r} that is not an object with \"metrics\""
        problem = _scores_problem(block)
        if problem:
            return f"subset {name!r} {problem}"
    return None


def _bounds(key: str) -> tuple[float, float]:
    """The range of a metric key (:attr:`sodbench.metrics.keys.Key.bounds`: most in [0, 1],
    the E-measure up to 2, Kappa at most 1, HCE at least 0) or of a curve (that of the keys
    read from it; [0, 1] for a curve no key reads).

    >>> _bounds("MAE"), _bounds("maxE"), _bounds("E"), _bounds("HCE")
    ((0.0, 1.0), (0.0, 2.0), (0.0, 2.0), (0.0, inf))
    """
    if key in KEYS:
        return KEYS[key].bounds
    ranges = [k.bounds for k in KEYS.values() if k.curve == key] or [(0.0, 1.0)]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _range_text(key: str) -> str:
    return range_text(_bounds(key))


def _in_range(key: str, value: float) -> bool:
    lower, upper = _bounds(key)
    return lower <= value <= upper


def _is_missing(value) -> bool:
    """null, or a NaN written by a JSON library that allows it: a missing value."""
    return value is None or isinstance(value, float) and math.isnan(value)


def _is_number(value) -> bool:
    """A finite JSON number (not a boolean, not an integer beyond float range)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer beyond float range
        return False


def _counts_problem(counts: dict) -> str | None:
    for key, value in counts.items():
        if key == "images_sha256":
            if not isinstance(value, str):
                return "has a \"counts.images_sha256\" that is not a string"
        elif value is not None and not _is_number(value):
            return f"has \"counts.{key}\" = {value!r}, not a finite number"
    return None


def _curves_problem(curves: dict) -> str | None:
    """Curves are lists of numbers (or null) of one length; thresholds ascending 0..255."""
    lengths = set()
    for key, values in curves.items():
        if not (isinstance(values, list)
                and all(_is_missing(value) or _is_number(value) for value in values)):
            return f"has a curve \"{key}\" that is not a list of numbers"
        if key != "threshold" and not all(_is_missing(value) or _in_range(key, value)
                                          for value in values):
            return f"has a curve \"{key}\" with values outside {_range_text(key)}"
        lengths.add(len(values))
    if len(lengths) > 1:
        return ("has curves of different lengths ("
                + ", ".join(f"{key} {len(values)}" for key, values in curves.items()) + ")")
    thresholds = curves.get("threshold")
    if thresholds is not None and not (
            all(type(value) is int and 0 <= value <= 255 for value in thresholds)
            and all(a < b for a, b in zip(thresholds, thresholds[1:], strict=False))):
        return "has a \"threshold\" curve that is not ascending whole numbers in 0..255"
    return None
