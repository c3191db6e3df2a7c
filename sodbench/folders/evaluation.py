"""Evaluating prediction folders: pairing, reading, parallel scoring, caching, results.

``sodbench.evaluate`` is the one-call API; :func:`run` is what the command line uses (it
also returns the per-image tables). Metrics come from :class:`sodbench.Evaluator` only.

Parallelism: the names of every GT folder are cut into chunks of :data:`CHUNK_SIZE`
consecutive names; one unit of work is a chunk with every method still to be scored on it
(:func:`evaluate_chunk`: each GT map is read, binarised and distance-transformed once for
all of them). A worker process returns one Evaluator per method (they are picklable); the
parent merges each method's chunks in order, so per-image rows and every accumulated sum
come in pair order (natural name order), and stores each finished chunk in the cache so an
interrupted run resumes there. Memory is bounded by the chunk size times the number of
workers, and because chunks depend only on the GT folder, results are bit-identical for
every ``jobs`` and whatever other methods run beside.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import numbers
import os
import platform
import signal
import sys
from collections.abc import Iterable, Mapping
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
from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator
from sodbench.evaluator.groundtruth import GroundTruth
from sodbench.folders.cache import ResultCache, cache_key
from sodbench.folders.images import RESIZE_POLICY, load_map, resize_to
from sodbench.folders.inputs import name_problem
from sodbench.folders.outputs import check_folder
from sodbench.folders.pairing import Pairing, pair_folders, shorten
from sodbench.folders.results import FORMAT, SCHEMA

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
    allow_emptied_gt: bool = False
    """Score GT masks that the GT threshold empties (non-zero pixels, no foreground) as empty."""

    def record(self) -> dict:
        return {
            "metrics": list(self.metrics) if self.metrics else "all",
            "on_missing": self.on_missing,
            "gt_prefix": self.gt_prefix, "gt_suffix": self.gt_suffix,
            "pred_prefix": self.pred_prefix, "pred_suffix": self.pred_suffix,
            "allow_emptied_gt": self.allow_emptied_gt,
        }


@dataclass
class EntryResult:
    """The results entry of one (dataset, method) and its per-image table."""

    entry: dict
    per_image: pd.DataFrame
    from_cache: bool = False
    resumed_chunks: int = 0
    """Chunks of this entry taken from an interrupted run's cache instead of recomputed."""


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
    "gt_unreadable": "unreadable GT maps were skipped (for every method)",
    "gt_not_binary": "GT masks are not binary; binarised as the profile says",
    "gt_empty": "GT masks are empty (all background); evaluated",
    "gt_emptied": ("GT masks have non-zero pixels but none above the GT threshold; evaluated as "
                   "empty (--allow-emptied-gt)"),
}


def _new_evaluator(options: Options) -> Evaluator:
    # one thread per evaluator: the worker processes already use every core (--jobs)
    return Evaluator(conventions=options.profile, metrics=options.metrics, threads=1,
                     allow_emptied_gt=options.allow_emptied_gt)


def _read_gt(gt_path: Path, profile, options: Options):
    """(gt array, GT findings, GroundTruth) of one GT file, read once for every method.

    Every GT problem is reported here, per file, so the message names the file. An
    unreadable GT file stops the run, or with ``on_missing="skip"`` gives None: its pairs are
    left out for every method and noted.
    """
    try:
        gt, note = load_map(gt_path)
    except SodbenchError as error:
        if options.on_missing == "error":
            raise SodbenchError(f"GT {error}; replace the file, or use --on-missing skip to "
                                "leave it out for every method") from error
        return None
    report = ChunkReport()
    if note and "luminance" in note:
        report.add("luminance", gt_path.name)
    if note and "alpha" in note:
        report.add("alpha", gt_path.name)
    try:
        # emptied masks are accepted here and judged by _inspect_gt, which names the file
        ground = GroundTruth(gt, profile, allow_emptied_gt=True)
    except SodbenchError as error:
        raise SodbenchError(f"GT {gt_path}: {error}") from error
    _inspect_gt(gt, ground, gt_path, report, options)
    return gt, report, ground


