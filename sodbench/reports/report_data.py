"""What ``sodbench report`` shows, as tables: the leaderboard, the subsets, the worst images of
each method and the images where two methods differ most (docs/report.md).

Pure pandas on a results document and a per-image CSV (read by
:func:`sodbench.reports.significance.read_per_image`); :mod:`sodbench.reports.report_page`
renders them. "Worse" and "better" follow the metric's direction
(:data:`sodbench.metrics.keys.LOWER_IS_BETTER`): the worst MAE is the highest.
"""

from __future__ import annotations

import math

import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.folders.pairing import natural_key
from sodbench.metrics.keys import KEYS, LOWER_IS_BETTER, METRIC_KEYS
from sodbench.reports.tables import DEFAULT_METRICS

__all__ = ["IMAGES", "MAX_TOP_K", "best_cells", "best_pair", "check_top_k",
           "largest_differences", "leaderboard_frame", "metric_keys", "subset_frames",
           "worst_images"]

#: Largest ``top_k``: 32 images x 6 methods x 4 thumbnails keep a report within a few MB.
MAX_TOP_K = 32
#: The leaderboard column of the images scored (``counts.n_evaluated``).
IMAGES = "images"


def metric_keys(document: dict) -> list[str]:
    """The keys the results hold: Table II's first (``tables.DEFAULT_METRICS``), then the
    others in :data:`~sodbench.metrics.keys.METRIC_KEYS` order."""
    held = {key for entry in document["entries"] for key in entry["metrics"]}
    return ([key for key in DEFAULT_METRICS if key in held]
            + [key for key in METRIC_KEYS if key in held and key not in DEFAULT_METRICS])


def _row(dataset: str, method: str, part: dict, keys: list[str]) -> dict:
    metrics = part.get("metrics") or {}
    count = (part.get("counts") or {}).get("n_evaluated")
    return {"dataset": dataset, "method": method,
            IMAGES: math.nan if count is None else float(count),
            **{key: math.nan if metrics.get(key) is None else float(metrics[key])
               for key in keys}}


def leaderboard_frame(document: dict, keys: list[str]) -> pd.DataFrame:
    """One row per (dataset, method) entry, in the results' order: ``dataset, method,
    images`` and one column per key (NaN where an entry lacks it)."""
    seen = set()
    rows = []
    for entry in document["entries"]:
        pair = (entry["dataset"], entry["method"])
        if pair in seen:
            raise SodbenchError(f"results list {pair} twice; merge them first")
        seen.add(pair)
        rows.append(_row(*pair, entry, keys))
    return pd.DataFrame(rows, columns=["dataset", "method", IMAGES, *keys])


def subset_frames(document: dict, keys: list[str]) -> dict[str, pd.DataFrame]:
    """Subset name -> its :func:`leaderboard_frame`, from the entries' optional ``"subsets"``,
    in the order the subsets were defined; empty when no entry has subsets."""
    rows: dict[str, list[dict]] = {}
    for entry in document["entries"]:
        for name, part in (entry.get("subsets") or {}).items():
            rows.setdefault(str(name), []).append(
                _row(entry["dataset"], entry["method"], part, keys))
    return {name: pd.DataFrame(found, columns=["dataset", "method", IMAGES, *keys])
            for name, found in rows.items()}


def best_cells(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """True where a value is the best of its dataset for its key (ties: all of them); keys
    that rank nothing (``informational``, e.g. ``odsT``) have none."""
    best = pd.DataFrame(False, index=frame.index, columns=keys)
    for key in keys:
        if KEYS[key].informational:
            continue
        grouped = frame.groupby("dataset", sort=False)[key]
        target = grouped.transform("min" if key in LOWER_IS_BETTER else "max")
        best[key] = frame[key].notna() & (frame[key] == target)
    return best


def check_top_k(top_k: int) -> None:
    """Refuse a ``top_k`` outside 1 .. :data:`MAX_TOP_K`."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise SodbenchError(f"top_k={top_k}: give 1 to {MAX_TOP_K} images "
                            "(report_data.MAX_TOP_K keeps the page a few MB)")


def _scores(rows: pd.DataFrame, method: str, metric: str) -> pd.Series:
    """A method's scores by image name, without NaN, in natural name order."""
    values = rows[rows["method"] == method].set_index("name")[metric].astype(float).dropna()
    return values.iloc[sorted(range(len(values)), key=lambda i: natural_key(values.index[i]))]


def worst_images(rows: pd.DataFrame, metric: str, methods: list[str],
                 top_k: int) -> dict[str, pd.Series]:
    """Method -> its ``top_k`` worst scores on ``metric`` by image name, worst first.

    Worst is highest for a lower-is-better key (MAE), lowest otherwise; equal scores keep
    natural name order; images without a score (NaN) are left out.
    """
    lower = metric in LOWER_IS_BETTER
    return {method: _scores(rows, method, metric).sort_values(ascending=not lower,
                                                              kind="stable").head(top_k)
            for method in methods}


def largest_differences(rows: pd.DataFrame, metric: str, first: str, second: str,
                        top_k: int) -> pd.DataFrame:
    """The ``top_k`` images both methods scored where their scores differ most.

    Returns
    -------
    pandas.DataFrame
        Index: image name; columns ``first``, ``second`` (the scores) and ``difference``
        (``first - second``); largest ``|difference|`` first, ties in natural name order.
    """
    pair = pd.concat({first: _scores(rows, first, metric),
                      second: _scores(rows, second, metric)}, axis=1, join="inner")
    pair["difference"] = pair[first] - pair[second]
    order = pair["difference"].abs().sort_values(ascending=False, kind="stable").index
    return pair.loc[order].head(top_k)


def best_pair(rows: pd.DataFrame, metric: str, methods: list[str]) -> tuple[str, str] | None:
    """The two of ``methods`` with the best mean ``metric`` (best first), or None for fewer
    than two methods."""
    if len(methods) < 2:
        return None
    sign = 1 if metric in LOWER_IS_BETTER else -1
    means = {method: _scores(rows, method, metric).mean() for method in methods}
    ranked = sorted(methods, key=lambda method: (math.isnan(means[method]),
                                                 sign * means[method]))
    return ranked[0], ranked[1]
