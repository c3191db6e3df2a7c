"""Scoring one unit of work: the pairs of several methods on one chunk of a GT folder.

:func:`score_chunk` is what a worker runs (see :mod:`sodbench.folders.schedule`). It walks the
chunk's GT names in order, one GT map at a time: the GT file (and its RGB image, when CCM
reads it) is read and prepared once, then every method's prediction of that name is read and
added to the method's own :class:`sodbench.Evaluator`. So at most one GT image and its derived
quantities (wF's distance transform) are held at a time, whatever the chunk's size.

Each method's pairs still reach its Evaluator in the runs a one-by-one evaluation gives:
consecutive pairs of one size and dtype, cut into the engine's chunks
(:func:`sodbench.evaluator.chunk_images`, one image from 0.5 Mpx on). The Evaluator adds its
curve sums one chunk at a time, so the numbers are those of scoring every run in one update.

A piece of a split chunk (:func:`score_piece`) returns one Evaluator per scored pair instead
of one per method: :func:`join` adds them, in order, to the sums of the pieces before, which
gives the bits of the whole chunk scored in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator, GroundTruth, chunk_images
from sodbench.folders.pairing import natural_key, shorten
from sodbench.folders.reading import (
    Note,
    NoteKind,
    notes_from_record,
    notes_record,
    read_gt,
    read_prediction,
    read_rgb_image,
)
from sodbench.folders.tasks import Options
from sodbench.metrics.conventions import get_conventions

__all__ = ["Piece", "Scored", "from_payload", "join", "new_evaluator", "score_chunk",
           "score_piece", "score_unit", "to_payload"]

Pair = tuple[str, Path, Path] | tuple[str, Path, Path, Path]
"""(shared name, GT file, prediction file), and the RGB image file when the metrics read it
(:func:`sodbench.folders.pairing.attach_images`)."""


class Scored(NamedTuple):
    """One method's scores on one chunk, and the notes of its files."""

    evaluator: Evaluator
    notes: list[Note]


class Piece(NamedTuple):
    """One method's scores on a piece of a chunk: one Evaluator per scored pair, in order."""

    parts: list[Evaluator]
    notes: list[Note]


_NOT_READ = object()


class _Loaded(NamedTuple):
    name: str
    gt_path: Path
    pred_path: Path
    pred: np.ndarray
    ground: GroundTruth
    image: np.ndarray | None


def new_evaluator(options: Options, threads: int = 1) -> Evaluator:
    """An empty Evaluator for ``options`` (raises on unknown conventions or metric keys).

    One thread by default: the worker processes already use every core (``jobs``).
    """
    return Evaluator(conventions=options.conventions, metrics=options.metrics, threads=threads,
                     allow_emptied_gt=options.allow_emptied_gt, subsets=options.subsets)


class _Method:
    """One method's Evaluator(s), notes, and the pairs of its current run not yet added."""

    def __init__(self, options: Options, threads: int, per_pair: bool):
        self.options, self.threads, self.per_pair = options, threads, per_pair
        self.evaluator = None if per_pair else new_evaluator(options, threads)
        self.parts: list[Evaluator] = []
        self.notes: list[Note] = []
        self.run: list[_Loaded] = []

    def add(self, item: _Loaded) -> None:
        """Take one loaded pair; add the run to the Evaluator when it makes a full chunk."""
        if self.run and _run_key(self.run[0]) != _run_key(item):
            self.flush()
        self.run.append(item)
        if len(self.run) == chunk_images(self.run[0].pred[None]):
            self.flush()

    def flush(self) -> None:
        """Add the pairs waiting (one engine chunk or less) to the Evaluator."""
        if not self.run:
            return
        if self.per_pair:
            for item in self.run:
                part = new_evaluator(self.options, self.threads)
                _update(part, [item], self.options)
                self.parts.append(part)
        else:
            _update(self.evaluator, self.run, self.options)
        self.run = []


def _run_key(item: _Loaded) -> tuple:
    """Pairs with equal keys are scored as one batch (one size, one pair of dtypes)."""
    return item.pred.shape, item.pred.dtype, item.ground.gt.dtype


