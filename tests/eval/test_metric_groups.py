"""`sodbench eval --metrics GROUP`, `--skip-empty-gt` and `--images` end to end: each group
gives exactly its keys, the numbers are the Evaluator's on the same arrays, empty GT masks are
left out as asked, and CCM gets each pair's RGB image."""

from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner
from eval_helpers import InProcess
from PIL import Image

from sodbench import evaluate
from sodbench.cli import cli, main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator
from sodbench.folders.exports import TABLE_WIDTH, TERMINAL_METRICS, terminal_table
from sodbench.folders.images import read_map, read_rgb
from sodbench.folders.results import load_results
from sodbench.metrics.keys import GROUPS, expand

NAMES = ["In_1", "In_2", "Pa_1", "Pa_2", "Sc_1", "Sc_2"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SODBENCH_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """6 synthetic 24x24 pairs (GT/, Img/ grey BMP, pred/GoodNet/, pred/WeakNet/); read-only
    by convention: tests that change files copy it (:func:`_copy`)."""
    return generate(tmp_path_factory.mktemp("groups") / "s", n_images=6, size=24, seed=3)


def _copy(dataset, target):
    for path in dataset.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(dataset)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())
    return target


def _eval(dataset, out, *extra, method="GoodNet", jobs=("--jobs", "1")):
    """``sodbench eval`` through click's CliRunner; returns (exit code, output, document).
    Give ``jobs=()`` with the ``run_arguments`` executor."""
    args = ["eval", "--gt", str(dataset / "GT"), "--pred", f"{method}={dataset / 'pred' / method}",
            "--json", str(out), *jobs, *extra]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    document = load_results(out) if result.exit_code == 0 else None
    return result.exit_code, result.output, document


def _arrays(dataset, method="GoodNet", names=NAMES):
    gts = [read_map(dataset / "GT" / f"{name}.png") for name in names]
    preds = [read_map(next((dataset / "pred" / method).glob(f"{name}.*"))) for name in names]
    images = [read_rgb(next((dataset / "Img").glob(f"{name}.*"))) for name in names]
    return np.stack(preds), np.stack(gts), np.stack(images)


def _reference(dataset, metrics, names=NAMES, method="GoodNet") -> dict:
    """The Evaluator fed the same arrays (with their RGB images), one batch."""
    pred, gt, images = _arrays(dataset, method, names)
    evaluator = Evaluator(metrics=metrics, threads=1)
    evaluator.update(pred, gt, names=names, batch=True, image=images)
    scores = evaluator.compute()
    scores.pop("curves")
    return scores


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_yields_exactly_its_keys(dataset, tmp_path, group):
    images = ["--images", str(dataset / "Img")] if "CCM" in GROUPS[group] else []
    code, output, document = _eval(dataset, tmp_path / "r.json", "--metrics", group,
                                   "--no-cache", "--quiet", *images)
    assert code == 0, output
    [entry] = document["entries"]
    # exactly the group's keys, in table order
    assert sorted(entry["metrics"]) == sorted(GROUPS[group])
    assert list(entry["metrics"]) == list(expand([group]))
    assert document["provenance"]["options"]["metrics"] == list(entry["metrics"])
    if group == "all":  # every key, equal to the Evaluator's on the same arrays and images
        assert entry["metrics"] == pytest.approx(_reference(dataset, "all"), abs=1e-12)
        assert entry["paths"]["images"] == str(dataset / "Img")
        assert all(len(values) == 256 for values in entry["curves"].values())
        assert "MSIoU" not in entry["curves"] and "Kappa" in entry["curves"]


def test_no_metrics_is_the_default_group_and_its_usual_table(dataset, tmp_path):
    code, output, document = _eval(dataset, tmp_path / "r.json", "--no-cache")
    assert code == 0
    [entry] = document["entries"]
    assert list(entry["metrics"]) == list(GROUPS["default"])
    assert document["provenance"]["options"]["metrics"] == list(GROUPS["default"])
    header = output.splitlines()[0].split()
    assert [key.rstrip("↑↓") for key in header[3:]] == list(TERMINAL_METRICS)


def test_groups_and_keys_mixed_any_case_and_aliases(dataset, tmp_path):
    code, output, document = _eval(dataset, tmp_path / "r.json", "--metrics", "dis,IoU",
                                   "--no-cache", "--quiet")
    assert code == 0, output
    expected = ("MAE", "Sm", "wF", "maxF", "meanE", "IoU", "HCE")  # table order
    assert tuple(document["entries"][0]["metrics"]) == expected
    assert document["provenance"]["options"]["metrics"] == list(expected)
    assert document["entries"][0]["metrics"] == pytest.approx(_reference(dataset, expected),
                                                              abs=1e-12)
    code, _, again = _eval(dataset, tmp_path / "r2.json", "--metrics", " DIS , iou,WFM,hce",
                           "--no-cache", "--quiet")
    assert code == 0 and again["entries"][0]["metrics"] == document["entries"][0]["metrics"]


