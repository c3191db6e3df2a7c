"""PR, ROC and per-threshold curves from results files (the MINet paper's Fig. 6 style).

Kinds (:data:`KINDS`): ``pr`` (precision against recall), ``roc`` (true positive rate, the
recall curve, against the false positive rate: the FPR curve that results files hold from
this version on), and F-measure, E-measure, IoU and Dice against the threshold (``fm``,
``em``, ``iou``, ``dice``).

One subplot per dataset, one line per method, a legend shared by all subplots, axes fitted
to the data (PySODEvalToolkit's fixed ranges hide curves: lartpang/PySODEvalToolkit#12, #27),
the Okabe-Ito colour-blind-safe palette, and a highlighted method drawn last and thicker.
Figures are built on matplotlib's object API with the Agg canvas, so no display and no
pyplot global state are involved. The plotted numbers go to a CSV file when one is asked for.

References
----------
M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people", 2008 (the palette).
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan, atomic_file, atomic_write
from sodbench.folders.results import load_results

__all__ = ["FIGURE_SUFFIXES", "HIGHLIGHT_COLOUR", "KINDS", "OKABE_ITO", "curve_frame",
           "plan_outputs", "plot_curves", "save_plot"]

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
HIGHLIGHT_COLOUR = "#D55E00"
FIGURE_SUFFIXES = (".png", ".pdf", ".svg")
_STYLES = ("-", "--", "-.", ":")
_MAX_LEGEND_COLUMNS = 6
_MARGIN = 0.03
#: TrueType (Type 42) fonts in PDF and PS: publishers' checkers (IEEE PDF eXpress) reject the
#: Type 3 fonts matplotlib embeds by default.
_PAPER_FONTS = {"pdf.fonttype": 42, "ps.fonttype": 42}


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


def plot_curves(points: pd.DataFrame, kind: str, *, highlight: str | None = None) -> Figure:
    """Draw :func:`curve_frame` points: one subplot per dataset, a shared legend below.

    A method's colour and line style follow its place in the results (the categories of
    ``points["method"]``, else its first appearance), so they are the same in the PR, F- and
    E-measure figures of one results file, with or without ``highlight``.

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`curve_frame` for ``kind``.
    kind : {"pr", "roc", "fm", "em", "iou", "dice"}
    highlight : str, optional
        A method to draw last, thicker, in vermillion.
    """
    _, y_key, x_label, y_label = _check_kind(kind)
    x_key = _x_column(kind)
    methods = _methods(points)
    plotted = [m for m in methods if m in set(points["method"])]
    if highlight is not None and highlight not in plotted:
        why = "has no curve" if highlight in methods else "no such method"
        raise SodbenchError(
            f"highlight {highlight!r}: {why} (methods with curves: {', '.join(plotted)})"
        )
    datasets = list(dict.fromkeys(points["dataset"]))
    ncols = min(len(datasets), 3)
    nrows = -(-len(datasets) // ncols)
    figure = Figure(figsize=(4.2 * ncols, 3.6 * nrows + 0.5), layout="constrained")
    FigureCanvasAgg(figure)
    styles = _styles(methods, highlight)
    order = [m for m in plotted if m != highlight] + ([highlight] if highlight else [])
    axes_list = figure.subplots(nrows, ncols, squeeze=False).ravel()
    by_label = {}
    for axes, dataset in zip(axes_list, datasets, strict=False):
        subset = points[points["dataset"] == dataset]
        for method in order:
            curve = subset[subset["method"] == method]
            if not curve.empty:
                # handles are kept here, not read back by label: matplotlib leaves a label
                # starting with "_" out of legends, and a method may be named so
                (by_label[method],) = axes.plot(curve[x_key], curve[y_key], label=method,
                                                **styles[method])
        _fit_axes(axes, subset[x_key], subset[y_key])
        axes.set(title=_literal(str(dataset)), xlabel=x_label, ylabel=y_label)
        axes.grid(True, linewidth=0.4, alpha=0.5)
    for axes in axes_list[len(datasets):]:
        axes.set_visible(False)
    names = [m for m in order if m in by_label]
    _shared_legend(figure, [by_label[m] for m in names], [_literal(str(m)) for m in names])
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


def _styles(methods: list[str], highlight: str | None) -> dict[str, dict]:
    """Colour, then line style, by place in ``methods``: 24 distinguishable methods."""
    styles = {method: {"color": OKABE_ITO[i % len(OKABE_ITO)],
                       "linestyle": _STYLES[(i // len(OKABE_ITO)) % len(_STYLES)],
                       "linewidth": 1.4, "zorder": 2}
              for i, method in enumerate(methods)}
    if highlight is not None:
        styles[highlight] = {"color": HIGHLIGHT_COLOUR, "linestyle": "-", "linewidth": 2.6,
                             "zorder": 3}
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
              highlight: str | None = None) -> tuple[Path, Path | None]:
    """Draw the curves of ``results`` into ``out`` (``.png``, ``.pdf`` or ``.svg``).

    Parameters
    ----------
    results : dict or path
        A results document, or the path of a results file (never overwritten).
    kind : {"pr", "roc", "fm", "em", "iou", "dice"}
    out : path
        The figure; PDF and PS embed TrueType (Type 42) fonts, as publishers require.
    csv : path, optional
        Where to write the plotted points (:func:`curve_frame`, full precision); none
        is written unless asked for.
    highlight : str, optional
        See :func:`plot_curves`.

    Returns
    -------
    (pathlib.Path, pathlib.Path or None)
        The figure and the CSV file (``None`` without ``csv``).
    """
    plan = OutputPlan()
    if not isinstance(results, dict):
        plan.add_input(results, f"results {results}")
    plan_outputs(plan, out, csv)
    out, csv = Path(out), None if csv is None else Path(csv)
    points = curve_frame(results, kind)
    figure = plot_curves(points, kind, highlight=highlight)
    with matplotlib.rc_context(_PAPER_FONTS), atomic_file(out, "wb") as handle:
        figure.savefig(handle, format=out.suffix[1:].lower(), dpi=200)
    if csv is not None:
        atomic_write(csv, points.to_csv(index=False, float_format="%.17g", lineterminator="\n"))
    return out, csv
