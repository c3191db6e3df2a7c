"""Evaluating prediction folders: pairing, reading, parallel scoring, caching, results.

``sodbench.evaluate`` is the one-call API; :func:`run` is what the command line uses (it
also returns the per-image tables). Metrics come from :class:`sodbench.Evaluator` only.

Parallelism: the pairs of every (dataset, method) are cut into chunks of
:data:`CHUNK_SIZE` consecutive pairs; a worker process reads its chunk, resizes where
needed, feeds same-size maps to an Evaluator in batches and returns the Evaluator (it is
picklable); the parent merges each method's chunks in order, so per-image rows and
every accumulated sum come in pair order (natural name order). Memory is bounded by the
chunk size times the number of workers, and because chunks do not depend on ``jobs`` the
results are bit-identical for every ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from PIL import __version__ as pillow_version
from tqdm import tqdm

from sodbench import __version__
from sodbench.cache import ResultCache, cache_key
from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator
from sodbench.io import RESIZE_POLICY, load_map, resize_to
from sodbench.pairing import Pairing, pair_folders, shorten
from sodbench.results import FORMAT, SCHEMA

CHUNK_SIZE = 32
THRESHOLDS = list(range(256))


@dataclass(frozen=True)
class Task:
    """One (dataset, method): a GT folder and a prediction folder."""

    dataset: str
    method: str
    gt_dir: Path
    pred_dir: Path


@dataclass(frozen=True)
class Options:
    """Everything that changes the numbers or the pairing (recorded in provenance)."""

    profile: str = "pysodmetrics"
    metrics: tuple[str, ...] | None = None
    on_missing: str = "error"
    gt_prefix: str = ""
    gt_suffix: str = ""
    pred_prefix: str = ""
    pred_suffix: str = ""

    def record(self) -> dict:
        return {
            "metrics": list(self.metrics) if self.metrics else "all",
            "on_missing": self.on_missing,
            "gt_prefix": self.gt_prefix, "gt_suffix": self.gt_suffix,
            "pred_prefix": self.pred_prefix, "pred_suffix": self.pred_suffix,
        }


@dataclass
class EntryResult:
    """The results entry of one (dataset, method) and its per-image table."""

    entry: dict
    per_image: pd.DataFrame
    from_cache: bool = False


@dataclass
class ChunkReport:
    """What a worker saw besides the scores: files by kind of oddity."""

    findings: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, name: str) -> None:
        self.findings.setdefault(kind, []).append(name)

    def extend(self, other: ChunkReport) -> None:
        for kind, names in other.findings.items():
            self.findings.setdefault(kind, []).extend(names)


_FINDING_TEXT = {
    "resized": "predictions resized to their GT size (bilinear)",
    "luminance": "RGB predictions with unequal channels converted to luminance (ITU-R 601)",
    "alpha": "maps had an alpha channel, ignored",
    "unreadable": "unreadable predictions were skipped",
    "gt_not_binary": "GT masks are not binary; binarised as the profile says",
    "gt_empty": "GT masks are empty (all background); evaluated",
}


def _new_evaluator(options: Options) -> Evaluator:
    # one thread per evaluator: the worker processes already use every core (--jobs)
    return Evaluator(profile=options.profile, metrics=options.metrics, threads=1)


def _read_pair(gt_path: Path, pred_path: Path, options: Options, report: ChunkReport):
    """(pred, gt) arrays of one pair, or None when a skippable prediction is unreadable."""
    gt, gt_note = load_map(gt_path)
    try:
        pred, pred_note = load_map(pred_path)
    except SodbenchError as error:
        if options.on_missing == "error":
            raise SodbenchError(f"{error}; use --on-missing skip to leave it out") from error
        report.add("unreadable", pred_path.name)
        return None
    for path, note in ((gt_path, gt_note), (pred_path, pred_note)):
        if note and "luminance" in note:
            report.add("luminance", path.name)
        if note and "alpha" in note:
            report.add("alpha", path.name)
    if pred.shape != gt.shape:
        pred = resize_to(pred, gt.shape)
        report.add("resized", pred_path.name)
    _inspect_gt(gt, gt_path, report)
    return pred, gt


def _inspect_gt(gt: np.ndarray, path: Path, report: ChunkReport) -> None:
    """Note empty and non-binary GT masks; refuse 0/1 integer masks per image.

    The Evaluator refuses an integer GT whose maximum is 1 (binarising at > 128 would
    empty it), but it sees a batch; checking each file here keeps the rule per image.
    """
    name = path.name
    full = np.iinfo(gt.dtype).max if gt.dtype.kind in "ui" else 1
    if gt.dtype.kind in "ui" and gt.max() == 1:
        raise SodbenchError(f"GT {path}: {gt.dtype} mask with values in {{0, 1}} would be "
                            "empty after binarising; save it with 0 and 255")
    if not gt.any():
        report.add("gt_empty", name)
    elif gt.dtype != bool and not ((gt == 0) | (gt == full)).all():
        report.add("gt_not_binary", name)


class _Loaded(NamedTuple):
    name: str
    gt_path: Path
    pred_path: Path
    pred: np.ndarray
    gt: np.ndarray


def _update(evaluator, batch: list[_Loaded], options: Options) -> None:
    """Feed one same-size batch; on an input error, name the pair that caused it."""
    try:
        evaluator.update(np.stack([item.pred for item in batch]),
                         np.stack([item.gt for item in batch]),
                         names=[item.name for item in batch])
    except SodbenchError as error:
        for item in batch:
            try:
                _new_evaluator(options).update(item.pred, item.gt, names=[item.name])
            except SodbenchError as single:
                raise SodbenchError(f"GT {item.gt_path}, prediction {item.pred_path}: "
                                    f"{single}") from single
        raise error
    except Exception as error:
        if hasattr(error, "add_note"):  # Python >= 3.11: say which files a bug hit
            error.add_note(f"sodbench: while evaluating "
                           f"{shorten(str(item.pred_path) for item in batch)}")
        raise


def evaluate_chunk(pairs: list[tuple[str, Path, Path]], options: Options):
    """Score consecutive pairs in one process: returns (Evaluator, ChunkReport).

    Runs of consecutive pairs with equal (shape, dtypes) go to the Evaluator as one batch,
    so the pair order, and with it every float sum, is that of a one-by-one evaluation.
    """
    evaluator = _new_evaluator(options)
    report = ChunkReport()
    loaded = []
    for name, gt_path, pred_path in pairs:
        arrays = _read_pair(gt_path, pred_path, options, report)
        if arrays is not None:
            loaded.append(_Loaded(name, gt_path, pred_path, *arrays))
    for _, batch in groupby(loaded, key=lambda item: (item.gt.shape, item.pred.dtype,
                                                      item.gt.dtype)):
        _update(evaluator, list(batch), options)
    return evaluator, report


def _chunks(pairs: list, size: int = CHUNK_SIZE) -> list[list]:
    return [pairs[start:start + size] for start in range(0, len(pairs), size)]


def _entry(task: Task, pairing: Pairing, evaluator, report: ChunkReport, options: Options):
    results = evaluator.compute()
    curves = results.pop("curves")
    skipped = len(report.findings.get("unreadable", []))
    n_evaluated = len(pairing.pairs) - skipped
    notes = pairing.notes() + [
        f"{len(names)} {_FINDING_TEXT[kind]}: {shorten(names)}"
        for kind, names in report.findings.items()
    ]
    return {
        "dataset": task.dataset,
        "method": task.method,
        "profile": options.profile,
        "counts": {
            "n_evaluated": n_evaluated,
            "n_gt": pairing.n_gt,
            "n_resized": len(report.findings.get("resized", [])),
            "coverage": n_evaluated / pairing.n_gt,
            "n_missing": len(pairing.missing),
            "n_duplicate": len(pairing.duplicates),
            "n_unreadable": skipped,
            "n_extra": len(pairing.extra),
        },
        "metrics": {key: float(value) for key, value in results.items()},
        "curves": {"threshold": THRESHOLDS, **{k: np.asarray(v) for k, v in curves.items()}},
        "notes": notes,
        "paths": {"gt": str(task.gt_dir), "pred": str(task.pred_dir)},
    }


def _finish(task, pairing, chunk_results, options) -> EntryResult:
    evaluator, report = chunk_results[0]
    for other, other_report in chunk_results[1:]:
        evaluator.merge(other)
        report.extend(other_report)
    if evaluator.n_images == 0:
        raise SodbenchError(f"--pred {task.method}={task.pred_dir}: no readable prediction")
    return EntryResult(_entry(task, pairing, evaluator, report, options), evaluator.per_image())


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _cache_settings(options: Options, task: Task) -> dict:
    return {**options.record(), "profile": options.profile, "resize": RESIZE_POLICY,
            "gt_dir": str(task.gt_dir.resolve()), "pred_dir": str(task.pred_dir.resolve())}


def run(
    tasks: list[Task],
    options: Options = Options(),
    *,
    jobs: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> list[EntryResult]:
    """Evaluate every task; results come back in task order.

    Parameters
    ----------
    tasks : list of Task
        (dataset, method, GT folder, prediction folder).
    options : Options
        Profile, metric set and pairing rules.
    jobs : int, optional
        Worker processes (default: all cores); 1 evaluates in this process.
    cache_dir : path-like, optional
        Result cache folder (see :mod:`sodbench.cache`); None disables caching.
    progress : bool
        Show a tqdm bar on stderr (images done / images to evaluate).
    """
    _new_evaluator(options)
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise SodbenchError(f"--jobs {jobs}: must be at least 1")
    cache = ResultCache(cache_dir) if cache_dir is not None else None
    pairings = [pair_folders(task.gt_dir, task.pred_dir, method=task.method,
                             gt_prefix=options.gt_prefix, gt_suffix=options.gt_suffix,
                             pred_prefix=options.pred_prefix, pred_suffix=options.pred_suffix,
                             on_missing=options.on_missing) for task in tasks]
    results: dict[int, EntryResult] = {}
    pending: dict[int, str] = {}
    for index, (task, pairing) in enumerate(zip(tasks, pairings, strict=True)):
        files = [p for _, gt, pred in pairing.pairs for p in (gt, pred)]
        key = cache_key(files, _cache_settings(options, task))
        cached = cache.load(task.dataset, task.method, key) if cache else None
        if cached is not None:
            results[index] = EntryResult(*cached, from_cache=True)
        else:
            pending[index] = key

    def finished(index: int, chunk_results: list) -> None:
        task = tasks[index]
        results[index] = _finish(task, pairings[index], chunk_results, options)
        if cache:
            cache.store(task.dataset, task.method, pending[index],
                        results[index].entry, results[index].per_image)

    work = [(index, chunk) for index in pending for chunk in _chunks(pairings[index].pairs)]
    total = sum(len(chunk) for _, chunk in work)
    with tqdm(total=total, unit="img", disable=not progress or total == 0,
              file=sys.stderr, desc="eval") as bar:
        if jobs == 1 or len(work) <= 1:
            _run_serial(work, options, bar, finished)
        else:
            _run_pool(work, options, min(jobs, len(work)), bar, finished)
    return [results[index] for index in range(len(tasks))]


def _run_serial(work, options, bar, finished) -> None:
    _collect(((index, evaluate_chunk(chunk, options), len(chunk)) for index, chunk in work),
             work, bar, finished)


def _collect(outcomes, work, bar, finished) -> None:
    """Group chunk outcomes (arriving in work order) per task; finish a task when complete."""
    remaining: dict[int, int] = {}
    for index, _ in work:
        remaining[index] = remaining.get(index, 0) + 1
    done: dict[int, list] = {}
    for index, outcome, size in outcomes:
        done.setdefault(index, []).append(outcome)
        bar.update(size)
        remaining[index] -= 1
        if remaining[index] == 0:
            finished(index, done.pop(index))


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the parent alone handles it (keeps finished
    # entries, terminates the pool), so workers do not print one traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_task(item):
    index, chunk, options = item
    return index, evaluate_chunk(chunk, options), len(chunk)


def _run_pool(work, options, jobs, bar, finished) -> None:
    # Pool.imap hands out chunks first come first served and yields outcomes in work order,
    # so tasks finish (and are cached) one after another; leaving the ``with`` block
    # terminates the workers at once, also on Ctrl-C or on an error.
    with multiprocessing.Pool(jobs, initializer=_ignore_interrupts) as pool:
        outcomes = pool.imap(_pool_task, ((index, chunk, options) for index, chunk in work))
        _collect(outcomes, work, bar, finished)


def provenance(options: Options) -> dict:
    """Who computed the numbers, how and when (the ``provenance`` block of a results file)."""
    return {
        "sodbench_version": __version__,
        "profile": options.profile,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "options": options.record(),
        "resize_policy": RESIZE_POLICY,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pillow": pillow_version,
        "platform": platform.platform(),
    }


def document(entries: list[EntryResult], options: Options) -> dict:
    """The results document (see :mod:`sodbench.results`) of finished entries."""
    return {"format": FORMAT, "schema": SCHEMA, "provenance": provenance(options),
            "entries": [result.entry for result in entries]}


def evaluate(
    gt_dir: str | os.PathLike,
    preds: Mapping[str, str | os.PathLike],
    *,
    dataset: str | None = None,
    profile: str = "pysodmetrics",
    metrics=None,
    jobs: int | None = None,
    on_missing: str = "error",
    gt_prefix: str = "",
    gt_suffix: str = "",
    pred_prefix: str = "",
    pred_suffix: str = "",
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
) -> dict:
    """Evaluate prediction folders against one GT folder; return a results document.

    Parameters
    ----------
    gt_dir : path-like
        Folder of GT masks.
    preds : mapping of str to path-like
        Method name -> folder of its predictions.
    dataset : str, optional
        Dataset name in the results (default: the GT folder's parent name, or its own).
    profile, metrics
        Passed to :class:`sodbench.Evaluator`.
    jobs : int, optional
        Worker processes (default: all cores; 1 = in this process).
    on_missing : {"error", "skip"}
        Whether a GT without prediction, a duplicate name or an unreadable prediction stops
        the run or is left out (and noted).
    gt_prefix, gt_suffix, pred_prefix, pred_suffix : str
        Name rules of :func:`sodbench.pairing.pair_folders`.
    cache_dir : path-like, optional
        Reuse and store results there (no cache by default in the API).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    dict
        ``{"format", "schema", "provenance", "entries"}`` as written by
        :func:`sodbench.results.dump_results`.
    """
    gt_dir = Path(gt_dir)
    if not preds:
        raise SodbenchError("no prediction folder given (--pred NAME=DIR)")
    options = Options(profile=profile, metrics=tuple(metrics) if metrics else None,
                      on_missing=on_missing, gt_prefix=gt_prefix, gt_suffix=gt_suffix,
                      pred_prefix=pred_prefix, pred_suffix=pred_suffix)
    name = dataset or default_dataset_name(gt_dir)
    tasks = [Task(name, method, gt_dir, Path(path)) for method, path in preds.items()]
    return document(run(tasks, options, jobs=jobs, cache_dir=cache_dir, progress=progress),
                    options)


def default_dataset_name(gt_dir: Path) -> str:
    """``data/SD-900/GT`` -> ``SD-900``; a GT folder with a distinctive name keeps it."""
    resolved = gt_dir.resolve()
    generic = {"gt", "gts", "mask", "masks", "ground_truth", "groundtruth", "ground truth"}
    return resolved.parent.name if resolved.name.lower() in generic else resolved.name