def test_a_key_set_wider_than_the_terminal_is_printed_in_blocks():
    keys = GROUPS["all"]
    entries = [{"dataset": "d", "method": method, "counts": {"n_evaluated": 3, "n_gt": 3},
                "metrics": dict.fromkeys(keys, 0.5)} for method in ("A", "LongMethodName")]
    table = terminal_table(entries, keys)
    blocks = table.split("\n\n")
    assert len(blocks) > 5 and all(len(line) <= TABLE_WIDTH for line in table.splitlines())
    headers = [key.rstrip("↑↓") for block in blocks for key in block.splitlines()[0].split()[3:]]
    assert headers == list(keys)
    assert all(len(block.splitlines()) == 4 for block in blocks)  # header, rule, two rows
    assert "odsT" in headers and "odsT↑" not in table  # informational: no arrow
    assert terminal_table(entries[:1], ["MAE", "Sm"]).count("\n") == 2


def _empty_two_gts(dataset, target):
    sample = _copy(dataset, target)
    for name in ("Pa_1", "Sc_2"):
        gt = read_map(sample / "GT" / f"{name}.png")
        Image.fromarray(np.zeros_like(gt)).save(sample / "GT" / f"{name}.png")
    return sample


def test_skip_empty_gt_leaves_them_out_for_every_method(dataset, tmp_path, run_arguments):
    sample = _empty_two_gts(dataset, tmp_path / "s")
    executor = run_arguments["executor"] = InProcess()
    args = ["eval", "--gt", str(sample / "GT"), "--json", str(tmp_path / "r.json"), "--quiet",
            "--pred", f"G={sample / 'pred' / 'GoodNet'}", "--pred", f"W={sample / 'pred/WeakNet'}"]
    runner = CliRunner()
    # today's rule by default: scored, and noted
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    default = load_results(tmp_path / "r.json")
    for entry in default["entries"]:
        assert "2 GT masks are empty (all background); evaluated: Pa_1.png, Sc_2.png" in (
            entry["notes"])
        assert entry["counts"]["n_evaluated"] == 6 and entry["counts"]["n_empty_skipped"] == 0
    assert default["provenance"]["options"]["skip_empty_gt"] is False
    scored = len(executor.units)
    result = runner.invoke(cli, [*args, "--skip-empty-gt"], catch_exceptions=False)
    assert result.exit_code == 0
    assert len(executor.units) > scored  # the cached entries without the rule are not reused
    document = load_results(tmp_path / "r.json")
    assert document["provenance"]["options"]["skip_empty_gt"] is True
    kept = [name for name in NAMES if name not in ("Pa_1", "Sc_2")]
    for entry, method in zip(document["entries"], ("GoodNet", "WeakNet"), strict=True):
        assert entry["metrics"] == _reference(sample, GROUPS["default"], kept, method)
        assert ("2 GT masks are empty after the GT threshold and were left out (for every "
                "method; --skip-empty-gt): Pa_1.png, Sc_2.png") in entry["notes"]
        counts = entry["counts"]
        assert (counts["n_evaluated"], counts["n_gt"], counts["coverage"]) == (4, 4, 1.0)
        assert counts["n_empty_skipped"] == 2 and counts["n_unreadable"] == 0
    assert "warning: s/G: 2 GT masks are empty after the GT threshold" in result.stderr
    # the same from Python
    # (run_arguments gives evaluate its executor too)
    api = evaluate(sample / "GT", {"G": sample / "pred" / "GoodNet"}, skip_empty_gt=True)
    assert api["entries"][0]["metrics"] == document["entries"][0]["metrics"]


def test_skip_empty_gt_covers_emptied_masks_that_are_allowed(dataset, tmp_path):
    sample = _copy(dataset, tmp_path / "s")
    gt = read_map(sample / "GT" / "In_2.png")
    Image.fromarray((gt > 0).astype(np.uint8) * 128).save(sample / "GT" / "In_2.png")
    code, _, document = _eval(sample, tmp_path / "r.json", "--skip-empty-gt", "--no-cache",
                              "--quiet", "--allow-emptied-gt")
    assert code == 0
    entry = document["entries"][0]
    assert entry["counts"]["n_empty_skipped"] == 1 and entry["counts"]["n_evaluated"] == 5
    # not allowed: still the emptied-mask error, which names both flags' reason
    assert main(["eval", "--gt", str(sample / "GT"), "--pred",
                 f"G={sample / 'pred' / 'GoodNet'}", "--skip-empty-gt", "--no-cache",
                 "--jobs", "1"]) == 2


