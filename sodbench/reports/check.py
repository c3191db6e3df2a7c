"""Metric-drift check: compare a results file against a baseline, for a model repository's CI.

A value has drifted when ``|new - old| > atol + rtol * |old|`` (the ``numpy.isclose`` rule);
two missing (NaN) values agree, one missing value is drift. Each drifted value says which way
it moved (``change``): ``worse`` or ``better`` in its key's direction (smaller is better for
MAE, HCE, minFPR, minBER, siMAE ...; larger for the others; a Kappa may be negative),
``changed`` for an informational key (``odsT``, a threshold: no direction), ``missing`` when
one side has no value. By default every drifted value fails (:func:`failing` with
``fail_on="any"``); ``fail_on="worse"`` lets values that got better pass, while an
informational or missing value still fails.

Anything that makes the two files incomparable is an input error, so that a CI job cannot
pass by silently comparing less than it should, or other things than it should. In the order
they are checked, each with its own one-line message:

1. a (dataset, method) pair on one side only (or no pair at all);
2. different metric conventions (the entries' ``conventions``);
3. different coverage: the image count, the GT count or the set of scored image names
   (``counts.images_sha256``); an entry without that digest (written by sodbench 0.1.0) is
   refused, since its image set cannot be verified;
4. different metric sets, when no ``metrics`` are chosen (the keys on one side only are named).

Each subset of an entry (``eval --subset``, docs/subsets.md) is compared as a (DATASET: SUBSET,
method) pair of its own, under the same rules: a baseline with subsets fails against a run
without them, and a subset scored on other images fails on its digest.
"""

from __future__ import annotations

import math

import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.reports.entries import conventions_of, with_subsets
from sodbench.reports.leaderboards import expand_columns, informational, lower_is_better

__all__ = ["CHANGES", "DRIFT_COLUMNS", "FAIL_ON", "change", "check_tolerance", "compare",
           "failing", "format_drift"]

DRIFT_COLUMNS = ("metric", "dataset", "method", "old", "new", "diff", "change")
#: The ways a drifted value moved (the ``change`` column).
CHANGES = ("worse", "better", "changed", "missing")
#: ``fail_on`` choices -> the changes that fail.
FAIL_ON = {"any": frozenset(CHANGES), "worse": frozenset(CHANGES) - {"better"}}


def check_tolerance(value: float, name: str) -> float:
    """Return ``value`` as a float; refuse a negative, NaN or infinite tolerance.

    ``name`` names it in the message: ``"atol"`` in the library, ``"--atol"`` on the command line.
    """
    try:
        number = float(value)
        shown = f"{number:g}"
    except (TypeError, ValueError):
        number, shown = math.nan, repr(value)
    if not (math.isfinite(number) and number >= 0):
        raise SodbenchError(f"{name} {shown}: a tolerance must be a finite number, 0 or more")
    return number


def _by_pair(document: dict, side: str) -> dict[tuple[str, str], dict]:
    pairs: dict[tuple[str, str], dict] = {}
    provenance = document.get("provenance", {})
    for entry in with_subsets(document):
        pair = (str(entry["dataset"]), str(entry["method"]))
        if pair in pairs:
            raise SodbenchError(f"{side} lists ({pair[0]}, {pair[1]}) twice")
        pairs[pair] = {**entry, "conventions": conventions_of(entry, provenance)}
    return pairs


def _describe(pairs) -> str:
    return ", ".join(f"({dataset}, {method})" for dataset, method in sorted(pairs))


def _same_pairs(new: dict, old: dict, labels: tuple[str, str]) -> None:
    one_sided = [(label, pairs) for label, pairs in
                 ((labels[0], new.keys() - old.keys()), (labels[1], old.keys() - new.keys()))
                 if pairs]
    if one_sided:
        raise SodbenchError("(dataset, method) pairs differ: " + "; ".join(
            f"only in {label}: {_describe(pairs)}" for label, pairs in one_sided))
    if not old:
        raise SodbenchError(f"{labels[0]} and {labels[1]} hold no (dataset, method) entries: "
                            "nothing to compare; evaluate and write the results with "
                            "dump_results (as `sodbench eval` does)")


def _same_conventions(new: dict, old: dict, labels: tuple[str, str]) -> None:
    for side, pairs in zip(labels, (new, old), strict=True):
        unknown = [pair for pair, entry in pairs.items() if not entry["conventions"]]
        if unknown:
            raise SodbenchError(f"{side} records no metric conventions for "
                                f"{_describe(unknown)}; re-create it with this sodbench version")
    differ = [f"({pair[0]}, {pair[1]}) {labels[0]} {new[pair]['conventions']}, "
              f"{labels[1]} {old[pair]['conventions']}"
              for pair in sorted(old) if new[pair]["conventions"] != old[pair]["conventions"]]
    if differ:
        raise SodbenchError(
            "metric conventions differ: " + "; ".join(differ) + "; values scored under "
            f"different conventions are not comparable: evaluate with the conventions of "
            f"{labels[1]} or re-create it"
        )


def _coverage(entry: dict) -> tuple:
    counts = entry.get("counts") or {}
    return counts.get("n_evaluated"), counts.get("n_gt"), counts.get("images_sha256")


