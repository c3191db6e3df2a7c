"""``sodbench report``: a self-contained HTML report of a results file and its per-image scores
(docs/report.md). :func:`save_report` is the whole command in one call.

The page (:mod:`sodbench.reports.report_page`) holds the leaderboard, the PR, F-measure and
E-measure curves (:mod:`sodbench.reports.plots`), the subsets' tables, and, when the per-image
CSV and the folders are given (:class:`ImageInputs`), the worst images of each method and the
images where two methods differ most (:mod:`sodbench.reports.report_data`), as thumbnails
(:mod:`sodbench.reports.thumbnails`). Files are found by the name column of the per-image CSV
(:func:`sodbench.folders.pairing.list_maps`: any map or image extension).
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan, atomic_write
from sodbench.folders.pairing import (
    image_folder,
    list_maps,
    natural_key,
    prediction_folder,
    shorten,
)
from sodbench.folders.results import load_results
from sodbench.reports import report_data as data
from sodbench.reports.plots import curve_frame, plot_curves
from sodbench.reports.report_page import Card, Content, ImageSection, render_page
from sodbench.reports.significance import dataset_rows, read_per_image
from sodbench.reports.thumbnails import panels

__all__ = ["CURVES", "DEFAULT_METRIC", "DEFAULT_THUMB", "DEFAULT_TOP_K", "MAX_THUMB",
           "MIN_THUMB", "SUFFIXES", "ImageInputs", "build_report", "check_thumb",
           "plan_outputs", "save_report"]

DEFAULT_METRIC = "wF"
DEFAULT_TOP_K = 8
#: Longest side of a thumbnail, in pixels: default and the range accepted.
DEFAULT_THUMB, MIN_THUMB, MAX_THUMB = 160, 32, 512
#: The curves shown (a kind of :data:`sodbench.reports.plots.KINDS`, a title).
CURVES = (("pr", "Precision-recall"), ("fm", "F-measure"), ("em", "E-measure"))
SUFFIXES = (".html", ".htm")
_CURVE_DPI = 100


@dataclass(frozen=True)
class ImageInputs:
    """What the image sections read: the per-image CSV and the folders its names are in."""

    per_image: str | os.PathLike
    gt: str | os.PathLike
    images: str | os.PathLike
    preds: dict[str, str | os.PathLike]
    """Method -> its prediction folder; only these methods get image sections."""


def check_thumb(thumb: int) -> None:
    """Refuse a thumbnail size outside :data:`MIN_THUMB` .. :data:`MAX_THUMB`."""
    if isinstance(thumb, bool) or not isinstance(thumb, int) or not (
            MIN_THUMB <= thumb <= MAX_THUMB):
        raise SodbenchError(f"thumb={thumb}: give {MIN_THUMB} to {MAX_THUMB} pixels "
                            "(the longest side of a thumbnail)")


def plan_outputs(plan: OutputPlan, out: str | os.PathLike, results: str | os.PathLike,
                 inputs: ImageInputs | None = None, *, what: str = "--out") -> None:
    """Add the inputs and the page ``out`` (``.html``) to ``plan``: the page may not be an
    input, nor lie directly in an input folder."""
    plan.add_input(results, f"the results file {results}")
    if inputs is not None:
        plan.add_input(inputs.per_image, f"the per-image CSV {inputs.per_image}")
        plan.add_input_folder(inputs.gt, f"the GT folder {inputs.gt}")
        plan.add_input_folder(inputs.images, image_folder(inputs.images))
        for method, folder in inputs.preds.items():
            plan.add_input_folder(folder, prediction_folder(method, folder))
    plan.add_output(out, what)
    if Path(out).suffix.lower() not in SUFFIXES:
        raise SodbenchError(f"{what} {out}: use a .html file name")


def _figure_uri(kind: str, document: dict) -> str:
    figure = plot_curves(curve_frame(document, kind), kind)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_CURVE_DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _curves(document: dict) -> list[tuple[str, str | None, str]]:
    shown = []
    for kind, title in CURVES:
        try:
            shown.append((title, _figure_uri(kind, document), ""))
        except SodbenchError as error:  # no curve of this kind: say why in its place
            shown.append((title, None, str(error)))
    return shown


def _methods(document: dict, rows, dataset: str, inputs: ImageInputs,
             results: str) -> list[str]:
    """The ``--pred`` methods, each checked to be in the CSV and the results for ``dataset``."""
    in_csv = list(dict.fromkeys(rows["method"]))
    in_results = [entry["method"] for entry in document["entries"]
                  if entry["dataset"] == dataset]
    for method in inputs.preds:
        if method not in in_csv:
            raise SodbenchError(f"preds={method}: not a method of {dataset} in the per-image "
                                f"CSV {inputs.per_image} ({shorten(in_csv)})")
        if method not in in_results:
            raise SodbenchError(f"preds={method}: not a method of {dataset} in the results "
                                f"file {results} ({shorten(in_results) or 'none'})")
    return list(inputs.preds)


def _files(folder: str | os.PathLike, what: str, names: list[str]) -> dict[str, Path]:
    """Name -> file in ``folder`` for every one of ``names``, or a one-line error."""
    found, doubled = list_maps(folder, what=what)
    missing = [name for name in names if name not in found and name not in doubled]
    if missing:
        raise SodbenchError(f"{what}: no file for {len(missing)} of the {len(names)} names of "
                            f"the per-image CSV: {shorten(missing)} (files are matched by "
                            "name without extension)")
    twice = next((name for name in names if name in doubled), None)
    if twice is not None:
        raise SodbenchError(f"{what}: {len(doubled[twice])} files share the name {twice!r} "
                            f"({', '.join(map(str, doubled[twice]))}); remove one")
    return found


def _diff_pair(diff, rows, metric: str, methods: list[str]) -> tuple[tuple[str, str] | None, str]:
    if diff is None:
        pair = data.best_pair(rows, metric, methods)
        return pair, f"the two best mean {metric} of the --pred methods"
    first, second = diff
    for name in diff:
        if name not in methods:
            raise SodbenchError(f"diff={first},{second}: {name} is not a preds= method "
                                f"({shorten(methods)})")
    if first == second:
        raise SodbenchError(f"diff={first},{second}: name two different methods")
    return (first, second), "chosen with --diff"


class _Found(NamedTuple):
    """The files of the shown images, and each name's subsets (from the CSV's column)."""

    images: dict[str, Path]
    gt: dict[str, Path]
    preds: dict[str, dict[str, Path]]
    subsets: dict[str, str]

    def note(self, name: str) -> str:
        joined = self.subsets.get(name, "")  # eval --per-image joins them with ";"
        return f"subsets: {joined.replace(';', ', ')}" if joined else ""


def _find(rows, inputs: ImageInputs, methods: list[str]) -> _Found:
    shown = rows[rows["method"].isin(methods)]
    names = sorted(set(shown["name"]), key=natural_key)
    preds = {method: _files(folder, prediction_folder(method, folder),
                            sorted(shown["name"][shown["method"] == method], key=natural_key))
             for method, folder in inputs.preds.items()}
    subsets = (dict(zip(shown["name"], shown["subsets"].fillna("").astype(str), strict=True))
               if "subsets" in shown.columns else {})
    return _Found(_files(inputs.images, image_folder(inputs.images), names),
                  _files(inputs.gt, f"the GT folder {inputs.gt}", names), preds, subsets)


def _worst_cards(worst: dict, found: _Found, metric: str, thumb: int) -> dict[str, list[Card]]:
    cards = {}
    for method, scores in worst.items():
        cards[method] = []
        for rank, (name, value) in enumerate(scores.items(), start=1):
            got = panels(found.images[name], found.gt[name], {method: found.preds[method][name]},
                         thumb)
            cards[method].append(Card(rank, name, [(metric, value)],
                                      [("image", got.image), ("GT", got.gt),
                                       (method, got.preds[method]),
                                       ("errors", got.overlays[method])], found.note(name)))
    return cards


def _difference_cards(table, pair: tuple[str, str], found: _Found, thumb: int) -> list[Card]:
    cards = []
    for rank, (name, row) in enumerate(table.iterrows(), start=1):
        got = panels(found.images[name], found.gt[name],
                     {method: found.preds[method][name] for method in pair}, thumb,
                     overlay=False)
        cards.append(Card(rank, name, [(pair[0], row[pair[0]]), (pair[1], row[pair[1]]),
                                       ("difference", row["difference"])],
                          [("image", got.image), ("GT", got.gt),
                           *((method, got.preds[method]) for method in pair)],
                          found.note(name)))
    return cards


def _image_section(document: dict, results: str, inputs: ImageInputs, *, dataset, metric,
                   top_k, thumb, diff) -> ImageSection:
    frame = read_per_image(inputs.per_image)
    dataset, rows = dataset_rows(frame, metric, dataset, source=str(inputs.per_image))
    methods = _methods(document, rows, dataset, inputs, results)
    pair, rule = _diff_pair(diff, rows, metric, methods)
    found = _find(rows, inputs, methods)
    worst = _worst_cards(data.worst_images(rows, metric, methods, top_k), found, metric, thumb)
    others = [method for method in dict.fromkeys(rows["method"]) if method not in methods]
    section = ImageSection(dataset, metric, worst, notes=[
        f"Methods of the per-image CSV without --pred are not shown: {shorten(others)}."
    ] if others else [])
    if pair is None:
        section.diff_title = "Give two methods with --pred to see where they differ most."
        return section
    section.diff_title = (f"{metric} of {pair[0]} minus {pair[1]} ({rule}) on the images both "
                          "scored, largest difference first.")
    table = data.largest_differences(rows, metric, *pair, top_k)
    section.differences = _difference_cards(table, pair, found, thumb)
    return section


def _sources(document: dict, results: str, inputs: ImageInputs | None) -> list[tuple[str, str]]:
    provenance = document.get("provenance") or {}
    sources = [("results file", results)]
    if inputs is not None:
        sources += [("per-image CSV", str(inputs.per_image)), ("GT", str(inputs.gt)),
                    ("images", str(inputs.images)),
                    ("predictions", ", ".join(f"{method}={folder}"
                                              for method, folder in inputs.preds.items()))]
    for key, what in (("created", "evaluated"), ("sodbench_version", "sodbench"),
                      ("conventions", "conventions")):
        if provenance.get(key) is not None:
            sources.append((what, str(provenance[key])))
    return sources


def build_report(results: str | os.PathLike, inputs: ImageInputs | None = None, *,
                 dataset: str | None = None, metric: str = DEFAULT_METRIC,
                 top_k: int = DEFAULT_TOP_K, thumb: int = DEFAULT_THUMB,
                 diff: tuple[str, str] | None = None) -> str:
    """The report of ``results`` as one HTML document.

    Parameters
    ----------
    results : path
        A results file (``sodbench eval --json``).
    inputs : ImageInputs, optional
        The per-image CSV and the image, GT and prediction folders; without them the page
        has no image sections (and says so).
    dataset : str, optional
        The dataset of the image sections, needed when the per-image CSV holds several.
    metric : str
        The per-image key that ranks images (worst in its direction: the highest MAE).
    top_k : int
        Images per method in the worst-images section, and in the differences section
        (1 to :data:`~sodbench.reports.report_data.MAX_TOP_K`).
    thumb : int
        Longest side of a thumbnail in pixels (:data:`MIN_THUMB` to :data:`MAX_THUMB`).
    diff : (str, str), optional
        The two methods of the differences section; default the two ``inputs.preds``
        methods with the best mean ``metric``.

    Raises
    ------
    SodbenchError
        One line naming the file or option, for every input the report cannot use.
    """
    data.check_top_k(top_k)
    check_thumb(thumb)
    document = load_results(results)
    keys = data.metric_keys(document)
    images, no_images = None, ("Give --per-image, --gt, --images and --pred to see the worst "
                               "images of each method and where two methods differ most.")
    if inputs is not None:
        images = _image_section(document, str(results), inputs, dataset=dataset,
                                metric=metric, top_k=top_k, thumb=thumb, diff=diff)
    content = Content(_sources(document, str(results), inputs), keys,
                      data.leaderboard_frame(document, keys),
                      data.subset_frames(document, keys), _curves(document), images, no_images)
    return render_page(content)


def save_report(out: str | os.PathLike, results: str | os.PathLike,
                inputs: ImageInputs | None = None, **options) -> int:
    """Write :func:`build_report` to ``out`` (checked first, written atomically).

    ``options`` are those of :func:`build_report`. Returns the size of the page in bytes.
    """
    plan = OutputPlan()
    plan_outputs(plan, out, results, inputs, what="out")
    page = build_report(results, inputs, **options).encode("utf-8")
    atomic_write(out, page)
    return len(page)
