"""Catalogue, second round: hand-edited results, leaderboard CSVs and profile records, odd
options of `table`, `sample`, `train`, and images `predict` would have misread.

Each case used to give a traceback, a silently wrong table or plot, or (`train`) a
checkpoint of NaN weights written over the last good one.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from trust_helpers import digests

from sodbench.demo.baselines import read_rgb8 as baseline_image
from sodbench.errors import SodbenchError

torch = pytest.importorskip("torch")


@pytest.fixture
def results(sample, cli, tmp_path):
    """A results file of GoodNet and WeakNet on the sample, with curves."""
    path = tmp_path / "r.json"
    assert cli("eval", "--gt", sample / "GT", "--pred", f"A={sample}/pred/GoodNet",
               "--pred", f"B={sample}/pred/WeakNet", "--json", path, "--no-cache").code == 0
    return path


def _edited(path, name, edit):
    document = json.loads(path.read_text())
    edit(document["entries"][0])
    out = path.with_name(name)
    out.write_text(json.dumps(document))
    return out


def _set(key, value):
    return lambda entry: entry.update({key: value})


def _metric(key, value):
    return lambda entry: entry["metrics"].update({key: value})


def _curve(key, value):
    return lambda entry: entry["curves"].update({key: value})


@pytest.mark.parametrize("edit, problem", [
    (_metric("MAE", 1e308), "MAE = 1e+308, outside [0, 1]"),        # used to rank second
    (_metric("Sm", 91.2), "Sm = 91.2, outside [0, 1]"),              # a percentage
    (_metric("MAE", 10 ** 400), "not numbers"),                       # OverflowError
    (_curve("precision", [0.5] * 100), "different lengths"),          # ValueError in plot
    (_curve("threshold", list(range(100))), "different lengths"),
    (_curve("precision", ["a"] * 256), "curve \"precision\" that is not a list of numbers"),
    (_curve("recall", None), "curve \"recall\" that is not a list of numbers"),
    (_curve("threshold", list(range(255, -1, -1))), "ascending"),    # F plotted mirrored
    (_curve("threshold", [0.5] * 256), "ascending"),                  # silently cast to 0
    (_curve("F", [5.0] * 256), "outside [0, 1]"),
    (lambda e: e["counts"].update(coverage="half"), "counts.coverage"),  # TypeError in table
    (_set("notes", [1, 2]), "notes"),
    (_set("profile", 5), "profile"),
    (_set("dataset", ""), "empty dataset or method name"),           # KeyError in table
    (_set("method", " "), "empty dataset or method name"),           # a row with no name
])
@pytest.mark.parametrize("command", ["table", "plot", "check"])
def test_damaged_results_are_one_line(cli, results, tmp_path, edit, problem, command):
    path = _edited(results, "edited.json", edit)
    before = digests(path, results)
    args = {"table": ["table", path], "plot": ["plot", path, "--out", tmp_path / "f.png"],
            "check": ["check", path, "--baseline", results]}[command]
    run = cli(*args)
    assert run.code == 2
    line = run.error_line()
    assert f"{path}: entry 0" in line and problem in line
    assert digests(path, results) == before
    assert not (tmp_path / "f.png").exists()


def test_provenance_not_an_object(cli, results):
    document = json.loads(results.read_text())
    document["provenance"] = "p"
    results.write_text(json.dumps(document))
    run = cli("table", results)
    assert run.code == 2
    assert f"{results}: \"provenance\" must be an object" in run.error_line()


def test_nan_written_by_python_json_is_a_missing_value(cli, results):
    """`json.dumps` writes NaN for a missing value: read as null, shown as '-'."""
    document = json.loads(results.read_text())
    document["entries"][0]["metrics"]["MAE"] = float("nan")
    results.write_text(json.dumps(document))
    run = cli("table", results, "--columns", "MAE", "--format", "csv")
    assert run.code == 0
    assert run.out.splitlines()[1].startswith("A,,")


@pytest.mark.parametrize("option, message", [
    (["--digits", "99999999999999999999"], "--digits 99999999999999999999: must be 0 to 17"),
    (["--digits", "18"], "--digits 18: must be 0 to 17"),
    (["--columns", ",,,"], "--columns names no column"),
])
def test_table_odd_options(cli, results, tmp_path, option, message):
    run = cli("table", results, *option, "--out", tmp_path / "t.md")
    assert run.code == 2
    assert message in run.error_line()
    assert not (tmp_path / "t.md").exists()


def test_table_same_column_twice_is_one_column(cli, results):
    """`--columns MAE,mae` used to raise a TypeError deep in pandas."""
    run = cli("table", results, "--columns", "MAE,mae", "--format", "csv")
    assert run.code == 0
    assert run.out.splitlines()[0] == "method,sample/MAE,rank sample/MAE"


@pytest.mark.parametrize("text, message", [
    ("", "not a readable leaderboard CSV"),                           # EmptyDataError
    ("method,MAE\n", "no rows"),
    ("method,MAE,MAE\nX,0.1,0.2\n", "column listed twice: MAE"),      # second dropped silently
    ("method,MAE,dataset\nX,0.1,S\nY,0.2,T\n", "column 'dataset' must name one dataset"),
    ("method,MAE,dataset\nX,0.1,\n", "column 'dataset' must name one dataset"),  # "nan"
    ("method,MAE\n,0.1\n", "a row has no method name"),               # a row named "nan"
    ("method,MAE\nX,1e400\n", "not a number or is infinite"),         # ranked as inf
    ("method,Sm\nX,91.2\n", "outside [0, 1]; give metrics as fractions"),  # outranks all
    ("method,Param,MAE\nX,-3,0.1\n", "negative"),
    ("method,Param\nX,1\n", "--leaderboard board: no metric columns"),
])
def test_leaderboard_csvs(cli, results, tmp_path, text, message):
    board = tmp_path / "board.csv"
    board.write_text(text)
    before = digests(board, results)
    run = cli("table", results, "--leaderboard", board, "--allow-partial",
              "--allow-other-conventions", "--out", tmp_path / "t.md")
    assert run.code == 2
    line = run.error_line()
    assert message in line and "board" in line
    assert digests(board, results) == before
    assert not (tmp_path / "t.md").exists()


PROFILE = {"format": "sodbench.profile", "schema": 1, "model": "A", "input_shape": [1, 3, 8, 8],
           "params": {"total": 1000}, "macs": 10, "flops": 20, "paper_compatible_macs": 10,
           "speed": [{"backend": "eager", "batch": 1, "protocol": "latency", "fps": 12.0}],
           "environment": {}}


@pytest.mark.parametrize("change, problem", [
    ({"params": None}, "params.total"),                        # KeyError / TypeError
    ({"params": {"total": "1"}}, "params.total"),
    ({"params": {"total": -5}}, "params.total"),               # printed as -0.00
    ({"paper_compatible_macs": "x"}, "paper_compatible_macs"),
    ({"speed": "fast"}, "speed"),
    ({"speed": [{"fps": "x"}]}, "speed[0].fps"),
    ({"input_shape": 5}, "input_shape"),
    ({"environment": 5}, "environment"),
    ({"model": None}, "model"),
])
def test_damaged_profile_records(cli, results, tmp_path, change, problem):
    record = tmp_path / "p.json"
    record.write_text(json.dumps({**PROFILE, **change}))
    run = cli("table", results, "--profile-json", record)
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: {record}: \"{problem}") and "sodbench profile --json" in line


def test_profile_record_fifo_is_refused_without_blocking(cli, results, tmp_path):
    fifo = tmp_path / "p.json"
    import os
    os.mkfifo(fifo)
    run = cli("table", results, "--profile-json", fifo)
    assert run.code == 2
    assert "FIFO" in run.error_line()


def test_a_good_profile_record_still_fills_the_cost_columns(cli, results, tmp_path):
    record = tmp_path / "p.json"
    record.write_text(json.dumps(PROFILE))
    run = cli("table", results, "--profile-json", record, "--format", "csv")
    assert run.code == 0
    assert run.out.splitlines()[1].startswith("A,0.001,")


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "-1 is not in the range x>=0"),       # numpy ValueError
    (["--size", "100000"], "100000 is not in the range"),    # 149 GiB MemoryError
])
def test_sample_odd_values(cli, tmp_path, args, message):
    run = cli("sample", "--out", tmp_path / "s", *args)
    assert run.code == 2
    assert message in run.err and "Traceback" not in run.err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "seed -1"), ({"size": 5000}, "size 5000"), ({"n_images": 0}, "n_images 0"),
])
def test_sample_library_names_the_argument(tmp_path, kwargs, message):
    from sodbench.demo.sample import generate

    with pytest.raises(SodbenchError, match=message):
        generate(tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("args, message", [
    (["--lr", "nan"], "--lr nan: the learning rate must be a positive number"),
    (["--lr", "-1"], "--lr -1: the learning rate must be a positive number"),
    (["--seed", "-1"], "--seed -1: the seed must be 0 or more"),
])
def test_train_odd_values_before_the_work(cli, sample, tmp_path, args, message):
    before = digests(sample)
    run = cli("train", "--data", sample, "--out", tmp_path / "t", "--epochs", "1",
              "--size", "32", "--crop", "32", *args)
    assert run.code == 2
    assert message in run.error_line()
    assert not (tmp_path / "t").exists()
    assert digests(sample) == before


def test_train_divergence_keeps_the_last_good_checkpoint(cli, sample, tmp_path):
    """--lr 1e30 used to end in a RuntimeError of binary_cross_entropy (NaN predictions)."""
    out = tmp_path / "t"
    run = cli("train", "--data", sample, "--out", out, "--epochs", "2", "--size", "32",
              "--crop", "32", "--lr", "1e30", "--threads", "1")
    assert run.code == 2
    assert "training diverged" in run.error_line() and "lower --lr" in run.error_line()
    state = torch.load(out / "last.pth", weights_only=False)
    assert state["epoch"] == 1
    assert all(torch.isfinite(value).all() for value in state["state_dict"].values()
               if value.is_floating_point())


def test_train_resume_of_a_damaged_checkpoint(cli, sample, tmp_path):
    out = tmp_path / "t"
    out.mkdir()
    (out / "last.pth").write_bytes(b"junk")
    run = cli("train", "--data", sample, "--out", out, "--epochs", "1", "--size", "32",
              "--crop", "32", "--resume")
    assert run.code == 2
    assert f"{out / 'last.pth'} is not a readable `sodbench train` checkpoint" in run.error_line()
    assert (out / "last.pth").read_bytes() == b"junk"


def test_predict_cuda_without_gpu_before_the_work(cli, sample, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    run = cli("predict", "--weights", "demo", "--images", sample / "Img", "--out",
              tmp_path / "maps", "--device", "cuda")
    assert run.code == 2
    assert "--device cuda" in run.error_line()
    assert not (tmp_path / "maps").exists()


def _ramp16():
    return np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)


def test_predict_reads_big_endian_16_bit_without_clipping(tmp_path):
    """A 16-bit TIFF (mode I;16B) used to be clipped at 255: a saturated model input."""
    from minet_ref.predict import read_image

    path = tmp_path / "x.tif"
    Image.frombytes("I;16B", (32, 32), _ramp16().astype(">u2").tobytes()).save(path)
    np.testing.assert_array_equal(read_image(path), _ramp16())


def test_predict_refuses_float_images(tmp_path):
    """A float image in [0, 1] used to be rounded to 0 or 1 (an almost black input)."""
    from minet_ref.predict import read_image

    path = tmp_path / "x.tif"
    Image.fromarray(np.full((8, 8), 0.5, np.float32)).save(path)
    with pytest.raises(SodbenchError, match="32-bit float image"):
        read_image(path)


def test_baseline_scales_16_bit_images(tmp_path):
    """The FT baseline's reader used to clip 16-bit images at 255."""
    path = tmp_path / "x.png"
    Image.fromarray(_ramp16()).save(path)
    image = baseline_image(path)
    assert image.dtype == np.uint8 and image.shape == (32, 32, 3)
    np.testing.assert_array_equal(image[..., 0], np.round(_ramp16() / 257).astype(np.uint8))


