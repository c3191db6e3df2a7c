"""Leaderboard tables from results files: Markdown, LaTeX, CSV and HTML.

A :class:`Table` holds full-precision values: one row per method, columns grouped by dataset
(cost columns ``Param``/``FLOPs``/``Speed`` in a group of their own). Rendering rounds, ranks
each column on the *displayed* value (ties share the better rank, "1224" style), and marks the
best three: bold, underline and italic in every format, and in LaTeX and HTML also the
Okabe-Ito colours vermillion, blue and bluish green (see :data:`LATEX_PREAMBLE`), which stay
apart for readers with any common colour-vision deficiency and in greyscale print; the
usual red/green/blue of PySODEvalToolkit's ``\\first/\\second/\\third`` macros is neither (pure
green on white is also hard to read). The macro names are kept, so a paper's own definitions
still win.

A row of a results entry that was not scored on every test image of a leaderboard's dataset,
or under the leaderboard's metric conventions, is refused next to the published rows unless
such rows are allowed; then it is marked with a dagger and a note.
"""

from __future__ import annotations

import html
import io
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sodbench import __version__
from sodbench.errors import SodbenchError
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.metrics.keys import METRIC_KEYS
from sodbench.reports.leaderboards import (
    EFFICIENCY_KEYS,
    Leaderboard,
    canonical_key,
    lower_is_better,
)

#: Metric columns shown when none are asked for: the MINet paper's Table II, in its order.
DEFAULT_METRICS = ("MAE", "wF", "OR", "Sm", "PFOM", "IoU")
#: ``--flops`` choices -> the profile-record key the FLOPs (G) column shows.
FLOPS_COUNTERS = {"paper": "paper_compatible_macs", "macs": "macs", "flops": "flops"}
_FLOPS_WORDS = {
    "paper": "paper-compatible MACs (thop-2020 convention, comparable with the MINet paper's "
             "'FLOPs (G)', which are MACs)",
    "macs": "multiply-accumulates (MACs)",
    "flops": "floating-point operations (FLOPs = 2 x MACs)",
}
_LABELS = {"Param": "Param (M)", "FLOPs": "FLOPs (G)", "Speed": "Speed (FPS)"}
_COST_DIGITS = {"Param": 2, "FLOPs": 2, "Speed": 0}  # as printed in the MINet paper
#: The group name of the cost columns (they belong to no dataset).
COST = ""
#: Appended to a results row that was not scored on every test image of the leaderboard.
PARTIAL_MARK = "†"
FORMATS = ("md", "latex", "csv", "html")
#: Most decimals a table prints: digits beyond float64's 17 significant ones are noise.
MAX_DIGITS = 17


@dataclass
class Table:
    """Values to render: index = method, columns = MultiIndex (dataset or ``COST``, key)."""

    values: pd.DataFrame
    footnotes: list[str] = field(default_factory=list)
    title: str = ""
    """The caption, without a number (LaTeX's ``\\caption`` numbers it)."""