def _same_coverage(new: dict, old: dict, labels: tuple[str, str]) -> None:
    for side, pairs, fix in ((labels[1], old, "re-create the baseline"),
                             (labels[0], new, "re-run `sodbench eval`")):
        undigested = [pair for pair, entry in pairs.items() if None in _coverage(entry)]
        if undigested:
            raise SodbenchError(
                f"{side} records no image counts or image-name digest for "
                f"{_describe(undigested)} (written by sodbench 0.1.0 or by hand), so the "
                f"images it scored cannot be compared; {fix} with this sodbench version"
            )
    for pair in sorted(old):
        (n_new, gt_new, digest_new), (n_old, gt_old, digest_old) = (_coverage(new[pair]),
                                                                    _coverage(old[pair]))
        where = f"({pair[0]}, {pair[1]})"
        if (n_new, gt_new) != (n_old, gt_old):
            fix = ('re-run without on_missing="skip"' if n_new < gt_new else
                   "evaluate the baseline's GT folder")
            raise SodbenchError(
                f"{where}: {labels[0]} scored {n_new} of {gt_new} images, {labels[1]} "
                f"{n_old} of {gt_old}; {fix} or re-create the baseline"
            )
        if digest_new != digest_old:
            raise SodbenchError(
                f"{where}: {labels[0]} and {labels[1]} scored different images ({n_new} each, "
                "other names); evaluate the baseline's images or re-create the baseline"
            )


def _same_metric_sets(new: dict, old: dict, labels: tuple[str, str]) -> None:
    differ = []
    for pair in sorted(old):
        keys_new, keys_old = set(new[pair]["metrics"]), set(old[pair]["metrics"])
        if keys_new != keys_old:
            sides = [f"only in {label}: {', '.join(sorted(keys))}" for label, keys in
                     ((labels[0], keys_new - keys_old), (labels[1], keys_old - keys_new)) if keys]
            differ.append(f"({pair[0]}, {pair[1]}) " + ", ".join(sides))
    if differ:
        raise SodbenchError("metric sets differ: " + "; ".join(differ) + "; compare the "
                            "common ones with metrics=LIST or re-create the baseline")


def compare(current: dict, baseline: dict, *, atol: float = 1e-4, rtol: float = 0.0,
            metrics: list[str] | None = None,
            labels: tuple[str, str] = ("RESULTS", "the baseline")) -> tuple[pd.DataFrame, int]:
    """Return the drifted values and how many values were compared.

    Parameters
    ----------
    current, baseline : dict
        Results documents (:func:`sodbench.folders.results.load_results`).
    atol, rtol : float
        Absolute and relative tolerance: finite, 0 or more.
    metrics : list of str, optional
        Metrics to compare (any common spelling, any key: ``HCE``, ``odsF``, ``AP`` ...) and
        groups of metrics (``dis``: those of its keys the baseline holds); default every
        metric of each entry, which must then be the same on both sides.
    labels : (str, str)
        How error messages name the two documents (e.g. their file names).

    Returns
    -------
    drift : pandas.DataFrame
        Columns ``metric, dataset, method, old, new, diff, change`` (``diff = new - old``;
        ``change``: :func:`change`), one row per value beyond tolerance, better or worse;
        :func:`failing` picks those that fail.
    n_compared : int

    Raises
    ------
    SodbenchError
        When the two documents are not comparable (see the module docstring).
    """
    atol, rtol = check_tolerance(atol, "atol"), check_tolerance(rtol, "rtol")
    new, old = _by_pair(current, labels[0]), _by_pair(baseline, labels[1])
    _same_pairs(new, old, labels)
    _same_conventions(new, old, labels)
    _same_coverage(new, old, labels)
    held = {key for entry in old.values() for key in entry["metrics"]}
    chosen = expand_columns(metrics, held, labels[1]) if metrics else None
    if chosen is None:
        _same_metric_sets(new, old, labels)
    rows, compared = [], 0
    for pair in sorted(old):
        after_values, before_values = new[pair]["metrics"], old[pair]["metrics"]
        for key in chosen or sorted(before_values):
            missing = [label for label, values in zip(labels, (after_values, before_values),
                                                      strict=True) if key not in values]
            if missing:
                raise SodbenchError(
                    f"metric {key} of ({pair[0]}, {pair[1]}) is missing in "
                    f"{' and '.join(missing)}; choose the compared metrics (metrics=)"
                )
            before, after = _number(before_values[key]), _number(after_values[key])
            compared += 1
            if not _within(after, before, atol, rtol):
                rows.append((key, *pair, before, after, after - before,
                             change(key, before, after)))
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS)), compared


def change(key: str, old: float, new: float) -> str:
    """Which way a value moved: ``worse``/``better`` in ``key``'s direction, ``changed`` for
    an informational key (no direction), ``missing`` when one of the two is NaN.

    >>> change("HCE", 120.0, 95.0), change("MAE", 0.01, 0.02), change("maxKappa", -0.1, 0.2)
    ('better', 'worse', 'better')
    >>> change("odsT", 0.5, 0.6), change("Sm", 0.9, float("nan"))
    ('changed', 'missing')
    """
    if math.isnan(old) or math.isnan(new):
        return "missing"
    if informational(key):
        return "changed"
    return "better" if (new < old) == lower_is_better(key) else "worse"


def failing(drift: pd.DataFrame, fail_on: str = "any") -> pd.DataFrame:
    """The rows of a :func:`compare` drift table that fail the check.

    Parameters
    ----------
    drift : pandas.DataFrame
        The drift table.
    fail_on : {"any", "worse"}
        ``"any"``: every drifted value fails (the numbers must still match); ``"worse"``:
        values that moved in their better direction pass (informational and missing values
        still fail).

    >>> import pandas as pd
    >>> drift = pd.DataFrame({"metric": ["HCE", "odsT"], "change": ["better", "changed"]})
    >>> failing(drift, "worse")["metric"].tolist()
    ['odsT']
    """
    if fail_on not in FAIL_ON:
        raise SodbenchError(f"fail_on={fail_on!r}: choose one of {', '.join(FAIL_ON)}")
    return drift[drift["change"].isin(FAIL_ON[fail_on])]


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
