"""Catalogue: `sodbench plot` outputs, and figures fit for papers.

Reported: `plot --out results.png` replaced `results.csv` (the user's per-image scores) with
the plotted points; `plot r.json --out r.json` and `--out` on an unwritable path failed only
after drawing (or with a traceback); figures were written with a plain `savefig`, not
atomically; results without curves told the user to "evaluate without --no-curves", a flag
that does not exist; PDFs embedded Type 3 fonts (rejected by IEEE PDF eXpress); a method
changed colour between figures, the highlight could meet a faint yellow, and 9 methods left
holes in the legend.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from trust_helpers import digests

from sodbench.folders.results import dump_results
from sodbench.reports import plots

NINE = ("MINet", "BASNet", "PoolNet", "EDRNet", "DACNet", "CSEPNet", "EMINet", "TSERNet", "FT")
YELLOW = "#F0E442"


def _curves(seed: int) -> dict:
    t = np.arange(256) / 255
    rng = np.random.default_rng(seed)
    recall = 1 - t ** rng.uniform(1.5, 3)
    precision = 0.3 + 0.6 * t ** rng.uniform(0.3, 1)
    f = 1.3 * precision * recall / np.maximum(0.3 * precision + recall, 1e-12)
    e = 0.5 + 0.45 * np.sin(np.pi * t) * rng.uniform(0.8, 1)
    return {"threshold": list(range(256)), "precision": precision.tolist(),
            "recall": recall.tolist(), "F": f.tolist(), "E": e.tolist()}


def _entry(dataset: str, method: str, seed: int, curves: bool = True) -> dict:
    entry = {"dataset": dataset, "method": method, "profile": "pysodmetrics",
             "counts": {"n_evaluated": 10, "n_gt": 10, "n_resized": 0, "coverage": 1.0},
             "metrics": {"MAE": 0.1}, "notes": []}
    if curves:
        entry["curves"] = _curves(seed)
    return entry


def _write(path, entries):
    dump_results({"provenance": {"sodbench_version": "0.1.0", "profile": "pysodmetrics"},
                  "entries": entries}, path)
    return path


@pytest.fixture
def results(tmp_path):
    """Two datasets x nine methods, all with 256-point curves."""
    entries = [_entry(dataset, method, 10 * d + m)
               for d, dataset in enumerate(("SD-900", "DUTS")) for m, method in enumerate(NINE)]
    return _write(tmp_path / "results.json", entries)


@pytest.fixture
def no_drawing(monkeypatch):
    """Fail the test if a figure is drawn: refusals must come before the work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the figure was drawn before the outputs were checked")
    monkeypatch.setattr(plots, "plot_curves", refuse)


# item 6: the side CSV is opt-in


def test_out_beside_the_users_csv_leaves_it_alone(cli, sample, tmp_path):
    run = cli("eval", "--gt", sample / "GT", "--pred", f"GoodNet={sample / 'pred' / 'GoodNet'}",
              "--json", "results.json", "--per-image", "results.csv", "--quiet", "--no-cache")
    assert run.code == 0, run.err
    before = digests(tmp_path / "results.csv", tmp_path / "results.json")
    run = cli("plot", "results.json", "--out", "results.png")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["results.png"]
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert digests(tmp_path / "results.csv", tmp_path / "results.json") == before
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["results.csv"]