def test_every_gt_empty_under_skip_is_one_line(dataset, tmp_path, capsys):
    sample = _copy(dataset, tmp_path / "s")
    for path in (sample / "GT").iterdir():
        Image.fromarray(np.zeros((24, 24), np.uint8)).save(path)
    assert main(["eval", "--gt", str(sample / "GT"), "--pred",
                 f"G={sample / 'pred' / 'GoodNet'}", "--skip-empty-gt", "--no-cache",
                 "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(6 empty GT masks were left out by --skip-empty-gt)" in err


def test_images_reach_ccm_paired_by_name(dataset, tmp_path, run_arguments):
    sample = _copy(dataset, tmp_path / "s")
    for path in list((sample / "Img").iterdir()):  # other formats and modes, same pixels
        grey = np.asarray(Image.open(path))
        path.unlink()
        if path.stem == "In_1":
            Image.fromarray(np.dstack([grey] * 3 + [np.full_like(grey, 7)])).save(
                path.with_suffix(".png"))
        elif path.stem == "Pa_2":
            Image.fromarray(grey).convert("P").save(path.with_suffix(".png"))
        else:
            Image.fromarray(grey).save(path.with_suffix(".jpg" if "Sc" in path.stem else ".png"))
    executor = run_arguments["executor"] = InProcess()
    out = tmp_path / "r.json"
    code, output, document = _eval(sample, out, "--metrics", "MAE,CCM", "--images",
                                   str(sample / "Img"), "--quiet", jobs=())
    assert code == 0, output
    assert document["entries"][0]["metrics"] == pytest.approx(
        _reference(sample, ["MAE", "CCM"]), abs=1e-12)
    assert document["entries"][0]["paths"]["images"] == str(sample / "Img")
    # the images are in the cache key when CCM reads them
    assert len(executor.units) == 1
    assert _eval(sample, out, "--metrics", "MAE,CCM", "--images", str(sample / "Img"),
                 "--quiet", jobs=())[0] == 0
    assert len(executor.units) == 1
    image = sample / "Img" / "Pa_2.png"
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    assert _eval(sample, out, "--metrics", "MAE,CCM", "--images", str(sample / "Img"),
                 "--quiet", jobs=())[0] == 0
    assert len(executor.units) == 2


def test_images_without_ccm_are_accepted_and_unused(dataset, tmp_path, capsys):
    sample = _copy(dataset, tmp_path / "s")
    (sample / "Img" / "In_1.bmp").write_bytes(b"not an image")  # never read
    assert main(["eval", "--gt", str(sample / "GT"), "--pred",
                 f"G={sample / 'pred' / 'GoodNet'}", "--images", str(sample / "Img"),
                 "--metrics", "MAE", "--json", str(tmp_path / "r.json"), "--quiet",
                 "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert err == ("warning: --images is unused: no chosen metric reads the RGB images (CCM "
                   "does)\n")
    entry = load_results(tmp_path / "r.json")["entries"][0]
    assert "images" not in entry["paths"]


def test_read_rgb_converts_grey_alpha_palette_and_refuses_16_bit(tmp_path):
    grey = np.arange(48, dtype=np.uint8).reshape(6, 8) * 5
    rgb = np.dstack([grey, 255 - grey, grey // 2])
    cases = {
        "grey.png": (Image.fromarray(grey), np.dstack([grey] * 3)),
        "rgba.png": (Image.fromarray(np.dstack([rgb, grey])), rgb),
        "la.png": (Image.fromarray(np.dstack([grey, grey])), np.dstack([grey] * 3)),
        "one.png": (Image.fromarray(grey > 100), np.dstack([(grey > 100) * np.uint8(255)] * 3)),
        "rgb.bmp": (Image.fromarray(rgb), rgb),
    }
    for name, (image, expected) in cases.items():
        image.save(tmp_path / name)
        array = read_rgb(tmp_path / name)
        assert array.dtype == np.uint8 and np.array_equal(array, expected), name
    Image.fromarray(rgb).convert("P").save(tmp_path / "p.png")
    palette = read_rgb(tmp_path / "p.png")
    assert palette.shape == (6, 8, 3)
    assert np.array_equal(palette, np.asarray(Image.open(tmp_path / "p.png").convert("RGB")))
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    with pytest.raises(SodbenchError, match="deep.png: a 16- or 32-bit integer image"):
        read_rgb(tmp_path / "deep.png")


def test_config_groups_skip_and_images(dataset, tmp_path):
    config = tmp_path / "bench.toml"
    config.write_text(f"""
[options]
metrics = ["dis", "ccm"]
skip_empty_gt = true
json = "out/r.json"
jobs = 1
cache = false
quiet = true

[[dataset]]
name = "S"
gt = "{dataset / 'GT'}"
images = "{dataset / 'Img'}"
[dataset.pred]
G = "{dataset / 'pred' / 'GoodNet'}"
""")
    assert main(["eval", "--config", str(config)]) == 0
    document = load_results(tmp_path / "out" / "r.json")
    assert tuple(document["entries"][0]["metrics"]) == (*expand(["dis"]), "CCM")
    assert document["provenance"]["options"]["skip_empty_gt"] is True
    assert document["entries"][0]["paths"]["images"] == str(dataset / "Img")
