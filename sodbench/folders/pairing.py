"""Pairing GT masks with predictions by file name, strictly by default.

A file ``<prefix><stem><suffix><.ext>`` has the shared name ``stem``; ``.ext`` is any of
:data:`sodbench.folders.images.MAP_EXTENSIONS` (case-insensitive), so ``In_1.bmp``, ``In_1.png`` and
``In_1.jpg`` all pair on ``In_1``. A suffix that ends with an extension (``"_sal.png"``, the
PySODEvalToolkit way) must match the whole file name instead. Other files are ignored; an
entry with a map's name that cannot be read (a looping link, a folder, a FIFO) is paired
like any map and fails, or is skipped, when read.

Unlike PySODEvalToolkit, which scores the name intersection silently, a GT name without a
prediction or two files with one name stop the run unless ``on_missing="skip"``; predictions
without a GT are reported, never fatal.

When a metric reads the RGB images (CCM), :func:`attach_images` adds each pair's image, found
in the image folder by the same shared name (no prefix or suffix), under the same rules.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.folders.images import MAP_EXTENSIONS
from sodbench.folders.inputs import check_input_folder

__all__ = ["NAME_RULES", "ON_MISSING", "Pairing", "attach_images", "image_folder", "list_maps",
           "natural_key", "pair_folders", "prediction_folder", "shorten"]

ON_MISSING = ("error", "skip")
_SHOWN = 5
# the arguments of the name rules, as the no-match error names them
NAME_RULES = "(gt_prefix, gt_suffix, pred_prefix, pred_suffix)"


def natural_key(name: str) -> tuple:
    """Sort key that puts ``In_2`` before ``In_10``."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def shorten(names, limit: int = _SHOWN) -> str:
    """``a, b, c, ... (+12 more)``: a list of names that fits on one line."""
    names = list(names)
    shown = ", ".join(str(name) for name in names[:limit])
    return shown + (f", ... (+{len(names) - limit} more)" if len(names) > limit else "")


def prediction_folder(method: str, folder: str | os.PathLike) -> str:
    """How messages name a method's prediction folder.

    >>> prediction_folder("MINet", "out/minet")
    'the prediction folder of MINet (out/minet)'
    """
    return f"the prediction folder of {method} ({folder})"


def image_folder(folder: str | os.PathLike) -> str:
    """How messages name a dataset's folder of RGB images.

    >>> image_folder("data/Imgs")
    'the image folder data/Imgs'
    """
    return f"the image folder {folder}"


def _shared_name(file_name: str, prefix: str, suffix: str) -> str | None:
    stem, ext = os.path.splitext(file_name)
    if ext.lower() not in MAP_EXTENSIONS or file_name.startswith("."):
        return None
    if os.path.splitext(suffix)[1].lower() in MAP_EXTENSIONS:
        stem = file_name
    if not (stem.startswith(prefix) and stem.endswith(suffix)):
        return None
    name = stem[len(prefix): len(stem) - len(suffix)]
    return name or None


def list_maps(
    folder: str | os.PathLike, *, prefix: str = "", suffix: str = "", what: str | None = None
) -> tuple[dict[str, Path], dict[str, list[Path]]]:
    """Map shared name -> file for the maps in ``folder``, and the names held by several files.

    Every entry with a map's name is listed without looking at what it is: one that is not a
    readable file (a looping or broken link, a folder, a FIFO) then fails when read, like a
    corrupt map, with a message naming it, instead of passing for a missing prediction.

    Raises :class:`SodbenchError` when the folder cannot be listed (missing, a file, a
    looping or broken link, no permission) or holds no matching map; ``what`` names the
    folder in the message (default ``"the folder <folder>"``).
    """
    what = what or f"the folder {folder}"
    folder = check_input_folder(folder, what)
    found: dict[str, list[Path]] = {}
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries]
    except OSError as error:
        raise SodbenchError(f"{what}: cannot list the folder "
                            f"({error.strerror or type(error).__name__})") from error
    for file_name in names:
        name = _shared_name(file_name, prefix, suffix)
        if name is not None:
            found.setdefault(name, []).append(folder / file_name)
    if not found:
        rule = f" named {prefix!r}+name+{suffix!r}" if prefix or suffix else ""
        raise SodbenchError(
            f"{what}: no maps{rule} ({' '.join(MAP_EXTENSIONS)}) in this folder"
        )
    unique = {name: paths[0] for name, paths in found.items() if len(paths) == 1}
    duplicates = {name: sorted(paths) for name, paths in found.items() if len(paths) > 1}
    return unique, duplicates


@dataclass
class Pairing:
    """The evaluated pairs of one (dataset, method) and everything that was left out."""

    pairs: list[tuple]
    """(shared name, GT file, prediction file), and the image file after
    :func:`attach_images`."""
    n_gt: int
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    gt_names: list[str] = field(default_factory=list)
    """Every GT name of the folder, paired or not, in natural order."""
    no_image: list[str] = field(default_factory=list)
    """GT names left out for want of an RGB image (:func:`attach_images`)."""

    def notes(self) -> list[str]:
        """One line per kind of omission (empty when every GT has exactly one prediction)."""
        notes = []
        if self.missing:
            notes.append(f"{len(self.missing)} GT maps without prediction were skipped: "
                         f"{shorten(self.missing)}")
        if self.duplicates:
            notes.append(f"{len(self.duplicates)} names held by several files were skipped: "
                         f"{shorten(self.duplicates)}")
        if self.no_image:
            notes.append(f"{len(self.no_image)} GT maps without RGB image were skipped: "
                         f"{shorten(self.no_image)}")
        if self.extra:
            notes.append(f"{len(self.extra)} predictions have no GT and were ignored: "
                         f"{shorten(self.extra)}")
        return notes


