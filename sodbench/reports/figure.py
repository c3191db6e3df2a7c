"""The qualitative comparison grid of SOD papers (``sodbench figure``, docs/figure.md).

One row per image; columns: the image, its GT, then each method's map, titled on top. The
rows are picked by name, at random (seeded) or as the worst images of a per-image CSV.

Layout, for print: the figure is as wide as asked (IEEE: 7.16 in for two columns, 3.5 in for
one), every cell of a row has its GT's aspect ratio, so the height follows from the width and
the rows; cells are separated by thin white gaps and nothing else (no ticks, no frames, no
margins). Titles and row labels are 8 pt (7 pt below 5 in), shrunk to 5 pt and wrapped onto
two lines when a name is wider than its column, so no two ever overlap. Maps are shown grey,
black to white over their type's full range (0..255 for 8-bit maps), never stretched; an
image or map of another size than its GT is resized to the GT's size for display only.
Figures use matplotlib's object API on the Agg canvas (no pyplot state); PDF fonts are
TrueType (Type 42), as publishers require.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import offset_copy
from PIL import Image

from sodbench.errors import SodbenchError
from sodbench.folders.images import read_image, read_map, resize_to
from sodbench.folders.outputs import OutputPlan, atomic_file
from sodbench.folders.pairing import image_folder, list_maps, natural_key, prediction_folder
from sodbench.metrics.keys import LOWER_IS_BETTER
from sodbench.reports.plot_style import PAPER_FONTS
from sodbench.reports.plots import plan_outputs
from sodbench.reports.significance import dataset_rows, read_per_image, subset_rows

__all__ = ["DEFAULT_ROWS", "IEEE_DOUBLE_COLUMN", "IEEE_SINGLE_COLUMN", "PICKS", "FigureRow",
           "Folders", "Listing", "draw_grid", "list_folders", "make_figure", "pick_names",
           "read_rows", "save_figure", "worst_scores"]

#: Text widths of IEEE journals and conferences, in inches.
IEEE_DOUBLE_COLUMN, IEEE_SINGLE_COLUMN = 7.16, 3.5
DEFAULT_ROWS = 4
PICKS = ("worst", "random")
_GAP = 0.025  # inches of white between cells (1.8 pt: a thin line in print)
_TEXT_PAD = 0.03  # inches between a title or label and its cell
_MIN_SIZE = 5.0
_LINE = 1.2  # line height, in font sizes
_MAX_DPI = 1200
_MAX_WIDTH = 40.0
# where a name may wrap: after a separator, or between a lower-case letter or digit and an
# upper-case letter (camelCase)
_BREAKS = re.compile(r"(?<=[\s_\-/+.,])|(?<=[a-z0-9])(?=[A-Z])")


class Listing(NamedTuple):
    """One folder listed by :func:`sodbench.folders.pairing.list_maps`."""

    what: str
    """How messages name the folder."""
    found: dict[str, Path]
    """Shared name -> its one file."""
    doubled: dict[str, list[Path]]
    """Names held by several files."""

    def file(self, name: str) -> Path:
        """The file of ``name``; a missing or doubled name is an error naming the folder."""
        if name in self.doubled:
            files = ", ".join(str(path) for path in self.doubled[name])
            raise SodbenchError(f"{self.what}: {len(self.doubled[name])} files share the name "
                                f"{name!r}: {files}; remove one")
        if name not in self.found:
            example = min(self.found, key=natural_key)
            raise SodbenchError(f"{self.what}: no file named {name!r} (names are file stems, "
                                f"e.g. {example!r})")
        return self.found[name]


@dataclass
class Folders:
    """The folders a figure reads, listed by name."""

    images: Listing
    gt: Listing
    preds: dict[str, Listing]

    def common(self) -> list[str]:
        """Names that the image, GT and every prediction folder hold once, natural order."""
        names = set(self.gt.found) & set(self.images.found)
        for listing in self.preds.values():
            names &= set(listing.found)
        return sorted(names, key=natural_key)

    def files(self, name: str) -> tuple[Path, Path, list[Path]]:
        """The image, GT and prediction files of ``name`` (the GT's looked up first: the
        GT folder is the dataset)."""
        gt = self.gt.file(name)
        return self.images.file(name), gt, [listing.file(name) for listing in self.preds.values()]


def _listing(folder: str | os.PathLike, what: str) -> Listing:
    return Listing(what, *list_maps(folder, what=what))


def list_folders(images: str | os.PathLike, gt: str | os.PathLike,
                 preds: dict[str, str | os.PathLike]) -> Folders:
    """List the image folder, the GT folder and each method's prediction folder by name
    (:func:`sodbench.folders.pairing.list_maps`: file stems, any map extension)."""
    if not preds:
        raise SodbenchError("preds: give at least one method's prediction folder")
    return Folders(images=_listing(images, image_folder(images)),
                   gt=_listing(gt, f"the GT folder {gt}"),
                   preds={method: _listing(folder, prediction_folder(method, folder))
                          for method, folder in preds.items()})


def worst_scores(per_image: str | os.PathLike, metric: str, methods: list[str], *,
                 by: str | None = None, dataset: str | None = None,
                 subset: str | None = None) -> dict[str, float]:
    """Each image's score for ranking, from a per-image CSV, worst first.

    The score is the mean of ``metric`` over ``methods`` (the images every shown method
    fails on), or the score of the method ``by`` alone (its failures). Worst is lowest for
    higher-is-better keys and highest for ``MAE``, ``HCE`` and the other lower-is-better
    keys; ties go in natural name order. Images that a method of the mean has no score for
    are not ranked.

    Returns
    -------
    dict
        Image name -> score, worst first.
    """
    frame = read_per_image(per_image)
    source = f"per_image={per_image}"
    _, rows = dataset_rows(frame, metric, dataset, source=source)
    rows = subset_rows(rows, subset, source)
    if by is not None and by not in methods:
        raise SodbenchError(f"by={by}: not a shown method ({', '.join(methods)})")
    ranked = [by] if by is not None else methods
    held = set(rows["method"])
    for method in ranked:
        if method not in held:
            raise SodbenchError(f"{source}: no rows for the method {method} (it holds "
                                f"{', '.join(sorted(held))}); evaluate it with sodbench eval "
                                "--per-image")
    rows = rows[rows["method"].isin(ranked)]
    doubled = rows[rows.duplicated(["method", "name"])]
    if not doubled.empty:
        raise SodbenchError(f"{source}: {doubled['method'].iloc[0]} lists the image "
                            f"{doubled['name'].iloc[0]} twice")
    table = rows.pivot(index="name", columns="method", values=metric).astype(float)
    score = table[ranked].dropna().mean(axis=1)
    sign = 1.0 if metric in LOWER_IS_BETTER else -1.0
    order = sorted(score.index, key=lambda name: (-sign * score[name], natural_key(name)))
    return {name: float(score[name]) for name in order}


def pick_names(pick: str | list[str], *, candidates: list[str] | None = None,
               scores: dict[str, float] | None = None, rows: int | None = None,
               seed: int = 0) -> list[str]:
    """The image names of the rows, in row order.

    Parameters
    ----------
    pick : {"worst", "random"} or list of str
        ``"worst"``: the first ``rows`` names of ``scores`` (:func:`worst_scores`, worst
        first); ``"random"``: ``rows`` names drawn without replacement from ``candidates``
        with ``numpy.random.default_rng(seed)``, shown in natural order; a list: these names,
        in this order.
    candidates : list of str, optional
        The names to draw from (``"random"``).
    scores : dict, optional
        Name -> score, worst first (``"worst"``).
    rows : int, optional
        How many rows (default :data:`DEFAULT_ROWS`; with a list, its length).
    seed : int
        The random draw's seed: the same seed and candidates give the same names.
    """
    if not isinstance(pick, str):
        names = list(pick)
        if not names or any(not name for name in names):
            raise SodbenchError("pick= holds an empty name: give image names separated by "
                                "commas, e.g. In_1,Pa_2")
        repeated = sorted({name for name in names if names.count(name) > 1}, key=natural_key)
        if repeated:
            raise SodbenchError(f"pick={','.join(names)}: {', '.join(repeated)} named twice; "
                                "name each image once")
        if rows is not None and rows != len(names):
            raise SodbenchError(f"rows={rows}: {len(names)} names were picked; leave rows= out "
                                "with a list of names")
        return names
    rows = DEFAULT_ROWS if rows is None else rows
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise SodbenchError(f"rows={rows}: give a whole number of at least 1")
    if pick == "worst":
        if scores is None:
            raise SodbenchError("pick=worst needs per-image scores: give per_image= (a "
                                "per-image CSV of sodbench eval --per-image)")
        pool, what = list(scores), "ranked images"
    elif pick == "random":
        pool, what = list(candidates or []), "images that every folder holds"
    else:
        raise SodbenchError(f"pick={pick}: choose worst, random or image names separated by "
                            "commas")
    if rows > len(pool):
        raise SodbenchError(f"rows={rows}: there are only {len(pool)} {what}")
    if pick == "worst":
        return pool[:rows]
    drawn = np.random.default_rng(seed).choice(len(pool), size=rows, replace=False)
    return sorted((pool[i] for i in drawn), key=natural_key)


class FigureRow(NamedTuple):
    """One row of the grid, every array at its GT's size."""

    name: str
    image: np.ndarray
    gt: np.ndarray
    maps: list[np.ndarray]


