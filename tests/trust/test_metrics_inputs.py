"""Catalogue: bad inputs of the metric selection and of the RGB images (``--metrics`` groups,
``--images`` for CCM, the ``cv`` extra).

Each is refused in one line before the work (an unknown group, CCM without images, a missing
extra, an output in the image folder) or names the image at fault (another size than its GT,
an unreadable file), and leaves every input as it was.
"""

from __future__ import annotations

import json
import sys

import pytest
from PIL import Image
from trust_helpers import digests, one_line_error

from sodbench import evaluate
from sodbench.errors import SodbenchError
from sodbench.folders import evaluation
from sodbench.folders.results import dump_results, load_results
from sodbench.metrics.extras import missing_extra
from sodbench.metrics.keys import GROUPS


def _args(sample, *extra):
    return ["eval", "--gt", sample / "GT", "--pred", f"GoodNet={sample / 'pred' / 'GoodNet'}",
            "--json", "r.json", "--quiet", "--no-cache", "--jobs", "1", *extra]


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the evaluation starts: these refusals come before any image is read."""
    def refuse(*args, **kwargs):
        raise AssertionError("the evaluation ran before the metric selection was checked")
    monkeypatch.setattr(evaluation, "run", refuse)


def test_an_unknown_group_or_key_is_one_line_listing_the_groups(cli, sample, tmp_path, no_work):
    before = digests(sample)
    run = cli(*_args(sample, "--metrics", "dis,defects"))
    assert run.code == 2
    assert run.error_line() == (
        "error: --metrics 'dis,defects': unknown metric 'defects': name keys (docs/metrics.md) "
        "or groups (default, pysodmetrics, defect, dis, all)")
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\nmetrics = ["DIS", "nope"]\n[[dataset]]\nname = "x"\n'
                      f'gt = "{sample}/GT"\n[dataset.pred]\nA = "{sample}/pred/GoodNet"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line().startswith(f"error: {config}: [options]: key 'metrics': unknown "
                                       "metric 'nope'")
    message = one_line_error(lambda: evaluate(sample / "GT", {"A": sample / "pred/GoodNet"},
                                              metrics=["dis", "nope"], jobs=1))
    assert "groups (default, pysodmetrics, defect, dis, all)" in message
    assert digests(sample) == before and not (tmp_path / "r.json").exists()


def test_ccm_without_images_is_refused_before_the_work(cli, sample, tmp_path, no_work):
    run = cli(*_args(sample, "--metrics", "MAE,ccm"))
    assert run.code == 2
    assert run.error_line() == "error: CCM needs the RGB images: add --images DIR"
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\nmetrics = "CCM"\n[[dataset]]\nname = "x"\n'
                      f'gt = "{sample}/GT"\n[dataset.pred]\nA = "{sample}/pred/GoodNet"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line() == ("error: CCM needs the RGB images: add images = \"DIR\" to "
                                "[[dataset]] 'x' of the config")
    run = cli("eval", "--config", config, "--images", sample / "Img")
    assert run.code == 2 and "not with --gt/--pred/--dataset/--images" in run.error_line()


def test_the_api_names_its_argument(sample):
    message = one_line_error(lambda: evaluate(sample / "GT", {"A": sample / "pred/GoodNet"},
                                              metrics="CCM", jobs=1))
    assert message == ("CCM needs the RGB images: add images=DIR (dataset sample has no image "
                       "folder)")


def test_an_image_of_another_size_names_the_file(cli, sample):
    image = sample / "Img" / "Pa_2.bmp"
    Image.open(image).resize((40, 48)).save(image)
    before = digests(sample)
    run = cli(*_args(sample, "--metrics", "CCM", "--images", sample / "Img"))
    assert run.code == 2
    assert run.error_line() == (
        f"error: {image}: image is 48 x 40 but its GT {sample / 'GT' / 'Pa_2.png'} is 48 x 48; "
        "give the image folder that holds the dataset's images at their GT size")
    assert digests(sample) == before  # the image is never resized in place


def test_an_unreadable_image_names_the_file_or_is_skipped(cli, sample, tmp_path):
    image = sample / "Img" / "Sc_1.bmp"
    image.write_bytes(b"BM not really")
    run = cli(*_args(sample, "--metrics", "MAE,CCM", "--images", sample / "Img"))
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: {image}: cannot read image")
    assert line.endswith("replace the image, or use --on-missing skip to leave it out for every "
                         "method")
    run = cli(*_args(sample, "--metrics", "MAE,CCM", "--images", sample / "Img",
                     "--on-missing", "skip"))
    assert run.code == 0
    entry = load_results(tmp_path / "r.json")["entries"][0]
    assert (entry["counts"]["n_unreadable"], entry["counts"]["n_evaluated"]) == (1, 8)
    assert "1 unreadable RGB images were skipped (for every method): Sc_1.bmp" in entry["notes"]


def test_a_gt_without_image_is_an_error_or_skipped(cli, sample, tmp_path):
    (sample / "Img" / "In_3.bmp").unlink()
    run = cli(*_args(sample, "--metrics", "CCM", "--images", sample / "Img"))
    assert run.code == 2
    assert run.error_line() == (f"error: the image folder {sample / 'Img'}: 1 of 9 paired GT "
                                "maps have no RGB image: In_3; use --on-missing skip to evaluate "
                                "the others")
    run = cli(*_args(sample, "--metrics", "CCM", "--images", sample / "Img", "--on-missing",
                     "skip"))
    assert run.code == 0
    entry = load_results(tmp_path / "r.json")["entries"][0]
    assert entry["counts"]["n_evaluated"] == 8 and entry["counts"]["n_missing"] == 1
    assert "1 GT maps without RGB image were skipped: In_3" in entry["notes"]


def test_an_output_in_the_image_folder_is_refused(cli, sample, no_work):
    before = digests(sample)
    run = cli("eval", "--gt", sample / "GT", "--pred", f"G={sample / 'pred' / 'GoodNet'}",
              "--images", sample / "Img", "--json", sample / "Img" / "r.json", "--quiet")
    assert run.code == 2
    assert f"lies inside the image folder {sample / 'Img'}, an input folder" in run.error_line()
    assert digests(sample) == before


@pytest.mark.parametrize("key, module, message", [
    ("HCE", "cv2", "HCE needs the cv extra: pip install 'sodbench[cv]' (cannot import cv2"),
    ("dis", "cv2", "HCE needs the cv extra: pip install 'sodbench[cv]' (cannot import cv2"),
    ("CM", "sklearn", "CM needs the cv extra: pip install 'sodbench[cv]' (cannot import "
                      "sklearn"),
    ("HCE,CCM", "cv2", "HCE, CCM need the cv extra: pip install 'sodbench[cv]'"),
])
def test_a_missing_extra_is_one_line_before_the_work(cli, sample, monkeypatch, no_work, key,
                                                     module, message):
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    run = cli(*_args(sample, "--metrics", key, "--images", sample / "Img"))
    assert run.code == 2
    assert run.error_line().startswith(f"error: {message}")
    assert missing_extra(GROUPS["default"]) is None  # the other keys do not need it


def test_results_files_take_each_keys_range(tmp_path):
    """Each key in its own range (``Key.bounds``): Kappa at most 1 (unbounded below, as
    PySODMetrics computes it), HCE in [0, inf), the E-measure up to 2, the others in [0, 1]."""
    def entry(metrics, curves=None):
        return {"provenance": {}, "entries": [
            {"dataset": "d", "method": "m", "metrics": metrics, "curves": curves or {}}]}

    good = entry({"maxKappa": -0.5, "binKappa": -3.0, "HCE": 1234.0, "maxE": 1.5, "odsT": 0.3},
                 {"threshold": list(range(256)), "Kappa": [-1.25] * 256, "E": [1.2] * 256})
    dump_results(good, tmp_path / "good.json")
    assert load_results(tmp_path / "good.json")["entries"][0]["metrics"]["HCE"] == 1234.0
    bad = {"kappa": (entry({"binKappa": 1.5}), "has binKappa = 1.5, outside (-inf, 1]"),
           "hce": (entry({"HCE": -1.0}), "has HCE = -1.0, outside [0, inf)"),
           "spec": (entry({"maxSpec": 1.2}), "has maxSpec = 1.2, outside [0, 1]"),
           "e": (entry({"meanE": 2.5}), "has meanE = 2.5, outside [0, 2]"),
           "curve": (entry({"MAE": 0.1}, {"Kappa": [2.0] * 256}),
                     'has a curve "Kappa" with values outside (-inf, 1]')}
    for name, (document, message) in bad.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"format": "sodbench.results", "schema": 1, **document}))
        with pytest.raises(SodbenchError) as error:
            load_results(path)
        assert message in str(error.value), name
