"""`sodbench plot`: inspect the figures (lines, legend, limits) and the curve CSV."""

from __future__ import annotations

import re

import matplotlib
import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from reports_helpers import entry

from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.folders.results import load_results
from sodbench.reports import plot_style, plots

METHODS = ("A", "B", "C")
ENTRIES = [entry(dataset, method, seed, MAE=0.1)
           for seed, (dataset, method) in enumerate(
               (d, m) for d in ("SD-900", "DUTS", "ECSSD") for m in METHODS)]


def figure_for(write_results, kind, highlight=None):
    points = plots.curve_frame(load_results(write_results(ENTRIES)), kind)
    return points, plots.plot_curves(points, kind, highlight=highlight)


@pytest.mark.parametrize("kind", ["pr", "fm", "em"])
def test_one_subplot_per_dataset_every_curve_inside(write_results, kind):
    points, figure = figure_for(write_results, kind)
    axes_list = [axes for axes in figure.axes if axes.get_visible()]
    assert [axes.get_title() for axes in axes_list] == ["SD-900", "DUTS", "ECSSD"]
    for axes in axes_list:
        assert [line.get_label() for line in axes.get_lines()] == list(METHODS)
        x_low, x_high = axes.get_xlim()
        y_low, y_high = axes.get_ylim()
        for line in axes.get_lines():
            x, y = line.get_xdata(), line.get_ydata()
            assert len(x) == 256
            assert x_low <= x.min() and x.max() <= x_high
            assert y_low <= y.min() and y.max() <= y_high
        # fitted, not fixed: the limits hug the data (3 % margin at most)
        data_y = np.concatenate([line.get_ydata() for line in axes.get_lines()])
        assert y_high - y_low <= (data_y.max() - data_y.min()) * 1.07 + 1e-9
    legend_labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend_labels == list(METHODS)
    assert all(axes.get_legend() is None for axes in axes_list)


def test_pr_axes_are_recall_then_precision(write_results):
    points, figure = figure_for(write_results, "pr")
    axes = figure.axes[0]
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("Recall", "Precision")
    expected = points[(points.dataset == "SD-900") & (points.method == "B")]
    line = axes.get_lines()[1]
    np.testing.assert_array_equal(line.get_xdata(), expected["recall"])
    np.testing.assert_array_equal(line.get_ydata(), expected["precision"])


def test_fm_threshold_axis_is_zero_to_one(write_results):
    points, figure = figure_for(write_results, "fm")
    x = figure.axes[0].get_lines()[0].get_xdata()
    assert x[0] == 0 and x[-1] == 1 and np.all(np.diff(x) > 0)


def test_highlight_is_last_thicker_and_vermillion(write_results):
    _, figure = figure_for(write_results, "pr", highlight="A")
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["B", "C", "A"]
    assert lines[-1].get_linewidth() > max(line.get_linewidth() for line in lines[:-1])
    assert to_hex(lines[-1].get_color()).upper() == plots.HIGHLIGHT_COLOUR
    legend_labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend_labels == ["B", "C", "A"]
    colours = {to_hex(line.get_color()).upper() for line in lines[:-1]}
    assert colours <= set(plots.OKABE_ITO)


def test_nan_points_are_dropped_not_plotted(write_results):
    broken = entry("SD-900", "A", 0, MAE=0.1)
    broken["curves"]["precision"][-5:] = [float("nan")] * 5
    points = plots.curve_frame(load_results(write_results([broken])), "pr")
    assert len(points) == 251 and not points.isna().any().any()


def test_cli_writes_figure_and_csv(capsys, write_results, tmp_path):
    out = tmp_path / "figs" / "fm.svg"
    assert main(["plot", str(write_results(ENTRIES)), "--kind", "fm", "--out", str(out),
                 "--highlight", "C", "--csv", str(out.with_suffix(".csv"))]) == 0
    assert out.read_text().lstrip().startswith("<?xml")
    data = pd.read_csv(out.with_suffix(".csv"))
    assert list(data.columns) == ["dataset", "method", "threshold", "threshold_01", "F"]
    assert len(data) == 9 * 256
    first = data[(data.dataset == "DUTS") & (data.method == "B")]
    np.testing.assert_allclose(first["F"], ENTRIES[4]["curves"]["F"], rtol=0, atol=0)