def read_rows(folders: Folders, names: list[str]) -> list[FigureRow]:
    """Read the image, GT and maps of each name; images and maps are resized to the GT's
    size (bilinear, for display only) when their size differs."""
    rows = []
    for name in names:
        image_file, gt_file, pred_files = folders.files(name)
        gt = read_map(gt_file)
        maps = [_sized(read_map(path), gt.shape) for path in pred_files]
        rows.append(FigureRow(name, _sized(read_image(image_file), gt.shape), gt, maps))
    return rows


def _sized(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if array.shape[:2] == shape:
        return array
    if array.ndim == 3:
        return np.stack([resize_to(array[..., c], shape) for c in range(array.shape[2])], -1)
    return resize_to(array, shape)


def _grey(array: np.ndarray) -> dict:
    """Grey, black to white over the type's full range (0..255 for uint8; 0..1 for float and
    bool maps), never the map's own min and max: a weak map must look weak."""
    white = float(np.iinfo(array.dtype).max) if array.dtype.kind in "ui" else 1.0
    return {"cmap": "gray", "vmin": 0.0, "vmax": white}


def draw_grid(rows: list[FigureRow], titles: list[str], *, width: float = IEEE_DOUBLE_COLUMN,
              labels: bool = True, interpolation: str = "auto") -> Figure:
    """Draw the grid: one row per :class:`FigureRow`, one column per title.

    Parameters
    ----------
    rows : list of FigureRow
    titles : list of str
        The column titles: image, GT, then one per map of a row.
    width : float
        Figure width in inches; the height follows from the rows' aspect ratios.
    labels : bool
        Write each row's image name, upright, left of the row.
    interpolation : str
        matplotlib's image interpolation (``"none"`` keeps the pixels of a PDF or SVG).

    Returns
    -------
    matplotlib.figure.Figure
        On an Agg canvas; ``figure.axes`` row by row, the titles those of the first row.
    """
    columns = len(titles)
    if not rows or any(len(row.maps) + 2 != columns for row in rows):
        raise SodbenchError("titles: one title per column (image, GT and each map)")
    figure = Figure(figsize=(width, 1.0), dpi=72)  # 72 dpi: one pixel is one point
    FigureCanvasAgg(figure)
    size = 8.0 if width >= 5 else 7.0
    names, label_space = _labels(figure, rows, width, columns, size) if labels else ([], 0.0)
    cell = (width - label_space - (columns - 1) * _GAP) / columns
    if cell <= 0.1:
        raise SodbenchError(f"width={width}: too narrow for {columns} columns; give a wider "
                            "figure or fewer methods")
    titles, title_size = _fit(figure, titles, cell, size)
    top = _height(figure, titles, title_size) + _TEXT_PAD
    heights = [cell * row.gt.shape[0] / row.gt.shape[1] for row in rows]
    height = top + sum(heights) + _GAP * (len(rows) - 1)
    figure.set_size_inches(width, height)
    y = height - top
    for index, (row, row_height) in enumerate(zip(rows, heights, strict=True)):
        y -= row_height
        for column, (array, gray) in enumerate(_cells(row)):
            left = label_space + column * (cell + _GAP)
            axes = figure.add_axes((left / width, y / height, cell / width, row_height / height))
            shade = _grey(array) if gray else {}
            axes.imshow(array, aspect="auto", interpolation=interpolation, **shade)
            axes.set_axis_off()
            if index == 0:
                axes.set_title(titles[column], fontsize=title_size, pad=_TEXT_PAD * 72,
                               verticalalignment="bottom", linespacing=_LINE, parse_math=False)
            if column == 0 and names:
                at = offset_copy(axes.transAxes, fig=figure, x=-_TEXT_PAD, units="inches")
                axes.text(0, 0.5, names[0][index], transform=at, rotation=90, ha="right",
                          va="center", fontsize=names[1], linespacing=_LINE,
                          multialignment="center", parse_math=False)
        y -= _GAP
    return figure


def _cells(row: FigureRow) -> list[tuple[np.ndarray, bool]]:
    return [(row.image, row.image.ndim == 2), (row.gt, True), *((m, True) for m in row.maps)]


def _labels(figure: Figure, rows: list[FigureRow], width: float, columns: int,
            size: float) -> tuple[tuple[list[str], float], float]:
    """The row labels fitted to the shortest row, their size, and the inches they take.

    They are fitted to the rows as tall as they are with two lines of labels beside them, so
    they fit the rows drawn beside the (at most as wide) labels made here.
    """
    room = width - 2 * size * _LINE / 72 - _TEXT_PAD - (columns - 1) * _GAP
    shortest = min(room / columns * row.gt.shape[0] / row.gt.shape[1] for row in rows)
    texts, label_size = _fit(figure, [row.name for row in rows], shortest, size)
    return (texts, label_size), _height(figure, texts, label_size) + _TEXT_PAD


def _height(figure: Figure, texts: list[str], size: float) -> float:
    """Inches the tallest of ``texts`` takes at ``size``, as matplotlib lays it out."""
    renderer = figure.canvas.get_renderer()
    tallest = 0.0
    for text in texts:
        probe = figure.text(0, 0, text, fontsize=size, linespacing=_LINE, parse_math=False)
        tallest = max(tallest, probe.get_window_extent(renderer).height / figure.dpi)
        probe.remove()
    return tallest


def _fit(figure: Figure, texts: list[str], room: float, size: float) -> tuple[list[str], float]:
    """``texts`` at one font size, each within ``room`` inches: the largest size (down to
    5 pt, in half points) at which each fits on one line or wraps onto two; below that, at
    5 pt, wrapped onto as many lines as needed."""
    renderer = figure.canvas.get_renderer()
    measured: dict[tuple[str, float], float] = {}

    def wide(text: str, points: float) -> float:
        for line in text.split("\n"):
            if (line, points) not in measured:
                measured[line, points] = renderer.get_text_width_height_descent(
                    line, FontProperties(size=points), ismath=False)[0] / figure.dpi
        return max(measured[line, points] for line in text.split("\n"))

    points = size
    while points >= _MIN_SIZE:
        fitted = []
        for text in texts:
            fitted.append(_two_lines(text, room, lambda t, p=points: wide(t, p)))
            if fitted[-1] is None:
                break
        else:
            return fitted, points
        points -= 0.5
    return [_many_lines(text, room, lambda t: wide(t, _MIN_SIZE)) for text in texts], _MIN_SIZE


def _two_lines(text: str, room: float, wide) -> str | None:
    """``text`` on one line, or broken once (at a natural break if one fits), or None."""
    if wide(text) <= room:
        return text
    natural = [m.start() for m in _BREAKS.finditer(text) if 0 < m.start() < len(text)]
    for positions in (natural, range(1, len(text))):
        best = min(positions, default=None,
                   key=lambda i: wide(text[:i].rstrip() + "\n" + text[i:].lstrip()))
        if best is not None:
            split = text[:best].rstrip() + "\n" + text[best:].lstrip()
            if wide(split) <= room:
                return split
    return None


def _many_lines(text: str, room: float, wide) -> str:
    """``text`` filled line by line, broken at natural breaks, within a piece only when the
    piece alone is wider than ``room``."""
    cuts = [0, *(m.start() for m in _BREAKS.finditer(text) if 0 < m.start() < len(text)),
            len(text)]
    lines = [""]
    for piece in (text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)):
        for char in piece if wide(piece.strip()) > room else [piece]:
            if lines[-1].strip() and wide((lines[-1] + char).strip()) > room:
                lines.append("")
            lines[-1] += char
    return "\n".join(line.strip() for line in lines)