def build_table(document: dict | None = None, *, profiles: dict[str, dict] | None = None,
                leaderboard: Leaderboard | None = None, columns: list[str] | None = None,
                flops: str = "paper", allow_partial: bool = False,
                allow_other_profile: bool = False) -> Table:
    """Assemble a table from a results document, profile records and a published leaderboard.

    Parameters
    ----------
    document : dict, optional
        A results document (:func:`sodbench.folders.results.load_results`).
    profiles : dict, optional
        Method name -> profile record (``sodbench profile --json``); gives Param, FLOPs, Speed.
    leaderboard : Leaderboard, optional
        Published rows to merge with; the results' rows for the leaderboard's dataset land
        in the same columns (a results file with one dataset is placed there whatever its name).
    columns : list of str, optional
        Metric and cost keys to show, any common spelling; default the leaderboard's metrics,
        else those of ``DEFAULT_METRICS`` the results hold.
    flops : {"paper", "macs", "flops"}
        Which counter of the profile record fills the FLOPs (G) column.
    allow_partial : bool
        Show results rows that were not scored on all of the leaderboard's test images
        (``leaderboard.n_images``), marked ``†`` with a note, instead of refusing them.
    allow_other_profile : bool
        Likewise for results rows scored under other metric conventions than the
        leaderboard's rows (``leaderboard.profile``).
    """
    if flops not in FLOPS_COUNTERS:
        raise SodbenchError(f"--flops {flops!r}: choose one of {', '.join(FLOPS_COUNTERS)}")
    document = document or {"entries": []}
    profiles = profiles or {}
    if columns is not None and not columns:
        raise SodbenchError("--columns names no column (e.g. MAE,Sm,wF,Param)")
    # one column per key: MAE,mae would otherwise give a duplicate column
    keys = list(dict.fromkeys(canonical_key(name) for name in columns)) if columns else None
    metrics = _metric_keys(document, leaderboard, keys)
    cost_keys = [key for key in EFFICIENCY_KEYS if keys is None or key in keys]
    footnotes: list[str] = []
    frame = results_frame(document, metrics)
    if leaderboard is not None:
        target = _target_dataset(frame, leaderboard)
        partial = _partial_rows(document, target, leaderboard, allow_partial,
                                allow_other_profile)
        frame = _merge_leaderboard(frame, leaderboard, target, metrics, footnotes, partial)
    if frame.empty:
        raise SodbenchError("nothing to tabulate: the results hold no entries")
    cost = _cost_frame(frame.index, profiles, leaderboard, flops)
    if cost is not None and cost_keys:
        frame = pd.concat([cost[[(COST, key) for key in cost_keys]], frame], axis=1)
    footnotes += _result_notes(document, metrics)
    footnotes += [_profile_note(method, record, flops) for method, record in profiles.items()]
    return Table(values=frame, footnotes=footnotes, title=_caption(document, leaderboard))


def _caption(document: dict, leaderboard: Leaderboard | None) -> str:
    if leaderboard is not None:
        return leaderboard.title
    entries = document["entries"]
    datasets = ", ".join(dict.fromkeys(str(entry["dataset"]) for entry in entries))
    provenance = document.get("provenance", {})
    profiles = ", ".join(dict.fromkeys(str(entry.get("profile", provenance.get("profile", "?")))
                                       for entry in entries))
    version = provenance.get("sodbench_version", __version__)
    return f"Results on {datasets} (metric profile {profiles}; sodbench {version})"


def results_frame(document: dict, metrics: list[str]) -> pd.DataFrame:
    """Results entries as a frame: rows = methods (first-seen order), columns = (dataset, key)."""
    cells: dict[str, dict[tuple[str, str], float]] = {}
    seen: set[tuple[str, str]] = set()
    for entry in document["entries"]:
        dataset, method = str(entry["dataset"]), str(entry["method"])
        if (dataset, method) in seen:
            raise SodbenchError(f"results list ({dataset}, {method}) twice; merge them first")
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
        present = {key for entry in document["entries"] for key in entry["metrics"]}
        chosen = ([key for key in DEFAULT_METRICS if key in present]
                  or [key for key in METRIC_KEYS if key in present])
    if not chosen and keys is None and leaderboard is not None:
        raise SodbenchError(f"--leaderboard {leaderboard.name}: no metric columns to show "
                            "(add e.g. MAE, Sm, wF columns)")
    if not chosen and keys is None:
        raise SodbenchError("nothing to tabulate: the results hold no metric values")
    if not chosen:
        raise SodbenchError("--columns names no metric (add e.g. MAE,Sm,wF)")
    return chosen


def _target_dataset(frame: pd.DataFrame, board: Leaderboard) -> str | None:
    """The results' dataset that goes under the leaderboard's columns (None: no results)."""
    datasets = list(dict.fromkeys(frame.columns.get_level_values(0)))
    target = _matching_dataset(datasets, board.dataset)
    if target is None and datasets:
        raise SodbenchError(
            f"--leaderboard {board.name}: the results have no {board.dataset} entries "
            f"(datasets: {', '.join(datasets)}); name the dataset {board.dataset} at eval time"
        )
    return target


