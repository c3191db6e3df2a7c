"""Published leaderboards as data: the MINet paper's Tables II, III and IV.

The numbers live in the top-level ``leaderboards/`` folder of the repository (one CSV per
table plus ``leaderboards.json`` with titles, units, metric directions and the source
citation). The wheel ships that folder as the package ``sodbench.reports.leaderboard_data``
(``pyproject.toml`` maps the package to the folder: one copy, no symlink), read through
:mod:`importlib.resources`, so it works from a wheel and an editable install alike.
:func:`load` returns them with canonical metric keys (``WF`` -> ``wF``, ``SM`` -> ``Sm``)
so that a user's results can be merged into a published table. Each also knows how many
test images its rows were scored on (``n_images``: 900 for SD-Saliency-900, the paper's
Sec. IV-A-1), so a run on another image set is not ranked against them unnoticed, and under
which metric conventions they were scored (``conventions``; ``minet-tii2024`` for the bundled
tables).

References
----------
K. Shen, X. Zhou, Z. Liu, "MINet: Multi-scale Interactive Network for Real-time Salient
Object Detection of Strip Steel Surface Defects", IEEE Trans. Industrial Informatics, 2024.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.folders.inputs import open_input
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.metrics.keys import ALIASES, GROUPS, KEYS, LOWER_IS_BETTER, METRIC_KEYS

__all__ = ["COST_ALIASES", "EFFICIENCY_KEYS", "LOWER_IS_BETTER_EFFICIENCY", "Leaderboard",
           "available", "canonical_key", "expand_columns", "informational", "load",
           "lower_is_better"]

#: Columns describing a model's cost rather than its accuracy, in table order.
EFFICIENCY_KEYS = ("Param", "FLOPs", "Speed")
#: Where a smaller value ranks higher, besides the metrics in ``LOWER_IS_BETTER``.
LOWER_IS_BETTER_EFFICIENCY = frozenset({"Param", "FLOPs"})
#: Spellings of the cost columns seen in papers and tools, lower-cased, mapped to the column
#: key (those of the metrics are :data:`sodbench.metrics.keys.ALIASES`).
COST_ALIASES = {"params": "Param", "param (m)": "Param", "flops (g)": "FLOPs", "fps": "Speed",
                "speed (fps)": "Speed"}
_CANONICAL = ({key.lower(): key for key in (*METRIC_KEYS, *EFFICIENCY_KEYS)} | ALIASES
              | COST_ALIASES)
_PACKAGE = "sodbench.reports.leaderboard_data"
_INDEX = "leaderboards.json"
# sodbench 0.1.0 named the metric conventions "profile" (index key and CSV column); still read
_CONVENTIONS_KEYS = ("conventions", "profile")


def canonical_key(name: str) -> str:
    """Return the canonical column key for a metric or efficiency name (any common spelling).

    Raises :class:`SodbenchError` naming what is valid when ``name`` is unknown.

    >>> canonical_key("WF"), canonical_key("auroc"), canonical_key("Params")
    ('wF', 'AUC', 'Param')
    """
    key = _CANONICAL.get(name.strip().lower())
    if key is None:
        raise SodbenchError(
            f"unknown metric or column {name!r} (valid: a metric key such as MAE, Sm, maxF, "
            f"HCE, odsF (docs/metrics.md), any case or a common alias, or a cost column "
            f"({', '.join(EFFICIENCY_KEYS)}))")
    return key


def expand_columns(names, present=None, where: str = "the results") -> list[str]:
    """Metric keys, cost columns and group names -> canonical keys, in the order given.

    A group (:data:`sodbench.metrics.keys.GROUPS`: ``default``, ``pysodmetrics``, ``defect``,
    ``dis``, ``all``) gives its keys in the group's order (``dis``: the DIS benchmark's
    ``maxF, wF, MAE, Sm, meanE, HCE``), only those in ``present`` when it is given (so
    ``all`` does not bring a hundred empty columns); a key named twice is kept once.

    Parameters
    ----------
    names : iterable of str
        Keys in any common spelling, cost columns and group names, mixed.
    present : collection of str, optional
        The keys the documents hold; a group that keeps none of its keys is an error.
    where : str
        What ``present`` describes, for that error (``"the baseline"``).

    >>> expand_columns(["dis", "mae", "Param"])
    ['maxF', 'wF', 'MAE', 'Sm', 'meanE', 'HCE', 'Param']
    >>> expand_columns(["dis"], present={"MAE", "Sm", "IoU"})
    ['MAE', 'Sm']
    """
    keys: list[str] = []
    for name in names:
        group = GROUPS.get(str(name).strip().lower())
        if group is None and str(name).strip().lower() not in _CANONICAL:
            raise SodbenchError(
                f"unknown metric, group or column {str(name)!r} (valid: a metric key such as "
                f"MAE, Sm, maxF, HCE, odsF (docs/metrics.md), any case or a common alias, a "
                f"group ({', '.join(GROUPS)}), or a cost column ({', '.join(EFFICIENCY_KEYS)}))")
        if group is None:
            keys.append(canonical_key(str(name)))
            continue
        kept = [key for key in group if present is None or key in present]
        if not kept:
            shown = ", ".join(group[:6]) + (", ..." if len(group) > 6 else "")
            raise SodbenchError(f"group {str(name).strip()!r}: none of its keys ({shown}) is "
                                f"in {where}; choose among the metrics present")
        keys += kept
    return list(dict.fromkeys(keys))


def lower_is_better(key: str) -> bool:
    """Whether a smaller value of the canonical column ``key`` ranks higher.

    >>> lower_is_better("HCE"), lower_is_better("minFPR"), lower_is_better("maxKappa")
    (True, True, False)
    """
    return key in LOWER_IS_BETTER or key in LOWER_IS_BETTER_EFFICIENCY


def informational(key: str) -> bool:
    """Whether ``key`` describes a score rather than ranks methods (``odsT``, the threshold
    of ``odsF``): printed without a direction arrow, never marked best, and compared by
    ``check`` as a plain value.

    >>> informational("odsT"), informational("odsF"), informational("Param")
    (True, False, False)
    """
    return key in KEYS and KEYS[key].informational


@dataclass(frozen=True)
class Leaderboard:
    """A published table: one row per method, full precision as printed.

    ``frame`` is indexed by method name; its columns are canonical keys
    (``Param``, ``FLOPs``, ``Speed`` and metric keys such as ``MAE``, ``wF``); a value the
    source does not give is NaN. ``extra`` holds descriptive columns (``year``, ``group``).
    ``title`` is the caption without its number; ``source_table`` is that number in the source
    (``"Table II"``). ``n_images`` is the number of test images the rows were scored on
    (None when the source does not say); ``conventions`` the metric conventions of its rows.
    """

    name: str
    title: str
    dataset: str
    source: str
    frame: pd.DataFrame
    extra: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: tuple[str, ...] = ()
    units: dict = field(default_factory=dict)
    n_images: int | None = None
    source_table: str = ""
    conventions: str | None = None
    """The metric conventions the rows were scored under (a name of
    :data:`sodbench.metrics.conventions.CONVENTIONS`), or None when the source does not say."""

    @property
    def metrics(self) -> list[str]:
        """The accuracy columns, in table order."""
        return [key for key in self.frame.columns if key not in EFFICIENCY_KEYS]


def available() -> tuple[str, ...]:
    """Names accepted by :func:`load` (the bundled tables)."""
    return tuple(_index()["tables"])


def load(name_or_path: str | os.PathLike) -> Leaderboard:
    """Load a bundled leaderboard by name, or a leaderboard CSV file by path.

    Parameters
    ----------
    name_or_path : str or path
        ``"sd-saliency-900"`` (MINet paper Table II), ``"minet-backbones"`` (Table III),
        ``"minet-ablation"`` (Table IV), or a CSV with a ``method`` column and metric or
        efficiency columns in any common spelling (``WF``, ``SM``, ``Param (M)`` ...). A CSV's
        dataset is its ``dataset`` column when present, else the file stem; its image count
        is its ``n_images`` column (one whole number for every row) when present, and the
        metric conventions of its rows its ``conventions`` column (one conventions name, the
        same on every row; a ``profile`` column, as sodbench 0.1.0 named it, is read too).

    Returns
    -------
    Leaderboard
    """
    index = _index()
    if str(name_or_path) in index["tables"]:
        return _bundled(str(name_or_path), index)
    path = Path(name_or_path)
    if not path.is_file():
        names = ", ".join(index["tables"])
        raise SodbenchError(
            f"leaderboard {str(name_or_path)!r}: no such name or file (names: {names})"
        )
    raw = _read_csv(path)
    dataset = path.stem
    if "dataset" in raw.columns:
        dataset = _dataset(raw.pop("dataset"), path)
    n_images = _image_count(raw.pop("n_images"), path) if "n_images" in raw.columns else None
    conventions = _conventions(raw, path)
    frame, extra = _split(raw, path)
    return Leaderboard(name=path.stem, title=path.stem, dataset=dataset,
                       source=str(path), frame=frame, extra=extra, n_images=n_images,
                       conventions=conventions)


def _conventions(raw: pd.DataFrame, path: Path) -> str | None:
    """The conventions column's one name, taken out of ``raw`` (None without the column)."""
    given = [key for key in _CONVENTIONS_KEYS if key in raw.columns]
    if len(given) > 1:
        raise SodbenchError(f"{path}: columns 'conventions' and 'profile' both name the metric "
                            "conventions; keep 'conventions'")
    if not given:
        return None
    values = set(raw.pop(given[0]).astype(str))
    if len(values) != 1 or next(iter(values)) not in CONVENTIONS:
        raise SodbenchError(f"{path}: column {given[0]!r} must name one set of metric "
                            f"conventions ({', '.join(CONVENTIONS)}), the same on every row")
    return values.pop()


