"""The results entry of one (dataset, method), and the provenance of a results document.

The layout of both is that of :mod:`sodbench.folders.results`, which stamps the document.
Curves are stored in the entry when they have one point per threshold of ``THRESHOLDS``
(256); the MSIoU curve (257 points, PySODMetrics' thresholds 0..256) is not: its keys
(``maxMSIoU``, ``meanMSIoU``) are.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np
from PIL import __version__ as pillow_version

from sodbench import __version__
from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator
from sodbench.folders.images import RESIZE_POLICY
from sodbench.folders.pairing import Pairing, prediction_folder
from sodbench.folders.reading import Note, NoteKind, count, describe
from sodbench.folders.scoring import Scored, new_evaluator
from sodbench.folders.tasks import Options, Task
from sodbench.metrics.extras import reads_images

if TYPE_CHECKING:  # pandas takes 0.4 s to import: only where a table is made
    import pandas as pd

__all__ = ["THRESHOLDS", "EntryResult", "entry", "finish", "provenance"]

THRESHOLDS = list(range(256))


@dataclass
class EntryResult:
    """The results entry of one (dataset, method) and its per-image table."""

    entry: dict
    table: pd.DataFrame | Evaluator
    """The per-image table, or the Evaluator it is made from when first read (pandas takes
    0.4 s to import, and a run that writes no table and keeps no cache needs none)."""
    from_cache: bool = False
    resumed_chunks: int = 0
    """Chunks of this entry taken from an interrupted run's cache instead of recomputed."""
    execution: dict | None = None
    """Where this run scored it: ``{"scheduler", "workers"}`` (None: from the cache)."""

    @property
    def per_image(self) -> pd.DataFrame:
        """One row per scored pair: ``name``, then the per-image scores."""
        if isinstance(self.table, Evaluator):
            self.table = self.table.per_image()
        return self.table


def entry(task: Task, pairing: Pairing, evaluator: Evaluator, notes: list[Note],
          options: Options) -> dict:
    """The results entry of a finished (dataset, method): metrics, curves, counts, notes."""
    images_used = task.images_dir is not None and reads_images(options.keys)
    skipped = count(notes, NoteKind.UNREADABLE, NoteKind.GT_UNREADABLE, NoteKind.IMAGE_UNREADABLE)
    # under skip_empty_gt an empty GT is not part of the dataset: out of n_gt and coverage
    empty = count(notes, NoteKind.GT_EMPTY_SKIPPED)
    n_evaluated = len(pairing.pairs) - skipped - empty
    n_gt = pairing.n_gt - empty
    subsets, empty_subsets = _subsets(evaluator)
    return {
        "dataset": task.dataset,
        "method": task.method,
        "conventions": options.conventions,
        "counts": {
            "n_evaluated": n_evaluated,
            "n_gt": n_gt,
            "n_resized": count(notes, NoteKind.RESIZED),
            "coverage": n_evaluated / n_gt,
            "n_missing": len(pairing.missing) + len(pairing.no_image),
            "n_duplicate": len(pairing.duplicates),
            "n_unreadable": skipped,
            "n_extra": len(pairing.extra),
            "n_empty_skipped": empty,
            "images_sha256": _digest(evaluator.names),
        },
        **_scores(evaluator.compute()),
        **({"subsets": subsets} if evaluator.subsets is not None else {}),
        "notes": pairing.notes() + describe(notes) + empty_subsets,
        "paths": {"gt": str(task.gt_dir), "pred": str(task.pred_dir),
                  **({"images": str(task.images_dir)} if images_used else {})},
    }


def _digest(names) -> str:
    """Which images were scored, not only how many: `check` and `table` refuse to compare
    entries scored on different image sets. Sorted, so chunk order and resumes do not
    matter."""
    scored = sorted(str(name) for name in names)
    return hashlib.sha256("\n".join(scored).encode("utf-8")).hexdigest()


def _scores(results: dict) -> dict:
    """``Evaluator.compute()`` output as an entry's ``metrics`` and ``curves``."""
    curves = results.pop("curves")
    return {"metrics": {key: float(value) for key, value in results.items()},
            "curves": {"threshold": THRESHOLDS,
                       **{k: np.asarray(v) for k, v in curves.items()
                          if len(v) == len(THRESHOLDS)}}}


def _subsets(evaluator: Evaluator) -> tuple[dict, list[str]]:
    """Each subset's block (counts, metrics, curves) and a note per subset with no image."""
    blocks, notes = {}, []
    per_subset = evaluator.subset_members()
    for subset, names in per_subset.items():
        if not names:
            notes.append(f"subset {subset} holds no scored image: not in the results")
            continue
        blocks[subset] = {"counts": {"n_evaluated": len(names), "images_sha256": _digest(names)},
                          **_scores(evaluator.compute(subset=subset))}
    return blocks, notes


def finish(task: Task, pairing: Pairing, chunks: Iterable[Scored],
           options: Options) -> EntryResult:
    """Merge a method's scored chunks, in the order given (chunk order), into its entry.

    Raises
    ------
    SodbenchError
        When no pair could be scored (every prediction or GT map unreadable and skipped).
    """
    evaluator, notes = new_evaluator(options), []
    for scored in chunks:
        evaluator.merge(scored.evaluator)
        notes += scored.notes
    if evaluator.n_images == 0:
        empty = count(notes, NoteKind.GT_EMPTY_SKIPPED)
        why = f" ({empty} empty GT masks were left out by skip_empty_gt=True)" if empty else ""
        raise SodbenchError(f"{prediction_folder(task.method, task.pred_dir)}: no pair of a "
                            f"readable prediction and a readable GT map{why}")
    return EntryResult(entry(task, pairing, evaluator, notes, options), evaluator)


def provenance(options: Options) -> dict:
    """Who computed the numbers, how and when (the ``provenance`` block of a results file)."""
    return {
        "sodbench_version": __version__,
        "conventions": options.conventions,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": options.record(),
        "resize_policy": RESIZE_POLICY,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pillow": pillow_version,
        "platform": platform.platform(),
    }