@pytest.mark.parametrize("args, message", [
    (["--highlight", "Z", "--out", "{tmp}/pr.png"], "no such method"),
    (["--out", "{tmp}/x.jpg"], ".png, .pdf or .svg"),
])
def test_bad_options(capsys, write_results, tmp_path, args, message):
    args = [arg.format(tmp=tmp_path) for arg in args]
    assert main(["plot", str(write_results(ENTRIES)), *args]) == 2
    assert not list(tmp_path.glob("*.png"))
    assert message in capsys.readouterr().err


def test_results_without_curves(capsys, write_results):
    bare = entry("SD-900", "A", MAE=0.1)
    del bare["curves"]
    assert main(["plot", str(write_results([bare]))]) == 2
    assert "curve" in capsys.readouterr().err


@pytest.mark.parametrize("n_datasets, n_methods", [(1, 4), (1, 9), (2, 7), (4, 3)])
def test_legend_and_subplots_fit_inside_the_figure(write_results, n_datasets, n_methods):
    entries = [entry(f"D{d}", f"Method number {m}", d * 10 + m, MAE=0.1)
               for d in range(n_datasets) for m in range(n_methods)]
    points = plots.curve_frame(load_results(write_results(entries)), "fm")
    figure = plots.plot_curves(points, "fm", highlight="Method number 0")
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    box = figure.bbox
    for artist in [*figure.legends, *[a for a in figure.axes if a.get_visible()]]:
        extent = artist.get_window_extent(renderer)
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, artist
        assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, artist
    assert len(figure.legends[0].get_texts()) == n_methods


# --names, --order, several --highlight, --style (issue #14)


def _legend(figure) -> list[str]:
    return [text.get_text() for text in figure.legends[0].get_texts()]


def _titles(figure) -> list[str]:
    return [axes.get_title() for axes in figure.axes if axes.get_visible()]


def _plot(write_results, kind="pr", **options):
    points = plots.curve_frame(load_results(write_results(ENTRIES)), kind)
    return plots.plot_curves(points, kind, **options)


def test_aliases_are_shown_in_the_legend_titles_and_lines(write_results):
    figure = _plot(write_results, names={"A": "Ours (A)", "DUTS": "DUTS-TE"})
    assert _legend(figure) == ["Ours (A)", "B", "C"]
    assert _titles(figure) == ["SD-900", "DUTS-TE", "ECSSD"]
    for axes in figure.axes:
        assert [line.get_label() for line in axes.get_lines()] == ["Ours (A)", "B", "C"]
    # a swap is two distinct names: allowed
    assert _legend(_plot(write_results, names={"A": "B", "B": "A"})) == ["B", "A", "C"]


def test_order_sets_legend_subplots_colours_and_line_styles(write_results):
    figure = _plot(write_results, order=["C", "ECSSD", "A"])
    assert _legend(figure) == ["C", "A", "B"]
    assert _titles(figure) == ["ECSSD", "SD-900", "DUTS"]
    expected = {"C": plots.OKABE_ITO[0], "A": plots.OKABE_ITO[1], "B": plots.OKABE_ITO[2]}
    for axes in figure.axes:
        lines = axes.get_lines()
        assert [line.get_label() for line in lines] == ["C", "A", "B"]
        assert {line.get_label(): to_hex(line.get_color()).upper() for line in lines} == expected
    first = figure.axes[0].get_lines()[0]  # ECSSD's C: entry 8 of ENTRIES
    np.testing.assert_array_equal(first.get_ydata(), ENTRIES[8]["curves"]["precision"])


def test_several_highlights_last_thicker_on_top_each_its_colour(write_results):
    figure = _plot(write_results, highlight=["C", "A"])
    for axes in figure.axes:
        lines = axes.get_lines()
        # highlights in the methods' order (A before C), after the others
        assert [line.get_label() for line in lines] == ["B", "A", "C"]
        plain, marked = lines[0], lines[1:]
        assert [to_hex(line.get_color()).upper() for line in marked] == [
            plots.HIGHLIGHT_COLOUR, plots.HIGHLIGHT_COLOURS[1]]
        assert to_hex(plain.get_color()).upper() == plots.OKABE_ITO[1]  # B keeps its place
        assert all(line.get_linewidth() > plain.get_linewidth() for line in marked)
        assert all(line.get_zorder() > plain.get_zorder() for line in marked)
    assert _legend(figure) == ["B", "A", "C"]
    # --order decides which highlight comes first, and so gets vermillion
    reordered = _plot(write_results, highlight=["A", "C"], order=["C"])
    colours = {line.get_label(): to_hex(line.get_color()).upper()
               for line in reordered.axes[0].get_lines()}
    assert colours["C"] == plots.HIGHLIGHT_COLOUR and colours["A"] == plots.HIGHLIGHT_COLOURS[1]
    assert len(set(plots.HIGHLIGHT_COLOURS) | set(plots.OKABE_ITO)) == 10


