"""Where a config file's datasets keep their GT and prediction folders.

A ``[[dataset]]`` table names its GT folder (``gt``, or a ``layout`` and its ``root``) and its
methods' prediction folders (found by the layout, under ``pred_root``, or listed in
``[dataset.pred]``); see :mod:`sodbench.folders.config` and docs/eval.md ("Config file").
Errors name the config file, the table and the key (:class:`ConfigPlace`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.folders.inputs import input_problem, name_problem
from sodbench.folders.pairing import natural_key

__all__ = ["LAYOUTS", "ConfigPlace", "check_label", "folder_path", "gt_folder",
           "method_folders", "path_text"]

LAYOUTS = {
    "generic": ("GT", "Mask", "Masks", "gt", "mask"),
    "sd-saliency-900": ("GT",),
}


class ConfigPlace:
    """A place in a config file (the file, and a table or none); errors there name it and the
    key."""

    def __init__(self, path: Path, section: str = ""):
        self.path, self.section = path, section

    def error(self, key: str, problem: str) -> SodbenchError:
        place = f"{self.section}: " if self.section else ""
        return SodbenchError(f"{self.path}: {place}key {key!r}: {problem}")


def path_text(value: str, key: str, where: ConfigPlace) -> str:
    """``value`` if it can be a path (not empty, no NUL), else the error naming ``key``."""
    if not value or "\0" in value:
        raise where.error(key, "must be a non-empty path without NUL characters")
    return value


def folder_path(value, base: Path, key: str, where: ConfigPlace) -> Path:
    """The folder a config value names: ``~`` expanded, relative to ``base`` (the config's
    folder)."""
    if not isinstance(value, str):
        raise where.error(key, "must be a folder path (string)")
    return base / os.path.expanduser(path_text(value, key, where))


def check_label(label, key: str, what: str, where: ConfigPlace) -> None:
    """Refuse a dataset or method name (``what``) that cannot be shown on one line."""
    problem = name_problem(label)
    if problem is not None:
        raise where.error(key, f"{what} name {problem}")


def gt_folder(settings: dict, base: Path, where: ConfigPlace) -> Path:
    """A dataset's GT folder: ``gt``, or the first folder of its layout found in ``root``."""
    if "gt" in settings:
        return folder_path(settings["gt"], base, "gt", where)
    layout = settings.get("layout")
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise where.error("layout", f"{layout!r} is not one of {', '.join(LAYOUTS)} "
                          "(or give the GT folder with 'gt')")
    root = folder_path(settings.get("root"), base, "root", where)
    _check_folder(root, "root", where)
    for candidate in LAYOUTS[layout]:
        if (root / candidate).is_dir():
            return root / candidate
    raise where.error("root", f"{root} has no {' or '.join(LAYOUTS[layout])} folder "
                      f"(layout {layout!r})")


def _check_folder(folder: Path, key: str, where: ConfigPlace) -> None:
    problem = input_problem(folder, folder=True)
    if problem is not None:
        raise where.error(key, f"{folder}: {problem}")


def _folder_like(path: Path) -> bool:
    """A folder, or a link that cannot be followed (looping, broken) or a path that cannot be
    read: such a method folder is kept, so that reading it reports why, not dropped."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except FileNotFoundError:
        return os.path.islink(path)
    except (OSError, ValueError):
        return True


def _subfolders(folder: Path, key: str, where: ConfigPlace) -> list[str]:
    if not os.path.lexists(folder):
        return []
    _check_folder(folder, key, where)
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if not entry.name.startswith(".")]
    except OSError as error:
        raise where.error(key, f"{folder}: cannot list the folder ({error.strerror})") from error
    return sorted((name for name in names if _folder_like(folder / name)), key=natural_key)


def method_folders(settings: dict, base: Path, where: ConfigPlace,
                   name: str) -> dict[str, Path]:
    """Method -> prediction folder of dataset ``name``: those its layout finds under
    ``<root>/pred/``, those under ``<pred_root>/<method>/<name>/``, then ``[dataset.pred]``."""
    preds: dict[str, Path] = {}
    if settings.get("layout") == "sd-saliency-900" and "root" in settings:
        pred_dir = folder_path(settings["root"], base, "root", where) / "pred"
        preds.update({m: pred_dir / m for m in _subfolders(pred_dir, "root", where)})
    if "pred_root" in settings:
        pred_root = folder_path(settings["pred_root"], base, "pred_root", where)
        _check_folder(pred_root, "pred_root", where)
        # a method without this dataset is skipped; one whose folder cannot be read is not
        preds.update({m: pred_root / m / name for m in _subfolders(pred_root, "pred_root", where)
                      if _folder_like(pred_root / m / name)})
    for method in preds:  # folder names found by a layout or under pred_root
        check_label(method, "pred_root" if "pred_root" in settings else "root", "method", where)
    explicit = settings.get("pred", {})
    if not isinstance(explicit, dict):
        raise where.error("pred", "must be a table of method = folder")
    for method, folder in explicit.items():
        check_label(method, f"pred.{method}", "method", where)
        preds[method] = folder_path(folder, base, f"pred.{method}", where)
    return preds
