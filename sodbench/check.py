"""Metric-drift check: compare a results file against a baseline, for a model repository's CI.

A value has drifted when ``|new - old| > atol + rtol * |old|`` (the ``numpy.isclose`` rule);
two missing (NaN) values agree, one missing value is drift. Anything that makes the two
files incomparable (a (dataset, method) pair or a metric on one side only) is an input error,
so that a CI job cannot pass by silently comparing less than it should.
"""

from __future__ import annotations

import math

import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.leaderboards import canonical_key

DRIFT_COLUMNS = ("metric", "dataset", "method", "old", "new", "diff")


def _by_pair(document: dict, side: str) -> dict[tuple[str, str], dict]:
    pairs: dict[tuple[str, str], dict] = {}
    for entry in document["entries"]:
        pair = (str(entry["dataset"]), str(entry["method"]))
        if pair in pairs:
            raise SodbenchError(f"{side} lists ({pair[0]}, {pair[1]}) twice")
        pairs[pair] = entry["metrics"]
    return pairs


def _describe(pairs) -> str:
    return ", ".join(f"({dataset}, {method})" for dataset, method in sorted(pairs))


def compare(current: dict, baseline: dict, *, atol: float = 1e-4, rtol: float = 0.0,
            metrics: list[str] | None = None,
            labels: tuple[str, str] = ("RESULTS", "the baseline")) -> tuple[pd.DataFrame, int]:
    """Return the drifted values and how many values were compared.

    Parameters
    ----------
    current, baseline : dict
        Results documents (:func:`sodbench.results.load_results`).
    atol, rtol : float
        Absolute and relative tolerance.
    metrics : list of str, optional
        Metrics to compare (any common spelling); default every metric either side holds.
    labels : (str, str)
        How error messages name the two documents (e.g. their file names).

    Returns
    -------
    drift : pandas.DataFrame
        Columns ``metric, dataset, method, old, new, diff`` (``diff = new - old``), one row
        per value beyond tolerance.
    n_compared : int
    """
    if atol < 0 or rtol < 0:
        raise SodbenchError("--atol and --rtol must not be negative")
    new, old = _by_pair(current, labels[0]), _by_pair(baseline, labels[1])
    one_sided = [(label, pairs) for label, pairs in
                 ((labels[0], new.keys() - old.keys()), (labels[1], old.keys() - new.keys()))
                 if pairs]
    if one_sided:
        raise SodbenchError("(dataset, method) pairs differ: " + "; ".join(
            f"only in {label}: {_describe(pairs)}" for label, pairs in one_sided))
    keys = ([canonical_key(name) for name in metrics] if metrics else
            sorted({key for values in (*new.values(), *old.values()) for key in values}))
    rows, compared = [], 0
    for pair in sorted(old):
        for key in keys:
            missing = [label for label, values in zip(labels, (new[pair], old[pair]), strict=True)
                       if key not in values]
            if missing:
                raise SodbenchError(
                    f"metric {key} of ({pair[0]}, {pair[1]}) is missing in "
                    f"{' and '.join(missing)}; choose the compared metrics with --metrics"
                )
            before, after = _number(old[pair][key]), _number(new[pair][key])
            compared += 1
            if not _within(after, before, atol, rtol):
                rows.append((key, *pair, before, after, after - before))
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS)), compared


def _number(value) -> float:
    return math.nan if value is None else float(value)


def _within(new: float, old: float, atol: float, rtol: float) -> bool:
    if math.isnan(new) or math.isnan(old):
        return math.isnan(new) and math.isnan(old)
    return abs(new - old) <= atol + rtol * abs(old)


def format_drift(drift: pd.DataFrame) -> str:
    """The drifted values as an aligned plain-text table (full precision, signed diff)."""
    shown = drift.copy()
    for column in ("old", "new"):
        shown[column] = shown[column].map(lambda v: f"{v:.10g}")
    shown["diff"] = shown["diff"].map(lambda v: f"{v:+.3g}")
    return shown.to_string(index=False)
