"""``sodbench eval --config FILE.toml``: many datasets x many methods in one file.

Schema (relative paths are relative to the config file; every key is optional unless said)::

    pred_root = "predictions"        # default for every dataset: <pred_root>/<method>/<name>/
    methods = ["MINet", "EDRNet"]    # default filter for every dataset

    [options]                        # the `sodbench eval` options, same names with "_"
    profile = "pysodmetrics"
    metrics = ["MAE", "Sm", "wF"]    # or "MAE,Sm,wF"
    jobs = 2
    json = "results.json"
    per_image = "per_image.csv"
    curves = "curves.npz"
    on_missing = "error"             # or "skip"
    cache = true
    cache_dir = ".sodbench_cache"
    gt_prefix = ""                   # also gt_suffix, pred_prefix, pred_suffix
    allow_emptied_gt = false         # true = --allow-emptied-gt

    [[dataset]]
    name = "SD-Saliency-900"         # required
    layout = "sd-saliency-900"       # GT in <root>/GT/, methods in <root>/pred/<method>/
    root = "/data/SD-saliency-900"

    [[dataset]]
    name = "DUTS-TE"
    layout = "generic"               # GT in <root>/GT/ (or Mask/); images in <root>/Image/
    root = "data/DUTS-TE"
    pred_root = "runs"               # methods in runs/<method>/DUTS-TE/
    methods = ["MINet"]

    [[dataset]]
    name = "ECSSD"
    gt = "data/ECSSD/masks"          # explicit GT folder instead of a layout
    [dataset.pred]                   # explicit method folders (added to those found)
    MINet = "out/minet/ECSSD"

Errors name the file and the key: ``bench.toml: [[dataset]] 2 ('DUTS-TE'): key 'root': ...``.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.folders.evaluation import Task
from sodbench.folders.inputs import input_problem, name_problem, open_input
from sodbench.folders.pairing import ON_MISSING, natural_key
from sodbench.metrics.conventions import CONVENTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

LAYOUTS = {
    "generic": ("GT", "Mask", "Masks", "gt", "mask"),
    "sd-saliency-900": ("GT",),
}
OPTION_TYPES = {
    "profile": str, "metrics": (list, str), "jobs": int, "json": str, "per_image": str,
    "curves": str, "on_missing": str, "cache": bool, "cache_dir": str, "quiet": bool,
    "gt_prefix": str, "gt_suffix": str, "pred_prefix": str, "pred_suffix": str,
    "allow_emptied_gt": bool,
}
PATH_OPTIONS = ("json", "per_image", "curves", "cache_dir")
DATASET_KEYS = {"name", "layout", "root", "gt", "pred", "pred_root", "methods"}
TOP_KEYS = {"options", "dataset", "pred_root", "methods"}


class _Where:
    """Builds error messages that name the config file and the offending key."""

    def __init__(self, path: Path, section: str = ""):
        self.path, self.section = path, section

    def error(self, key: str, problem: str) -> SodbenchError:
        place = f"{self.section}: " if self.section else ""
        return SodbenchError(f"{self.path}: {place}key {key!r}: {problem}")


def load_config(path: str | os.PathLike) -> tuple[list[Task], dict]:
    """Read a config file: the (dataset, method) tasks and the ``[options]`` table.

    Path options come back absolute; other options as written. Raises
    :class:`SodbenchError` naming the file and key on any problem.
    """
    path = Path(path)
    problem = input_problem(path)
    if problem is not None:
        raise SodbenchError(f"--config {path}: {problem}")
    try:
        with open_input(path) as handle:
            text = handle.read().decode("utf-8")
    except OSError as error:
        raise SodbenchError(f"--config {path}: cannot read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise SodbenchError(f"{path}: not valid TOML ({error})") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SodbenchError(f"{path}: not valid TOML ({error})") from error
    except RecursionError:
        raise SodbenchError(f"{path}: not valid TOML (arrays or tables nested too "
                            "deeply)") from None
    where = _Where(path)
    _reject_unknown(data, TOP_KEYS, where)
    base = path.resolve().parent
    options = _options(data.get("options", {}), base, _Where(path, "[options]"))
    datasets = data.get("dataset")
    if not isinstance(datasets, list) or not datasets:
        raise where.error("dataset", "add at least one [[dataset]] table")
    defaults = {key: data[key] for key in ("pred_root", "methods") if key in data}
    tasks: list[Task] = []
    for number, table in enumerate(datasets, 1):
        tasks.extend(_dataset_tasks(table, defaults, base, path, number))
    seen = set()
    for task in tasks:
        if (task.dataset, task.method) in seen:
            raise where.error("dataset", f"({task.dataset}, {task.method}) is listed twice")
        seen.add((task.dataset, task.method))
    return tasks, options


def _reject_unknown(table: dict, allowed: set, where: _Where) -> None:
    for key in table:
        if key not in allowed:
            raise where.error(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _options(table, base: Path, where: _Where) -> dict:
    if not isinstance(table, dict):
        raise where.error("options", "must be a table ([options])")
    _reject_unknown(table, set(OPTION_TYPES), where)
    options = {}
    for key, value in table.items():
        if not isinstance(value, OPTION_TYPES[key]) or isinstance(value, bool) != (
            OPTION_TYPES[key] is bool
        ):
            raise where.error(key, f"wrong type {type(value).__name__}")
        if key == "metrics" and isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        if key == "metrics" and not all(isinstance(item, str) for item in value):
            raise where.error(key, "must be a list of metric names (strings)")
        if key == "metrics" and not value:
            raise where.error(key, "is empty: name some metrics, or remove the key for all")
        if key == "jobs" and value < 1:
            raise where.error(key, f"{value}: must be at least 1")
        if key == "on_missing" and value not in ON_MISSING:
            raise where.error(key, f"{value!r}: choose one of {', '.join(ON_MISSING)}")
        if key == "profile" and value not in CONVENTIONS:
            raise where.error(key, f"unknown profile {value!r}: choose one of "
                              f"{', '.join(CONVENTIONS)}")
        if key in PATH_OPTIONS:
            value = str(base / _path_text(value, key, where))
        options[key] = value
    return options


def _dataset_tasks(table, defaults: dict, base: Path, path: Path, number: int) -> list[Task]:
    if not isinstance(table, dict):
        raise _Where(path).error("dataset", f"entry {number} must be a table")
    name = table.get("name")
    where = _Where(path, f"[[dataset]] {number}" + (f" ({name!r})" if name else ""))
    _reject_unknown(table, DATASET_KEYS, where)
    if not isinstance(name, str) or not name:
        raise where.error("name", "required: the dataset name used in results")
    _check_label(name, "name", "dataset", where)
    settings = {**defaults, **table}
    gt_dir = _gt_dir(settings, base, where)
    preds = _preds(settings, base, where, name)
    methods = settings.get("methods")
    if methods is not None:
        if not isinstance(methods, list):
            raise where.error("methods", "must be a list of method names")
        for method in methods:
            _check_label(method, "methods", "method", where)
        unknown = [m for m in methods if m not in preds]
        if unknown:
            raise where.error("methods", f"no prediction folder for {', '.join(unknown)} "
                              f"(found: {', '.join(preds) or 'none'})")
        preds = {m: preds[m] for m in methods}
    if not preds:
        raise where.error("pred", "no method found: give [dataset.pred], pred_root or a layout")
    return [Task(name, method, gt_dir, folder) for method, folder in preds.items()]


def _path_text(value: str, key: str, where: _Where) -> str:
    if not value or "\0" in value:
        raise where.error(key, "must be a non-empty path without NUL characters")
    return value


def _folder(value, base: Path, key: str, where: _Where) -> Path:
    if not isinstance(value, str):
        raise where.error(key, "must be a folder path (string)")
    return base / os.path.expanduser(_path_text(value, key, where))


def _check_label(label, key: str, what: str, where: _Where) -> None:
    problem = name_problem(label)
    if problem is not None:
        raise where.error(key, f"{what} name {problem}")


def _gt_dir(settings: dict, base: Path, where: _Where) -> Path:
    if "gt" in settings:
        return _folder(settings["gt"], base, "gt", where)
    layout = settings.get("layout")
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise where.error("layout", f"{layout!r} is not one of {', '.join(LAYOUTS)} "
                          "(or give the GT folder with 'gt')")
    root = _folder(settings.get("root"), base, "root", where)
    _check_folder(root, "root", where)
    for candidate in LAYOUTS[layout]:
        if (root / candidate).is_dir():
            return root / candidate
    raise where.error("root", f"{root} has no {' or '.join(LAYOUTS[layout])} folder "
                      f"(layout {layout!r})")


def _check_folder(folder: Path, key: str, where: _Where) -> None:
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


def _subfolders(folder: Path, key: str, where: _Where) -> list[str]:
    if not os.path.lexists(folder):
        return []
    _check_folder(folder, key, where)
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries if not entry.name.startswith(".")]
    except OSError as error:
        raise where.error(key, f"{folder}: cannot list the folder ({error.strerror})") from error
    return sorted((name for name in names if _folder_like(folder / name)), key=natural_key)


def _preds(settings: dict, base: Path, where: _Where, name: str) -> dict[str, Path]:
    preds: dict[str, Path] = {}
    if settings.get("layout") == "sd-saliency-900" and "root" in settings:
        pred_dir = _folder(settings["root"], base, "root", where) / "pred"
        preds.update({m: pred_dir / m for m in _subfolders(pred_dir, "root", where)})
    if "pred_root" in settings:
        pred_root = _folder(settings["pred_root"], base, "pred_root", where)
        _check_folder(pred_root, "pred_root", where)
        # a method without this dataset is skipped; one whose folder cannot be read is not
        preds.update({m: pred_root / m / name for m in _subfolders(pred_root, "pred_root", where)
                      if _folder_like(pred_root / m / name)})
    for method in preds:  # folder names found by a layout or under pred_root
        _check_label(method, "pred_root" if "pred_root" in settings else "root", "method", where)
    explicit = settings.get("pred", {})
    if not isinstance(explicit, dict):
        raise where.error("pred", "must be a table of method = folder")
    for method, folder in explicit.items():
        _check_label(method, f"pred.{method}", "method", where)
        preds[method] = _folder(folder, base, f"pred.{method}", where)
    return preds