def _read_pred(pred_path: Path, shape, options: Options, report: ChunkReport):
    """The prediction resized to the GT ``shape``, or None when a skippable one is unreadable."""
    try:
        pred, note = load_map(pred_path)
    except SodbenchError as error:
        if options.on_missing == "error":
            raise SodbenchError(f"{error}; use --on-missing skip to leave it out") from error
        report.add("unreadable", pred_path.name)
        return None
    if note and "luminance" in note:
        report.add("luminance", pred_path.name)
    if note and "alpha" in note:
        report.add("alpha", pred_path.name)
    if pred.shape != shape:
        pred = resize_to(pred, shape)
        report.add("resized", pred_path.name)
    return pred


def _inspect_gt(gt: np.ndarray, ground: GroundTruth, path: Path, report: ChunkReport,
                options: Options) -> None:
    """Refuse a GT file whose non-zero pixels the GT threshold empties (unless allowed);
    note empty, emptied and non-binary GT masks."""
    name = path.name
    emptied = ground.emptied()
    if emptied and not options.allow_emptied_gt:
        raise SodbenchError(f"GT {path} is {emptied[0]}, or use --allow-emptied-gt to score "
                            "it as empty")
    full = np.iinfo(gt.dtype).max if gt.dtype.kind in "ui" else 1
    if not gt.any():
        report.add("gt_empty", name)
    elif emptied:
        report.add("gt_emptied", name)
    elif gt.dtype != bool and not ((gt == 0) | (gt == full)).all():
        report.add("gt_not_binary", name)


class _Loaded(NamedTuple):
    name: str
    gt_path: Path
    pred_path: Path
    pred: np.ndarray
    gt: np.ndarray
    ground: GroundTruth


def _update(evaluator, batch: list[_Loaded], options: Options) -> None:
    """Feed one same-size batch; on an input error, name the pair that caused it."""
    try:
        ground = GroundTruth.concatenate([item.ground for item in batch])
        evaluator.update(np.stack([item.pred for item in batch]), ground,
                         names=[item.name for item in batch], batch=True)
    except SodbenchError as error:
        for item in batch:
            try:
                _new_evaluator(options).update(item.pred, item.ground, names=[item.name])
            except SodbenchError as single:
                raise SodbenchError(f"GT {item.gt_path}, prediction {item.pred_path}: "
                                    f"{single}") from single
        raise error
    except Exception as error:
        if hasattr(error, "add_note"):  # Python >= 3.11: say which files a bug hit
            error.add_note(f"sodbench: while evaluating "
                           f"{shorten(str(item.pred_path) for item in batch)}")
        raise


def evaluate_chunk(task_pairs: list[list[tuple[str, Path, Path]]], options: Options):
    """Score the pairs of several methods whose GT maps are the same chunk of one GT folder.

    Every GT file is read, checked and prepared (:class:`~sodbench.evaluator.GroundTruth`:
    binarised, with its wF distance transform) once, whatever the number of methods. Returns
    one (Evaluator, ChunkReport) per entry of ``task_pairs``. Per method, runs of consecutive
    pairs with equal (shape, dtypes) go to its Evaluator as one batch, so the pair order, and
    with it every float sum, is that of a one-by-one evaluation.
    """
    grounds: dict[Path, tuple] = {}
    outcomes = []
    for pairs in task_pairs:
        evaluator = _new_evaluator(options)
        report = ChunkReport()
        loaded = []
        for name, gt_path, pred_path in pairs:
            if gt_path not in grounds:
                grounds[gt_path] = _read_gt(gt_path, evaluator.conventions, options)
            if grounds[gt_path] is None:
                report.add("gt_unreadable", gt_path.name)
                continue
            gt, gt_report, ground = grounds[gt_path]
            pred = _read_pred(pred_path, gt.shape, options, report)
            report.extend(gt_report)
            if pred is not None:
                loaded.append(_Loaded(name, gt_path, pred_path, pred, gt, ground))
        for _, batch in groupby(loaded, key=lambda item: (item.gt.shape, item.pred.dtype,
                                                          item.gt.dtype)):
            _update(evaluator, list(batch), options)
        outcomes.append((evaluator, report))
    return outcomes