def _partial_rows(document: dict, target: str | None, board: Leaderboard,
                  allow_partial: bool, allow_other_profile: bool = False) -> dict[str, str]:
    """Method -> its note, for the results rows that cannot be compared with the published
    ones: scored on another number of test images (refused unless ``allow_partial``), or under
    other metric conventions (refused unless ``allow_other_profile``)."""
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
        profile = entry.get("profile", provenance.get("profile"))
        if board.profile is None or profile != board.profile:
            other[method] = f"scored under profile {profile}"
    counted = (f"the published rows are on all {board.n_images} test images of {board.dataset}"
               if board.n_images else
               f"{board.source} gives no image count (add an n_images column)")
    conventions = (f"the published rows follow profile {board.profile}" if board.profile else
                   f"{board.source} names no metric profile (add a profile column)")
    for rows, allowed, expected, fix in (
            (partial, allow_partial, counted, "evaluate the whole test set, or allow partial "
             "rows (--allow-partial)"),
            (other, allow_other_profile, conventions,
             f"evaluate with --profile {board.profile or 'NAME'}, or allow rows of other "
             "profiles (--allow-other-profile)")):
        if rows and not allowed:
            method, seen = next(iter(rows.items()))
            more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
            raise SodbenchError(f"--leaderboard {board.name}: {expected}, but {method} {seen}"
                                f"{more}; {fix} to show them marked as not comparable")
    notes = {}
    for method in dict.fromkeys([*partial, *other]):
        reasons = [(rows[method], expected, kind) for rows, expected, kind in
                   ((partial, counted, "partial"), (other, conventions, "other profile"))
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


def _cost_frame(methods: pd.Index, profiles: dict[str, dict], board: Leaderboard | None,
                flops: str) -> pd.DataFrame | None:
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
                            "put it in (published rows keep their own costs); give RESULTS")
    example = yours[0].removesuffix(PARTIAL_MARK).removesuffix(" (sodbench)")
    raise SodbenchError(
        f"profile of {method!r}: no row of the table is named {method!r} (rows: "
        f"{', '.join(yours)}); give the row's name, as in --profile-json {example}=P.json"
    )


def profile_costs(record: dict, flops: str = "paper") -> list[float]:
    """Param (M), FLOPs (G) per image and Speed (FPS) of the first speed entry of a record."""
    counter = record.get(FLOPS_COUNTERS[flops])
    speed = record.get("speed") or [{}]
    return [
        record["params"]["total"] / 1e6,
        math.nan if counter is None else counter / 1e9,
        float(speed[0].get("fps", math.nan)),
    ]


def _profile_note(method: str, record: dict, flops: str) -> str:
    shape = "x".join(str(size) for size in record.get("input_shape", [])[1:]) or "?"
    speed = (record.get("speed") or [{}])[0]
    env = record.get("environment", {})
    device = env.get("device_name") or env.get("device") or "unknown device"
    return (
        f"{method}: Param, FLOPs and Speed measured by sodbench profile; FLOPs (G) = "
        f"{_FLOPS_WORDS[flops]} per {shape} image; Speed = {speed.get('backend', '?')} backend, "
        f"batch {speed.get('batch', '?')}, {speed.get('protocol', '?')} protocol on {device} "
        "(the MINet paper's Speed is batch-300 throughput on a GTX 2080Ti: not comparable)."
    )


def _result_notes(document: dict, metrics: list[str]) -> list[str]:
    notes = []
    provenance = document.get("provenance", {})
    profiles = sorted({str(e.get("profile", provenance.get("profile", "?")))
                       for e in document["entries"]})
    if document["entries"]:
        version = provenance.get("sodbench_version", __version__)
        notes.append(f"Metrics by sodbench {version}, profile {', '.join(profiles)}.")
    for entry in document["entries"]:
        coverage = entry.get("counts", {}).get("coverage")
        if coverage is not None and coverage < 1:
            counts = entry["counts"]
            notes.append(
                f"{entry['method']} on {entry['dataset']}: {counts.get('n_evaluated')} of "
                f"{counts.get('n_gt')} images evaluated (coverage {coverage:.1%})."
            )
        notes += [f"{entry['method']} on {entry['dataset']}: {note}"
                  for note in entry.get("notes", [])]
    return notes + _convention_notes(profiles, metrics)


def _convention_notes(profiles: list[str], metrics: list[str]) -> list[str]:
    """Say which shown metrics only approximate their reference, and what PFOM is."""
    notes = []
    for name in profiles:
        profile = CONVENTIONS.get(name)
        if profile is None:
            continue
        shown = [key for key in profile.approximate if key in metrics]
        if shown:
            notes.append(f"{', '.join(shown)} approximate under profile {name}: "
                         f"{profile.description}.")
        if "PFOM" in metrics and "PFOM" not in profile.approximate:
            notes.append(f"PFOM under profile {name} is the textbook Pratt figure of merit; the "
                         "MINet paper's PFOM protocol is unpublished, so it is not comparable "
                         "with published PFOM values (profile minet-tii2024 has the closest "
                         "known variant).")
    return notes


