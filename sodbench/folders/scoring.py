"""Scoring one unit of work: the pairs of several methods on one chunk of a GT folder.

:func:`score_chunk` is what a worker runs (see :mod:`sodbench.folders.schedule`). Every GT
file of the chunk (and its RGB image, when CCM reads it) is read and prepared once for all the
methods; each method gets its own :class:`sodbench.Evaluator`, fed runs of consecutive
same-size pairs as one batch, so the pair order, and with it every float sum, is that of a
one-by-one evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator, GroundTruth
from sodbench.folders.pairing import shorten
from sodbench.folders.reading import (
    GroundTruthMap,
    Note,
    NoteKind,
    notes_from_record,
    notes_record,
    read_gt,
    read_prediction,
    read_rgb_image,
)
from sodbench.folders.tasks import Options

__all__ = ["Scored", "from_payload", "new_evaluator", "score_chunk", "to_payload"]

Pair = tuple[str, Path, Path] | tuple[str, Path, Path, Path]
"""(shared name, GT file, prediction file), and the RGB image file when the metrics read it
(:func:`sodbench.folders.pairing.attach_images`)."""


class Scored(NamedTuple):
    """One method's scores on one chunk, and the notes of its files."""

    evaluator: Evaluator
    notes: list[Note]


class _Loaded(NamedTuple):
    name: str
    gt_path: Path
    pred_path: Path
    pred: np.ndarray
    gt: np.ndarray
    ground: GroundTruth
    image: np.ndarray | None


def new_evaluator(options: Options) -> Evaluator:
    """An empty Evaluator for ``options`` (raises on unknown conventions or metric keys)."""
    # one thread per evaluator: the worker processes already use every core (jobs)
    return Evaluator(conventions=options.conventions, metrics=options.metrics, threads=1,
                     allow_emptied_gt=options.allow_emptied_gt)


def score_chunk(task_pairs: Sequence[Sequence[Pair]], options: Options) -> list[Scored]:
    """Score the pairs of several methods whose GT maps are the same chunk of one GT folder.

    Parameters
    ----------
    task_pairs : sequence of sequences of (name, GT path, prediction path[, image path])
        One sequence of pairs per method, in natural name order.
    options : Options
        Conventions, metric set, and what to do with unreadable, emptied or empty GT files.

    Returns
    -------
    list of Scored
        One per entry of ``task_pairs``.
    """
    grounds: dict[Path, GroundTruthMap | None] = {}
    images: dict[Path, np.ndarray | None] = {}
    outcomes = []
    for pairs in task_pairs:
        evaluator = new_evaluator(options)
        notes: list[Note] = []
        loaded = []
        for name, gt_path, pred_path, *image_path in pairs:
            if gt_path not in grounds:
                grounds[gt_path] = read_gt(gt_path, evaluator.conventions,
                                           on_missing=options.on_missing,
                                           allow_emptied_gt=options.allow_emptied_gt,
                                           skip_empty_gt=options.skip_empty_gt)
            gt_map = grounds[gt_path]
            if gt_map is None or gt_map.skipped:
                notes += gt_map.notes if gt_map else [Note(NoteKind.GT_UNREADABLE, gt_path.name)]
                continue
            image = None
            if image_path:
                if image_path[0] not in images:
                    images[image_path[0]] = read_rgb_image(image_path[0], gt_path,
                                                           gt_map.gt.shape,
                                                           on_missing=options.on_missing)
                image = images[image_path[0]]
                if image is None:
                    notes.append(Note(NoteKind.IMAGE_UNREADABLE, image_path[0].name))
                    continue
            pred, pred_notes = read_prediction(pred_path, gt_map.gt.shape,
                                               on_missing=options.on_missing)
            notes += pred_notes
            notes += gt_map.notes
            if pred is not None:
                loaded.append(_Loaded(name, gt_path, pred_path, pred, gt_map.gt, gt_map.ground,
                                      image))
        for _, batch in groupby(loaded, key=lambda item: (item.gt.shape, item.pred.dtype,
                                                          item.gt.dtype)):
            _update(evaluator, list(batch), options)
        outcomes.append(Scored(evaluator, notes))
    return outcomes


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
    if notes is None or (evaluator.conventions, evaluator.metrics) != (
            expected.conventions, expected.metrics):
        return None
    return Scored(evaluator, notes)