class _Work(NamedTuple):
    """One chunk of a GT folder and the methods still to be scored on it."""

    chunk: int
    tasks: tuple[int, ...]
    pairs: tuple[list, ...]


def _plan(pending: list[int], tasks: list[Task], pairings: list[Pairing],
          done: dict[int, dict]) -> list[_Work]:
    """Work items: per GT folder, chunks of CHUNK_SIZE consecutive GT names with the pairs of
    every pending method in them, minus the (method, chunk)s already in ``done``.

    Chunks are cut from the GT folder's own name list, so a method's chunks (and with them
    its float sums) do not depend on which other methods run beside it, nor on ``jobs``.
    """
    groups: dict[str, list[int]] = {}
    for index in pending:
        groups.setdefault(str(tasks[index].gt_dir.resolve()), []).append(index)
    work = []
    for indices in groups.values():
        position = {name: i for i, name in enumerate(pairings[indices[0]].gt_names)}
        by_chunk: dict[int, dict[int, list]] = {}
        for index in indices:
            for pair in pairings[index].pairs:
                chunk = position[pair[0]] // CHUNK_SIZE
                if chunk not in done.get(index, {}):
                    by_chunk.setdefault(chunk, {}).setdefault(index, []).append(pair)
        for chunk in sorted(by_chunk):
            members = by_chunk[chunk]
            work.append(_Work(chunk, tuple(members), tuple(members.values())))
    return work


def _task_chunks(pairing: Pairing) -> list[int]:
    """The chunks holding at least one pair of this method, in order."""
    position = {name: i for i, name in enumerate(pairing.gt_names)}
    return sorted({position[name] // CHUNK_SIZE for name, _, _ in pairing.pairs})


def _entry(task: Task, pairing: Pairing, evaluator, report: ChunkReport, options: Options):
    results = evaluator.compute()
    curves = results.pop("curves")
    skipped = sum(len(report.findings.get(kind, [])) for kind in ("unreadable", "gt_unreadable"))
    n_evaluated = len(pairing.pairs) - skipped
    # Which images were scored, not only how many: `check` and `table` refuse to compare
    # entries scored on different image sets. Sorted, so chunk order and resumes do not matter.
    scored = sorted(str(name) for name in evaluator.per_image()["name"])
    images_sha256 = hashlib.sha256("\n".join(scored).encode("utf-8")).hexdigest()
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
            "images_sha256": images_sha256,
        },
        "metrics": {key: float(value) for key, value in results.items()},
        "curves": {"threshold": THRESHOLDS, **{k: np.asarray(v) for k, v in curves.items()}},
        "notes": notes,
        "paths": {"gt": str(task.gt_dir), "pred": str(task.pred_dir)},
    }


