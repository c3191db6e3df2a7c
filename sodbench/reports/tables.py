"""Leaderboard tables from results files: rows, columns and costs, rendered in four formats.

A :class:`Table` holds full-precision values: one row per method, columns grouped by dataset
(cost columns ``Param``/``FLOPs``/``Speed`` in a group of their own). :func:`build_table`
assembles it from a results document, model profile records and a published leaderboard;
:mod:`sodbench.reports.table_formats` renders it (Markdown, LaTeX, CSV, HTML; its names are
re-exported here) and :mod:`sodbench.reports.table_notes` writes its caption and notes.

A row of a results entry that was not scored on every test image of a leaderboard's dataset,
or under the leaderboard's metric conventions, is refused next to the published rows unless
such rows are allowed; then it is marked with a dagger and a note.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.metrics.keys import METRIC_KEYS
from sodbench.profiling.record import ProfileRecord
from sodbench.reports.entries import conventions_of, with_subsets
from sodbench.reports.leaderboards import EFFICIENCY_KEYS, Leaderboard, expand_columns
from sodbench.reports.table_formats import (
    COST,
    FORMATS,
    HTML_STYLE,
    LATEX_PREAMBLE,
    MAX_DIGITS,
    PARTIAL_MARK,
    RENDERERS,
    Table,
    displayed,
    format_for_path,
    label,
    render,
    to_csv,
    to_html,
    to_latex,
    to_markdown,
)
from sodbench.reports.table_notes import caption, profile_note, result_notes, subset_notes

__all__ = ["COST", "DEFAULT_METRICS", "FLOPS_COUNTERS", "FORMATS", "HTML_STYLE",
           "LATEX_PREAMBLE", "MAX_DIGITS", "PARTIAL_MARK", "PROFILE_UNDER_ROW_NAME", "RENDERERS",
           "Table", "build_table",
           "displayed", "format_for_path", "label", "profile_costs", "render", "results_frame",
           "to_csv", "to_html", "to_latex", "to_markdown"]

#: Metric columns shown when none are asked for: the MINet paper's Table II, in its order.
DEFAULT_METRICS = ("MAE", "wF", "OR", "Sm", "PFOM", "IoU")
#: ``build_table(flops=...)`` choices -> the profile-record counter the FLOPs (G) column shows.
FLOPS_COUNTERS = {"paper": "paper_compatible_macs", "macs": "macs", "flops": "flops"}
#: The fix for a profile given under no row's name (the command line words it its way).
PROFILE_UNDER_ROW_NAME = "give the profile under the row's name"


def build_table(document: dict | None = None, *,
                profiles: dict[str, ProfileRecord] | None = None,
                leaderboard: Leaderboard | None = None, columns: list[str] | None = None,
                flops: str = "paper", allow_partial: bool = False,
                allow_other_conventions: bool = False,
                subsets: bool | Sequence[str] = False) -> Table:
    """Assemble a table from a results document, profile records and a published leaderboard.

    Parameters
    ----------
    document : dict, optional
        A results document (:func:`sodbench.folders.results.load_results`).
    profiles : dict, optional
        Method name -> model profile record (:class:`sodbench.profiling.ProfileRecord`, e.g.
        read by :func:`sodbench.profiling.load_profile`); gives Param, FLOPs, Speed.
    leaderboard : Leaderboard, optional
        Published rows to merge with; the results' rows for the leaderboard's dataset land
        in the same columns (a results file with one dataset is placed there whatever its name).
    columns : list of str, optional
        Metric and cost keys to show, any common spelling, and groups of metrics
        (``dis``, ``pysodmetrics``, ... :data:`sodbench.metrics.keys.GROUPS`), mixed: a group
        gives those of its keys that the results or the leaderboard hold, in the group's
        order; default the leaderboard's metrics, else ``DEFAULT_METRICS`` (Table II's) when
        the results hold them all, else every metric the results hold (those of Table II
        first, in its order).
    flops : {"paper", "macs", "flops"}
        Which counter of the profile record fills the FLOPs (G) column (:data:`FLOPS_COUNTERS`).
    allow_partial : bool
        Show results rows that were not scored on all of the leaderboard's test images
        (``leaderboard.n_images``), marked ``†`` with a note, instead of refusing them.
    allow_other_conventions : bool
        Likewise for results rows scored under other metric conventions than the
        leaderboard's rows (``leaderboard.conventions``).
    subsets : bool or sequence of str
        After each dataset's columns, a column group per subset of it (``eval --subset``,
        ``--subset-preset``, ``--size-buckets``), labelled ``DATASET: SUBSET``: every subset
        (True) or those named, in the order given.

    Raises
    ------
    SodbenchError
        Naming the argument at fault (``flops='x'``, ``allow_partial=True`` ...).
    """
    if flops not in FLOPS_COUNTERS:
        raise SodbenchError(f"flops={flops!r}: choose one of {', '.join(FLOPS_COUNTERS)}")
    document = document or {"entries": []}
    profiles = profiles or {}
    if columns is not None and not columns:
        raise SodbenchError("columns=[] names no column (e.g. MAE, Sm, wF, Param)")
    # one column per key: MAE,mae would otherwise give a duplicate column
    keys = expand_columns(columns, _held(document, leaderboard)) if columns else None
    metrics = _metric_keys(document, leaderboard, keys)
    cost_keys = [key for key in EFFICIENCY_KEYS if keys is None or key in keys]
    footnotes: list[str] = []
    frame = results_frame(_with_subsets(document, leaderboard, subsets) if subsets is not False
                          else document, metrics)
    if leaderboard is not None:
        target = _target_dataset(frame, leaderboard)
        partial = _partial_rows(document, target, leaderboard, allow_partial,
                                allow_other_conventions)
        frame = _merge_leaderboard(frame, leaderboard, target, metrics, footnotes, partial)
    if frame.empty:
        raise SodbenchError("nothing to tabulate: the results hold no entries")
    cost = _cost_frame(frame.index, profiles, leaderboard, flops)
    if cost is not None and cost_keys:
        frame = pd.concat([cost[[(COST, key) for key in cost_keys]], frame], axis=1)
    footnotes += result_notes(document, metrics)
    if subsets is not False:
        footnotes += subset_notes(document, None if subsets is True else subsets)
    footnotes += [profile_note(method, record, flops) for method, record in profiles.items()]
    return Table(values=frame, footnotes=footnotes, title=caption(document, leaderboard))


def _with_subsets(document: dict, leaderboard: Leaderboard | None, chosen) -> dict:
    """``document`` with an entry per (dataset: subset, method) after each dataset's entries,
    so that every subset (or each ``chosen`` one) becomes a column group."""
    if leaderboard is not None:
        raise SodbenchError("subsets=True: a published leaderboard has no subsets; show "
                            "subsets without leaderboard=")
    held = list(dict.fromkeys(name for entry in document["entries"]
                              for name in entry.get("subsets", {})))
    if not held:
        raise SodbenchError("subsets=True: the results hold no subsets; evaluate with "
                            "--subset NAME=GLOB, --subset-preset or --size-buckets")
    if chosen is not True:
        chosen = list(dict.fromkeys(chosen))
        unknown = [name for name in chosen if name not in held]
        if unknown or not chosen:
            raise SodbenchError(f"subsets={','.join(chosen)!r}: the results hold the subsets "
                                f"{', '.join(held)}")
    return {**document, "entries": with_subsets(document, None if chosen is True else chosen)}


def _held(document: dict, leaderboard: Leaderboard | None) -> set[str]:
    """The keys a group of ``columns`` may bring: those of the results and the leaderboard."""
    held = {key for entry in document["entries"] for key in entry["metrics"]}
    return held | set(leaderboard.frame.columns if leaderboard is not None else ())


def results_frame(document: dict, metrics: list[str]) -> pd.DataFrame:
    """Results entries as a frame: rows = methods (first-seen order), columns = (dataset, key)."""
    cells: dict[str, dict[tuple[str, str], float]] = {}
    seen: set[tuple[str, str]] = set()
    for entry in document["entries"]:
        dataset, method = str(entry["dataset"]), str(entry["method"])
        if (dataset, method) in seen:
            raise SodbenchError(f"results list ({dataset}, {method}) twice; keep each once "
                                "with sodbench merge RESULTS.json [MORE.json ...] -o "
                                "MERGED.json (identical copies are kept once, differing ones "
                                "named; docs/merge.md)")
        seen.add((dataset, method))
        row = cells.setdefault(method, {})
        for key in metrics:
            value = entry["metrics"].get(key)
            row[(dataset, key)] = math.nan if value is None else float(value)
    datasets = list(dict.fromkeys(str(entry["dataset"]) for entry in document["entries"]))
    order = pd.MultiIndex.from_product([datasets, metrics])
    frame = pd.DataFrame.from_dict(cells, orient="index")
    return frame.reindex(columns=order) if cells else pd.DataFrame(columns=order)


def _metric_keys(document: dict, leaderboard: Leaderboard | None,
                 keys: list[str] | None) -> list[str]:
    if keys is not None:
        chosen = [key for key in keys if key not in EFFICIENCY_KEYS]
    elif leaderboard is not None:
        chosen = leaderboard.metrics
    else:
        # Table II's columns when the results hold them all (a default evaluation), else
        # every key they hold: a `--metrics dis` run is shown whole, not cut to MAE, wF, Sm
        present = {key for entry in document["entries"] for key in entry["metrics"]}
        chosen = [key for key in DEFAULT_METRICS if key in present]
        if not set(DEFAULT_METRICS) <= present:
            chosen += [key for key in METRIC_KEYS if key in present and key not in chosen]
    if not chosen and keys is None and leaderboard is not None:
        raise SodbenchError(f"leaderboard={leaderboard.name}: no metric columns to show "
                            "(add e.g. MAE, Sm, wF columns)")
    if not chosen and keys is None:
        raise SodbenchError("nothing to tabulate: the results hold no metric values")
    if not chosen:
        raise SodbenchError(f"columns={keys}: names no metric (add e.g. MAE, Sm, wF)")
    return chosen


def _target_dataset(frame: pd.DataFrame, board: Leaderboard) -> str | None:
    """The results' dataset that goes under the leaderboard's columns (None: no results)."""
    datasets = list(dict.fromkeys(frame.columns.get_level_values(0)))
    target = _matching_dataset(datasets, board.dataset)
    if target is None and datasets:
        raise SodbenchError(
            f"leaderboard={board.name}: the results have no {board.dataset} entries "
            f"(datasets: {', '.join(datasets)}); name the dataset {board.dataset} when "
            "evaluating"
        )
    return target


def _partial_rows(document: dict, target: str | None, board: Leaderboard,
                  allow_partial: bool, allow_other_conventions: bool) -> dict[str, str]:
    """Method -> its note, for the results rows that cannot be compared with the published
    ones: scored on another number of test images (refused unless ``allow_partial``), or under
    other metric conventions (refused unless ``allow_other_conventions``)."""
    provenance = document.get("provenance", {})
    partial, other = {}, {}
    for entry in document["entries"]:
        if str(entry["dataset"]) != target:
            continue
        method, counts = str(entry["method"]), entry.get("counts") or {}
        scored, n_gt = counts.get("n_evaluated"), counts.get("n_gt")
        if not (board.n_images and scored == n_gt == board.n_images):
            partial[method] = ("records no image count" if None in (scored, n_gt)
                               else f"scored {scored} of {n_gt} images")
        scored_under = conventions_of(entry, provenance)
        if board.conventions is None or scored_under != board.conventions:
            other[method] = f"scored under conventions {scored_under}"
    counted = (f"the published rows are on all {board.n_images} test images of {board.dataset}"
               if board.n_images else
               f"{board.source} gives no image count (add an n_images column)")
    conventions = (f"the published rows follow conventions {board.conventions}"
                   if board.conventions else
                   f"{board.source} names no metric conventions (add a conventions column)")
    for rows, allowed, expected, fix in (
            (partial, allow_partial, counted, "evaluate the whole test set, or allow partial "
             "rows (allow_partial=True)"),
            (other, allow_other_conventions, conventions,
             f"evaluate with conventions={board.conventions or 'NAME'}, or allow rows of other "
             "conventions (allow_other_conventions=True)")):
        if rows and not allowed:
            method, seen = next(iter(rows.items()))
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            raise SodbenchError(f"leaderboard={board.name}: {expected}, but {method} {seen}"
                                f"{more}; {fix} to show them marked as not comparable")
    notes = {}
    for method in dict.fromkeys([*partial, *other]):
        reasons = [(rows[method], expected, kind) for rows, expected, kind in
                   ((partial, counted, "partial"), (other, conventions, "other conventions"))
                   if method in rows]
        notes[method] = ("; ".join(f"{seen}; {expected}" for seen, expected, _ in reasons)
                         + f" ({', '.join(kind for *_, kind in reasons)}; not comparable)")
    return notes


def _merge_leaderboard(frame: pd.DataFrame, board: Leaderboard, target: str | None,
                       metrics: list[str], footnotes: list[str],
                       partial: dict[str, str]) -> pd.DataFrame:
    """Put the published rows first, then the user's (``target`` dataset, ``partial`` rows
    marked), under the leaderboard's dataset."""
    if target != board.dataset and target is not None:
        frame = frame.rename(columns={target: board.dataset}, level=0)
        footnotes.append(f"Results for dataset '{target}' are shown under {board.dataset}.")
    rows = {method: f"{method} (sodbench)" if method in board.frame.index else method
            for method in frame.index}
    rows.update({method: f"{rows[method]}{PARTIAL_MARK}" for method in partial})
    frame = frame.rename(index=rows)
    footnotes += [f"{rows[method]}: {why}." for method, why in partial.items()]
    published = board.frame.reindex(columns=metrics)
    published.columns = pd.MultiIndex.from_product([[board.dataset], metrics])
    counted = f" ({board.n_images} test images)" if board.n_images else ""
    reference = f"{board.source_table}, " if board.source_table else ""
    footnotes.append(f"Published rows{counted}: {reference}{board.title}; {board.source}.")
    footnotes += list(board.notes)
    merged = pd.concat([published, frame], axis=0)
    order = [(board.dataset, key) for key in metrics]
    return merged[order + [column for column in merged.columns if column not in order]]


