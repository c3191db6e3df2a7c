"""Is a gain real? Bootstrap intervals, paired tests and win/tie/loss counts from per-image
scores (``sodbench compare``, docs/compare.md).

Input: the per-image CSV of ``sodbench eval --per-image`` (``dataset, method, coverage,
name`` and one column per per-image key). For one metric and one dataset:

- per method, the mean over its images and a bootstrap confidence interval of that mean
  (``scipy.stats.bootstrap``: BCa by default, or percentile; resamples and seed given);
- per method against the baseline, on the images both scored: the mean paired difference
  (method - baseline) and its bootstrap interval, the two-sided Wilcoxon signed-rank p-value
  of ``scipy.stats.wilcoxon`` on the paired scores (its defaults: zero differences dropped,
  exact or normal approximation by size), that p-value after Holm's step-down correction for
  the number of methods compared with the baseline, and the images where the method is
  better, tied (equal scores) or worse, in the metric's direction (lower MAE, higher Sm).

A constant sample (every resample has the same mean) has the interval [mean, mean].
"""

from __future__ import annotations

import io
import math
import os
import textwrap
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.evaluator.subsets import SEPARATOR
from sodbench.folders.inputs import read_text
from sodbench.folders.pairing import shorten
from sodbench.metrics.keys import LOWER_IS_BETTER, PER_IMAGE_KEYS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["INTERVALS", "compare", "dataset_rows", "format_comparison", "holm",
           "read_per_image", "subset_rows"]

#: Bootstrap interval methods, as ``scipy.stats.bootstrap`` names them.
INTERVALS = {"bca": "BCa", "percentile": "percentile"}
_REQUIRED = ("dataset", "method", "name")


def read_per_image(path: str | os.PathLike) -> pd.DataFrame:
    """The per-image CSV of ``sodbench eval --per-image``, or a one-line error naming it."""
    import pandas as pd

    path = Path(path)
    text = read_text(path, str(path))
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={"dataset": str, "method": str,
                                                      "name": str}, keep_default_na=False,
                            na_values=[""])
    except (ValueError, pd.errors.ParserError) as error:
        raise SodbenchError(f"{path}: not a per-image CSV of sodbench eval --per-image "
                            f"({type(error).__name__}: {error})") from None
    missing = [column for column in _REQUIRED if column not in frame.columns]
    if missing:
        raise SodbenchError(f"{path}: no {', '.join(missing)} column: not a per-image CSV "
                            "(write one with sodbench eval --per-image FILE.csv)")
    return frame


def dataset_rows(frame: pd.DataFrame, metric: str, dataset: str | None = None, *,
                 source: str = "the CSV") -> tuple[str, pd.DataFrame]:
    """The dataset of a per-image table (the only one when ``dataset`` is None) and its rows,
    once ``metric`` is known to be one of its per-image columns; a one-line
    :class:`SodbenchError` (naming ``source``) otherwise."""
    if metric not in PER_IMAGE_KEYS or metric not in frame.columns:
        held = [key for key in PER_IMAGE_KEYS if key in frame.columns]
        raise SodbenchError(f"metric={metric}: not a per-image column of {source}; it holds "
                            f"{', '.join(held) or 'none'} (curve keys such as maxF have no "
                            "per-image value)")
    datasets = sorted(set(frame["dataset"]))
    if dataset is None:
        if len(datasets) != 1:
            raise SodbenchError(f"{source} holds {len(datasets)} datasets "
                                f"({shorten(datasets)}): choose one with dataset=")
        dataset = datasets[0]
    elif dataset not in datasets:
        raise SodbenchError(f"dataset={dataset}: not in {source} ({shorten(datasets)})")
    return dataset, frame[frame["dataset"] == dataset]