def save_figure(figure: Figure, out: str | os.PathLike, *, dpi: int = 300) -> Path:
    """Write ``figure`` atomically as PDF, PNG or SVG (by the suffix of ``out``).

    PDF embeds TrueType (Type 42) fonts; PNG is ``dpi`` dots per inch (its width in pixels
    is the width in inches x ``dpi``), without the alpha channel matplotlib writes (the
    figure is white), and grey when every pixel is: a third of the size of RGBA.
    """
    out = Path(out)
    kind = out.suffix[1:].lower()
    with matplotlib.rc_context(PAPER_FONTS), atomic_file(out, "wb") as handle:
        if kind != "png":
            figure.savefig(handle, format=kind, dpi=dpi, facecolor="white")
            return out
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
        with Image.open(buffer) as image:
            pixels = np.asarray(image.convert("RGB"))
        grey = bool((pixels == pixels[..., :1]).all())
        Image.fromarray(pixels[..., 0] if grey else pixels).save(handle, format="PNG",
                                                                  dpi=(dpi, dpi))
    return out


def _check_size(width: float, dpi: int) -> None:
    if not isinstance(width, (int, float)) or not 0.5 <= width <= _MAX_WIDTH:
        raise SodbenchError(f"width={width}: give inches from 0.5 to {_MAX_WIDTH:g} (IEEE: "
                            f"{IEEE_DOUBLE_COLUMN} two columns, {IEEE_SINGLE_COLUMN} one)")
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 50 <= dpi <= _MAX_DPI:
        raise SodbenchError(f"dpi={dpi}: give a whole number from 50 to {_MAX_DPI}")


