"""The HTML page of ``sodbench report``: one self-contained file, no network (docs/report.md).

:func:`render_page` turns a :class:`Content` (tables from :mod:`sodbench.reports.report_data`,
figures and thumbnails as ``data:`` URIs) into the page: leaderboard, curves, subsets, worst
images, largest differences. Every string from the user's files is escaped with
:func:`html.escape`. Tables sort by any column with a few lines of vanilla JavaScript
(:data:`SORTER`): numbers as numbers (cells carry the full value in ``data-value``), NaN
last in both directions, a metric's first click puts the best first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

import pandas as pd

from sodbench.metrics.keys import KEYS, LOWER_IS_BETTER
from sodbench.reports.report_data import IMAGES, best_cells
from sodbench.reports.tables import label
from sodbench.reports.thumbnails import FALSE_ALARM, HIT, MISSED, PREDICTION_THRESHOLD

__all__ = ["SORTER", "STYLE", "Card", "Content", "ImageSection", "render_page"]


@dataclass
class Card:
    """One image of the worst-images or differences section."""

    rank: int
    name: str
    scores: list[tuple[str, float]]
    """(what, value) shown under the name, e.g. ``("wF", 0.12)``."""
    panels: list[tuple[str, str]]
    """(caption, ``data:`` URI) in display order."""
    note: str = ""


@dataclass
class ImageSection:
    """The worst images of each method and the largest differences of two methods."""

    dataset: str
    metric: str
    worst: dict[str, list[Card]]
    diff_title: str = ""
    differences: list[Card] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Content:
    """Everything the page shows."""

    sources: list[tuple[str, str]]
    keys: list[str]
    leaderboard: pd.DataFrame
    subsets: dict[str, pd.DataFrame]
    curves: list[tuple[str, str | None, str]]
    """(title, figure ``data:`` URI or None, why there is none)."""
    images: ImageSection | None
    no_images: str = ""


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1d;
 margin:0 auto;max-width:1800px;padding:0 24px 48px}
h1{font-size:1.6em;margin:.8em 0 .2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
nav a{margin-right:1em}dl.sources{display:grid;grid-template-columns:max-content 1fr;
 gap:0 1em;margin:.4em 0}dl.sources dt{color:#555}dl.sources dd{margin:0;word-break:break-all}
table.sortable{border-collapse:collapse;margin:.6em 0}
.scroll{overflow-x:auto}table.sortable{font-size:13.5px}
table.sortable th,table.sortable td{padding:3px 6px;
 border-bottom:1px solid #e3e3e3;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none;background:#f3f3f3;text-align:center;
 white-space:nowrap}table.sortable th:hover{background:#e6eef6}
th[aria-sort=ascending]::after{content:" \\25B4"}th[aria-sort=descending]::after{content:" \\25BE"}
th[aria-sort]{background:#dbe7f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{font-weight:bold;color:#a33c00;background:#fcebdd}
.note{color:#555}.curves{display:flex;flex-wrap:wrap;gap:12px}
figure.curve{margin:0}figure.curve figcaption{font-weight:bold;margin:.2em 0}
.curves img{max-width:100%;border:1px solid #ddd}
.cards{display:flex;flex-wrap:wrap;gap:14px}
figure.card{margin:0;padding:6px;border:1px solid #d5d5d5;border-radius:4px;background:#fafafa}
figure.card figcaption{font-size:13px;margin-bottom:4px}
.panels{display:flex;gap:4px}.panel{text-align:center;font-size:12px;color:#444}
.panel img{display:block;image-rendering:auto}
.legend span.swatch{display:inline-block;width:1em;height:1em;vertical-align:-2px;
 border:1px solid #888;margin:0 .3em 0 1em}
"""

SORTER = """
(function () {
  "use strict";
  function cellKey(cell) {
    var value = cell.getAttribute("data-value");
    if (value === null) { return {text: cell.textContent.trim()}; }
    if (value === "") { return {nan: true}; }
    return {number: parseFloat(value)};
  }
  function compare(a, b, sign) {
    if (a.nan || b.nan) { return (a.nan ? 1 : 0) - (b.nan ? 1 : 0); }
    if (a.number !== undefined) { return sign * (a.number - b.number); }
    return sign * (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
  }
  function sortBy(table, head, column) {
    var now = head.getAttribute("aria-sort");
    var order = now ? (now === "ascending" ? "descending" : "ascending")
                    : (head.getAttribute("data-first") || "ascending");
    var sign = order === "ascending" ? 1 : -1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      cell.removeAttribute("aria-sort");
    });
    head.setAttribute("aria-sort", order);
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, index) {
      return {row: row, key: cellKey(row.cells[column]), index: index};
    });
    rows.sort(function (a, b) { return compare(a.key, b.key, sign) || a.index - b.index; });
    rows.forEach(function (item) { body.appendChild(item.row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (head, column) {
      head.tabIndex = 0;
      head.addEventListener("click", function () { sortBy(table, head, column); });
      head.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, head, column);
        }
      });
    });
  });
}());
"""


def _number(value: float, *, whole: bool = False) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.0f}" if whole else f"{value:.1f}" if abs(value) >= 100 else f"{value:.4f}"


def _head(key: str) -> str:
    if key in ("dataset", "method"):
        return f'<th title="click to sort">{key}</th>'
    if key == IMAGES:
        return '<th title="images scored; click to sort">images</th>'
    if KEYS[key].informational:
        return f'<th title="click to sort">{escape(key)}</th>'
    lower = key in LOWER_IS_BETTER
    first, word = ("ascending", "lower") if lower else ("descending", "higher")
    return (f'<th data-first="{first}" title="{word} is better; click to sort">'
            f"{escape(label(key))}</th>")


