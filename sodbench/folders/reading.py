"""Reading one GT map or one prediction for scoring, with typed notes of what was odd.

A note is a :class:`Note`: its :class:`NoteKind` and the file's name. Counts
(``n_resized``, ``n_unreadable``) are taken by kind, and the text of the results entry's
``notes`` is made from the kinds only at the end (:func:`describe`).

Errors name the file, and the argument that would leave it out (``on_missing="skip"``) or
accept it (``allow_emptied_gt=True``). The RGB images (for CCM) are read here too
(:func:`read_rgb_image`), checked against their GT's size.
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
from sodbench.folders.images import load_map, read_rgb, resize_to
from sodbench.folders.pairing import shorten

__all__ = ["GroundTruthMap", "Note", "NoteKind", "count", "describe", "notes_from_record",
           "notes_record", "read_gt", "read_prediction", "read_rgb_image"]


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
    GT_EMPTY_SKIPPED = "gt_empty_skipped"
    IMAGE_UNREADABLE = "image_unreadable"

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
    NoteKind.GT_EMPTY_SKIPPED: ("GT masks are empty after the GT threshold and were left out "
                                "(for every method; --skip-empty-gt)"),
    NoteKind.IMAGE_UNREADABLE: "unreadable RGB images were skipped (for every method)",
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
    skipped: bool = False
    """Left out of the scores (an empty GT under ``skip_empty_gt``): ``notes`` says so."""


def _load_notes(path: Path, loaded: str | None) -> list[Note]:
    """The notes of :func:`~sodbench.folders.images.load_map`'s remark on a file."""
    kinds = [kind for kind in (NoteKind.LUMINANCE, NoteKind.ALPHA)
             if loaded and kind.value in loaded]
    return [Note(kind, path.name) for kind in kinds]


def read_gt(path: Path, conventions, *, on_missing: str = "error",
            allow_emptied_gt: bool = False, skip_empty_gt: bool = False
            ) -> GroundTruthMap | None:
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
    skip_empty_gt : bool
        A mask without foreground after the GT threshold comes back ``skipped``, its only
        note saying so (an emptied mask is still refused unless ``allow_emptied_gt``).

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
    if skip_empty_gt and not ground.mask.any():
        return GroundTruthMap(gt, ground, (Note(NoteKind.GT_EMPTY_SKIPPED, path.name),), True)
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


def read_rgb_image(path: Path, gt_path: Path, shape: tuple[int, int], *,
                   on_missing: str = "error") -> np.ndarray | None:
    """The RGB image of a pair as (H, W, 3) uint8 (:func:`~sodbench.folders.images.read_rgb`).

    An unreadable file raises, or gives None with ``on_missing="skip"`` (the pair is then
    left out for every method). An image of another size than its GT (``shape``) always
    raises: it is not the image of that mask, and resizing it would invent colours.

    >>> from PIL import Image
    >>> Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save("im.png")
    >>> read_rgb_image(Path("im.png"), Path("gt.png"), (4, 5)).shape
    (4, 5, 3)
    >>> read_rgb_image(Path("im.png"), Path("gt.png"), (5, 5))
    Traceback (most recent call last):
    ...
    sodbench.errors.SodbenchError: im.png: image is 4 x 5 but its GT gt.png is 5 x 5; ...
    """
    try:
        image = read_rgb(path)
    except SodbenchError as error:
        if on_missing == "error":
            raise SodbenchError(f"{error}; replace the image, or use on_missing=\"skip\" to "
                                "leave it out for every method") from error
        return None
    if image.shape[:2] != tuple(shape):
        raise SodbenchError(
            f"{path}: image is {image.shape[0]} x {image.shape[1]} but its GT {gt_path} is "
            f"{shape[0]} x {shape[1]}; give the image folder that holds the dataset's "
            "images at their GT size")
    return image


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
