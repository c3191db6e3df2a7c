"""`sodbench plot`: inspect the figures (lines, legend, limits) and the curve CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from reports_helpers import entry

from sodbench.cli import main
from sodbench.folders.results import load_results
from sodbench.reports import plots

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