def _table(frame: pd.DataFrame, keys: list[str], table_id: str) -> str:
    best = best_cells(frame, keys)
    columns = ["dataset", "method", IMAGES, *keys]
    rows = []
    for index, row in frame.iterrows():
        cells = [f"<td>{escape(str(row['dataset']))}</td>",
                 f"<td>{escape(str(row['method']))}</td>"]
        for key in columns[2:]:
            value = float(row[key])
            marked = key != IMAGES and bool(best.at[index, key])
            cells.append(f'<td class="num{" best" if marked else ""}" '
                         f'data-value="{"" if math.isnan(value) else repr(value)}">'
                         f"{_number(value, whole=key == IMAGES)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>'
            + "".join(_head(key) for key in columns) + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def _sources(content: Content) -> str:
    items = "".join(f"<dt>{escape(what)}</dt><dd>{escape(text)}</dd>"
                    for what, text in content.sources)
    return f'<dl class="sources">{items}</dl>'


def _leaderboard(content: Content) -> str:
    return ('<section id="leaderboard"><h2>Leaderboard</h2><p class="note">One row per '
            "method and dataset. ↓ lower is better, ↑ higher is better; the best value of "
            "each dataset is <b>bold</b>. Click a column's header to sort by it (again to "
            "reverse); missing values (–) sort last.</p>"
            + _table(content.leaderboard, content.keys, "leaderboard-table") + "</section>")


def _curves(content: Content) -> str:
    figures = []
    for title, uri, why in content.curves:
        if uri is None:
            figures.append(f'<p class="note">{escape(title)}: {escape(why)}</p>')
        else:
            figures.append(f'<figure class="curve"><figcaption>{escape(title)}</figcaption>'
                           f'<img src="{uri}" alt="{escape(title)} curves"></figure>')
    return ('<section id="curves"><h2>Curves</h2><p class="note">Precision-recall, '
            "F-measure and E-measure against the threshold, from the mean curves of the "
            'results file.</p><div class="curves">' + "".join(figures) + "</div></section>")


def _subsets(content: Content) -> str:
    if not content.subsets:
        body = ('<p class="note">No subsets in these results: run eval with --subset ... '
                "(or --subset-preset) to score each subset of a dataset apart.</p>")
    else:
        body = "".join(f"<h3>Subset {escape(name)}</h3>"
                       + _table(frame, content.keys, f"subset-{number}")
                       for number, (name, frame) in enumerate(content.subsets.items()))
    return '<section id="subsets"><h2>Subsets</h2>' + body + "</section>"


def _card(card: Card) -> str:
    scores = " · ".join(f"{escape(what)} {_number(value)}" for what, value in card.scores)
    note = f" · {escape(card.note)}" if card.note else ""
    panels = "".join(f'<div class="panel"><img src="{uri}" alt="{escape(caption)}">'
                     f"{escape(caption)}</div>" for caption, uri in card.panels)
    return (f'<figure class="card" data-name="{escape(card.name)}"><figcaption>#{card.rank} '
            f"<b>{escape(card.name)}</b> · {scores}{note}"
            f'</figcaption><div class="panels">{panels}</div></figure>')


def _swatch(colour: tuple[int, int, int]) -> str:
    return f'<span class="swatch" style="background:rgb{colour}"></span>'


def _legend(metric: str) -> str:
    worst = "highest" if metric in LOWER_IS_BETTER else "lowest"
    return (f'<p class="note legend">Worst = {worst} {escape(metric)} (equal scores in name '
            "order; images without a score left out).</p><p class='note legend'>Error overlay: "
            f"the image in grey, the prediction binarised at {PREDICTION_THRESHOLD} (128 of "
            f"255) against the GT mask:{_swatch(MISSED)}missed GT (false negative)"
            f"{_swatch(FALSE_ALARM)}false alarm (false positive){_swatch(HIT)}hit.</p>")


def _images(content: Content) -> str:
    section = content.images
    if section is None:
        why = f'<p class="note">{escape(content.no_images)}</p>'
        return (f'<section id="worst"><h2>Worst images</h2>{why}</section>'
                f'<section id="differences"><h2>Largest differences</h2>{why}</section>')
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in section.notes)
    worst = "".join(f'<h3>{escape(method)}</h3><div class="cards" data-method="{escape(method)}">'
                    + "".join(map(_card, cards)) + "</div>"
                    for method, cards in section.worst.items())
    where = f"{escape(section.metric)} on {escape(section.dataset)}"
    differences = ('<div class="cards" id="difference-cards">'
                   + "".join(map(_card, section.differences)) + "</div>")
    return (f'<section id="worst"><h2>Worst images by {where}</h2>{_legend(section.metric)}'
            f"{notes}{worst}</section>"
            f'<section id="differences"><h2>Largest differences</h2><p class="note">'
            f"{escape(section.diff_title)}</p>{differences}</section>")


def render_page(content: Content) -> str:
    """The report as one HTML document (UTF-8 text, no external resource)."""
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>sodbench report</title><style>{STYLE}</style></head><body>"
            "<h1>sodbench report</h1>" + _sources(content)
            + '<nav><a href="#leaderboard">Leaderboard</a><a href="#curves">Curves</a>'
            '<a href="#subsets">Subsets</a><a href="#worst">Worst images</a>'
            '<a href="#differences">Largest differences</a></nav>'
            + _leaderboard(content) + _curves(content) + _subsets(content) + _images(content)
            + f"<script>{SORTER}</script></body></html>\n")
