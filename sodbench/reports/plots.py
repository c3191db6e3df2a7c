"""PR, ROC and per-threshold curves from results files (the MINet paper's Fig. 6 style).

Kinds (:data:`KINDS`): ``pr`` (precision against recall), ``roc`` (true positive rate, the
recall curve, against the false positive rate: the FPR curve that results files hold from
this version on), and F-measure, E-measure, IoU and Dice against the threshold (``fm``,
``em``, ``iou``, ``dice``).

One subplot per dataset, one line per method, a legend shared by all subplots, axes fitted
to the data (PySODEvalToolkit's fixed ranges hide curves: lartpang/PySODEvalToolkit#12, #27),
the Okabe-Ito colour-blind-safe palette, and highlighted methods drawn last and thicker.
Aliases (``names``) change what the figure shows, ``order`` the order of methods and
subplots. The look comes from matplotlib style files (:mod:`sodbench.reports.plot_style`):
the bundled one, then the caller's ``style``, applied only while a figure is built and saved.
Figures are built on matplotlib's object API with the Agg canvas, so no display and no
pyplot global state are involved. The plotted numbers go to a CSV file when one is asked for.

References
----------
M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people", 2008 (the palette).
P. Tol, "Colour schemes", SRON/EPS/TN/09-002, 2021 (the highlight colours after vermillion).
G. M. Machado, M. M. Oliveira and L. A. F. Fernandes, "A physiologically-based model for
simulation of color vision deficiency", IEEE TVCG 15(6), 2009 (how they were checked).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import matplotlib
import matplotlib.style
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan, atomic_file, atomic_write
from sodbench.folders.results import load_results
from sodbench.reports.plot_style import styled

__all__ = ["FIGURE_SUFFIXES", "HIGHLIGHT_COLOUR", "HIGHLIGHT_COLOURS", "KINDS",
           "OKABE_ITO", "curve_frame", "parse_names", "plan_outputs", "plot_curves", "save_plot"]

#: kind -> (x curve or "threshold", y curve, x label, y label)
KINDS = {
    "pr": ("recall", "precision", "Recall", "Precision"),
    "roc": ("FPR", "recall", "False positive rate", "True positive rate (recall)"),
    "fm": ("threshold", "F", "Threshold", "F-measure"),
    "em": ("threshold", "E", "Threshold", "E-measure"),
    "iou": ("threshold", "IoU", "Threshold", "IoU"),
    "dice": ("threshold", "Dice", "Threshold", "Dice"),
}
#: Curve keys to name when results hold no curves (any of them stores every plotted curve).
_CURVE_KEYS = "maxF, meanF, maxE, meanE, maxIoU, maxDice"
#: Okabe-Ito colours of the lines. Vermillion is kept for the highlighted method (papers draw
#: theirs red); yellow is left out, too faint on white to read as a thin line.
OKABE_ITO = ("#000000", "#0072B2", "#56B4E9", "#009E73", "#CC79A7", "#E69F00")
#: Colours of highlighted methods, in the methods' order: vermillion, then Tol's indigo, wine
#: and dark green. Each pair of the four and the Okabe-Ito colours stays more than 11
#: CIEDE2000 apart in normal, protan, deutan and tritan vision (Machado et al.'s simulation,
#: full severity); the best fifth of Tol's colours came within 7.5 of one, so four is the limit.
HIGHLIGHT_COLOURS = ("#D55E00", "#332288", "#882255", "#225522")
HIGHLIGHT_COLOUR = HIGHLIGHT_COLOURS[0]
#: A highlighted line's width over the style's ``lines.linewidth`` (2.6 pt at sodbench's 1.4).
_HIGHLIGHT_SCALE = 13 / 7
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
_STYLES = ("-", "--", "-.", ":")
_MAX_LEGEND_COLUMNS = 6
_MARGIN = 0.03


def curve_frame(results: dict | str | os.PathLike, kind: str) -> pd.DataFrame:
    """The points of every (dataset, method) curve as a long table.

    Parameters
    ----------
    results : dict or path
        A results document, or the path of a results file.
    kind : {"pr", "roc", "fm", "em", "iou", "dice"}

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, method, threshold`` (0..255, ascending) and the two plotted
        quantities (``recall, precision`` for ``pr``; ``FPR, recall`` for ``roc``;
        ``threshold_01`` and ``F``, ``E``, ``IoU`` or ``Dice``). ``method`` is categorical,
        its categories every method of the results in their order, so a method keeps its
        colour in every figure of the results.
        Points with a missing (NaN) value are dropped; entries without the curve are skipped.

    Raises
    ------
    SodbenchError
        When no entry holds the curves; for ``roc``, results written before the FPR curve
        was stored are named as such, with the fix (evaluate again with this version).
    """
    document, source = _document(results)
    x_key, y_key = _check_kind(kind)[:2]
    parts = []
    for entry in document["entries"]:
        curves = entry.get("curves") or {}
        if y_key not in curves or (x_key != "threshold" and x_key not in curves):
            continue
        y = np.asarray(curves[y_key], dtype=float)
        thresholds = np.asarray(curves.get("threshold", np.arange(y.size)), dtype=float)
        x = thresholds / 255 if x_key == "threshold" else np.asarray(curves[x_key], dtype=float)
        part = pd.DataFrame({"dataset": entry["dataset"], "method": entry["method"],
                             "threshold": thresholds.astype(int),
                             _x_column(kind): x, y_key: y})
        parts.append(part.dropna())
    if not parts:
        raise SodbenchError(_no_curve(document, source, x_key, y_key))
    points = pd.concat(parts, ignore_index=True)
    methods = list(dict.fromkeys(entry["method"] for entry in document["entries"]))
    points["method"] = pd.Categorical(points["method"], categories=methods, ordered=True)
    return points


def _no_curve(document: dict, source: str, x_key: str, y_key: str) -> str:
    """Why no entry can be plotted, and the fix."""
    stored = {key for entry in document["entries"] for key in entry.get("curves") or {}}
    missing = next((key for key in (y_key, x_key) if key != "threshold" and key not in stored),
                   y_key)
    if stored - {"threshold"}:
        return (f"{source}: no entry has a {missing!r} curve (the results were written by an "
                f"older sodbench, which did not store it); re-run `sodbench eval` with this "
                "version to plot it")
    return (f"{source}: no entry has a {missing!r} curve; curves are stored when the evaluation "
            f"scores a curve metric ({_CURVE_KEYS}, ...): evaluate again (`sodbench eval`) "
            "without metrics=, or with one of these keys in it")


def _document(results: dict | str | os.PathLike) -> tuple[dict, str]:
    if isinstance(results, dict):
        return results, "results"
    return load_results(results), str(results)


def _check_kind(kind: str) -> tuple[str, str, str, str]:
    if kind not in KINDS:
        raise SodbenchError(f"kind {kind!r}: choose one of {', '.join(KINDS)}")
    return KINDS[kind]


def _x_column(kind: str) -> str:
    return "threshold_01" if KINDS[kind][0] == "threshold" else KINDS[kind][0]


class _Layout(NamedTuple):
    """What a figure shows, checked before anything is drawn."""

    methods: list[str]        # every method of the results, in the figure's order
    datasets: list[str]       # the subplots, in order
    highlights: list[str]     # in the methods' order
    method_labels: dict[str, str]
    dataset_labels: dict[str, str]


def plot_curves(points: pd.DataFrame, kind: str, *,
                highlight: str | Sequence[str] | None = None,
                names: Mapping[str, str] | None = None, order: Sequence[str] | None = None,
                style: str | os.PathLike | None = None) -> Figure:
    """Draw :func:`curve_frame` points: one subplot per dataset, a shared legend below.

    A method's colour and line style follow its place in the methods' order (``order``, then
    the categories of ``points["method"]``, else first appearance), so they are the same in
    the PR, F- and E-measure figures of one results file, with or without ``highlight``.

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`curve_frame` for ``kind``.
    kind : {"pr", "roc", "fm", "em", "iou", "dice"}
    highlight : str or sequence of str, optional
        Methods to draw last, thicker, each in its colour of :data:`HIGHLIGHT_COLOURS`
        (vermillion first) given in the methods' order; at most four.
    names : mapping, optional
        Aliases, results' name -> name shown, for methods and datasets (a name that is both
        is shown so in both places). Every shown name must be distinct.
    order : sequence of str, optional
        Methods (legend order, colours, line styles) and datasets (subplots) to put first, in
        this order; the others follow in the results' order.
    style : path or str, optional
        A matplotlib style file (``.mplstyle``) or style name, applied over
        the bundled style (:data:`sodbench.reports.plot_style.DEFAULT_STYLE`) while the
        figure is built. Saving the figure yourself applies neither; :func:`save_plot`
        applies both, and Type 42 fonts.

    Raises
    ------
    SodbenchError
        A name in ``highlight``, ``names`` or ``order`` that the points do not hold, a name
        given twice, two names shown as one, more than four highlights, an unreadable or
        invalid style. Names are the results' names, never aliases.
    """
    layout = _layout(points, kind, highlight, names, order)
    with styled(style):
        return _draw(points, kind, layout)


def parse_names(pairs: Iterable[str]) -> dict[str, str]:
    """``OLD=NEW`` aliases (``sodbench plot --names``) as the ``names`` of :func:`plot_curves`.

    OLD is a name of the results (a method or a dataset) and ends at the first ``=``.

    Raises
    ------
    SodbenchError
        A pair without ``=`` or with an empty side, and a name aliased twice.
    """
    aliases = {}
    for pair in pairs:
        old, equals, new = pair.partition("=")
        if not (equals and old and new):
            raise SodbenchError(f"names={pair}: write OLD=NEW (a method or dataset of the "
                                "results, then the name to show)")
        if old in aliases:
            raise SodbenchError(f"names={pair}: {old!r} is aliased twice "
                                f"({old}={aliases[old]} and {pair}); give one alias")
        aliases[old] = new
    return aliases


def _layout(points: pd.DataFrame, kind: str, highlight, names, order) -> _Layout:
    _check_kind(kind)
    methods, datasets = _methods(points), list(dict.fromkeys(points["dataset"]))
    names = dict(names or {})
    if order is not None:
        order = [order] if isinstance(order, str) else list(order)
        _check_known("order=" + ",".join(order), order, methods, datasets, names)
        _check_once("order", order)
        methods, datasets = _first(order, methods), _first(order, datasets)
    highlights = _highlights(highlight, methods, points, names)
    unknown = [old for old in names if old not in methods and old not in datasets]
    _check_known("names=" + ",".join(f"{old}={names[old]}" for old in unknown), unknown,
                 methods, datasets, names)
    labels = [{name: names.get(name, name) for name in group} for group in (methods, datasets)]
    for what, group in zip(("methods", "datasets"), labels, strict=True):
        _check_distinct(what, group, names)
    return _Layout(methods, datasets, highlights, *labels)


def _first(order: list[str], names: list[str]) -> list[str]:
    named = [name for name in order if name in names]
    return named + [name for name in names if name not in named]


def _check_known(what: str, given: list[str], methods: list[str], datasets: list[str],
                 names: dict[str, str]) -> None:
    unknown = [name for name in given if name not in methods and name not in datasets]
    if unknown:
        raise SodbenchError(f"{what}: the results hold no method or dataset "
                            f"{', '.join(map(repr, unknown))} (methods: {', '.join(methods)}; "
                            f"datasets: {', '.join(datasets)}){_alias_hint(unknown, names)}")


def _alias_hint(unknown: list[str], names: dict[str, str]) -> str:
    """Options name the results' names: say so when an alias was given instead."""
    return "".join(f"; {alias!r} is the alias of {old!r}: name {old!r}"
                   for old, alias in names.items() if alias in unknown)


