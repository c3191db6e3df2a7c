"""What an evaluation of folders is asked to do: its (dataset, method) tasks and the options
that change the numbers or the pairing.

:func:`check_tasks` refuses tasks that cannot be what was meant before any image is read.
Errors name the thing at fault (the prediction folder of a method, the dataset name), not a
command-line flag: the same tasks come from ``sodbench.evaluate``, ``--pred`` or a config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.evaluator.state import select_metrics
from sodbench.evaluator.subsets import Subsets
from sodbench.folders.inputs import name_problem
from sodbench.folders.pairing import prediction_folder
from sodbench.metrics.keys import GROUPS

__all__ = ["Options", "Task", "check_tasks", "default_dataset_name"]


@dataclass(frozen=True)
class Task:
    """One (dataset, method): a GT folder and a prediction folder (and the dataset's RGB
    images, read only when a selected metric needs them: CCM)."""

    dataset: str
    method: str
    gt_dir: Path
    pred_dir: Path
    images_dir: Path | None = None


@dataclass(frozen=True)
class Options:
    """Everything that changes the numbers or the pairing (recorded in provenance)."""

    conventions: str = "pysodmetrics"
    """Metric conventions (:data:`sodbench.metrics.conventions.CONVENTIONS`)."""
    metrics: tuple[str, ...] | None = None
    """The metric keys, in table order: keys, aliases and group names given here are
    expanded (:func:`sodbench.metrics.keys.expand`); None is the ``default`` group (and the
    terminal table then shows its usual columns)."""
    on_missing: str = "error"
    gt_prefix: str = ""
    gt_suffix: str = ""
    pred_prefix: str = ""
    pred_suffix: str = ""
    allow_emptied_gt: bool = False
    """Score GT masks that the GT threshold empties (non-zero pixels, no foreground) as empty."""
    skip_empty_gt: bool = False
    """Leave out, for every method, the images whose GT is empty after the GT threshold (the
    COD10K rule), with a note; by default they are scored and noted."""
    subsets: Subsets | None = None
    """Subsets scored besides the whole set (by image name, by GT object size)."""

    def __post_init__(self):
        # unknown names, an empty list, a non-list: one line, before any image is read
        if self.metrics is not None:
            object.__setattr__(self, "metrics", select_metrics(self.metrics))
        if self.subsets is not None and not isinstance(self.subsets, Subsets):
            raise SodbenchError(f"subsets={self.subsets!r}: pass a sodbench.evaluator.Subsets")

    @property
    def keys(self) -> tuple[str, ...]:
        """The metric keys computed (``metrics``, or the ``default`` group)."""
        return GROUPS["default"] if self.metrics is None else self.metrics

    def record(self) -> dict:
        """The options of the ``provenance`` block (the conventions are recorded beside).

        ``metrics`` is the list of keys computed. Files written before the metric groups
        record ``"all"`` for a run without a metric selection: the keys of today's
        ``default`` group, the only keys there were.
        """
        return {
            "metrics": list(self.keys),
            "on_missing": self.on_missing,
            "gt_prefix": self.gt_prefix, "gt_suffix": self.gt_suffix,
            "pred_prefix": self.pred_prefix, "pred_suffix": self.pred_suffix,
            "allow_emptied_gt": self.allow_emptied_gt,
            "skip_empty_gt": self.skip_empty_gt,
            **({} if self.subsets is None else {"subsets": self.subsets.describe()}),
        }


def check_tasks(tasks: list[Task]) -> None:
    """Refuse names that cannot be shown on one line, and tasks that cannot be what was meant.

    A prediction folder that is its GT folder would score perfectly; one prediction folder
    under two method names of one dataset would show one method's numbers twice.

    Parameters
    ----------
    tasks : list of Task
        The tasks of one run.

    Raises
    ------
    SodbenchError
        Naming the dataset name, or the prediction folder(s), at fault.
    """
    seen: dict[tuple[str, str, str], Task] = {}
    for task in tasks:
        for what, name in (("dataset", task.dataset), ("method", task.method)):
            problem = name_problem(name)
            if problem is not None:
                fix = " (dataset=NAME)" if what == "dataset" else ""
                raise SodbenchError(f"the {what} name {problem}{fix}")
        folder = prediction_folder(task.method, task.pred_dir)
        # realpath, unlike Path.resolve on Python < 3.13, does not raise on a symlink loop
        folders = (os.path.realpath(task.gt_dir), os.path.realpath(task.pred_dir))
        if folders[0] == folders[1]:
            raise SodbenchError(f"{folder} is its GT folder ({task.gt_dir}), so the GT "
                                "would be scored against itself; give the method's own "
                                "prediction folder")
        same = (task.dataset, *folders)
        if same in seen:
            first = seen[same]
            raise SodbenchError(f"{folder} is {prediction_folder(first.method, first.pred_dir)}"
                                f" in dataset {task.dataset}, so one method's numbers would be "
                                "shown twice; give each method its own folder")
        seen[same] = task


def default_dataset_name(gt_dir: str | os.PathLike) -> str:
    """``data/SD-900/GT`` -> ``SD-900``; a GT folder with a distinctive name keeps it.

    >>> default_dataset_name("data/SD-900/GT"), default_dataset_name("data/ECSSD")
    ('SD-900', 'ECSSD')
    """
    resolved = Path(os.path.realpath(gt_dir))  # never raises on a symlink loop, unlike resolve()
    generic = {"gt", "gts", "mask", "masks", "ground_truth", "groundtruth", "ground truth"}
    return resolved.parent.name if resolved.name.lower() in generic else resolved.name
