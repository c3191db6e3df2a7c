"""``sodbench figure`` (#14): the picked names against independent computations, the grid
(axes, titles, grey range, row labels, long titles that never overlap), the written files
(PDF with TrueType fonts only, PNG of width x dpi pixels), and every error, on the synthetic
sample."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders.images import read_map
from sodbench.folders.pairing import natural_key
from sodbench.reports import figure

METHODS = ["GoodNet", "WeakNet"]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """9 images (In/Pa/Sc 1..3) of 32 px, and their per-image CSV from sodbench eval."""
    root = tmp_path_factory.mktemp("figure")
    data = generate(root / "sample", n_images=9, size=32, seed=3)
    csv = root / "per_image.csv"
    assert main(["eval", "--gt", str(data / "GT"), "--dataset", "S",
                 *(f"--pred={m}={data / 'pred' / m}" for m in METHODS),
                 "--metrics", "MAE,wF,Sm", "--per-image", str(csv), "--quiet"]) == 0
    return data, csv


def preds(data, names=METHODS):
    return {name: data / "pred" / name for name in names}


def rows_of(data, names, methods=METHODS):
    folders = figure.list_folders(data / "Img", data / "GT", preds(data, methods))
    return figure.read_rows(folders, names)


def args(data, out, *extra):
    return ["figure", "--images", str(data / "Img"), "--gt", str(data / "GT"),
            *(f"--pred={m}={data / 'pred' / m}" for m in METHODS), "--out", str(out), *extra]


@pytest.mark.parametrize(("metric", "by"), [("wF", None), ("MAE", None), ("Sm", "WeakNet")])
def test_worst_equals_pandas(sample, metric, by):
    data, csv = sample
    scores = figure.worst_scores(csv, metric, METHODS, by=by)
    frame = pd.read_csv(csv, dtype={"name": str})
    table = frame.pivot(index="name", columns="method", values=metric)
    expected = table[by] if by else table[METHODS].mean(axis=1)
    expected = expected.sort_values(ascending=metric != "MAE")  # worst first
    assert list(scores) == list(expected.index)
    assert np.allclose(list(scores.values()), expected.to_numpy(), rtol=0, atol=1e-12)
    assert figure.pick_names("worst", scores=scores, rows=3) == list(expected.index[:3])


def test_random_is_reproducible_and_seeded(sample):
    data, _ = sample
    candidates = figure.list_folders(data / "Img", data / "GT", preds(data)).common()
    assert candidates == sorted(candidates, key=natural_key) and len(candidates) == 9
    first = figure.pick_names("random", candidates=candidates, rows=4, seed=1)
    assert first == figure.pick_names("random", candidates=candidates, rows=4, seed=1)
    others = {tuple(figure.pick_names("random", candidates=candidates, rows=4, seed=seed))
              for seed in range(2, 6)}
    assert others - {tuple(first)}
    assert set(first) <= set(candidates) and len(set(first)) == 4
    assert first == sorted(first, key=natural_key)


def test_explicit_names_keep_their_order(sample, tmp_path):
    data, _ = sample
    out, picked = figure.make_figure(data / "Img", data / "GT", preds(data),
                                     tmp_path / "f.png", pick=["Sc_2", "In_1", "Pa_3"], dpi=50)
    assert picked == ["Sc_2", "In_1", "Pa_3"] and out.is_file()
    grid = figure.draw_grid(rows_of(data, picked), ["Image", "GT", *METHODS])
    labels = [text.get_text() for axes in grid.axes for text in axes.texts]
    assert labels == picked


def test_grid_axes_titles_and_grey_maps(sample):
    data, _ = sample
    names = ["In_1", "Pa_1", "Sc_1"]
    grid = figure.draw_grid(rows_of(data, names), ["Image", "GT", "A", "B"], labels=False)
    assert len(grid.axes) == len(names) * (2 + len(METHODS))
    assert [axes.get_title() for axes in grid.axes[:4]] == ["Image", "GT", "A", "B"]
    assert all(axes.get_title() == "" for axes in grid.axes[4:])
    assert all(not axes.axison and not axes.texts for axes in grid.axes)
    for row, name in enumerate(names):
        cells = grid.axes[4 * row: 4 * row + 4]
        files = [data / "GT" / f"{name}.png", data / "pred" / "GoodNet" / f"{name}.png",
                 data / "pred" / "WeakNet" / f"{name}.jpg"]
        for axes, path in zip(cells[1:], files, strict=True):
            (shown,) = axes.get_images()
            assert shown.get_cmap().name == "gray" and shown.get_clim() == (0, 255)
            np.testing.assert_array_equal(shown.get_array(), read_map(path))


def test_titles_are_method_names_or_renamed(sample, tmp_path):
    data, _ = sample
    grid = figure.draw_grid(rows_of(data, ["In_1"]), ["Image", "GT", *METHODS])
    assert [axes.get_title() for axes in grid.axes] == ["Image", "GT", *METHODS]
    assert main(args(data, tmp_path / "f.png", "--pick", "In_1,", "--names",
                     "WeakNet=Weak", "--dpi", "50")) == 0


def _title_boxes(grid):
    renderer = grid.canvas.get_renderer()
    return [axes.title.get_window_extent(renderer) for axes in grid.axes
            if axes.get_title()], renderer


@pytest.mark.parametrize("width", [figure.IEEE_SINGLE_COLUMN, figure.IEEE_DOUBLE_COLUMN])
def test_long_titles_never_overlap(sample, width):
    data, _ = sample
    long = ["MultiScaleInteractiveNetwork", "edge_guided_refinement_v2",
            "Supercalifragilisticexpialidociousnet", "X", "A much longer name with spaces"]
    row = rows_of(data, ["Pa_2"])[0]
    row = row._replace(maps=[row.maps[0]] * len(long))
    grid = figure.draw_grid([row, row], ["Image", "GT", *long], width=width)
    boxes, _ = _title_boxes(grid)
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left.x1 <= right.x0
    for box, axes in zip(boxes, grid.axes, strict=False):
        cell = axes.get_window_extent()
        assert cell.x0 - 1 <= box.x0 and box.x1 <= cell.x1 + 1
        assert box.y1 <= grid.bbox.y1 + 0.5  # inside the figure, not cut off at the top
    shown = [axes.get_title() for axes in grid.axes[:len(long) + 2]]
    assert ["".join(title.split()) for title in shown[2:]] == ["".join(n.split()) for n in long]
    assert shown[:2] == ["Image", "GT"] and shown[5] == "X"
    sizes = {axes.title.get_fontsize() for axes in grid.axes if axes.get_title()}
    if width == figure.IEEE_DOUBLE_COLUMN:  # shrunk a little and wrapped once
        assert all(title.count("\n") <= 1 for title in shown) and sizes == {7.0}
    else:  # 5 pt and wrapped at the natural breaks first
        assert sizes == {5.0} and shown[2] == "MultiScale\nInteractive\nNetwork"


def test_maps_of_other_sizes_shown_at_the_gt_size(sample, tmp_path):
    data, _ = sample
    big = tmp_path / "big"
    shutil.copytree(data / "pred" / "GoodNet", big)
    Image.open(big / "In_1.png").resize((64, 48)).save(big / "In_1.png")
    folders = figure.list_folders(data / "Img", data / "GT", {"Big": big})
    (row,) = figure.read_rows(folders, ["In_1"])
    assert row.maps[0].shape == row.gt.shape == (32, 32)


def test_pdf_has_truetype_fonts_only(sample, tmp_path):
    data, csv = sample
    assert main(args(data, tmp_path / "f.pdf", "--per-image", str(csv), "--rows", "2")) == 0
    content = (tmp_path / "f.pdf").read_bytes()
    assert content.startswith(b"%PDF") and b"/Type3" not in content
    assert b"/CIDFontType2" in content or b"/TrueType" in content


@pytest.mark.parametrize(("width", "dpi"), [(3.5, 100), (7.16, 150)])
def test_png_is_width_times_dpi(sample, tmp_path, width, dpi):
    data, _ = sample
    out, _ = figure.make_figure(data / "Img", data / "GT", preds(data), tmp_path / "f.png",
                                pick="random", rows=3, width=width, dpi=dpi)
    with Image.open(out) as image:
        assert image.size[0] == round(width * dpi)
        assert image.size[1] > 3 * image.size[0] / 4  # three rows of four square cells


def test_cli_end_to_end(sample, tmp_path, capsys):
    data, csv = sample
    assert main(args(data, tmp_path / "f.svg", "--per-image", str(csv), "--metric", "MAE",
                     "--by", "WeakNet", "--rows", "2")) == 0
    scores = figure.worst_scores(csv, "MAE", METHODS, by="WeakNet")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [str(tmp_path / "f.svg"), f"rows: {', '.join(list(scores)[:2])}"]
    assert (tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")


@pytest.fixture
def holed(sample, tmp_path):
    """WeakNet's folder without Pa_2."""
    data, _ = sample
    folder = tmp_path / "weak"
    shutil.copytree(data / "pred" / "WeakNet", folder)
    (folder / "Pa_2.jpg").unlink()
    return folder


