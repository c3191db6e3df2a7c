"""What ``sodbench eval`` writes besides the results JSON: terminal table, CSVs, curves.

Every file is written atomically (a temporary file renamed over the target), so an
interrupted run never leaves a half-written output behind.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.folders.entries import EntryResult
from sodbench.folders.outputs import atomic_file, atomic_write
from sodbench.metrics.keys import CURVE_NAMES, KEYS, LOWER_IS_BETTER, METRIC_KEYS

if TYPE_CHECKING:  # pandas takes 0.4 s to import: only where a table is made
    import pandas as pd

__all__ = ["TABLE_WIDTH", "TERMINAL_METRICS", "per_image_frame", "terminal_table",
           "write_curves", "write_per_image"]

#: Columns of the terminal table when no metric set was chosen (the rest is in the JSON).
TERMINAL_METRICS = ("MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE",
                    "IoU", "OR", "PFOM")
#: Characters per line of the terminal table (the table of :data:`TERMINAL_METRICS` fits):
#: more keys (the ``all`` group has over a hundred) are printed as several blocks one under
#: the other, each with the row labels.
TABLE_WIDTH = 130


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return f"{value:.4f}"


def _header(key: str) -> str:
    if KEYS[key].informational:
        return key
    return key + ("↓" if key in LOWER_IS_BETTER else "↑")


def terminal_table(entries: list[dict], metrics=None) -> str:
    """Plain-text table, one row per (dataset, method), 4 decimals, coverage column.

    Every key of ``metrics`` that an entry holds is shown (without ``metrics``, those of
    :data:`TERMINAL_METRICS`), in table order, in blocks of as many columns as fit in
    :data:`TABLE_WIDTH` characters (at least one): a block is a header line, a rule and one
    line per entry, blocks are separated by a blank line, so that a long key set stays
    readable in a terminal. An informational key (``odsT``) has no arrow.
    """
    present = [k for k in METRIC_KEYS if any(k in e["metrics"] for e in entries)]
    keys = [k for k in present if (k in metrics if metrics else k in TERMINAL_METRICS)]
    labels = [["dataset", "method", "images"]] + [
        [entry["dataset"], entry["method"],
         f"{entry['counts']['n_evaluated']}/{entry['counts']['n_gt']}"] for entry in entries]
    label_widths = [max(len(str(row[i])) for row in labels) for i in range(3)]
    columns = [[_header(k)] + [_cell(entry["metrics"].get(k)) for entry in entries]
               for k in keys]
    blocks: list[list[list[str]]] = [[]]
    used = sum(label_widths) + 4
    for column in columns:
        width = 2 + max(map(len, column))
        if blocks[-1] and used + width > TABLE_WIDTH:
            blocks.append([])
            used = sum(label_widths) + 4
        blocks[-1].append(column)
        used += width
    return "\n\n".join(_block(labels, label_widths, block) for block in blocks)


def _block(labels: list[list[str]], label_widths: list[int], columns: list[list[str]]) -> str:
    """One block of the terminal table: the row labels, then ``columns`` (header first)."""
    widths = label_widths + [max(map(len, column)) for column in columns]
    rows = [label + [column[i] for column in columns] for i, label in enumerate(labels)]
    lines = ["  ".join(str(c).ljust(w) if i < 3 else str(c).rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def per_image_frame(results: list[EntryResult]) -> pd.DataFrame:
    """All per-image rows with ``dataset`` and ``method`` columns in front."""
    frames = [r.per_image.assign(dataset=r.entry["dataset"], method=r.entry["method"],
                                 coverage=r.entry["counts"]["coverage"]) for r in results]
    import pandas as pd

    frame = pd.concat(frames, ignore_index=True)
    first = ["dataset", "method", "coverage", "name"]
    return frame[first + [c for c in frame.columns if c not in first]]


def write_per_image(results: list[EntryResult], path: str | os.PathLike) -> None:
    """Per-image CSV (17 significant digits: floats round-trip exactly)."""
    buffer = io.StringIO()
    per_image_frame(results).to_csv(buffer, index=False, float_format="%.17g")
    atomic_write(path, buffer.getvalue())


def write_curves(entries: list[dict], path: str | os.PathLike) -> None:
    """Curves as long CSV (one row per dataset, method, threshold) or ``.npz``.

    ``.npz`` keys are ``threshold``, ``<dataset>/<method>/<curve>`` and
    ``<dataset>/<method>/coverage`` (n evaluated, n GT); every curve has 256 values in
    ascending threshold order (index t is threshold t/255). The CSV has a coverage column.
    The curves are those of the entries (the 256-point ones: no MSIoU curve).
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        arrays = {"threshold": np.arange(256)}
        for entry in entries:
            counts = entry["counts"]
            arrays[f"{entry['dataset']}/{entry['method']}/coverage"] = np.array(
                [counts["n_evaluated"], counts["n_gt"]])
            for name in CURVE_NAMES:
                if name in entry["curves"]:
                    arrays[f"{entry['dataset']}/{entry['method']}/{name}"] = np.asarray(
                        entry["curves"][name], dtype=np.float64)
        with atomic_file(path) as handle:
            np.savez(handle, **arrays)
        return
    if path.suffix.lower() != ".csv":
        raise SodbenchError(f"{path}: curves go to a .csv or .npz file")
    import pandas as pd

    frames = []
    for entry in entries:
        columns = {name: np.asarray(entry["curves"][name], dtype=np.float64)
                   for name in CURVE_NAMES if name in entry["curves"]}
        frames.append(pd.DataFrame({"dataset": entry["dataset"], "method": entry["method"],
                                    "coverage": entry["counts"]["coverage"],
                                    "threshold": np.arange(256), **columns}))
    buffer = io.StringIO()
    pd.concat(frames, ignore_index=True).to_csv(buffer, index=False, float_format="%.17g")
    atomic_write(path, buffer.getvalue())