def _walk(task_pairs: Sequence[Sequence[Pair]], options: Options, methods: list[_Method]):
    """Read every GT name of the chunk once, in natural order, and hand each method its pair."""
    by_gt: dict[Path, list[tuple[int, Pair]]] = {}
    for index, pairs in enumerate(task_pairs):
        for pair in pairs:
            by_gt.setdefault(pair[1], []).append((index, pair))
    conventions = get_conventions(options.conventions)
    for gt_path in sorted(by_gt, key=lambda path: natural_key(by_gt[path][0][1][0])):
        gt_map = read_gt(gt_path, conventions, on_missing=options.on_missing,
                         allow_emptied_gt=options.allow_emptied_gt,
                         skip_empty_gt=options.skip_empty_gt)
        image = _NOT_READ
        for index, (name, _, pred_path, *image_path) in by_gt[gt_path]:
            method = methods[index]
            if gt_map is None or gt_map.skipped:
                method.notes += (gt_map.notes if gt_map
                                 else [Note(NoteKind.GT_UNREADABLE, gt_path.name)])
                continue
            if image_path and image is _NOT_READ:
                image = read_rgb_image(image_path[0], gt_path, gt_map.gt.shape,
                                       on_missing=options.on_missing)
            if image_path and image is None:  # unreadable and skipped: the pair is left out
                method.notes.append(Note(NoteKind.IMAGE_UNREADABLE, image_path[0].name))
                continue
            pred, pred_notes = read_prediction(pred_path, gt_map.gt.shape,
                                               on_missing=options.on_missing)
            method.notes += pred_notes
            method.notes += gt_map.notes
            if pred is not None:
                method.add(_Loaded(name, gt_path, pred_path, pred, gt_map.ground,
                                   image if image_path else None))


def score_chunk(task_pairs: Sequence[Sequence[Pair]], options: Options, *,
                threads: int = 1) -> list[Scored]:
    """Score the pairs of several methods whose GT maps are the same chunk of one GT folder.

    Parameters
    ----------
    task_pairs : sequence of sequences of (name, GT path, prediction path[, image path])
        One sequence of pairs per method, in natural name order.
    options : Options
        Conventions, metric set, and what to do with unreadable, emptied or empty GT files.
    threads : int
        Threads of each Evaluator (for wF, HCE, CM, CCM beside the other metrics).

    Returns
    -------
    list of Scored
        One per entry of ``task_pairs``.
    """
    methods = [_Method(options, threads, per_pair=False) for _ in task_pairs]
    _walk(task_pairs, options, methods)
    for method in methods:
        method.flush()
    return [Scored(method.evaluator, method.notes) for method in methods]


def score_piece(task_pairs: Sequence[Sequence[Pair]], options: Options, *,
                threads: int = 1) -> list[Piece]:
    """Like :func:`score_chunk` for a piece of a chunk whose images are all scored one per
    engine chunk (:data:`sodbench.evaluator.SINGLE_IMAGE_PIXELS` or more): one Evaluator per
    scored pair, for :func:`join`."""
    methods = [_Method(options, threads, per_pair=True) for _ in task_pairs]
    _walk(task_pairs, options, methods)
    for method in methods:
        method.flush()
    return [Piece(method.parts, method.notes) for method in methods]


def score_unit(unit, options: Options) -> list[Scored] | list[Piece]:
    """Score a :class:`~sodbench.folders.schedule.WorkUnit`: a whole chunk
    (:func:`score_chunk`) or a piece of one (:func:`score_piece`)."""
    score = score_piece if unit.pieces > 1 else score_chunk
    return score(unit.pairs, options, threads=unit.threads)


def join(pieces: Sequence[Piece], options: Options) -> Scored:
    """One method's pieces of a chunk, in order, as the :class:`Scored` of the whole chunk."""
    evaluator, notes = new_evaluator(options), []
    for piece in pieces:
        for part in piece.parts:
            evaluator.merge(part)
        notes += piece.notes
    return Scored(evaluator, notes)


def _update(evaluator: Evaluator, batch: list[_Loaded], options: Options) -> None:
    """Feed one same-size batch; on an input error, name the pair that caused it."""
    try:
        ground = GroundTruth.concatenate([item.ground for item in batch])
        images = None if batch[0].image is None else np.stack([item.image for item in batch])
        evaluator.update(np.stack([item.pred for item in batch]), ground,
                         names=[item.name for item in batch], batch=True, image=images)
    except SodbenchError as error:
        for item in batch:
            try:
                new_evaluator(options).update(item.pred, item.ground, names=[item.name],
                                              image=item.image)
            except SodbenchError as single:
                raise SodbenchError(f"GT {item.gt_path}, prediction {item.pred_path}: "
                                    f"{single}") from single
        raise error
    except Exception as error:
        if hasattr(error, "add_note"):  # Python >= 3.11: say which files a bug hit
            error.add_note(f"sodbench: while evaluating "
                           f"{shorten(str(item.pred_path) for item in batch)}")
        raise


def to_payload(scored: Scored) -> dict:
    """A finished chunk of one method as JSON for the cache (resumed by :func:`from_payload`)."""
    return {"state": scored.evaluator.state(), "findings": notes_record(scored.notes)}


def from_payload(payload: dict, options: Options) -> Scored | None:
    """The :class:`Scored` a cached chunk holds, or None when it is damaged or was made under
    other conventions or metrics."""
    try:
        notes = notes_from_record(payload["findings"])
        evaluator = Evaluator.from_state(payload["state"], threads=1)
    except (SodbenchError, KeyError, TypeError, AttributeError):
        return None
    expected = new_evaluator(options)
    if notes is None or (evaluator.conventions, evaluator.metrics, evaluator.subsets) != (
            expected.conventions, expected.metrics, expected.subsets):
        return None
    return Scored(evaluator, notes)