ERRORS = [
    (["--pick", "random", "--rows", "0"], "--rows 0: give a whole number of at least 1"),
    (["--pick", "random", "--rows", "10"], "--rows 10: there are only 9 images"),
    (["--pick", "In_1,Nope"], "the GT folder"),
    (["--pick", "In_1,In_1"], "--pick In_1,In_1: In_1 named twice"),
    (["--pick", ","], "--pick holds an empty name"),
    (["--pick", "In_1,Pa_1", "--rows", "3"], "--rows 3: 2 names were picked"),
    (["--pick", "worst"], "--pick worst needs --per-image"),
    (["--pick", "random", "--per-image", "CSV"],
     "--per-image, --metric, --by, --dataset and --subset"),
    (["--pick", "random", "--subset", "Sc"], "rank images for --pick worst only"),
    (["--per-image", "CSV", "--metric", "maxF"], "--metric maxF: not a per-image column"),
    (["--per-image", "CSV", "--by", "Other"], "--by Other: not a shown method"),
    (["--per-image", "CSV", "--dataset", "Other"], "--dataset Other: not in"),
    (["--pick", "sideways"], "the GT folder"),
    (["--pick", "In_1,", "--names", "Other=X"], "--names Other: not a method"),
    (["--pick", "In_1,", "--names", "Other"], "--names 'Other': write it as METHOD=TITLE"),
    (["--pick", "In_1,", "--width", "0.2"], "--width 0.2: give inches"),
    (["--pick", "In_1,", "--dpi", "10"], "--dpi 10: give a whole number"),
    (["--pick", "In_1,", "--pred", "broken"], "--pred 'broken': write it as NAME=DIR"),
]