def _check_once(what: str, given: list[str]) -> None:
    twice = [name for name, count in Counter(given).items() if count > 1]
    if twice:
        raise SodbenchError(f"{what}={twice[0]!r}: given twice; name each once")


def _check_distinct(what: str, labels: dict[str, str], names: dict[str, str]) -> None:
    """Two names shown as one would make two lines (or subplots) one reader cannot tell apart."""
    seen = {}
    for name, label in labels.items():
        other = seen.setdefault(label, name)
        if other != name:
            alias = name if name in names else other
            raise SodbenchError(f"names={alias}={names[alias]}: {what} {other!r} and {name!r} "
                                f"would both be shown as {label!r}; give each its own name")


def _highlights(highlight, methods: list[str], points: pd.DataFrame,
                names: dict[str, str]) -> list[str]:
    given = [] if highlight is None else [highlight] if isinstance(highlight, str) else list(
        highlight)
    plotted = [m for m in methods if m in set(points["method"])]
    for name in given:
        if name not in plotted:
            why = "has no curve" if name in methods else "no such method"
            raise SodbenchError(f"highlight={name!r}: {why} (methods with curves: "
                                f"{', '.join(plotted)}){_alias_hint([name], names)}")
    _check_once("highlight", given)
    if len(given) > len(HIGHLIGHT_COLOURS):
        raise SodbenchError(f"highlight={','.join(given)}: at most {len(HIGHLIGHT_COLOURS)} "
                            f"methods can be highlighted ({len(given)} given); a figure where "
                            "most lines stand out highlights none")
    return [method for method in methods if method in given]