def make_figure(images: str | os.PathLike, gt: str | os.PathLike,
                preds: dict[str, str | os.PathLike], out: str | os.PathLike, *,
                pick: str | list[str] = "worst", rows: int | None = None,
                per_image: str | os.PathLike | None = None, metric: str | None = None,
                by: str | None = None, dataset: str | None = None, seed: int = 0,
                width: float = IEEE_DOUBLE_COLUMN, dpi: int = 300,
                names: dict[str, str] | None = None, labels: bool = True,
                subset: str | None = None) -> tuple[Path, list[str]]:
    """Pick the rows, draw the grid and write it to ``out`` (``.pdf``, ``.png`` or ``.svg``).

    Parameters
    ----------
    images, gt : path-like
        The image folder and the GT folder; files pair by stem with the predictions.
    preds : dict
        Method -> prediction folder, in column order.
    out : path-like
        The figure, written whole or not at all (never into an input folder).
    pick, rows, seed
        See :func:`pick_names`.
    per_image, metric, by, dataset, subset
        For ``pick="worst"``: the per-image CSV, its key (default ``wF``), the method whose
        failures to show (default: the mean over ``preds``), the dataset when the CSV holds
        several, a subset to rank within (its ``subsets`` column; :func:`worst_scores`).
    width, dpi
        Width in inches; PNG resolution.
    names : dict, optional
        Method -> the title to show instead of its name.
    labels : bool
        Write each row's image name left of it.

    Returns
    -------
    (pathlib.Path, list of str)
        The figure and the picked names, in row order.
    """
    plan = OutputPlan()
    plan.add_input_folder(images, f"images={images}")
    plan.add_input_folder(gt, f"gt={gt}")
    for method, folder in preds.items():
        plan.add_input_folder(folder, prediction_folder(method, folder))
    if per_image is not None:
        plan.add_input(per_image, f"per_image={per_image}")
    plan_outputs(plan, out, what=("out=", "csv="))
    _check_size(width, dpi)
    if pick != "worst" and any(v is not None for v in (per_image, metric, by, dataset,
                                                       subset)):
        raise SodbenchError("per_image=, metric=, by=, dataset= and subset= rank images for "
                            "pick=worst only; leave them out")
    if pick == "worst" and per_image is None:
        raise SodbenchError("pick=worst needs per_image= (a per-image CSV of sodbench eval "
                            "--per-image); or pick random or image names")
    unknown = sorted(set(names or {}) - set(preds))
    if unknown:
        raise SodbenchError(f"names={unknown[0]}: not a method ({', '.join(preds)})")
    folders = list_folders(images, gt, preds)
    scores = None
    if pick == "worst":
        scores = worst_scores(per_image, metric or "wF", list(preds), by=by, dataset=dataset,
                              subset=subset)
    picked = pick_names(pick, candidates=folders.common() if pick == "random" else None,
                        scores=scores, rows=rows, seed=seed)
    titles = ["Image", "GT", *((names or {}).get(method, method) for method in preds)]
    vector = Path(out).suffix.lower() in (".pdf", ".svg")
    figure = draw_grid(read_rows(folders, picked), titles, width=width, labels=labels,
                       interpolation="none" if vector else "auto")
    return save_figure(figure, out, dpi=dpi), picked