def displayed(table: Table, digits: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rounded cell texts and each cell's rank among its column (NaN where missing).

    Ranks are taken on the value as displayed, so two methods that print the same number
    share a rank; the next rank is skipped ("1224" ranking).
    """
    if not 0 <= digits <= MAX_DIGITS:
        raise SodbenchError(f"--digits {digits}: must be 0 to {MAX_DIGITS} (a float64 value "
                            "has no more significant decimals)")
    texts, ranks = {}, {}
    for column in table.values.columns:
        places = _cost_digits(column[1], table.values[column]) if column[0] == COST else digits
        text = table.values[column].map(lambda v, p=places: "" if np.isnan(v) else f"{v:.{p}f}")
        shown = pd.to_numeric(text, errors="coerce")
        texts[column] = text
        ranks[column] = shown.rank(method="min", ascending=lower_is_better(column[1]))
    return pd.DataFrame(texts), pd.DataFrame(ranks)


def _cost_digits(key: str, values: pd.Series) -> int:
    """Param and FLOPs with 2 decimals; Speed whole like the paper unless some value is small
    (a CPU measurement of 0.9 FPS must not print as 1)."""
    if key != "Speed" or values.isna().all():
        return _COST_DIGITS[key]
    smallest = values.min()
    return 0 if smallest >= 10 else 1 if smallest >= 1 else 2


def label(key: str, arrow: tuple[str, str] = ("↓", "↑")) -> str:
    """Column label with its direction arrow, e.g. ``MAE↓``, ``Param (M)↓``."""
    return _LABELS.get(key, key) + (arrow[0] if lower_is_better(key) else arrow[1])


def _datasets(table: Table) -> list[str]:
    return [name for name in dict.fromkeys(table.values.columns.get_level_values(0)) if name]


def _check_highlight(highlight: int) -> None:
    if not 0 <= highlight <= 3:
        raise SodbenchError(f"--highlight {highlight}: must be 0 to 3 (best, second, third)")


def to_markdown(table: Table, *, digits: int = 4, highlight: int = 3) -> str:
    """GitHub Markdown; several datasets get a header row of dataset names above the metrics."""
    _check_highlight(highlight)
    texts, ranks = displayed(table, digits)
    marks = ("**{}**", "<u>{}</u>", "*{}*")
    columns = list(table.values.columns)
    datasets = _datasets(table)
    labels = [label(key) for _, key in columns]
    lines = []
    if len(datasets) > 1:
        # Cost columns keep their label in the header; a dataset's name heads its first column.
        top = [text if group == COST else _md_escape(group)
               if i == 0 or columns[i - 1][0] != group else ""
               for i, ((group, _), text) in enumerate(zip(columns, labels, strict=True))]
        sub = ["" if group == COST else text
               for (group, _), text in zip(columns, labels, strict=True)]
        lines.append(_md_row(["Method", *top]))
        lines.append(_md_row(["---", *["---:"] * len(columns)]))
        lines.append(_md_row(["", *sub]))
    else:
        if datasets:
            lines.append(f"Dataset: {_md_escape(datasets[0])}\n")
        lines.append(_md_row(["Method", *labels]))
        lines.append(_md_row(["---", *["---:"] * len(columns)]))
    for method in table.values.index:
        cells = [_mark(texts.at[method, c], ranks.at[method, c], highlight, marks)
                 for c in columns]
        lines.append(_md_row([_md_escape(str(method)), *[cell or "-" for cell in cells]]))
    lines.append("")
    if highlight:
        names = ["**bold**: best", "<u>underline</u>: second", "*italic*: third"][:highlight]
        lines.append(f"{', '.join(names)} in each column (ranked on the displayed value; "
                     "ties share a rank). ↓ lower is better, ↑ higher is better.")
    if table.footnotes:
        lines += ["", "Notes:", ""]
        lines += [f"{i}. {_md_escape(note)}" for i, note in enumerate(table.footnotes, 1)]
    return "\n".join(lines) + "\n"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


_MD_SPECIALS = "\\|*_`[]~"


def _md_escape(text: str) -> str:
    """Names and notes as literal text: Markdown marks backslash-escaped, and ``<``, ``>``,
    ``&`` as HTML entities (GitHub Markdown renders inline HTML)."""
    text = "".join(f"\\{ch}" if ch in _MD_SPECIALS else ch for ch in text)
    return html.escape(text, quote=False)


def _mark(text: str, rank: float, highlight: int, marks: tuple[str, ...]) -> str:
    if text and not math.isnan(rank) and rank <= highlight:
        return marks[int(rank) - 1].format(text)
    return text


#: Defines the marks of the best three unless the document already has them. Each mark is a
#: type style (bold, underline, italic, as in Markdown: readable in greyscale print) plus a
#: colour of the Okabe-Ito palette (vermillion D55E00, blue 0072B2, bluish green 009E73;
#: M. Okabe, K. Ito, "Color Universal Design", 2008; recommended for figures by B. Wong,
#: "Points of view: Color blindness", Nature Methods 8:441, 2011), which stay distinct under
#: protanopia, deuteranopia and tritanopia. Define ``\\first``/``\\second``/``\\third`` or
#: the colours ``sodbenchfirst``/``sodbenchsecond``/``sodbenchthird`` before ``\\input`` to restyle.
LATEX_PREAMBLE = r"""% sodbench table. Preamble needs: \usepackage{booktabs} \usepackage{xcolor}
% Best, second and third per column (ranked on the displayed value, ties share a rank):
% bold, underlined and italic, in colour-blind-safe Okabe-Ito colours. \providecolor and
% \providecommand keep the colours and macros you defined yourself.
\providecolor{sodbenchfirst}{HTML}{D55E00}
\providecolor{sodbenchsecond}{HTML}{0072B2}
\providecolor{sodbenchthird}{HTML}{009E73}
\providecommand{\first}[1]{\textbf{\textcolor{sodbenchfirst}{#1}}}
\providecommand{\second}[1]{\underline{\textcolor{sodbenchsecond}{#1}}}
\providecommand{\third}[1]{\textit{\textcolor{sodbenchthird}{#1}}}
"""
#: The same marks in HTML. ``:where()`` gives the rules zero specificity, so any rule of the
#: page for ``.rank1``... wins over these defaults.
HTML_STYLE = ("<style>:where(table.sodbench .rank1){color:#D55E00;font-weight:bold}"
              ":where(table.sodbench .rank2){color:#0072B2;text-decoration:underline}"
              ":where(table.sodbench .rank3){color:#009E73;font-style:italic}</style>")


def to_latex(table: Table, *, digits: int = 4, highlight: int = 3) -> str:
    """A booktabs ``table`` float with dataset column groups and the top-3 macros."""
    _check_highlight(highlight)
    texts, ranks = displayed(table, digits)
    columns = list(table.values.columns)
    marks = (r"\first{{{}}}", r"\second{{{}}}", r"\third{{{}}}")
    out = [LATEX_PREAMBLE, r"\begin{table}[t]", r"\centering"]
    if table.title:
        out.append(rf"\caption{{{_tex(table.title)}}}")
    out.append(r"\begin{tabular}{l" + "r" * len(columns) + "}")
    out.append(r"\toprule")
    out += _latex_group_rows(columns)
    out.append(" & ".join(["Method", *[_tex(label(key)) for _, key in columns]]) + r" \\")
    out.append(r"\midrule")
    for method in table.values.index:
        cells = [_mark(texts.at[method, c], ranks.at[method, c], highlight, marks) or "--"
                 for c in columns]
        out.append(" & ".join([_tex(str(method)), *cells]) + r" \\")
    out.append(r"\bottomrule")
    out.append(r"\end{tabular}")
    notes = [_tex(note) for note in table.footnotes]
    if highlight:
        # the legend is written with the macros themselves, so it stays true when restyled
        marks_shown = [r"\first{best}", r"\second{second}", r"\third{third}"][:highlight]
        notes = [", ".join(marks_shown) + " in each column (ranked on the displayed value, "
                 r"ties share a rank); $\downarrow$ lower is better, $\uparrow$ higher is "
                 "better.", *notes]
    out += [r"\par\smallskip{\footnotesize " + note + r"\par}" for note in notes]
    out.append(r"\end{table}")
    return "\n".join(out) + "\n"


def _latex_group_rows(columns: list[tuple[str, str]]) -> list[str]:
    cells, rules, start, i = [""], [], 2, 0
    while i < len(columns):
        group = columns[i][0]
        width = 1
        while i + width < len(columns) and columns[i + width][0] == group:
            width += 1
        if group:
            cells.append(rf"\multicolumn{{{width}}}{{c}}{{{_tex(group)}}}")
            rules.append(rf"\cmidrule(lr){{{start + i}-{start + i + width - 1}}}")
        else:
            cells += [""] * width
        i += width
    return [" & ".join(cells) + r" \\", " ".join(rules)] if rules else []


_TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                 "|": r"\textbar{}", "↓": r"$\downarrow$", "↑": r"$\uparrow$",
                 PARTIAL_MARK: r"$^{\dagger}$"}


def _tex(text: str) -> str:
    return "".join(_TEX_SPECIALS.get(ch, ch) for ch in text)


def to_csv(table: Table, *, digits: int = 4, highlight: int = 3) -> str:
    """Full-precision values plus a rank column per value column (rank on the displayed value).

    Value columns are named ``<dataset>/<key>`` (cost columns: ``Param (M)`` ...); a
    ``rank <column>`` column follows each; ``highlight`` is accepted for a uniform call.
    """
    _check_highlight(highlight)
    _, ranks = displayed(table, digits)
    out = pd.DataFrame(index=table.values.index)
    out.index.name = "method"
    for column in table.values.columns:
        name = _LABELS[column[1]] if column[0] == COST else f"{column[0]}/{column[1]}"
        out[name] = table.values[column]
        out[f"rank {name}"] = ranks[column].astype("Int64")
    buffer = io.StringIO()
    out.to_csv(buffer, float_format="%.17g", lineterminator="\n")
    return buffer.getvalue()


def to_html(table: Table, *, digits: int = 4, highlight: int = 3) -> str:
    """An HTML fragment: :data:`HTML_STYLE` and a ``<table class="sodbench">`` with dataset
    header cells; the top-3 cells have ``class="rank1"`` to ``"rank3"``."""
    _check_highlight(highlight)
    texts, ranks = displayed(table, digits)
    columns = list(table.values.columns)
    head = ["<tr><th></th>"]
    for group in dict.fromkeys(g for g, _ in columns):
        width = sum(1 for g, _ in columns if g == group)
        head.append(f'<th colspan="{width}">{html.escape(group)}</th>')
    rows = ["".join(head) + "</tr>",
            "<tr><th>Method</th>" + "".join(f"<th>{html.escape(label(k))}</th>"
                                            for _, k in columns) + "</tr>"]
    for method in table.values.index:
        cells = []
        for column in columns:
            rank = ranks.at[method, column]
            text = html.escape(texts.at[method, column]) or "-"
            marked = not math.isnan(rank) and rank <= highlight
            cells.append(f'<td class="rank{int(rank)}">{text}</td>' if marked else
                         f"<td>{text}</td>")
        rows.append(f"<tr><th>{html.escape(str(method))}</th>{''.join(cells)}</tr>")
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in table.footnotes)
    caption = f"<caption>{html.escape(table.title)}</caption>" if table.title else ""
    return (f'{HTML_STYLE}\n<table class="sodbench">{caption}<thead>{"".join(rows[:2])}'
            "</thead><tbody>"
            + "".join(rows[2:]) + "</tbody></table>\n"
            + (f"<ol>{notes}</ol>\n" if notes else ""))


RENDERERS = {"md": to_markdown, "latex": to_latex, "csv": to_csv, "html": to_html}


def render(table: Table, fmt: str, *, digits: int = 4, highlight: int = 3) -> str:
    """Render ``table`` in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in RENDERERS:
        raise SodbenchError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](table, digits=digits, highlight=highlight)


def format_for_path(path: str | os.PathLike) -> str | None:
    """The format implied by a file suffix (``.md``, ``.tex``, ``.csv``, ``.html``), if any."""
    suffix = os.path.splitext(str(path))[1].lower()
    return {".md": "md", ".tex": "latex", ".csv": "csv", ".html": "html", ".htm": "html"}.get(
        suffix)