def _draw(points: pd.DataFrame, kind: str, layout: _Layout) -> Figure:
    """The figure, under the rc settings in force (a style context)."""
    _, y_key, x_label, y_label = KINDS[kind]
    x_key = _x_column(kind)
    ncols = min(len(layout.datasets), 3)
    nrows = -(-len(layout.datasets) // ncols)
    figure = Figure(figsize=(4.2 * ncols, 3.6 * nrows + 0.5), layout="constrained")
    FigureCanvasAgg(figure)
    styles = _styles(layout.methods, layout.highlights)
    plotted = set(points["method"])
    drawn = [m for m in layout.methods if m in plotted and m not in layout.highlights]
    drawn += layout.highlights
    axes_list = figure.subplots(nrows, ncols, squeeze=False).ravel()
    by_method = {}
    for axes, dataset in zip(axes_list, layout.datasets, strict=False):
        subset = points[points["dataset"] == dataset]
        for method in drawn:
            curve = subset[subset["method"] == method]
            if not curve.empty:
                # handles are kept here, not read back by label: matplotlib leaves a label
                # starting with "_" out of legends, and a method may be named so
                (by_method[method],) = axes.plot(curve[x_key], curve[y_key],
                                                 label=layout.method_labels[method],
                                                 **styles[method])
        _fit_axes(axes, subset[x_key], subset[y_key])
        axes.set(title=_literal(str(layout.dataset_labels[dataset])), xlabel=x_label,
                 ylabel=y_label)
    for axes in axes_list[len(layout.datasets):]:
        axes.set_visible(False)
    shown = [m for m in drawn if m in by_method]
    _shared_legend(figure, [by_method[m] for m in shown],
                   [_literal(str(layout.method_labels[m])) for m in shown])
    return figure


def _literal(text: str) -> str:
    """``text`` drawn as written: a ``$`` would start matplotlib's mathtext (``$x^2$`` drawn
    as a formula, ``$\\foo$`` a parse error when the figure is saved)."""
    return text.replace("$", r"\$")


def _methods(points: pd.DataFrame) -> list[str]:
    column = points["method"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    return list(dict.fromkeys(column))


def _styles(methods: list[str], highlights: list[str]) -> dict[str, dict]:
    """Colour, then line style, by place in ``methods``: 24 distinguishable methods. The
    widths come from the style in force (``lines.linewidth``)."""
    styles = {method: {"color": OKABE_ITO[i % len(OKABE_ITO)],
                       "linestyle": _STYLES[(i // len(OKABE_ITO)) % len(_STYLES)], "zorder": 2}
              for i, method in enumerate(methods)}
    width = matplotlib.rcParams["lines.linewidth"] * _HIGHLIGHT_SCALE
    for colour, method in zip(HIGHLIGHT_COLOURS, highlights, strict=False):
        styles[method] = {"color": colour, "linestyle": "-", "linewidth": width, "zorder": 3}
    return styles


def _shared_legend(figure: Figure, handles: list, names: list[str]) -> None:
    """One legend below the subplots, in as few rows as fit the figure's width.

    The columns are ``ceil(n / rows)``, so every row is full but the last, whose gaps are at
    its end (9 names in 6 columns would leave three holes in the second row). The entries
    are placed so that the legend reads in their order row by row.
    """
    renderer = figure.canvas.get_renderer()
    for rows in range(1, len(names) + 1):
        columns = -(-len(names) // rows)
        if columns > _MAX_LEGEND_COLUMNS:
            continue
        legend = figure.legend(*_row_major(handles, names, columns),
                               loc="outside lower center", ncols=columns, frameon=False)
        if legend.get_window_extent(renderer).width <= figure.bbox.width * 0.98 or columns == 1:
            return
        legend.remove()


def _row_major(handles: list, names: list[str], columns: int) -> tuple[list, list[str]]:
    """Reorder for matplotlib, which fills a legend column by column (the first
    ``n % columns`` columns one entry longer), so that it reads in order row by row."""
    rows = -(-len(names) // columns)
    order = [row * columns + column for column in range(columns) for row in range(rows)
             if row * columns + column < len(names)]
    return [handles[i] for i in order], [names[i] for i in order]


def _fit_axes(axes, x: pd.Series, y: pd.Series) -> None:
    """Limits hugging the data with a small margin, never a fixed range that hides a curve."""
    for values, setter in ((x, axes.set_xlim), (y, axes.set_ylim)):
        low, high = float(values.min()), float(values.max())
        pad = max(high - low, 1e-3) * _MARGIN
        setter(low - pad, high + pad)


def plan_outputs(plan: OutputPlan, out: str | os.PathLike, csv: str | os.PathLike | None = None,
                 *, what: tuple[str, str] = ("out", "csv")) -> None:
    """Add the figure ``out`` and the optional ``csv`` of its points to ``plan``.

    Refused before anything is drawn: a figure name that is not ``.png``, ``.pdf`` or
    ``.svg``, a points file that is not ``.csv``, and whatever the plan refuses (an input,
    one path for both, a path that cannot be written). ``what`` names the two in messages.
    """
    plan.add_output(out, what[0])
    if Path(out).suffix.lower() not in FIGURE_SUFFIXES:
        raise SodbenchError(f"{what[0]} {out}: use a .png, .pdf or .svg file name")
    if csv is not None:
        plan.add_output(csv, what[1])
        if Path(csv).suffix.lower() != ".csv":
            raise SodbenchError(f"{what[1]} {csv}: use a .csv file name")


def save_plot(results: dict | str | os.PathLike, kind: str, out: str | os.PathLike, *,
              csv: str | os.PathLike | None = None,
              highlight: str | Sequence[str] | None = None,
              names: Mapping[str, str] | None = None, order: Sequence[str] | None = None,
              style: str | os.PathLike | None = None) -> tuple[Path, Path | None]:
    """Draw the curves of ``results`` into ``out`` (``.png``, ``.pdf`` or ``.svg``).

    Parameters
    ----------
    results : dict or path
        A results document, or the path of a results file (never overwritten).
    kind : {"pr", "roc", "fm", "em", "iou", "dice"}
    out : path
        The figure; PDF and PS embed TrueType (Type 42) fonts, as publishers require,
        whatever ``style`` says.
    csv : path, optional
        Where to write the plotted points (:func:`curve_frame`, full precision, the
        results' names); with ``names``, two more columns ``dataset_label`` and
        ``method_label`` hold the names shown. None is written unless asked for.
    highlight, names, order, style
        See :func:`plot_curves`; the style is in force while the figure is built and saved.

    Returns
    -------
    (pathlib.Path, pathlib.Path or None)
        The figure and the CSV file (``None`` without ``csv``).
    """
    plan = OutputPlan()
    if not isinstance(results, dict):
        plan.add_input(results, f"results {results}")
    if style is not None and Path(style).is_file():
        plan.add_input(style, f"style {style}")
    plan_outputs(plan, out, csv)
    out, csv = Path(out), None if csv is None else Path(csv)
    points = curve_frame(results, kind)
    layout = _layout(points, kind, highlight, names, order)
    # one style for building and saving: fonts and widths are read as artists are made,
    # savefig.dpi and the font type as the file is written
    with styled(style):
        figure = _draw(points, kind, layout)
        with atomic_file(out, "wb") as handle:
            figure.savefig(handle, format=out.suffix[1:].lower())
    if csv is not None:
        table = points if not names else points.assign(
            dataset_label=points["dataset"].map(layout.dataset_labels),
            method_label=points["method"].astype(str).map(layout.method_labels))
        atomic_write(csv, table.to_csv(index=False, float_format="%.17g", lineterminator="\n"))
    return out, csv
