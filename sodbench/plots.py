"""PR, F-measure and E-measure curves from results files (the MINet paper's Fig. 6 style).

One subplot per dataset, one line per method, a legend shared by all subplots, axes fitted
to the data (PySODEvalToolkit's fixed ranges hide curves: lartpang/PySODEvalToolkit#12, #27),
the Okabe-Ito colour-blind-safe palette, and a highlighted method drawn last and thicker.
Figures are built on matplotlib's object API with the Agg canvas, so no display and no
pyplot global state are involved. The plotted numbers are written beside the figure as CSV.

References
----------
M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and presentations
that are friendly to colorblind people", 2008 (the palette).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sodbench.errors import SodbenchError
from sodbench.outputs import atomic_write

#: kind -> (x curve or "threshold", y curve, x label, y label)
KINDS = {
    "pr": ("recall", "precision", "Recall", "Precision"),
    "fm": ("threshold", "F", "Threshold", "F-measure"),
    "em": ("threshold", "E", "Threshold", "E-measure"),
}
#: Okabe-Ito colours; vermillion is kept for the highlighted method (papers draw theirs red),
#: orange (close to it) and yellow (faint on white) come last.
OKABE_ITO = ("#000000", "#0072B2", "#56B4E9", "#009E73", "#CC79A7", "#E69F00", "#F0E442")
HIGHLIGHT_COLOUR = "#D55E00"
_STYLES = ("-", "--", "-.", ":")
_MARGIN = 0.03


def curve_frame(document: dict, kind: str) -> pd.DataFrame:
    """The points of every (dataset, method) curve as a long table.

    Columns ``dataset, method, threshold`` (0..255, ascending) and the two plotted
    quantities (``recall, precision`` for ``pr``; ``threshold_01, F`` or ``threshold_01, E``).
    Points with a missing (NaN) value are dropped; entries without the curve are skipped.
    """
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
        raise SodbenchError(
            f"no entry of the results has a {y_key!r} curve (evaluate without --no-curves)"
        )
    return pd.concat(parts, ignore_index=True)


def _check_kind(kind: str) -> tuple[str, str, str, str]:
    if kind not in KINDS:
        raise SodbenchError(f"--kind {kind!r}: choose one of {', '.join(KINDS)}")
    return KINDS[kind]


def _x_column(kind: str) -> str:
    return "threshold_01" if KINDS[kind][0] == "threshold" else KINDS[kind][0]


def plot_curves(points: pd.DataFrame, kind: str, *, highlight: str | None = None) -> Figure:
    """Draw :func:`curve_frame` points: one subplot per dataset, a shared legend below.

    Parameters
    ----------
    points : pandas.DataFrame
        Output of :func:`curve_frame` for ``kind``.
    kind : {"pr", "fm", "em"}
    highlight : str, optional
        A method to draw last, thicker, in vermillion.
    """
    _, y_key, x_label, y_label = _check_kind(kind)
    x_key = _x_column(kind)
    methods = list(dict.fromkeys(points["method"]))
    if highlight is not None and highlight not in methods:
        raise SodbenchError(
            f"--highlight {highlight!r}: no such method (methods: {', '.join(methods)})"
        )
    datasets = list(dict.fromkeys(points["dataset"]))
    ncols = min(len(datasets), 3)
    nrows = -(-len(datasets) // ncols)
    figure = Figure(figsize=(4.2 * ncols, 3.6 * nrows + 0.5), layout="constrained")
    FigureCanvasAgg(figure)
    styles = _styles([m for m in methods if m != highlight])
    if highlight is not None:
        styles[highlight] = {"color": HIGHLIGHT_COLOUR, "linestyle": "-", "linewidth": 2.6,
                             "zorder": 3}
    order = [m for m in methods if m != highlight] + ([highlight] if highlight else [])
    axes_list = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for axes, dataset in zip(axes_list, datasets, strict=False):
        subset = points[points["dataset"] == dataset]
        for method in order:
            curve = subset[subset["method"] == method]
            if not curve.empty:
                axes.plot(curve[x_key], curve[y_key], label=method, **styles[method])
        _fit_axes(axes, subset[x_key], subset[y_key])
        axes.set(title=dataset, xlabel=x_label, ylabel=y_label)
        axes.grid(True, linewidth=0.4, alpha=0.5)
    for axes in axes_list[len(datasets):]:
        axes.set_visible(False)
    by_label = {}
    for axes in axes_list[: len(datasets)]:
        handles, labels = axes.get_legend_handles_labels()
        by_label.update({label: handle for handle, label in zip(handles, labels, strict=True)})
    names = [m for m in order if m in by_label]
    _shared_legend(figure, [by_label[m] for m in names], names)
    return figure


def _shared_legend(figure: Figure, handles: list, names: list[str]) -> None:
    """One legend below the subplots, with as many columns as fit the figure's width."""
    renderer = figure.canvas.get_renderer()
    for columns in range(min(len(names), 6), 0, -1):
        legend = figure.legend(handles, names, loc="outside lower center", ncols=columns,
                               frameon=False)
        if legend.get_window_extent(renderer).width <= figure.bbox.width * 0.98 or columns == 1:
            return
        legend.remove()


def _styles(methods: list[str]) -> dict[str, dict]:
    """Colour first, then line style, so up to 28 methods stay distinguishable."""
    return {method: {"color": OKABE_ITO[i % len(OKABE_ITO)],
                     "linestyle": _STYLES[(i // len(OKABE_ITO)) % len(_STYLES)],
                     "linewidth": 1.4, "zorder": 2}
            for i, method in enumerate(methods)}


def _fit_axes(axes, x: pd.Series, y: pd.Series) -> None:
    """Limits hugging the data with a small margin, never a fixed range that hides a curve."""
    for values, setter in ((x, axes.set_xlim), (y, axes.set_ylim)):
        low, high = float(values.min()), float(values.max())
        pad = max(high - low, 1e-3) * _MARGIN
        setter(low - pad, high + pad)


def save_plot(document: dict, kind: str, out: str | os.PathLike, *,
              highlight: str | None = None) -> tuple[Path, Path]:
    """Draw the curves of ``document`` into ``out`` (``.png``, ``.pdf`` or ``.svg``).

    The plotted points go to ``out`` with the suffix ``.csv``. Returns both paths.
    """
    out = Path(out)
    if out.suffix.lower() not in {".png", ".pdf", ".svg"}:
        raise SodbenchError(f"--out {out}: use a .png, .pdf or .svg file name")
    points = curve_frame(document, kind)
    figure = plot_curves(points, kind, highlight=highlight)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=200)
    table = out.with_suffix(".csv")
    atomic_write(table, points.to_csv(index=False, float_format="%.17g",
                                           lineterminator="\n"))
    return out, table