@pytest.mark.parametrize(("extra", "message"), ERRORS)
def test_errors_are_one_line(sample, tmp_path, capsys, extra, message):
    data, csv = sample
    extra = [str(csv) if value == "CSV" else value for value in extra]
    assert main(args(data, tmp_path / "f.png", *extra)) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and message in error
    assert not (tmp_path / "f.png").exists()


def test_unknown_name_names_the_folder_and_the_name(sample, tmp_path, capsys):
    data, _ = sample
    assert main(args(data, tmp_path / "f.png", "--pick", "In_1,Nope")) == 2
    error = capsys.readouterr().err
    assert f"the GT folder {data / 'GT'}: no file named 'Nope'" in error


def test_method_without_a_picked_file(sample, holed, tmp_path):
    data, _ = sample
    with pytest.raises(SodbenchError, match=r"prediction folder of WeakNet .*: no file named "
                                            r"'Pa_2'"):
        figure.make_figure(data / "Img", data / "GT", {"GoodNet": data / "pred" / "GoodNet",
                                                       "WeakNet": holed},
                           tmp_path / "f.png", pick=["In_1", "Pa_2"])
    # random draws only among the names every folder holds
    folders = figure.list_folders(data / "Img", data / "GT", {"WeakNet": holed})
    assert "Pa_2" not in folders.common() and len(folders.common()) == 8


@pytest.mark.parametrize("out", ["f.txt", "GT/f.png"])
def test_bad_outputs_refused_before_work(sample, tmp_path, capsys, out):
    data, _ = sample
    target = data / out if "/" in out else tmp_path / out
    assert main(args(data, target, "--pick", "In_1,")) == 2
    assert "--out" in capsys.readouterr().err and not target.exists()


def test_worst_ranking_errors(sample, tmp_path):
    data, csv = sample
    frame = pd.read_csv(csv, dtype={"name": str})
    twice = tmp_path / "twice.csv"
    pd.concat([frame, frame.head(1)]).to_csv(twice, index=False)
    with pytest.raises(SodbenchError, match="lists the image In_1 twice"):
        figure.worst_scores(twice, "wF", METHODS)
    two = tmp_path / "two.csv"
    pd.concat([frame, frame.assign(dataset="T")]).to_csv(two, index=False)
    with pytest.raises(SodbenchError, match="holds 2 datasets"):
        figure.worst_scores(two, "wF", METHODS)
    assert len(figure.worst_scores(two, "wF", METHODS, dataset="T")) == 9
    with pytest.raises(SodbenchError, match="no rows for the method Other"):
        figure.worst_scores(csv, "wF", [*METHODS, "Other"])


def test_worst_within_a_subset(sample, tmp_path, capsys):
    """--subset ranks the images of one subset of the CSV (the worst scratches)."""
    data, _ = sample
    csv = tmp_path / "classes.csv"
    assert main(["eval", "--gt", str(data / "GT"), "--dataset", "S",
                 *(f"--pred={m}={data / 'pred' / m}" for m in METHODS), "--metrics", "wF",
                 "--subset-preset", "sd-saliency-900", "--per-image", str(csv), "--quiet",
                 "--no-cache"]) == 0
    scores = figure.worst_scores(csv, "wF", METHODS, subset="Sc")
    frame = pd.read_csv(csv, dtype={"name": str})
    frame = frame[frame["subsets"] == "Sc"]
    expected = frame.pivot(index="name", columns="method", values="wF")[METHODS].mean(axis=1)
    assert list(scores) == list(expected.sort_values().index)
    out = tmp_path / "f.png"
    assert main(args(data, out, "--per-image", str(csv), "--subset", "Sc", "--rows", "2",
                     "--dpi", "50")) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"rows: {', '.join(list(scores)[:2])}"
    assert main(args(data, out, "--per-image", str(csv), "--subset", "Zz")) == 2
    assert "--subset Zz: no image of" in capsys.readouterr().err