def test_points_are_written_only_to_the_csv_asked_for(cli, results, tmp_path):
    run = cli("plot", results, "--kind", "fm", "--out", "figs/fm.svg", "--csv", "data/fm.csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["figs/fm.svg", "data/fm.csv"]
    assert not list((tmp_path / "figs").glob("*.csv"))
    points = pd.read_csv(tmp_path / "data" / "fm.csv")
    assert list(points.columns) == ["dataset", "method", "threshold", "threshold_01", "F"]
    assert len(points) == 2 * 9 * 256
    one = points[(points.dataset == "DUTS") & (points.method == "PoolNet")]
    np.testing.assert_array_equal(one["F"], _curves(12)["F"])


# item 11: inputs and outputs checked before drawing


def test_out_over_the_results_is_refused(cli, results, no_drawing):
    before = digests(results)
    for option in ("--out", "--csv"):
        extra = ("--out", "pr.png") if option == "--csv" else ()
        run = cli("plot", results, *extra, option, results)
        assert run.code == 2
        line = run.error_line()
        assert f"{option} {results}" in line and "RESULTS" in line and "input" in line
    assert digests(results) == before


def test_figure_and_points_on_one_path_are_refused(cli, results, tmp_path, no_drawing):
    run = cli("plot", results, "--out", "x.png", "--csv", "x.png")
    assert run.code == 2
    line = run.error_line()
    assert "--csv x.png" in line and "--out x.png" in line
    assert "already written by this command" in line
    assert not (tmp_path / "x.png").exists()


def test_points_not_named_csv_are_refused(cli, results, tmp_path, no_drawing):
    run = cli("plot", results, "--out", "pr.png", "--csv", "pr.txt")
    assert run.code == 2
    assert "--csv pr.txt: use a .csv file name" in run.error_line()
    assert not (tmp_path / "pr.png").exists()


def test_file_in_place_of_a_folder(cli, results, tmp_path, no_drawing):
    (tmp_path / "notes.txt").write_text("mine\n")
    for args in (("--out", "notes.txt/pr.png"), ("--out", "pr.png", "--csv", "notes.txt/p.csv")):
        run = cli("plot", results, *args)
        assert run.code == 2
        assert "notes.txt is a file, not a folder" in run.error_line()
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert not (tmp_path / "pr.png").exists()


def test_folder_in_place_of_the_figure(cli, results, tmp_path, no_drawing):
    (tmp_path / "figs.png").mkdir()
    run = cli("plot", results, "--out", "figs.png")
    assert run.code == 2
    assert "--out figs.png: figs.png is a folder; give a file name" in run.error_line()
    assert not list((tmp_path / "figs.png").iterdir())


def test_read_only_folder(cli_read_only, results, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "pr.png").write_bytes(b"an older figure")
    run = cli_read_only(["plot", results, "--out", locked / "pr.png"], read_only=[locked])
    assert run.code == 2, run.err
    line = run.error_line()
    assert f"--out {locked / 'pr.png'}" in line and f"cannot write in {locked}" in line
    assert (locked / "pr.png").read_bytes() == b"an older figure"
    assert sorted(p.name for p in locked.iterdir()) == ["pr.png"]


# item 9: atomic figures


def test_a_failed_save_leaves_the_old_figure(results, tmp_path, monkeypatch):
    figure = tmp_path / "pr.png"
    figure.write_bytes(b"the figure of yesterday")

    def half_written(self, handle, **kwargs):
        handle.write(b"\x89PNG half")
        raise RuntimeError("disk full")
    monkeypatch.setattr(Figure, "savefig", half_written)
    with pytest.raises(RuntimeError, match="disk full"):
        plots.save_plot(results, "pr", figure)
    assert figure.read_bytes() == b"the figure of yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pr.png", "results.json"]


# item 15a: results without curves


def test_results_without_curves_say_how_to_get_them(cli, sample, tmp_path):
    run = cli("eval", "--gt", sample / "GT", "--pred", f"GoodNet={sample / 'pred' / 'GoodNet'}",
              "--metrics", "MAE,Sm", "--json", "r.json", "--quiet", "--no-cache")
    assert run.code == 0, run.err
    run = cli("plot", "r.json", "--out", "pr.png")
    assert run.code == 2
    line = run.error_line()
    assert line.startswith("error: r.json: no entry has a 'precision' curve")
    assert "--no-curves" not in line
    assert "maxF" in line and "--metrics" in line and "sodbench eval" in line
    assert not (tmp_path / "pr.png").exists()


# item 18: figures for papers


def test_pdf_fonts_are_truetype(cli, tmp_path):
    results = _write(tmp_path / "r.json", [_entry("SD-900", "MINet", 0), _entry("SD-900", "FT", 1)])
    run = cli("plot", results, "--out", "pr.pdf", "--highlight", "MINet")
    assert run.code == 0, run.err
    data = (tmp_path / "pr.pdf").read_bytes()
    subtypes = set(re.findall(rb"/Subtype\s*/(\w+)", data))
    assert b"Type3" not in subtypes, subtypes
    assert b"/FontFile2" in data and b"CIDFontType2" in subtypes