def _finish(task, pairing, chunk_results, options) -> EntryResult:
    evaluator, report = _new_evaluator(options), ChunkReport()
    for other, other_report in chunk_results:
        evaluator.merge(other)
        report.extend(other_report)
    if evaluator.n_images == 0:
        raise SodbenchError(f"--pred {task.method}={task.pred_dir}: no pair of a readable "
                            "prediction and a readable GT map")
    return EntryResult(_entry(task, pairing, evaluator, report, options), evaluator.per_image())


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _cache_settings(options: Options, task: Task) -> dict:
    # the names too: cache file names replace odd characters, so "Good Net" and "Good_Net" on
    # one folder share a file name, and one must not be served the other's entry
    return {**options.record(), "profile": options.profile, "resize": RESIZE_POLICY,
            "dataset": task.dataset, "method": task.method,
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
        Result cache folder (see :mod:`sodbench.folders.cache`); None disables caching.
    progress : bool
        Show a tqdm bar on stderr (images done / images to evaluate).
    """
    _new_evaluator(options)
    jobs = default_jobs() if jobs is None else jobs
    if not isinstance(jobs, numbers.Integral) or isinstance(jobs, bool):
        raise SodbenchError(f"jobs={jobs!r}: must be a whole number of worker processes")
    jobs = int(jobs)
    if jobs < 1:
        raise SodbenchError(f"--jobs {jobs}: must be at least 1")
    cache = ResultCache(check_folder(cache_dir, "cache_dir")) if cache_dir is not None else None
    pairings = [pair_folders(task.gt_dir, task.pred_dir, method=task.method,
                             gt_prefix=options.gt_prefix, gt_suffix=options.gt_suffix,
                             pred_prefix=options.pred_prefix, pred_suffix=options.pred_suffix,
                             on_missing=options.on_missing) for task in tasks]
    _check_tasks(tasks)
    results: dict[int, EntryResult] = {}
    pending: dict[int, str] = {}
    done: dict[int, dict[int, tuple]] = {}
    for index, (task, pairing) in enumerate(zip(tasks, pairings, strict=True)):
        files = [p for _, gt, pred in pairing.pairs for p in (gt, pred)]
        key = cache_key(files, _cache_settings(options, task))
        cached = cache.load(task.dataset, task.method, key) if cache else None
        if cached is not None:
            results[index] = EntryResult(*cached, from_cache=True)
            continue
        pending[index] = key
        if cache:
            chunks = cache.load_chunks(task.dataset, task.method, key).items()
            restored = {chunk: _from_payload(payload, options) for chunk, payload in chunks}
            # a damaged chunk file is recomputed, like a missing one
            done[index] = {chunk: value for chunk, value in restored.items() if value}
    needed = {index: _task_chunks(pairings[index]) for index in pending}
    resumed = {index: len(chunks) for index, chunks in done.items()}

    def chunk_done(index: int, chunk: int, outcome: tuple) -> None:
        task = tasks[index]
        done.setdefault(index, {})[chunk] = outcome
        if set(done[index]) >= set(needed[index]):
            outcomes = [done[index][c] for c in needed[index]]
            results[index] = _finish(task, pairings[index], outcomes, options)
            results[index].resumed_chunks = resumed.get(index, 0)
            if cache:
                cache.store(task.dataset, task.method, pending[index],
                            results[index].entry, results[index].per_image)
                cache.drop_chunks(task.dataset, task.method, pending[index])
            del done[index]
        elif cache:
            cache.store_chunk(task.dataset, task.method, pending[index], chunk,
                              _to_payload(outcome))

    for index in list(done):  # every chunk was kept by an interrupted run
        if needed[index] and set(done[index]) >= set(needed[index]):
            chunk_done(index, needed[index][0], done[index][needed[index][0]])
    work = _plan([index for index in pending if index not in results], tasks, pairings, done)
    total = sum(len(pairs) for item in work for pairs in item.pairs)
    with tqdm(total=total, unit="img", disable=not progress or total == 0,
              file=sys.stderr, desc="eval") as bar, contextlib.ExitStack() as stack:
        # leaving the block terminates the workers at once, also on Ctrl-C or on an error;
        # Pool.imap hands out work first come first served and yields it in order
        if jobs == 1 or len(work) <= 1:
            outcomes = ((item, evaluate_chunk(list(item.pairs), options)) for item in work)
        else:
            pool = multiprocessing.Pool(min(jobs, len(work)), initializer=_ignore_interrupts)
            stack.enter_context(pool)
            outcomes = zip(work, pool.imap(_pool_task, ((list(item.pairs), options)
                                                         for item in work)), strict=True)
        for item, chunk_outcomes in outcomes:
            for index, pairs, outcome in zip(item.tasks, item.pairs, chunk_outcomes,
                                             strict=True):
                bar.update(len(pairs))
                chunk_done(index, item.chunk, outcome)
    return [results[index] for index in range(len(tasks))]


def _check_tasks(tasks: list[Task]) -> None:
    """Refuse names that cannot be shown on one line, and tasks that cannot be what was meant:
    a prediction folder that is its GT folder (perfect scores), or one prediction folder
    under two method names of one dataset (one method's numbers shown as two)."""
    seen: dict[tuple[str, str, str], Task] = {}
    for task in tasks:
        for what, name in (("dataset", task.dataset), ("method", task.method)):
            problem = name_problem(name)
            if problem is not None:
                fix = " (--dataset NAME)" if what == "dataset" else ""
                raise SodbenchError(f"the {what} name {problem}{fix}")
        option = f"--pred {task.method}={task.pred_dir}"
        # realpath, unlike Path.resolve on Python < 3.13, does not raise on a symlink loop
        folders = (os.path.realpath(task.gt_dir), os.path.realpath(task.pred_dir))
        if folders[0] == folders[1]:
            raise SodbenchError(f"{option}: this is the GT folder ({task.gt_dir}), so the GT "
                                "would be scored against itself; give the method's own "
                                "prediction folder")
        same = (task.dataset, *folders)
        if same in seen:
            first = seen[same]
            raise SodbenchError(f"{option}: the same folder as --pred {first.method}="
                                f"{first.pred_dir} in dataset {task.dataset}, so one method's "
                                "numbers would be shown twice; give each method its own folder")
        seen[same] = task


def _to_payload(outcome: tuple) -> dict:
    evaluator, report = outcome
    return {"state": evaluator.state(), "findings": report.findings}


def _from_payload(payload: dict, options: Options) -> tuple | None:
    """The (Evaluator, ChunkReport) a cached chunk holds, or None when it is damaged."""
    try:
        findings = payload["findings"]
        if not all(kind in _FINDING_TEXT and isinstance(names, list)
                   and all(isinstance(name, str) for name in names)
                   for kind, names in findings.items()):
            return None
        evaluator = Evaluator.from_state(payload["state"], threads=1)
    except (SodbenchError, KeyError, TypeError, AttributeError):
        return None
    expected = _new_evaluator(options)
    if (evaluator.conventions, evaluator.metrics) != (expected.conventions, expected.metrics):
        return None
    return evaluator, ChunkReport(findings={k: list(v) for k, v in findings.items()})


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the parent alone handles it (keeps finished
    # entries, terminates the pool), so workers do not print one traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_task(item):
    task_pairs, options = item
    return evaluate_chunk(task_pairs, options)


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
    """The results document (see :mod:`sodbench.folders.results`) of finished entries."""
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
    allow_emptied_gt: bool = False,
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
        Name rules of :func:`sodbench.folders.pairing.pair_folders`.
    allow_emptied_gt : bool
        Score a GT mask with non-zero pixels that the GT threshold empties (a uint8 {0, 128}
        or uint16 {0, 255} mask) as empty, with a note; by default such a file is an error.
    cache_dir : path-like, optional
        Reuse and store results there (no cache by default in the API).
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    dict
        ``{"format", "schema", "provenance", "entries"}`` as written by
        :func:`sodbench.folders.results.dump_results`.
    """
    if not isinstance(preds, Mapping):
        raise SodbenchError(f"preds must map method names to folders, e.g. "
                            f"{{'MINet': 'out/'}}, got {type(preds).__name__}")
    gt_dir = Path(gt_dir)
    if not preds:
        raise SodbenchError("no prediction folder given (--pred NAME=DIR)")
    if metrics is not None:  # an empty selection is refused, not read as "all"
        metrics = (metrics,) if isinstance(metrics, str) else metrics
        metrics = tuple(metrics) if isinstance(metrics, Iterable) else metrics
        Evaluator(conventions=profile, metrics=metrics, threads=1)  # refuses it, or unknown keys
    options = Options(profile=profile, metrics=metrics,
                      on_missing=on_missing, gt_prefix=gt_prefix, gt_suffix=gt_suffix,
                      pred_prefix=pred_prefix, pred_suffix=pred_suffix,
                      allow_emptied_gt=allow_emptied_gt)
    name = default_dataset_name(gt_dir) if dataset is None else dataset
    tasks = [Task(name, method, gt_dir, Path(path)) for method, path in preds.items()]
    return document(run(tasks, options, jobs=jobs, cache_dir=cache_dir, progress=progress),
                    options)


def default_dataset_name(gt_dir: Path) -> str:
    """``data/SD-900/GT`` -> ``SD-900``; a GT folder with a distinctive name keeps it."""
    resolved = Path(os.path.realpath(gt_dir))  # never raises on a symlink loop, unlike resolve()
    generic = {"gt", "gts", "mask", "masks", "ground_truth", "groundtruth", "ground truth"}
    return resolved.parent.name if resolved.name.lower() in generic else resolved.name