def _duplicate_error(duplicates: dict[str, list[Path]], what: str) -> SodbenchError:
    name, paths = next(iter(sorted(duplicates.items())))
    more = f" (and {len(duplicates) - 1} more names)" if len(duplicates) > 1 else ""
    return SodbenchError(
        f"{what}: {len(paths)} files share the name {name!r}: "
        f"{', '.join(str(path) for path in paths)}{more}; remove one or use "
        "on_missing=\"skip\""
    )


def pair_folders(
    gt_dir: str | os.PathLike,
    pred_dir: str | os.PathLike,
    *,
    method: str = "pred",
    gt_prefix: str = "",
    gt_suffix: str = "",
    pred_prefix: str = "",
    pred_suffix: str = "",
    on_missing: str = "error",
) -> Pairing:
    """Pair the GT maps of ``gt_dir`` with the predictions of ``pred_dir`` by shared name.

    Pairs come in natural name order. With ``on_missing="error"`` a GT name without a
    prediction, or a name held by two files in either folder, raises :class:`SodbenchError`
    naming the files; with ``"skip"`` those names are left out and listed in
    :meth:`Pairing.notes`.
    """
    if on_missing not in ON_MISSING:
        raise SodbenchError(f"on_missing={on_missing!r}: choose one of {', '.join(ON_MISSING)}")
    gt_folder, pred_folder = f"the GT folder {gt_dir}", prediction_folder(method, pred_dir)
    gt, gt_dups = list_maps(gt_dir, prefix=gt_prefix, suffix=gt_suffix, what=gt_folder)
    pred, pred_dups = list_maps(pred_dir, prefix=pred_prefix, suffix=pred_suffix,
                                what=pred_folder)
    strict = on_missing == "error"
    if strict and gt_dups:
        raise _duplicate_error(gt_dups, gt_folder)
    if strict and pred_dups:
        raise _duplicate_error(pred_dups, pred_folder)
    gt_names = set(gt) | set(gt_dups)
    common = sorted(set(gt) & set(pred), key=natural_key)
    if not common:
        raise SodbenchError(
            f"{pred_folder}: no prediction name matches a GT name in {gt_dir} "
            f"(GT e.g. {min(gt_names, key=natural_key)!r}, prediction e.g. "
            f"{min(set(pred) | set(pred_dups), key=natural_key)!r}); "
            f"check the name rules {NAME_RULES}"
        )
    missing = sorted(set(gt) - set(pred) - set(pred_dups), key=natural_key)
    if strict and missing:
        raise SodbenchError(
            f"{pred_folder}: {len(missing)} of {len(gt_names)} GT maps have no prediction: "
            f"{shorten(missing)}; use on_missing=\"skip\" to evaluate the others"
        )
    return Pairing(
        pairs=[(name, gt[name], pred[name]) for name in common],
        n_gt=len(gt_names),
        missing=missing,
        extra=sorted(set(pred) - gt_names, key=natural_key),
        duplicates=sorted((set(gt_dups) | set(pred_dups)) & gt_names, key=natural_key),
        gt_names=sorted(gt_names, key=natural_key),
    )


def attach_images(pairing: Pairing, listing: tuple[dict[str, Path], dict[str, list[Path]]],
                  folder: str | os.PathLike, *, on_missing: str = "error") -> Pairing:
    """``pairing`` with each pair's RGB image: (name, GT, prediction, image).

    Parameters
    ----------
    pairing : Pairing
        From :func:`pair_folders`.
    listing : (dict, dict)
        :func:`list_maps` of the image folder (listed once for every method of a dataset).
    folder : path-like
        The image folder, for messages.
    on_missing : {"error", "skip"}
        A paired name without image, or with two image files, raises :class:`SodbenchError`;
        with ``"skip"`` it is left out and noted (:attr:`Pairing.no_image`,
        :attr:`Pairing.duplicates`).

    >>> pairing = Pairing([("a", Path("GT/a.png"), Path("P/a.png"))], n_gt=1)
    >>> attach_images(pairing, ({"a": Path("Img/a.jpg")}, {}), "Img").pairs[0][3].name
    'a.jpg'
    """
    images, duplicates = listing
    what = image_folder(folder)
    names = [pair[0] for pair in pairing.pairs]
    doubled = {name: duplicates[name] for name in names if name in duplicates}
    if on_missing == "error" and doubled:
        raise _duplicate_error(doubled, what)
    missing = [name for name in names if name not in images and name not in doubled]
    if on_missing == "error" and missing:
        raise SodbenchError(
            f"{what}: {len(missing)} of {len(names)} paired GT maps have no RGB image: "
            f"{shorten(missing)}; use on_missing=\"skip\" to evaluate the others")
    pairs = [(*pair, images[pair[0]]) for pair in pairing.pairs if pair[0] in images]
    if not pairs:
        example = min([*images, *duplicates], key=natural_key)
        raise SodbenchError(f"{what}: no image name matches a GT name (GT e.g. {names[0]!r}, "
                            f"image e.g. {example!r})")
    return dataclasses.replace(
        pairing, pairs=pairs, no_image=missing,
        duplicates=sorted(set(pairing.duplicates) | set(doubled), key=natural_key))
