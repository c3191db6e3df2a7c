"""Rendering a :class:`Table`: Markdown, LaTeX, CSV and HTML, with the best three marked.

Rendering rounds, ranks each column on the *displayed* value (ties share the better rank,
"1224" style) in the key's direction (ascending for lower-is-better keys such as MAE, HCE,
minFPR; an informational key such as ``odsT``, a threshold, is not ranked and has no arrow),
and marks the best three: bold, underline and italic in every format, and in
LaTeX and HTML also the Okabe-Ito colours vermillion, blue and bluish green (see
:data:`LATEX_PREAMBLE`), which stay apart for readers with any common colour-vision deficiency
and in greyscale print; the usual red/green/blue of PySODEvalToolkit's
``\\first/\\second/\\third`` macros is neither (pure green on white is also hard to read). The
macro names are kept, so a paper's own definitions still win.
"""

from __future__ import annotations

import html
import io
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sodbench.errors import SodbenchError
from sodbench.reports.leaderboards import informational, lower_is_better

__all__ = ["COST", "FORMATS", "HTML_STYLE", "LATEX_PREAMBLE", "MAX_DIGITS", "PARTIAL_MARK",
           "RENDERERS", "Table", "displayed", "format_for_path", "label", "render", "to_csv",
           "to_html", "to_latex", "to_markdown"]

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


def displayed(table: Table, digits: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rounded cell texts and each cell's rank among its column (NaN where missing).

    Ranks are taken on the value as displayed, so two methods that print the same number
    share a rank; the next rank is skipped ("1224" ranking). Lower-is-better keys rank
    ascending, the others descending (a negative Kappa ranks below a positive one); an
    informational key (``odsT``) gets no rank.
    """
    if not 0 <= digits <= MAX_DIGITS:
        raise SodbenchError(f"digits={digits}: must be 0 to {MAX_DIGITS} (a float64 value "
                            "has no more significant decimals)")
    texts, ranks = {}, {}
    for column in table.values.columns:
        places = _cost_digits(column[1], table.values[column]) if column[0] == COST else digits
        text = table.values[column].map(lambda v, p=places: _number(v, p))
        shown = pd.to_numeric(text, errors="coerce")
        texts[column] = text
        ranks[column] = (pd.Series(np.nan, index=shown.index) if informational(column[1]) else
                         shown.rank(method="min", ascending=lower_is_better(column[1])))
    return pd.DataFrame(texts), pd.DataFrame(ranks)


def _number(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, "" when missing; a negative value that rounds to
    zero (a Kappa of -0.00001) prints ``0.0000``, not ``-0.0000``."""
    if np.isnan(value):
        return ""
    text = f"{value:.{places}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _cost_digits(key: str, values: pd.Series) -> int:
    """Param and FLOPs with 2 decimals; Speed whole like the paper unless some value is small
    (a CPU measurement of 0.9 FPS must not print as 1)."""
    if key != "Speed" or values.isna().all():
        return _COST_DIGITS[key]
    smallest = values.min()
    return 0 if smallest >= 10 else 1 if smallest >= 1 else 2


def label(key: str, arrow: tuple[str, str] = ("↓", "↑")) -> str:
    """Column label with its direction arrow; none for an informational key.

    >>> label("MAE"), label("HCE"), label("Param"), label("maxKappa"), label("odsT")
    ('MAE↓', 'HCE↓', 'Param (M)↓', 'maxKappa↑', 'odsT')
    """
    if informational(key):
        return key
    return _LABELS.get(key, key) + (arrow[0] if lower_is_better(key) else arrow[1])


def _legend_arrows(table: Table, words: tuple[str, str, str]) -> str:
    """The arrows' meaning (``words``: lower, higher, no arrow), and the last only when some
    column is informational."""
    keys = table.values.columns.get_level_values(1)
    return words[0] + words[1] + (words[2] if any(informational(key) for key in keys) else "")


def _datasets(table: Table) -> list[str]:
    return [name for name in dict.fromkeys(table.values.columns.get_level_values(0)) if name]


def _check_highlight(highlight: int) -> None:
    if not 0 <= highlight <= 3:
        raise SodbenchError(f"highlight={highlight}: must be 0 to 3 (best, second, third)")


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
        arrows = _legend_arrows(table, ("↓ lower is better, ", "↑ higher is better",
                                        "; no arrow: informational, not ranked"))
        lines.append(f"{', '.join(names)} in each column (ranked on the displayed value; "
                     f"ties share a rank). {arrows}.")
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
        arrows = _legend_arrows(table, (r"$\downarrow$ lower is better, ",
                                        r"$\uparrow$ higher is better",
                                        "; no arrow: informational, not ranked"))
        notes = [", ".join(marks_shown) + " in each column (ranked on the displayed value, "
                 f"ties share a rank); {arrows}.", *notes]
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
    ``rank <column>`` column follows each (empty for an informational key such as ``odsT``);
    ``highlight`` is accepted for a uniform call.
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
        raise SodbenchError(f"fmt={fmt!r}: choose one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](table, digits=digits, highlight=highlight)


def format_for_path(path: str | os.PathLike) -> str | None:
    """The format implied by a file suffix (``.md``, ``.tex``, ``.csv``, ``.html``), if any."""
    suffix = os.path.splitext(str(path))[1].lower()
    return {".md": "md", ".tex": "latex", ".csv": "csv", ".html": "html", ".htm": "html"}.get(
        suffix)
