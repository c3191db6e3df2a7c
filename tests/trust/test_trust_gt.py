"""Catalogue: GT masks that the GT threshold empties.

Reported: an 8-bit GT holding {0, 128} and a 16-bit GT holding {0, 255} were scored as empty
masks (every mask of the 16-bit set: maxF 0, exit 0) with the misleading note "GT masks are
not binary". The general rule: a GT image with non-zero pixels whose foreground is empty
after the profile's threshold is an error naming the file and the fix; ``--allow-emptied-gt``
(``allow_emptied_gt=True``) scores it as empty, with a note. A 16-bit GT is scaled like a
16-bit prediction (by 65535), so its threshold is 257 * 128 on 0..65535. OR keeps SMD's own GT
rule (min-max, then ``> 25`` of 255), which does not empty these masks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from trust_helpers import digests

from sodbench import Evaluator, evaluate
from sodbench.errors import SodbenchError
from sodbench.folders.images import read_map
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.metrics.groundtruth import GroundTruth
from sodbench.metrics.validate import binarize_gt

FIX_8BIT = ("no pixel is above the GT threshold (gt > 128 on 0..255), so its foreground would "
            "be empty; save the mask with 0 and 255")
FIX_16BIT = ("no pixel is above the GT threshold (gt > 32896 on 0..65535: a 16-bit GT is scaled "
             "like a 16-bit prediction, by 65535), so its foreground would be empty; save the "
             "mask with 0 and 65535 (or as 8-bit 0 and 255)")
EMPTIED_NOTE = ("GT masks have non-zero pixels but none above the GT threshold; evaluated as "
                "empty (--allow-emptied-gt)")


def _eval(cli, sample, out, *extra, methods=("GoodNet",)):
    args = ["eval", "--gt", sample / "GT", "--jobs", "1", "--quiet", "--json", out / "r.json",
            "--per-image", out / "p.csv", "--cache-dir", out / "cache"]
    for method in methods:
        args += ["--pred", f"{method}={sample / 'pred' / method}"]
    return cli(*args, *extra)


def _entry(out, method="GoodNet"):
    document = json.loads((out / "r.json").read_text())
    return next(e for e in document["entries"] if e["method"] == method), document


def _per_image(out, method="GoodNet"):
    import pandas as pd

    table = pd.read_csv(out / "p.csv")
    return table[table["method"] == method].set_index("name")


def _gt(sample, stem):
    return read_map(sample / "GT" / f"{stem}.png")


def _assert_refused(cli, sample, out, path, shown, fix):
    """The run stops with one line naming ``path``, writes nothing and touches no input."""
    before = digests(sample)
    run = _eval(cli, sample, out)
    assert run.code == 2
    assert run.error_line() == (f"error: GT {path} is {shown}: {fix}, or use "
                                "--allow-emptied-gt to score it as empty")
    assert digests(sample) == before and not (out / "r.json").exists()


def test_8bit_gt_holding_0_and_128_stops_naming_the_file(cli, sample, tmp_path):
    path = sample / "GT" / "Pa_2.png"
    Image.fromarray(np.where(_gt(sample, "Pa_2") > 128, 128, 0).astype(np.uint8)).save(path)
    _assert_refused(cli, sample, tmp_path / "out", path, "uint8 with values in {0, 128}",
                    FIX_8BIT)


def test_8bit_emptied_gt_is_scored_as_empty_when_allowed(cli, sample, tmp_path):
    original = _gt(sample, "Pa_2")
    Image.fromarray(np.where(original > 128, 128, 0).astype(np.uint8)).save(
        sample / "GT" / "Pa_2.png")
    Image.fromarray(np.where(_gt(sample, "In_3") > 128, 200, 30).astype(np.uint8)).save(
        sample / "GT" / "In_3.png")  # not binary, keeps its foreground
    out = tmp_path / "out"
    run = _eval(cli, sample, out, "--allow-emptied-gt")
    assert run.code == 0, run.err
    assert f"warning: sample/GoodNet: 1 {EMPTIED_NOTE}: Pa_2.png" in run.err
    assert "1 GT masks are not binary; binarised as the conventions say: In_3.png" in run.err
    entry, document = _entry(out)
    assert entry["counts"]["n_evaluated"] == 9
    assert document["provenance"]["options"]["allow_emptied_gt"] is True
    row = _per_image(out).loc["Pa_2"]
    reference = Evaluator()
    reference.update(read_map(sample / "pred" / "GoodNet" / "Pa_2.png"),
                     np.zeros_like(original))
    expected = reference.per_image().iloc[0]
    for key in ("MAE", "Sm", "wF", "adpF", "IoU", "PFOM"):  # OR binarises GT its own way
        assert row[key] == expected[key], key
    # the cache key holds the option: a run without it is not served the accepted result
    again = _eval(cli, sample, out)
    assert again.code == 2 and "--allow-emptied-gt" in again.error_line()


def test_16bit_gt_holding_0_and_255_stops_instead_of_scoring_every_mask_empty(
        cli, sample, tmp_path):
    for path in sorted((sample / "GT").iterdir()):
        Image.fromarray(read_map(path).astype(np.uint16)).save(path)  # {0, 255} in 16 bit
    first = sample / "GT" / "In_1.png"
    assert read_map(first).dtype == np.uint16
    _assert_refused(cli, sample, tmp_path / "out", first, "uint16 with values in {0, 255}",
                    FIX_16BIT)

    out = tmp_path / "allowed"
    run = _eval(cli, sample, out, "--allow-emptied-gt")
    assert run.code == 0, run.err
    assert f"9 {EMPTIED_NOTE}: " in run.err and "not binary" not in run.err
    entry, _ = _entry(out)
    assert entry["metrics"]["maxF"] == 0 and entry["counts"]["n_evaluated"] == 9


def test_16bit_gt_on_the_full_scale_gives_the_8bit_numbers(cli, sample, tmp_path):
    eight = tmp_path / "eight"
    assert _eval(cli, sample, eight, methods=("GoodNet", "WeakNet")).code == 0
    for path in sorted((sample / "GT").iterdir()):
        Image.fromarray(read_map(path).astype(np.uint16) * 257).save(path)  # {0, 65535}
    sixteen = tmp_path / "sixteen"
    run = _eval(cli, sample, sixteen, methods=("GoodNet", "WeakNet"))
    assert run.code == 0, run.err
    assert "GT" not in run.err  # neither a note nor an error
    for method in ("GoodNet", "WeakNet"):
        assert _entry(sixteen, method)[0]["metrics"] == _entry(eight, method)[0]["metrics"]
        assert _per_image(sixteen, method).equals(_per_image(eight, method))


def test_float_gt_file_below_the_threshold_names_the_file(cli, sample, tmp_path):
    mask = _gt(sample, "Sc_1") > 128
    (sample / "GT" / "Sc_1.png").unlink()
    path = sample / "GT" / "Sc_1.npy"
    np.save(path, np.where(mask, 0.5, 0.0).astype(np.float32))
    _assert_refused(cli, sample, tmp_path / "out", path, "float32 with values in {0, 0.5}",
                    "no pixel is above the GT threshold (gt > 128/255 on [0, 1]), so its "
                    "foreground would be empty; save the mask with 0 and 1")


def test_other_gt_value_errors_name_the_file(cli, sample, tmp_path):
    (sample / "GT" / "Sc_2.png").unlink()
    path = sample / "GT" / "Sc_2.npy"
    np.save(path, np.zeros((48, 48), np.int32))
    run = _eval(cli, sample, tmp_path / "out")
    assert run.code == 2
    assert run.error_line().startswith(f"error: GT {path}: ground truth has dtype int32: ")
    np.save(path, np.full((48, 48), 255.0))
    run = _eval(cli, sample, tmp_path / "out")
    assert run.code == 2
    assert run.error_line().startswith(f"error: GT {path}: ground truth is float with values "
                                       "up to 255.0: pass the uint8 mask, or divide by 255")


def test_config_key_and_python_option(cli, sample, tmp_path):
    Image.fromarray(np.where(_gt(sample, "In_2") > 128, 1, 0).astype(np.uint8)).save(
        sample / "GT" / "In_2.png")
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\nallow_emptied_gt = true\njobs = 1\nquiet = true\n'
                      f'json = "r.json"\ncache = false\n[[dataset]]\nname = "s"\n'
                      f'gt = "{sample / "GT"}"\n[dataset.pred]\nGoodNet = '
                      f'"{sample / "pred" / "GoodNet"}"\n')
    run = cli("eval", "--config", config)
    assert run.code == 0, run.err
    assert f"1 {EMPTIED_NOTE}: In_2.png" in run.err
    config.write_text(config.read_text().replace("allow_emptied_gt = true",
                                                 'allow_emptied_gt = "yes"'))
    run = cli("eval", "--config", config)
    assert run.code == 2
    assert "key 'allow_emptied_gt': wrong type str" in run.error_line()

    with pytest.raises(SodbenchError, match=r"GT .*In_2.png is uint8 with values in \{0, 1\}"):
        evaluate(sample / "GT", {"GoodNet": sample / "pred" / "GoodNet"}, jobs=1)
    document = evaluate(sample / "GT", {"GoodNet": sample / "pred" / "GoodNet"}, jobs=1,
                        allow_emptied_gt=True)
    assert document["provenance"]["options"]["allow_emptied_gt"] is True
    assert any(EMPTIED_NOTE in note for note in document["entries"][0]["notes"])


@pytest.mark.parametrize("profile", sorted(CONVENTIONS))
@pytest.mark.parametrize(
    "gt, shown",
    [
        (np.array([[0, 128], [128, 0]], np.uint8), "uint8 with values in {0, 128}"),
        (np.array([[0, 1], [2, 0]], np.uint8), "uint8 with values in {0, 1, 2}"),  # JPEG noise
        (np.array([[0, 255], [255, 0]], np.uint16), "uint16 with values in {0, 255}"),
        (np.array([[0, 32896], [1, 0]], np.uint16), "uint16 with values in {0, 1, 32896}"),
        (np.array([[0.0, 0.5], [0.25, 0.0]]), "float64 with values in {0, 0.25, 0.5}"),
        (np.arange(16, dtype=np.uint8).reshape(4, 4) * 8, "uint8 with values in 0..120"),
    ],
)
def test_library_refuses_emptied_gt_under_every_profile(profile, gt, shown):
    pred = np.linspace(0, 1, gt.size).reshape(gt.shape)
    with pytest.raises(SodbenchError) as error:
        Evaluator(profile).update(pred, gt)
    message = str(error.value)
    assert message.startswith(f"ground truth is {shown}: no pixel is above the GT threshold")
    assert message.endswith("pass it as bool (gt > 0), or pass allow_emptied_gt=True to score "
                            "it as empty")
    assert "\n" not in message
    accepted = Evaluator(profile, allow_emptied_gt=True)
    accepted.update(pred, gt)
    empty = Evaluator(profile)
    empty.update(pred, np.zeros(gt.shape, bool))
    # every metric but OR, which takes SMD's own GT rule (min-max, then > 25 of 255)
    assert accepted.per_image().drop(columns="OR").equals(empty.per_image().drop(columns="OR"))
    ground = GroundTruth(gt, profile, allow_emptied_gt=True)
    assert list(ground.emptied()) == [0] and shown in ground.emptied()[0]


def test_the_16bit_threshold_is_the_8bit_one_scaled_by_257():
    at = np.array([[0, 257 * 128]], np.uint16)
    above = np.array([[0, 257 * 128 + 1]], np.uint16)
    with pytest.raises(SodbenchError, match="gt > 32896 on 0..65535"):
        binarize_gt(at)
    assert binarize_gt(above).tolist() == [[[False, True]]]
    assert binarize_gt(np.array([[0, 129]], np.uint8)).tolist() == [[[False, True]]]


def test_one_emptied_image_in_a_batch_is_named():
    levels = np.array([255, 100, 0], np.uint8)  # kept, emptied, all zero (not emptied)
    batch = np.where(np.eye(4, dtype=bool), levels[:, None, None], 0).astype(np.uint8)
    with pytest.raises(SodbenchError, match=r"values in \{0, 100\} \(image 1 of the batch\)"):
        GroundTruth(batch, batch=True)
    masks = binarize_gt(batch, batch=True, allow_emptied_gt=True)
    assert masks.any(axis=(1, 2)).tolist() == [True, False, False]
    ground = GroundTruth(batch, batch=True, allow_emptied_gt=True)
    assert list(ground.emptied()) == [1]