@pytest.mark.parametrize("name", [r"$\foo$", "$x^2$", "_mine"])
def test_plot_names_are_drawn_as_written(cli, results, tmp_path, name):
    """`$\\foo$` used to be a mathtext ParseFatalException on save, `$x^2$` drawn as a formula,
    and `_mine` left out of the legend (matplotlib hides labels starting with "_")."""
    from sodbench.reports import plots

    document = json.loads(results.read_text())
    document["entries"][0]["method"] = document["entries"][0]["dataset"] = name
    results.write_text(json.dumps(document))
    run = cli("plot", results, "--out", tmp_path / "f.png")
    assert run.code == 0, run.err
    assert (tmp_path / "f.png").stat().st_size > 0
    figure = plots.plot_curves(plots.curve_frame(results, "pr"), "pr")
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    assert legend == [name.replace("$", r"\$"), "B"]
    assert figure.axes[0].get_title() == name.replace("$", r"\$")


def test_e_measure_above_one_on_tiny_maps_is_read_back(cli, tmp_path):
    """E-measure reaches N / (N - 1) on an N-pixel map (the reference's arithmetic: a perfect
    2 x 2 map scores 4/3), so a results file of tiny maps holds E > 1: the reader's range
    check must accept it."""
    import numpy as np
    from PIL import Image

    for folder in ("GT", "P"):
        (tmp_path / folder).mkdir()
    Image.fromarray(np.array([[255, 0], [0, 0]], np.uint8)).save(tmp_path / "GT" / "a.png")
    Image.fromarray(np.array([[255, 0], [0, 0]], np.uint8)).save(tmp_path / "P" / "a.png")
    run = cli("eval", "--gt", tmp_path / "GT", "--pred", f"A={tmp_path / 'P'}", "--json",
              tmp_path / "r.json", "--no-cache", "--quiet")
    assert run.code == 0, run.err
    document = json.loads((tmp_path / "r.json").read_text())
    assert max(document["entries"][0]["curves"]["E"]) > 1
    assert cli("table", tmp_path / "r.json", "--columns", "maxE,MAE").code == 0
    assert cli("plot", tmp_path / "r.json", "--kind", "em", "--out", tmp_path / "e.png").code == 0
