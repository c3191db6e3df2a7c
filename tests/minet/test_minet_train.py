"""minet_ref.train and ``sodbench train`` on a tiny synthetic sample."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from minet_ref import create_model, load_weights_file
from minet_ref.train import TrainConfig, pair_folder, random_crops, split_validation, train
from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("sample"), n_images=6, size=40, seed=3)


def _config(sample, out, **overrides):
    options = dict(data=str(sample), out=str(out), epochs=2, batch=4, size=48, crop=40,
                   val_every=3, seed=1)
    options.update(overrides)
    return TrainConfig(**options)


def test_pairing_and_split(sample, tmp_path):
    pairs = pair_folder(sample)
    assert len(pairs) == 6 and all(i.stem == g.stem for i, g in pairs)
    train_pairs, val_pairs = split_validation(pairs, 3)
    assert val_pairs == [pairs[2], pairs[5]] and len(train_pairs) == 4
    (tmp_path / "Img").mkdir()
    with pytest.raises(SodbenchError, match="missing GT/"):
        pair_folder(tmp_path)
    (tmp_path / "GT").mkdir()
    for sub, stem in (("Img", "a"), ("GT", "b")):
        (tmp_path / sub / f"{stem}.png").write_bytes(pairs[0][1].read_bytes())
    with pytest.raises(SodbenchError, match="not in both"):
        pair_folder(tmp_path)


def test_random_crops_cut_image_and_mask_together():
    images = np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8)
    masks = images[:, :1] * 10
    crops, crop_masks = random_crops(images, masks, 5, np.random.default_rng(0))
    assert crops.shape == (2, 3, 5, 5) and crop_masks.shape == (2, 1, 5, 5)
    np.testing.assert_array_equal(crop_masks, crops[:, :1] * 10)


def test_train_checkpoints_validates_and_resumes_exactly(sample, tmp_path):
    history = train(_config(sample, tmp_path / "a"), log=lambda _: None)
    assert [h["epoch"] for h in history] == [1, 2]
    for record in history:
        assert set(record["val"]) == {"MAE", "Sm", "wF", "maxF", "IoU"}
        assert 0 <= record["val"]["MAE"] <= 1 and np.isfinite(record["loss"])
    state = torch.load(tmp_path / "a" / "last.pth", weights_only=False)
    assert state["epoch"] == 2 and state["format"] == "minet_ref.train"
    assert json.loads((tmp_path / "a" / "history.json").read_text()) == history
    assert not list((tmp_path / "a").glob("*.partial"))

    train(_config(sample, tmp_path / "b", epochs=1), log=lambda _: None)
    resumed = train(_config(sample, tmp_path / "b", resume=True), log=lambda _: None)
    assert [h["epoch"] for h in resumed] == [1, 2]
    again = torch.load(tmp_path / "b" / "last.pth", weights_only=False)["state_dict"]
    for key, tensor in state["state_dict"].items():
        assert torch.allclose(again[key].float(), tensor.float(), atol=1e-6), key
    assert resumed[1]["loss"] == pytest.approx(history[1]["loss"], rel=1e-5)


def test_cli_train_and_predict_with_its_checkpoint(sample, tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", "--model", "minet", "--data", str(sample), "--epochs", "1",
                 "--batch", "4", "--size", "48", "--crop", "40", "--val-every", "3",
                 "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "epoch 1/1 loss" in captured.err and "Sm" in captured.err
    code = main(["predict", "--model", "minet", "--weights", str(out / "last.pth"),
                 "--images", str(sample / "Img"), "--out", str(tmp_path / "maps")])
    assert code == 0
    assert len(list((tmp_path / "maps").glob("*.png"))) == 6
    model = create_model("minet", weights=out / "last.pth")
    assert model.pretrained_cfg["input_size"] == (3, 48, 48) and not model.training
    assert load_weights_file(out / "last.pth").input_size == 48


def test_cli_train_errors(tmp_path, capsys):
    code = main(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    assert code == 2 and "needs the sub-folders Img/ and GT/" in capsys.readouterr().err
    code = main(["train", "--data", str(tmp_path), "--resume", "--out", str(tmp_path / "o"),
                 "--size", "64", "--crop", "80"])
    assert code == 2 and "--crop 80 must be between" in capsys.readouterr().err


def test_library_messages_name_arguments_and_the_cli_its_flags(sample, tmp_path, capsys):
    """train() speaks of TrainConfig's fields; `sodbench train` maps them to its flags."""
    with pytest.raises(SodbenchError, match=r"^crop 80 must be between 1 and size 64$"):
        train(_config(sample, tmp_path / "o", size=64, crop=80))
    with pytest.raises(SodbenchError, match=r"^val .* needs the sub-folders Img/ and GT/"):
        train(_config(sample, tmp_path / "o", val=str(tmp_path / "none")))
    with pytest.raises(SodbenchError, match=r"^threads=0: must be at least 1$"):
        train(_config(sample, tmp_path / "o", threads=0))
    with pytest.raises(SodbenchError, match=r"^out .*: is data .*, an input folder"):
        train(_config(sample, sample))
    code = main(["train", "--data", str(sample), "--val", str(tmp_path / "none"),
                 "--out", str(tmp_path / "o")])
    assert code == 2 and "error: --val " in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