def _dataset(column: pd.Series, path: Path) -> str:
    values = set(column.astype(str).str.strip()) if not column.isna().any() else {""}
    if len(values) != 1 or not next(iter(values)):
        raise SodbenchError(f"{path}: column 'dataset' must name one dataset, the same on "
                            "every row (one CSV per dataset)")
    return values.pop()


def _image_count(column: pd.Series, path: Path) -> int:
    values = pd.to_numeric(column, errors="coerce")
    first = values.iloc[0]
    if values.isna().any() or (values != first).any() or first < 1 or first != int(first):
        raise SodbenchError(f"{path}: column 'n_images' must hold one whole number of test "
                            "images, the same on every row")
    return int(first)


def _index() -> dict:
    return json.loads(resources.files(_PACKAGE).joinpath(_INDEX).read_text(encoding="utf-8"))


def _bundled(name: str, index: dict) -> Leaderboard:
    table = index["tables"][name]
    resource = resources.files(_PACKAGE).joinpath(table["file"])
    with resources.as_file(resource) as path:
        frame, extra = _split(_read_csv(path), path)
    units = {canonical_key(column): meta for column, meta in index["columns"].items()}
    conventions = next((index[key] for key in _CONVENTIONS_KEYS if key in index), None)
    return Leaderboard(name=name, title=table["title"], dataset=index["dataset"],
                       source=index["source"]["citation"], frame=frame, extra=extra,
                       notes=tuple(table.get("notes", ())), units=units,
                       n_images=index["n_images"], source_table=table["source_table"],
                       conventions=conventions)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with open_input(path) as handle:
            text = handle.read().decode("utf-8-sig")
        raw = pd.read_csv(io.StringIO(text), dtype={"method": str}, keep_default_na=False,
                          na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise SodbenchError(f"{path}: not a readable leaderboard CSV ({error})") from error
    header = next(csv.reader(io.StringIO(text)))
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:  # pandas would rename the second one "MAE.1" and drop it from the table
        raise SodbenchError(f"{path}: column listed twice: {', '.join(twice)}")
    if "method" not in raw.columns:
        raise SodbenchError(f"{path}: a leaderboard CSV needs a 'method' column")
    if raw.empty:
        raise SodbenchError(f"{path}: no rows (one row per published method)")
    if raw["method"].isna().any() or not raw["method"].str.strip().all():
        raise SodbenchError(f"{path}: a row has no method name")
    if raw["method"].duplicated().any():
        twice = sorted(set(raw["method"][raw["method"].duplicated()]))
        raise SodbenchError(f"{path}: method listed twice: {', '.join(twice)}")
    return raw.set_index("method")


def _split(raw: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Separate value columns (renamed to canonical keys) from descriptive ones."""
    values, extra = {}, {}
    for column in raw.columns:
        key = _CANONICAL.get(column.strip().lower())
        if key is None:
            extra[column] = raw[column]
            continue
        if key in values:
            raise SodbenchError(f"{path}: columns {column!r} and another both mean {key}")
        numbers = pd.to_numeric(raw[column], errors="coerce")
        if numbers.isna().gt(raw[column].isna()).any() or numbers.abs().eq(math.inf).any():
            raise SodbenchError(f"{path}: column {column!r} has a value that is not a number "
                                "or is infinite")
        if key in METRIC_KEYS and not numbers.dropna().between(*KEYS[key].bounds).all():
            # a percentage (91.2 for 0.912) would outrank every results row silently
            raise SodbenchError(f"{path}: column {column!r} has a value outside "
                                f"{KEYS[key].range_text}"
                                + ("; give metrics as fractions (0.912, not 91.2)"
                                   if KEYS[key].bounds[1] == 1 else ""))
        if key in EFFICIENCY_KEYS and numbers.lt(0).any():
            raise SodbenchError(f"{path}: column {column!r} has a negative value")
        values[key] = numbers.astype(float)
    if not values:
        raise SodbenchError(f"{path}: no metric columns (expected names like MAE, Sm, wF)")
    return pd.DataFrame(values, index=raw.index), pd.DataFrame(extra, index=raw.index)