def test_more_highlights_than_colours_are_refused(write_results):
    entries = [entry("D", f"M{m}", m, MAE=0.1) for m in range(6)]
    points = plots.curve_frame(load_results(write_results(entries)), "pr")
    figure = plots.plot_curves(points, "pr", highlight=["M0", "M1", "M2", "M3"])
    assert len({line.get_color() for line in figure.axes[0].get_lines()[2:]}) == 4
    with pytest.raises(SodbenchError, match="at most 4 methods"):
        plots.plot_curves(points, "pr", highlight=["M0", "M1", "M2", "M3", "M4"])


def _style(tmp_path, text, name="mine.mplstyle"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_style_file_reaches_the_figure_and_leaves_rcparams_alone(write_results, tmp_path):
    before = dict(matplotlib.rcParams)
    style = _style(tmp_path, "lines.linewidth: 3.5  # thick\nfont.size: 14\naxes.grid: False\n"
                             'axes.titlesize: "x-small"\n')
    figure = _plot(write_results, highlight="A", style=style)
    assert dict(matplotlib.rcParams) == before
    axes = figure.axes[0]
    plain, *_, marked = axes.get_lines()
    assert plain.get_linewidth() == 3.5 and marked.get_linewidth() == pytest.approx(3.5 * 13 / 7)
    assert axes.xaxis.get_ticklabels()[0].get_fontsize() == 14
    assert axes.title.get_fontsize() == pytest.approx(14 * 0.694)  # matplotlib's x-small
    assert not any(line.get_visible() for line in axes.xaxis.get_gridlines())
    # without it: the bundled style (1.4 pt lines, 2.6 pt highlight, a grid, 10 pt ticks)
    default = _plot(write_results, highlight="A").axes[0]
    assert [line.get_linewidth() for line in default.get_lines()] == pytest.approx([1.4, 1.4,
                                                                                   2.6])
    assert all(line.get_visible() for line in default.xaxis.get_gridlines())
    assert default.xaxis.get_ticklabels()[0].get_fontsize() == 10
    assert dict(matplotlib.rcParams) == before


def test_a_style_name_and_savefig_settings_apply(write_results, tmp_path):
    figure = _plot(write_results, style="dark_background")
    assert to_hex(figure.get_facecolor()) == "#000000"
    out = tmp_path / "pr.png"
    plots.save_plot(write_results([ENTRIES[0]]), "pr", out,
                    style=_style(tmp_path, "savefig.dpi: 50\n"))
    height, width = matplotlib.image.imread(out).shape[:2]
    assert (width, height) == (round(4.2 * 50), round(4.1 * 50))  # one subplot: 4.2 x 4.1 in


def test_a_copy_of_the_bundled_style_draws_the_same_figure(write_results, tmp_path):
    copy = _style(tmp_path, plot_style.DEFAULT_STYLE.read_text(), "copy.mplstyle")
    assert set(matplotlib.rc_params_from_file(copy, use_default_template=False)) >= {
        "lines.linewidth", "font.size", "axes.grid", "savefig.dpi", "pdf.fonttype"}
    results = write_results(ENTRIES[:2])
    plots.save_plot(results, "pr", tmp_path / "a.png", highlight="B")
    plots.save_plot(results, "pr", tmp_path / "b.png", highlight="B", style=copy)
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_pdf_keeps_truetype_fonts_whatever_the_style(write_results, tmp_path):
    before = dict(matplotlib.rcParams)
    out = tmp_path / "pr.pdf"
    plots.save_plot(write_results(ENTRIES[:2]), "pr", out,
                    style=_style(tmp_path, "pdf.fonttype: 3\nps.fonttype: 3\n"))
    data = out.read_bytes()
    subtypes = set(re.findall(rb"/Subtype\s*/(\w+)", data))
    assert b"Type3" not in subtypes and b"CIDFontType2" in subtypes, subtypes
    assert dict(matplotlib.rcParams) == before


def test_csv_keeps_the_results_names_and_adds_the_shown_ones(write_results, tmp_path):
    out, csv = tmp_path / "fm.png", tmp_path / "fm.csv"
    assert main(["plot", str(write_results(ENTRIES)), "--kind", "fm", "--out", str(out),
                 "--csv", str(csv), "--names", "A=Ours", "--names", "ECSSD=E",
                 "--order", "C,B", "--highlight", "A", "--highlight", "B"]) == 0
    data = pd.read_csv(csv)
    assert list(data.columns) == ["dataset", "method", "threshold", "threshold_01", "F",
                                  "dataset_label", "method_label"]
    pairs = data[["dataset", "method", "dataset_label", "method_label"]].drop_duplicates()
    expected = [(d, m, "E" if d == "ECSSD" else d, "Ours" if m == "A" else m)
                for d in ("SD-900", "DUTS", "ECSSD") for m in METHODS]
    assert list(pairs.itertuples(index=False, name=None)) == expected  # results' order
    np.testing.assert_array_equal(data["F"][:256], ENTRIES[0]["curves"]["F"])


BAD = "lines.linewidth: thick\n"


@pytest.mark.parametrize("args, files, message", [
    (["--names", "A=X", "--names", "Z=Y"], {},
     "--names Z=Y: the results hold no method or dataset 'Z' "
     "(methods: A, B, C; datasets: SD-900, DUTS, ECSSD)"),
    (["--names", "A=X", "--names", "B=X"], {}, "--names B=X: methods 'A' and 'B' would both"),
    (["--names", "A=B"], {}, "methods 'A' and 'B' would both be shown as 'B'"),
    (["--names", "DUTS=ECSSD"], {}, "datasets 'DUTS' and 'ECSSD' would both"),
    (["--names", "A=X", "--names", "A=Y"], {}, "--names A=Y: 'A' is aliased twice"),
    (["--names", "A=X", "--names", "A=X"], {}, "'A' is aliased twice"),
    (["--names", "A"], {}, "--names A: write OLD=NEW"),
    (["--names", "=X"], {}, "--names =X: write OLD=NEW"),
    (["--order", "C,Z"], {}, "--order C,Z: the results hold no method or dataset 'Z' (methods"),
    (["--order", "C,,A"], {}, "no method or dataset ''"),
    (["--order", "C,A,C"], {}, "--order 'C': given twice"),
    (["--names", "A=Ours", "--order", "Ours"], {}, "'Ours' is the alias of 'A': name 'A'"),
    (["--highlight", "Z"], {}, "--highlight 'Z': no such method (methods with curves: A, B, C)"),
    (["--highlight", "A", "--highlight", "A"], {}, "--highlight 'A': given twice"),
    (["--style", "no-such-style"], {}, "--style no-such-style: no such file, nor a matplotlib "
                                       "style name (one of: Solarize_Light2,"),
    (["--style", "{tmp}/gone.mplstyle"], {}, "gone.mplstyle: cannot read the style file (No "),
    (["--style", "{tmp}"], {}, "cannot read the style file (Is a directory)"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": BAD},
     "s.mplstyle: line 1: lines.linewidth: Could not convert 'thick' to float"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": "# mine\n\nlines.width: 2\n"},
     "line 3: 'lines.width' is not a matplotlib setting"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": "backend: pdf\n"},
     "line 1: 'backend' is not a style setting"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": "lines.linewidth 2\n"},
     "line 1: no ':' between a setting and its value"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": 'font.family: "serif\n'},
     "line 1: a double quote is not closed"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": "font.size: 9\nfont.size: 11\n"},
     "line 2: 'font.size' is set twice"),
    (["--style", "{tmp}/s.mplstyle"], {"s.mplstyle": b"font.size: 9 \xff\n"},
     "s.mplstyle: not a text (UTF-8) style file"),
    (["--style", "{tmp}/s.csv", "--csv", "{tmp}/s.csv"], {"s.csv": "font.size: 9\n"},
     "s.csv: is --style "),
])
def test_bad_plot_options_are_one_line(capsys, write_results, tmp_path, args, files, message):
    for name, text in files.items():
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    args = [arg.format(tmp=tmp_path) for arg in args]
    results = write_results(ENTRIES)
    assert main(["plot", str(results), "--out", str(tmp_path / "pr.png"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert not list(tmp_path.glob("*.png"))
