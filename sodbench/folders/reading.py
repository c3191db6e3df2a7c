"""Reading one GT map or one prediction for scoring, with typed notes of what was odd.

A note is a :class:`Note`: its :class:`NoteKind` and the file's name. Counts
(``n_resized``, ``n_unreadable``) are taken by kind, and the text of the results entry's
``notes`` is made from the kinds only at the end (:func:`describe`).

Errors name the file, and the argument that would leave it out (``on_missing="skip"``) or
accept it (``allow_emptied_gt=True``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator import GroundTruth
from sodbench.folders.images import load_map, resize_to
from sodbench.folders.pairing import shorten

__all__ = ["GroundTruthMap", "Note", "NoteKind", "count", "describe", "notes_from_record",
           "notes_record", "read_gt", "read_prediction"]


class NoteKind(enum.Enum):
    """What can be odd about a file that is scored (or skipped) anyway."""

    RESIZED = "resized"
    LUMINANCE = "luminance"
    ALPHA = "alpha"
    UNREADABLE = "unreadable"
    GT_UNREADABLE = "gt_unreadable"
    GT_NOT_BINARY = "gt_not_binary"
    GT_EMPTY = "gt_empty"
    GT_EMPTIED = "gt_emptied"

    @property
    def text(self) -> str:
        """What the results entry says of the files of this kind."""
        return _TEXT[self]


_TEXT = {
    NoteKind.RESIZED: "predictions resized to their GT size (bilinear)",
    NoteKind.LUMINANCE: ("RGB predictions with unequal channels converted to luminance "
                         "(ITU-R 601)"),
    NoteKind.ALPHA: "maps had an alpha channel, ignored",
    NoteKind.UNREADABLE: "unreadable predictions were skipped",
    NoteKind.GT_UNREADABLE: "unreadable GT maps were skipped (for every method)",
    NoteKind.GT_NOT_BINARY: "GT masks are not binary; binarised as the conventions say",
    NoteKind.GT_EMPTY: "GT masks are empty (all background); evaluated",
    NoteKind.GT_EMPTIED: ("GT masks have non-zero pixels but none above the GT threshold; "
                          "evaluated as empty (--allow-emptied-gt)"),
}


@dataclass(frozen=True)
class Note:
    """One file of one :class:`NoteKind` (by its name, as the results show it)."""

    kind: NoteKind
    name: str


class GroundTruthMap(NamedTuple):
    """A GT file read for scoring: its array, its prepared :class:`GroundTruth`, its notes."""

    gt: np.ndarray
    ground: GroundTruth
    notes: tuple[Note, ...]


def _load_notes(path: Path, loaded: str | None) -> list[Note]:
    """The notes of :func:`~sodbench.folders.images.load_map`'s remark on a file."""
    kinds = [kind for kind in (NoteKind.LUMINANCE, NoteKind.ALPHA)
             if loaded and kind.value in loaded]
    return [Note(kind, path.name) for kind in kinds]


def read_gt(path: Path, conventions, *, on_missing: str = "error",
            allow_emptied_gt: bool = False) -> GroundTruthMap | None:
    """Read, check and prepare one GT file, once for every method scored on it.

    Parameters
    ----------
    path : Path
        The GT file.
    conventions : str or Conventions
        Fix the binarisation (see :class:`sodbench.evaluator.GroundTruth`).
    on_missing : {"error", "skip"}
        An unreadable file raises, or with ``"skip"`` gives None (its pairs are left out for
        every method).
    allow_emptied_gt : bool
        Accept a mask whose non-zero pixels the GT threshold empties (scored as empty).

    Returns
    -------
    GroundTruthMap or None
    """
    try:
        gt, loaded = load_map(path)
    except SodbenchError as error:
        if on_missing == "error":
            raise SodbenchError(f"GT {error}; replace the file, or use on_missing=\"skip\" to "
                                "leave it out for every method") from error
        return None
    notes = _load_notes(path, loaded)
    try:
        # emptied masks are accepted here and judged below, where the message names the file
        ground = GroundTruth(gt, conventions, allow_emptied_gt=True)
    except SodbenchError as error:
        raise SodbenchError(f"GT {path}: {error}") from error
    emptied = ground.emptied()
    if emptied and not allow_emptied_gt:
        raise SodbenchError(f"GT {path} is {emptied[0]}, or use allow_emptied_gt=True to "
                            "score it as empty")
    full = np.iinfo(gt.dtype).max if gt.dtype.kind in "ui" else 1
    if not gt.any():
        notes.append(Note(NoteKind.GT_EMPTY, path.name))
    elif emptied:
        notes.append(Note(NoteKind.GT_EMPTIED, path.name))
    elif gt.dtype != bool and not ((gt == 0) | (gt == full)).all():
        notes.append(Note(NoteKind.GT_NOT_BINARY, path.name))
    return GroundTruthMap(gt, ground, tuple(notes))


def read_prediction(path: Path, shape: tuple[int, int], *,
                    on_missing: str = "error") -> tuple[np.ndarray | None, list[Note]]:
    """One prediction, resized to its GT's ``shape`` where it differs, and its notes.

    The array is None when the file is unreadable and ``on_missing="skip"``; otherwise an
    unreadable file raises :class:`SodbenchError` naming it.
    """
    try:
        pred, loaded = load_map(path)
    except SodbenchError as error:
        if on_missing == "error":
            raise SodbenchError(f"{error}; use on_missing=\"skip\" to leave it out") from error
        return None, [Note(NoteKind.UNREADABLE, path.name)]
    notes = _load_notes(path, loaded)
    if pred.shape != shape:
        pred = resize_to(pred, shape)
        notes.append(Note(NoteKind.RESIZED, path.name))
    return pred, notes


def count(notes: Iterable[Note], *kinds: NoteKind) -> int:
    """How many notes are of one of ``kinds``."""
    return sum(note.kind in kinds for note in notes)


def describe(notes: Iterable[Note]) -> list[str]:
    """One line per kind, in the order kinds first appear: ``"2 <text>: a.png, b.png"``."""
    names: dict[NoteKind, list[str]] = {}
    for note in notes:
        names.setdefault(note.kind, []).append(note.name)
    return [f"{len(found)} {kind.text}: {shorten(found)}" for kind, found in names.items()]


def notes_record(notes: Iterable[Note]) -> dict[str, list[str]]:
    """Notes as JSON for a cached chunk: kind -> names, kinds in order of first appearance."""
    record: dict[str, list[str]] = {}
    for note in notes:
        record.setdefault(note.kind.value, []).append(note.name)
    return record


def notes_from_record(record) -> list[Note] | None:
    """The notes of :func:`notes_record`'s output, or None when it is damaged."""
    known = {kind.value: kind for kind in NoteKind}
    if not isinstance(record, Mapping) or not all(
            kind in known and isinstance(names, list) and all(isinstance(n, str) for n in names)
            for kind, names in record.items()):
        return None
    return [Note(known[kind], name) for kind, names in record.items() for name in names]