def _matching_dataset(datasets: list[str], wanted: str) -> str | None:
    def squash(name: str) -> str:
        return "".join(ch for ch in name.lower() if ch.isalnum())

    same = [name for name in datasets if squash(name) == squash(wanted)]
    if same:
        return same[0]
    return datasets[0] if len(datasets) == 1 else None


def _cost_frame(methods: pd.Index, profiles: dict[str, ProfileRecord],
                board: Leaderboard | None, flops: str) -> pd.DataFrame | None:
    if not profiles and board is None:
        return None
    cost = pd.DataFrame(math.nan, index=methods, columns=list(EFFICIENCY_KEYS))
    if board is not None:
        known = board.frame.reindex(columns=list(EFFICIENCY_KEYS))
        cost.loc[known.index] = known.to_numpy()
    published = set(board.frame.index) if board is not None else set()
    for method, record in profiles.items():
        row = _profile_row(methods, method, published)
        if row in published:
            raise SodbenchError(
                f"profile of {method!r} would overwrite the published row {row!r}; "
                "profile only methods of your results"
            )
        cost.loc[row] = profile_costs(record, flops)
    cost.columns = pd.MultiIndex.from_product([[COST], cost.columns])
    return cost


def _profile_row(methods: pd.Index, method: str, published: set) -> str:
    """The row a profile given for ``method`` fills: the method's own row, also when it is
    renamed ``(sodbench)`` beside a published row of that name or marked partial."""
    for base in (f"{method} (sodbench)", method):
        for candidate in (base, f"{base}{PARTIAL_MARK}"):
            if candidate in methods:
                return candidate
    folded = {name.lower(): name for name in methods}
    if method.lower() in folded:
        return folded[method.lower()]
    yours = [str(name) for name in methods if name not in published]
    if not yours:
        raise SodbenchError(f"profile of {method!r}: the table has no rows of your results to "
                            "put it in (published rows keep their own costs); tabulate a "
                            "results document with it")
    example = yours[0].removesuffix(PARTIAL_MARK).removesuffix(" (sodbench)")
    raise SodbenchError(
        f"profile of {method!r}: no row of the table is named {method!r} (rows: "
        f"{', '.join(yours)}); {PROFILE_UNDER_ROW_NAME}, e.g. {example}"
    )


def profile_costs(record: ProfileRecord, flops: str = "paper") -> list[float]:
    """Param (M), FLOPs (G) per image and Speed (FPS) of the first speed row of a record."""
    counter = getattr(record, FLOPS_COUNTERS[flops])
    fps = record.speed[0].fps if record.speed else None
    return [
        record.params.total / 1e6,
        math.nan if counter is None else counter / 1e9,
        math.nan if fps is None else float(fps),
    ]


