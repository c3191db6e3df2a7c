"""Evaluating prediction folders: the one-call API and what the command line runs.

``sodbench.evaluate`` (:func:`evaluate`) returns a results document; :func:`run` is what
``sodbench eval`` uses (it also returns the per-image tables). A run pairs the folders
(:mod:`.pairing`), takes finished entries and chunks from the cache (:mod:`.cache`), cuts the
rest into units of work run on an executor (:mod:`.schedule`), each unit scored by
:func:`.scoring.score_chunk` (GT maps read once for every method, :mod:`.reading`), and
merges each method's chunks in chunk order into its entry (:mod:`.entries`). Metrics come from
:class:`sodbench.Evaluator` only.

Every finished chunk goes to the cache as it comes, so an interrupted run resumes there
(``cache_dir``). The numbers are bit-identical for every executor and ``jobs``, whatever other
methods run beside (see :mod:`.schedule`); they depend on ``chunk_size``, which is therefore
part of the cache key.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.evaluator.subsets import Subsets
from sodbench.folders.cache import ResultCache, cache_key
from sodbench.folders.cluster import lost_unit_message, on_worker
from sodbench.folders.entries import EntryResult, finish, provenance
from sodbench.folders.images import RESIZE_POLICY, map_pixels
from sodbench.folders.memory import default_max_memory, fit_jobs, parse_size, size_text
from sodbench.folders.needs import check_images
from sodbench.folders.outputs import check_folder
from sodbench.folders.pairing import Pairing, attach_images, image_folder, list_maps, pair_folders
from sodbench.folders.results import stamp
from sodbench.folders.schedule import (
    CHUNK_SIZE,
    UNIT_PIXELS,
    WorkUnit,
    check_chunk_size,
    check_workers,
    chunks_of,
    plan,
    run_units,
)
from sodbench.folders.scoring import (
    Piece,
    Scored,
    from_payload,
    join,
    new_evaluator,
    score_unit,
    to_payload,
)
from sodbench.folders.subsets import check_subsets
from sodbench.folders.tasks import Options, Task, check_tasks, default_dataset_name
from sodbench.metrics.extras import reads_images, require_extra
from sodbench.workers import worker_count

__all__ = ["EntryResult", "Options", "Task", "document", "evaluate", "run"]


def _cache_settings(options: Options, task: Task, chunk_size: int) -> dict:
    # the names too: cache file names replace odd characters, so "Good Net" and "Good_Net" on
    # one folder share a file name, and one must not be served the other's entry
    images = (str(task.images_dir.resolve())
              if reads_images(options.keys) and task.images_dir is not None else None)
    return {**options.record(), "conventions": options.conventions, "resize": RESIZE_POLICY,
            "chunk_size": chunk_size, "dataset": task.dataset, "method": task.method,
            "gt_dir": str(task.gt_dir.resolve()), "pred_dir": str(task.pred_dir.resolve()),
            "images_dir": images}


def _pairings(tasks: list[Task], options: Options) -> list[Pairing]:
    """Every task's pairs; with each pair's RGB image when a selected metric reads it (each
    image folder listed once)."""
    pairings = [pair_folders(task.gt_dir, task.pred_dir, method=task.method,
                             gt_prefix=options.gt_prefix, gt_suffix=options.gt_suffix,
                             pred_prefix=options.pred_prefix, pred_suffix=options.pred_suffix,
                             on_missing=options.on_missing) for task in tasks]
    if not reads_images(options.keys):
        return pairings
    listings: dict[Path, tuple] = {}
    for index, task in enumerate(tasks):
        if task.images_dir not in listings:
            listings[task.images_dir] = list_maps(task.images_dir,
                                                  what=image_folder(task.images_dir))
        pairings[index] = attach_images(pairings[index], listings[task.images_dir],
                                        task.images_dir, on_missing=options.on_missing)
    return pairings


class _Entries:
    """The entries of one run as they come: from the cache, or finished from scored chunks."""

    def __init__(self, tasks: list[Task], pairings: list[Pairing], options: Options,
                 cache: ResultCache | None, chunk_size: int):
        self.tasks, self.pairings, self.options, self.cache = tasks, pairings, options, cache
        self.results: dict[int, EntryResult] = {}
        self.keys: dict[int, str] = {}
        self.needed: dict[int, list[int]] = {}
        self.done: dict[int, dict[int, Scored]] = {}
        self.pieces: dict[tuple[int, int], dict[int, Piece]] = {}
        for index, (task, pairing) in enumerate(zip(tasks, pairings, strict=True)):
            files = [path for pair in pairing.pairs for path in pair[1:]]
            key = cache_key(files, _cache_settings(options, task, chunk_size))
            cached = cache.load(task.dataset, task.method, key) if cache else None
            if cached is not None:
                self.results[index] = EntryResult(*cached, from_cache=True)
                continue
            self.keys[index] = key
            self.needed[index] = chunks_of(pairing, chunk_size)
            if cache:
                kept = cache.load_chunks(task.dataset, task.method, key).items()
                restored = {chunk: from_payload(payload, options) for chunk, payload in kept}
                # a damaged chunk file is recomputed, like a missing one
                self.done[index] = {chunk: value for chunk, value in restored.items() if value}
        self.resumed = {index: len(chunks) for index, chunks in self.done.items()}
        for index in list(self.done):  # every chunk was kept by an interrupted run
            if set(self.done[index]) >= set(self.needed[index]):
                self._finish(index)

    def pending(self) -> dict[int, Pairing]:
        """The pairings of the tasks still to score, in task order."""
        return {index: self.pairings[index] for index in self.keys if index not in self.results}

    def unit_done(self, unit: WorkUnit, outcomes: list[Scored] | list[Piece]) -> None:
        """Keep each method's chunk (joined from its pieces, in piece order, when the chunk
        was cut); finish (and cache) the entries it completes. Units come in any order."""
        for index, scored in zip(unit.tasks, outcomes, strict=True):
            if unit.pieces > 1:
                pieces = self.pieces.setdefault((index, unit.chunk), {})
                pieces[unit.piece] = scored
                if len(pieces) < unit.pieces:
                    continue
                del self.pieces[(index, unit.chunk)]
                scored = join([pieces[piece] for piece in sorted(pieces)], self.options)
            self.done.setdefault(index, {})[unit.chunk] = scored
            if set(self.done[index]) >= set(self.needed[index]):
                self._finish(index)
            elif self.cache:
                task = self.tasks[index]
                self.cache.store_chunk(task.dataset, task.method, self.keys[index], unit.chunk,
                                       to_payload(scored))

    def _finish(self, index: int) -> None:
        task, key = self.tasks[index], self.keys[index]
        chunks = [self.done[index][chunk] for chunk in self.needed[index]]
        result = finish(task, self.pairings[index], chunks, self.options)
        result.resumed_chunks = self.resumed.get(index, 0)
        self.results[index] = result
        if self.cache:
            self.cache.store(task.dataset, task.method, key, result.entry, result.per_image)
            self.cache.drop_chunks(task.dataset, task.method, key)
        del self.done[index]


def run(
    tasks: list[Task],
    options: Options | None = None,
    *,
    jobs: int | None = None,
    executor: Executor | None = None,
    chunk_size: int = CHUNK_SIZE,
    unit_pixels: int = UNIT_PIXELS,
    max_memory: int | str | None = None,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    report: Callable[[str], None] | None = None,
) -> list[EntryResult]:
    """Evaluate every task; results come back in task order.

    Parameters
    ----------
    tasks : list of Task
        (dataset, method, GT folder, prediction folder).
    options : Options, optional
        Conventions, metric set and pairing rules (default: ``Options()``). A metric that
        reads the RGB images (CCM) needs every task's ``images_dir``; the other metrics never
        read it.
    jobs : int, optional
        Worker processes (default: all cores); 1 evaluates in this process.
    executor : concurrent.futures.Executor, optional
        Run the units of work there instead (then give no ``jobs``); it is left open.
    chunk_size : int
        GT names per unit of work (:data:`~sodbench.folders.schedule.CHUNK_SIZE`). Float sums
        are merged chunk by chunk, so the last bits of the numbers depend on it.
    unit_pixels : int
        Pixels per unit of work when a chunk's images are all large (0.5 Mpx or more): such
        a chunk is cut into pieces of at most this many pixels (one image at least) that run
        on different workers. The numbers do not depend on it.
    max_memory : int or str, optional
        Cap on the peak memory of the worker processes (bytes, or a size such as ``"8G"``):
        the job count is lowered until the rule of :mod:`sodbench.folders.memory` fits it
        (default: three quarters of the machine's memory). Not applied to an ``executor``.
    cache_dir : path-like, optional
        Result cache folder (see :mod:`sodbench.folders.cache`); None disables caching.
    progress : bool
        Show a tqdm bar on stderr (images done / images to evaluate).
    report : callable, optional
        Called with a one-line notice when fewer jobs run than asked (memory cap).
    """
    options = Options() if options is None else options
    new_evaluator(options)  # unknown conventions or metric keys: refused before any reading
    require_extra(options.keys)
    check_images(options.keys, tasks)
    check_workers(jobs, executor)
    check_chunk_size(chunk_size)
    check_chunk_size(unit_pixels, "unit_pixels")
    limit = default_max_memory() if max_memory is None else parse_size(max_memory)
    cache = ResultCache(check_folder(cache_dir, "cache_dir")) if cache_dir is not None else None
    pairings = _pairings(tasks, options)
    check_tasks(tasks)
    check_subsets(options.subsets, pairings)
    entries = _Entries(tasks, pairings, options, cache, chunk_size)
    pending = entries.pending()
    folders = {index: str(tasks[index].gt_dir.resolve()) for index in pending}
    gt_files = {pair[1] for pairing in pending.values() for pair in pairing.pairs}
    pixels = {path: map_pixels(path) for path in gt_files}
    units = plan(pending, folders, chunk_size=chunk_size, done=entries.done, pixels=pixels,
                 unit_pixels=unit_pixels)
    if executor is None and units:
        jobs = _fitting_jobs(jobs, units, pixels, limit, report)
    work = functools.partial(score_unit, options=options)
    if executor is not None:  # a Dask worker's errors name it (any other executor: as is)
        work = functools.partial(on_worker, work)
        # its workers may run on other machines, in other working folders
        units = [unit.absolute() for unit in units]
    try:
        execution = run_units(units, work, entries.unit_done, executor=executor, jobs=jobs,
                              progress=progress)
    except Exception as error:
        message = lost_unit_message(error)
        if message is None:
            raise
        raise SodbenchError(message) from None
    for index in pending:
        entries.results[index].execution = execution
    return [entries.results[index] for index in range(len(tasks))]


def _fitting_jobs(jobs, units: list[WorkUnit], pixels: Mapping[Path, int | None],
                  limit: int, report: Callable[[str], None] | None) -> int:
    """The job count within the memory cap, for the largest GT image to score."""
    wanted = min(worker_count(jobs, name="jobs"), sum(unit.size for unit in units))
    files = [pair[1] for unit in units for pairs in unit.pairs for pair in pairs]
    largest_file = max(files, key=lambda path: pixels.get(path) or 0)
    largest = pixels.get(largest_file) or 0
    fitting = fit_jobs(wanted, largest, largest_file, limit)
    if fitting < wanted and report is not None:
        report(f"{fitting} of {wanted} jobs run: with GT images of up to {largest:,} pixels "
               f"({largest_file.name}), more would pass max_memory={size_text(limit)}")
    return fitting


def document(entries: list[EntryResult], options: Options) -> dict:
    """The results document (see :mod:`sodbench.folders.results`) of finished entries.

    Its provenance says where the entries computed by this run ran (``execution``:
    ``{"scheduler", "workers"}``; none when every entry came from the cache).
    """
    record = provenance(options)
    ran = [result.execution for result in entries if result.execution is not None]
    if ran:
        record["execution"] = ran[0]
    return stamp({"provenance": record, "entries": [result.entry for result in entries]})


def evaluate(
    gt_dir: str | os.PathLike,
    preds: Mapping[str, str | os.PathLike],
    *,
    dataset: str | None = None,
    conventions: str = "pysodmetrics",
    metrics=None,
    jobs: int | None = None,
    executor: Executor | None = None,
    chunk_size: int = CHUNK_SIZE,
    unit_pixels: int = UNIT_PIXELS,
    max_memory: int | str | None = None,
    on_missing: str = "error",
    gt_prefix: str = "",
    gt_suffix: str = "",
    pred_prefix: str = "",
    pred_suffix: str = "",
    allow_emptied_gt: bool = False,
    skip_empty_gt: bool = False,
    images: str | os.PathLike | None = None,
    subsets=None,
    subset_preset: str | None = None,
    size_buckets=None,
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
    conventions, metrics
        Passed to :class:`sodbench.Evaluator`: ``metrics`` takes keys, aliases and group
        names (``"dis"``, ``["pysodmetrics", "IoU"]``); default the ``default`` group.
    jobs : int, optional
        Worker processes (default: all cores; 1 = in this process).
    executor : concurrent.futures.Executor, optional
        Run the units of work there instead of ``jobs`` worker processes.
    chunk_size : int
        GT names per chunk (the unit of work, and of the curve sums).
    unit_pixels : int
        Pixels per unit of work for chunks of large images (see :func:`run`).
    max_memory : int or str, optional
        Cap on peak memory (bytes or ``"8G"``); fewer jobs run when needed (see :func:`run`).
    on_missing : {"error", "skip"}
        Whether a GT without prediction, a duplicate name or an unreadable prediction stops
        the run or is left out (and noted).
    gt_prefix, gt_suffix, pred_prefix, pred_suffix : str
        Name rules of :func:`sodbench.folders.pairing.pair_folders`.
    allow_emptied_gt : bool
        Score a GT mask with non-zero pixels that the GT threshold empties (a uint8 {0, 128}
        or uint16 {0, 255} mask) as empty, with a note; by default such a file is an error.
    skip_empty_gt : bool
        Leave out, for every method, the images whose GT is empty after the GT threshold (the
        COD10K rule), naming them in the notes; by default they are scored and noted.
    images : path-like, optional
        Folder of the dataset's RGB images, paired with the GT by name; needed by ``CCM``,
        unused otherwise.
    subsets : mapping or sodbench.evaluator.Subsets, optional
        Subsets scored besides the whole set: ``{"scratches": "Sc_*"}`` (name -> glob or
        globs of image names), or a :class:`~sodbench.evaluator.Subsets` rule. Each entry
        then has ``"subsets"``; a subset that takes no GT name is refused (docs/subsets.md).
    subset_preset : str, optional
        Named subsets of a known dataset (``"sd-saliency-900"``: ``In``, ``Pa``, ``Sc``).
    size_buckets : bool or str or (float, float), optional
        Also split the images by the GT's foreground fraction: True for small (< 1%),
        medium (< 10%) and large; or the two thresholds (``"0.5%,5%"``).
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
        raise SodbenchError("preds is empty: give at least one method's prediction folder")
    # unknown keys, an empty selection (not read as the default): refused by Options
    rule = subsets if isinstance(subsets, Subsets) else Subsets.build(
        subsets, preset=subset_preset, size_buckets=size_buckets)
    if isinstance(subsets, Subsets) and (subset_preset is not None or size_buckets):
        raise SodbenchError("subsets= is a Subsets rule: put the preset and size buckets in "
                            "it (Subsets.build) instead of subset_preset=/size_buckets=")
    options = Options(conventions=conventions, metrics=metrics,
                      on_missing=on_missing, gt_prefix=gt_prefix, gt_suffix=gt_suffix,
                      pred_prefix=pred_prefix, pred_suffix=pred_suffix,
                      allow_emptied_gt=allow_emptied_gt, skip_empty_gt=skip_empty_gt,
                      subsets=rule)
    name = default_dataset_name(gt_dir) if dataset is None else dataset
    images_dir = None if images is None else Path(images)
    tasks = [Task(name, method, gt_dir, Path(path), images_dir)
             for method, path in preds.items()]
    results = run(tasks, options, jobs=jobs, executor=executor, chunk_size=chunk_size,
                  unit_pixels=unit_pixels, max_memory=max_memory, cache_dir=cache_dir,
                  progress=progress)
    return document(results, options)