def _line_styles(figure) -> dict[str, tuple[str, str]]:
    styles = {}
    for axes in figure.axes:
        for line in axes.get_lines():
            style = (to_hex(line.get_color()).upper(), line.get_linestyle())
            assert styles.setdefault(line.get_label(), style) == style, line.get_label()
    return styles


def test_a_method_keeps_its_colour_in_every_figure(tmp_path):
    # BASNet has no curve on DUTS, and TSERNet none at all: the others keep their places.
    entries = [_entry(dataset, method, 10 * d + m,
                      curves=not (method == "TSERNet" or (method, dataset) == ("BASNet", "DUTS")))
               for d, dataset in enumerate(("SD-900", "DUTS")) for m, method in enumerate(NINE)]
    path = _write(tmp_path / "results.json", entries)
    duts_only = _write(tmp_path / "duts.json", [e for e in entries if e["dataset"] == "DUTS"])
    seen = {}
    for source in (path, duts_only):
        for kind, highlight in (("pr", None), ("fm", "MINet"), ("em", "EDRNet")):
            figure = plots.plot_curves(plots.curve_frame(source, kind), kind,
                                       highlight=highlight)
            for method, style in _line_styles(figure).items():
                if method == highlight:
                    assert style == (plots.HIGHLIGHT_COLOUR, "-")
                else:
                    assert seen.setdefault(method, style) == style, (method, kind, highlight)
    assert "TSERNet" not in seen
    for place, method in enumerate(NINE):
        if method != "TSERNet":
            assert seen[method][0] == plots.OKABE_ITO[place % len(plots.OKABE_ITO)]
    assert len(set(seen.values())) == len(seen)
    assert plots.HIGHLIGHT_COLOUR not in {colour for colour, _ in seen.values()}


def test_no_line_is_ever_yellow(tmp_path):
    entries = [_entry("D", f"Method {m}", m) for m in range(30)]
    path = _write(tmp_path / "many.json", entries)
    figure = plots.plot_curves(plots.curve_frame(path, "pr"), "pr", highlight="Method 6")
    colours = {colour for colour, _ in _line_styles(figure).values()}
    assert YELLOW not in colours and YELLOW not in plots.OKABE_ITO
    styles = _line_styles(figure)
    first = [styles[f"Method {m}"] for m in range(24) if m != 6]
    assert len(set(first)) == 23  # 6 colours x 4 line styles before any repeats


def _legend_grid(figure) -> tuple[list[float], list[list[tuple[float, str]]]]:
    """The legend as a reader sees it: column positions, and rows (top to bottom) of
    (x, name) left to right."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    rows: dict[float, list] = {}
    for text in figure.legends[0].get_texts():
        box = text.get_window_extent(renderer)
        rows.setdefault(round(box.y0, 1), []).append((round(box.x0, 1), text.get_text()))
    columns = sorted({x for row in rows.values() for x, _ in row})
    return columns, [sorted(rows[y]) for y in sorted(rows, reverse=True)]


@pytest.mark.parametrize("n_datasets", [1, 2, 3])
def test_nine_methods_legend_has_no_holes(tmp_path, n_datasets):
    entries = [_entry(f"D{d}", method, 10 * d + m)
               for d in range(n_datasets) for m, method in enumerate(NINE)]
    path = _write(tmp_path / "nine.json", entries)
    figure = plots.plot_curves(plots.curve_frame(path, "pr"), "pr", highlight="MINet")
    columns, rows = _legend_grid(figure)
    assert len(rows) == -(-9 // len(columns))
    for row in rows[:-1]:
        assert [x for x, _ in row] == columns, rows
    # the last row fills the first columns: its gaps are at its end, never in the middle
    assert [x for x, _ in rows[-1]] == columns[:len(rows[-1])], rows
    assert [name for row in rows for _, name in row] == [*NINE[1:], "MINet"]
    if n_datasets == 3:
        assert len(rows) == 2 and len(columns) == 5


def test_nine_methods_png_end_to_end(cli, results, tmp_path):
    run = cli("plot", results, "--out", "pr.png", "--highlight", "MINet", "--csv", "pr.csv")
    assert run.code == 0, run.err
    assert (tmp_path / "pr.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(pd.read_csv(tmp_path / "pr.csv")["method"]) == set(NINE)