def holm(pvalues: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of a family of p-values (NaN stays NaN, not counted).

    >>> holm({"a": 0.01, "b": 0.04, "c": 0.03})
    {'a': 0.03, 'b': 0.06, 'c': 0.06}
    """
    ranked = sorted((p, name) for name, p in pvalues.items() if not math.isnan(p))
    adjusted, running = {}, 0.0
    for rank, (p, name) in enumerate(ranked):
        running = max(running, min(1.0, (len(ranked) - rank) * p))
        adjusted[name] = running
    return {name: adjusted.get(name, math.nan) for name in pvalues}


def compare(frame: pd.DataFrame, metric: str, *, baseline: str | None = None,
            dataset: str | None = None, subset: str | None = None, resamples: int = 10_000,
            seed: int = 0, interval: str = "bca", confidence: float = 0.95,
            source: str = "the CSV") -> dict:
    """The comparison of every method of ``dataset`` on ``metric`` with ``baseline``.

    Returns the layout ``sodbench compare --json`` writes::

        {"metric", "baseline", "dataset", "subset", "interval", "resamples", "seed",
         "confidence",
         "baseline_rule", "methods": {NAME: {"n", "mean", "ci": [lo, hi]}},
         "versus": {NAME: {"n", "diff", "ci": [lo, hi], "wilcoxon_p", "holm_p",
                           "better", "tied", "worse"}}}

    ``baseline`` defaults to the method with the best mean; ``subset`` keeps the images of
    one subset (the ``subsets`` column of a run with subsets). Raises a one-line
    :class:`SodbenchError` for an unknown metric, dataset or method, or when a method shares
    no image with the baseline.
    """
    from scipy import stats

    if interval not in INTERVALS:
        raise SodbenchError(f"interval={interval}: choose {' or '.join(INTERVALS)}")
    if isinstance(resamples, bool) or not isinstance(resamples, int) or resamples < 100:
        raise SodbenchError(f"resamples={resamples}: give a whole number of at least 100")
    dataset, rows = dataset_rows(frame, metric, dataset, source=source)
    rows = subset_rows(rows, subset, source)
    scores: dict[str, pd.Series] = {}
    for method, group in rows.groupby("method", sort=False):
        if group["name"].duplicated().any():
            raise SodbenchError(f"{source}: {dataset}/{method} lists an image twice "
                                f"({group['name'][group['name'].duplicated()].iloc[0]})")
        values = group.set_index("name")[metric].astype(float)
        if values.isna().any():
            raise SodbenchError(f"{source}: {dataset}/{method} has no {metric} for image "
                                f"{values.index[values.isna()][0]}")
        scores[str(method)] = values
    if len(scores) < 2:
        raise SodbenchError(f"{source}: {dataset} has {len(scores)} method; compare needs two "
                            "or more")
    lower = metric in LOWER_IS_BETTER
    means = {method: float(values.mean()) for method, values in scores.items()}
    rule = "given"
    if baseline is None:
        baseline = (min if lower else max)(means, key=means.__getitem__)
        rule = "best mean"
    elif baseline not in scores:
        raise SodbenchError(f"baseline={baseline}: not a method of {dataset} in {source} "
                            f"({', '.join(scores)})")
    rng = np.random.default_rng(seed)

    def ci(sample: np.ndarray) -> list[float]:
        if np.all(sample == sample[0]):  # every resample's mean is this value
            return [float(sample[0]), float(sample[0])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = stats.bootstrap((sample,), np.mean, n_resamples=resamples,
                                    confidence_level=confidence, method=INTERVALS[interval],
                                    rng=rng).confidence_interval
        return [float(found.low), float(found.high)]

    methods = {method: {"n": int(len(values)), "mean": means[method],
                        "ci": ci(values.to_numpy())} for method, values in scores.items()}
    versus, pvalues = {}, {}
    base = scores[baseline]
    for method, values in scores.items():
        if method == baseline:
            continue
        shared = values.index.intersection(base.index, sort=False)
        if len(shared) == 0:
            raise SodbenchError(f"{source}: {method} and the baseline {baseline} share no "
                                f"image of {dataset}: nothing to compare")
        ours, theirs = values[shared].to_numpy(), base[shared].to_numpy()
        difference = ours - theirs
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # all-zero differences: scipy says p = 1
            p = float(stats.wilcoxon(ours, theirs).pvalue)
        gain = -difference if lower else difference
        pvalues[method] = p
        versus[method] = {"n": int(len(shared)), "diff": float(difference.mean()),
                          "ci": ci(difference), "wilcoxon_p": p,
                          "better": int((gain > 0).sum()), "tied": int((gain == 0).sum()),
                          "worse": int((gain < 0).sum())}
    for method, adjusted in holm(pvalues).items():
        versus[method]["holm_p"] = adjusted
    return {"metric": metric, "baseline": baseline, "baseline_rule": rule, "dataset": dataset,
            "subset": subset,
            "direction": "lower is better" if lower else "higher is better",
            "interval": INTERVALS[interval], "confidence": confidence,
            "resamples": resamples, "seed": seed, "methods": methods, "versus": versus}


def subset_rows(rows: pd.DataFrame, subset: str | None, source: str) -> pd.DataFrame:
    """The rows of a per-image table in ``subset`` (its ``subsets`` column; all rows without
    a subset), or a one-line error naming ``source``."""
    if subset is None:
        return rows
    if "subsets" not in rows.columns:
        raise SodbenchError(f"subset={subset}: {source} has no subsets column; write it with "
                            "sodbench eval --per-image FILE --subset NAME=GLOB (or "
                            "--subset-preset, --size-buckets)")
    members = rows["subsets"].fillna("").astype(str).str.split(SEPARATOR)
    held = sorted({name for names in members for name in names if name})
    if subset not in held:
        raise SodbenchError(f"subset={subset}: no image of {source} is in it (subsets: "
                            f"{', '.join(held) or 'none'})")
    return rows[members.map(lambda names: subset in names)]


def format_comparison(result: dict) -> str:
    """The comparison as a plain-text table, with what was computed and how, above it."""
    metric, baseline = result["metric"], result["baseline"]
    level = f"{result['confidence']:.0%}"
    lines = textwrap.wrap(
        f"{metric} ({result['direction']}) on {result['dataset']}"
        f"{'' if result.get('subset') is None else ', subset ' + result['subset']}; {level} "
        f"{result['interval']} bootstrap intervals of the mean ({result['resamples']:,} "
        f"resamples, seed {result['seed']}); baseline {baseline} ({result['baseline_rule']}); "
        "Wilcoxon signed-rank (two-sided) on the images both scored, Holm-corrected over the "
        "methods", width=100, break_on_hyphens=False)
    header = ["method", "n", "mean", f"{level} CI", f"diff vs {baseline}", f"{level} CI",
              "n paired", "Wilcoxon p", "Holm p", "better/tied/worse"]
    rows = []
    for method, stats_ in result["methods"].items():
        row = [method, str(stats_["n"]), f"{stats_['mean']:.4f}", _interval(stats_["ci"])]
        other = result["versus"].get(method)
        if other is None:
            row += ["(baseline)", "", "", "", "", ""]
        else:
            row += [f"{other['diff']:+.4f}", _interval(other["ci"]), str(other["n"]),
                    _p(other["wilcoxon_p"]), _p(other["holm_p"]),
                    f"{other['better']}/{other['tied']}/{other['worse']}"]
        rows.append(row)
    widths = [max(len(line[i]) for line in [header, *rows]) for i in range(len(header))]
    table = ["  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                       for i, (cell, width) in enumerate(zip(line, widths, strict=True))).rstrip()
             for line in [header, *rows]]
    return "\n".join([*lines, "", table[0], "-" * len(table[0]), *table[1:]])


def _interval(bounds: list[float]) -> str:
    return f"[{bounds[0]:.4f}, {bounds[1]:.4f}]"


def _p(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.4f}"
