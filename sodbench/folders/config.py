"""``sodbench eval --config FILE.toml``: many datasets x many methods in one file.

Schema (relative paths are relative to the config file; every key is optional unless said)::

    pred_root = "predictions"        # default for every dataset: <pred_root>/<method>/<name>/
    methods = ["MINet", "EDRNet"]    # default filter for every dataset

    [options]                        # the `sodbench eval` options, same names with "_"
    conventions = "pysodmetrics"     # 0.1.0 called it profile, still read
    metrics = ["MAE", "Sm", "wF"]    # or "MAE,Sm,wF"; group names too: ["dis", "IoU"]
    jobs = 2
    json = "results.json"
    per_image = "per_image.csv"
    curves = "curves.npz"
    on_missing = "error"             # or "skip"
    cache = true
    cache_dir = ".sodbench_cache"
    gt_prefix = ""                   # also gt_suffix, pred_prefix, pred_suffix
    allow_emptied_gt = false
    skip_empty_gt = false            # true: leave out images whose GT is empty (COD10K rule)
    subset = ["scratches=Sc_*"]      # subsets besides the whole set (docs/subsets.md)
    subsets = "classes.csv"          # name,subset rows
    subset_preset = "sd-saliency-900"
    size_buckets = "1%,10%"

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
    images = "data/ECSSD/images"     # RGB images, read by CCM only
    [dataset.pred]                   # explicit method folders (added to those found)
    MINet = "out/minet/ECSSD"

Errors name the file and the key: ``bench.toml: [[dataset]] 2 ('DUTS-TE'): key 'root': ...``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.evaluator.subsets import PRESETS, parse_size_buckets
from sodbench.folders.cluster import parse_scheduler
from sodbench.folders.inputs import read_text
from sodbench.folders.layouts import (
    LAYOUTS,
    ConfigPlace,
    check_label,
    folder_path,
    gt_folder,
    method_folders,
    path_text,
)
from sodbench.folders.memory import parse_size
from sodbench.folders.pairing import ON_MISSING
from sodbench.folders.subsets import parse_subset
from sodbench.folders.tasks import Task
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.metrics.keys import expand

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["DATASET_KEYS", "LAYOUTS", "OPTION_TYPES", "PATH_OPTIONS", "TOP_KEYS", "load_config"]

OPTION_TYPES = {
    "conventions": str, "profile": str, "metrics": (list, str), "jobs": int, "json": str,
    "per_image": str, "curves": str, "on_missing": str, "cache": bool, "cache_dir": str,
    "quiet": bool, "gt_prefix": str, "gt_suffix": str, "pred_prefix": str, "pred_suffix": str,
    "allow_emptied_gt": bool, "skip_empty_gt": bool, "max_memory": (str, int),
    "scheduler": str, "scheduler_timeout": (int, float), "subset": list, "subsets": str,
    "subset_preset": str, "size_buckets": str,
}
PATH_OPTIONS = ("json", "per_image", "curves", "cache_dir", "subsets")
DATASET_KEYS = {"name", "layout", "root", "gt", "images", "pred", "pred_root", "methods"}
TOP_KEYS = {"options", "dataset", "pred_root", "methods"}


def load_config(path: str | os.PathLike) -> tuple[list[Task], dict]:
    """Read a config file: the (dataset, method) tasks and the ``[options]`` table.

    Path options come back absolute; other options as written, except the 0.1.0 key
    ``profile``, which comes back as ``conventions``. Raises :class:`SodbenchError` naming the
    file and key on any problem.
    """
    path = Path(path)
    text = read_text(path, f"the config file {path}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SodbenchError(f"{path}: not valid TOML ({error})") from error
    except RecursionError:
        raise SodbenchError(f"{path}: not valid TOML (arrays or tables nested too "
                            "deeply)") from None
    where = ConfigPlace(path)
    _reject_unknown(data, TOP_KEYS, where)
    base = path.resolve().parent
    options = _options(data.get("options", {}), base, ConfigPlace(path, "[options]"))
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


def _reject_unknown(table: dict, allowed: set, where: ConfigPlace) -> None:
    for key in table:
        if key not in allowed:
            raise where.error(key, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _options(table, base: Path, where: ConfigPlace) -> dict:
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
            raise where.error(key, "is empty: name some metrics, or remove the key for the "
                                   "default set")
        if key == "metrics":
            try:
                expand(value)
            except ValueError as error:
                raise where.error(key, str(error)) from None
        if key == "jobs" and value < 1:
            raise where.error(key, f"{value}: must be at least 1")
        if key == "max_memory":
            try:
                parse_size(value)
            except SodbenchError as error:
                raise where.error(key, str(error).partition(": ")[2]) from None
        if key == "scheduler":
            try:
                parse_scheduler(value)
            except SodbenchError as error:
                raise where.error(key, str(error).partition(": ")[2]) from None
        if key == "scheduler_timeout" and not 0 < value < float("inf"):
            raise where.error(key, f"{value}: give a number of seconds above 0")
        if key in ("subset", "subset_preset", "size_buckets"):
            _check_subset_option(key, value, where)
        if key == "on_missing" and value not in ON_MISSING:
            raise where.error(key, f"{value!r}: choose one of {', '.join(ON_MISSING)}")
        if key in ("conventions", "profile") and value not in CONVENTIONS:
            raise where.error(key, f"unknown conventions {value!r}: choose one of "
                              f"{', '.join(CONVENTIONS)}")
        if key in PATH_OPTIONS:
            value = str(base / path_text(value, key, where))
        options[key] = value
    if "profile" in options:  # the 0.1.0 name of "conventions"
        if "conventions" in options:
            raise where.error("profile", "the old name of 'conventions', given beside it; "
                              "keep 'conventions' only")
        options["conventions"] = options.pop("profile")
    return options


def _check_subset_option(key: str, value, where: ConfigPlace) -> None:
    try:
        if key == "subset":
            if not all(isinstance(item, str) for item in value):
                raise SodbenchError("must be a list of NAME=GLOB strings")
            for item in value:
                parse_subset(item)
        elif key == "subset_preset" and value not in PRESETS:
            raise SodbenchError(f"unknown preset {value!r}: choose one of {', '.join(PRESETS)}")
        elif key == "size_buckets":
            parse_size_buckets(value)
    except SodbenchError as error:
        raise where.error(key, str(error)) from None


def _dataset_tasks(table, defaults: dict, base: Path, path: Path, number: int) -> list[Task]:
    if not isinstance(table, dict):
        raise ConfigPlace(path).error("dataset", f"entry {number} must be a table")
    name = table.get("name")
    where = ConfigPlace(path, f"[[dataset]] {number}" + (f" ({name!r})" if name else ""))
    _reject_unknown(table, DATASET_KEYS, where)
    if not isinstance(name, str) or not name:
        raise where.error("name", "required: the dataset name used in results")
    check_label(name, "name", "dataset", where)
    settings = {**defaults, **table}
    gt_dir = gt_folder(settings, base, where)
    images = settings.get("images")
    images_dir = None if images is None else folder_path(images, base, "images", where)
    preds = method_folders(settings, base, where, name)
    methods = settings.get("methods")
    if methods is not None:
        if not isinstance(methods, list):
            raise where.error("methods", "must be a list of method names")
        for method in methods:
            check_label(method, "methods", "method", where)
        unknown = [m for m in methods if m not in preds]
        if unknown:
            raise where.error("methods", f"no prediction folder for {', '.join(unknown)} "
                              f"(found: {', '.join(preds) or 'none'})")
        preds = {m: preds[m] for m in methods}
    if not preds:
        raise where.error("pred", "no method found: give [dataset.pred], pred_root or a layout")
    return [Task(name, method, gt_dir, folder, images_dir) for method, folder in preds.items()]
