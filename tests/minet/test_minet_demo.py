"""The shipped demo weights: labelled, made by the recorded recipe, sensible on the sample;
and scripts/make_demo_weights.py, which makes them (outside the wheel)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import minet_ref
from minet_ref import DEMO_WEIGHTS, demo_metadata
from minet_ref.predict import predict_folder
from sodbench import Evaluator
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders.images import read_image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_demo_weights.py"
TINY_RECIPE = {
    "train_sample": {"n_images": 4, "size": 32, "seed": 1},
    "val_sample": {"n_images": 2, "size": 32, "seed": 2},
    "eval_sample": {"n_images": 3, "size": 32, "seed": 0},
    "train": {"epochs": 1, "batch": 4, "lr": 4e-3, "size": 32, "crop": 32, "seed": 0,
              "threads": 1, "device": "cpu"},
}


@pytest.fixture(scope="module")
def make_demo():
    """scripts/make_demo_weights.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_demo_weights", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_file_is_small_fp32_and_labelled(make_demo):
    assert DEMO_WEIGHTS.stat().st_size < 2_000_000
    stored = torch.load(DEMO_WEIGHTS, map_location="cpu", weights_only=True)
    floats = [t for t in stored["state_dict"].values() if t.is_floating_point()]
    assert floats and all(t.dtype == torch.float32 for t in floats)
    metadata = demo_metadata()
    assert metadata["what"].startswith("DEMO weights") and "not trained on real data" in (
        metadata["what"]
    )
    assert metadata["recipe"] == make_demo.DEMO_RECIPE
    assert len(metadata["history"]) == make_demo.DEMO_RECIPE["train"]["epochs"]
    assert metadata["input_size"] == make_demo.DEMO_RECIPE["train"]["size"]


def test_demo_weights_give_sensible_maps_on_the_sample(tmp_path):
    model = minet_ref.load_demo_weights()
    assert not model.training and model.pretrained_cfg["input_size"] == (3, 128, 128)
    assert minet_ref.create_model("minet", weights="demo").state_dict().keys() == (
        model.state_dict().keys()
    )
    sample = generate(tmp_path / "sample", n_images=6, seed=0)
    written = predict_folder(model, sample / "Img", tmp_path / "pred", progress=False)
    evaluator = Evaluator(metrics=["MAE", "Sm", "maxF"])
    for path in written:
        evaluator.update(read_image(path), read_image(sample / "GT" / path.name))
    scores = evaluator.compute()
    # Measured: Sm 0.781, MAE 0.0114, maxF 0.721 (an untrained MINet: Sm ~0.37, MAE ~0.5).
    assert scores["Sm"] > 0.75 and scores["MAE"] < 0.02 and scores["maxF"] > 0.68, scores
    recorded = demo_metadata()["eval_sample_scores"]
    assert np.isfinite(recorded["Sm"]) and recorded["Sm"] > 0.8


def test_pretrained_is_the_demo_weights():
    pretrained = minet_ref.create_model("minet", pretrained=True)
    named = minet_ref.create_model("minet", weights="demo")
    assert not pretrained.training and pretrained.pretrained_cfg == named.pretrained_cfg
    for (key, ours), theirs in zip(pretrained.state_dict().items(),
                                   named.state_dict().values(), strict=True):
        assert torch.equal(ours, theirs), key
    with pytest.raises(SodbenchError, match="give one of them"):
        minet_ref.create_model("minet", pretrained=True, weights="demo")


def test_make_demo_weights_writes_into_the_workdir_not_the_package(make_demo, tmp_path,
                                                                   monkeypatch, capsys):
    """The script's default output is <workdir>/minet_demo.pth: the bundled file is replaced
    only when --out names it. A tiny recipe stands in for the real one (15-30 min)."""
    bundled = DEMO_WEIGHTS.read_bytes()
    monkeypatch.setattr(make_demo, "DEMO_RECIPE", TINY_RECIPE)
    monkeypatch.setattr(sys, "argv", ["make_demo_weights.py", "--workdir", str(tmp_path)])
    make_demo.main()
    out = tmp_path / "minet_demo.pth"
    assert f"wrote {out}" in capsys.readouterr().out
    assert DEMO_WEIGHTS.read_bytes() == bundled
    metadata = torch.load(out, map_location="cpu", weights_only=True)["metadata"]
    assert metadata["recipe"] == TINY_RECIPE and len(metadata["history"]) == 1
    assert set(metadata["eval_sample_scores"]) >= {"MAE", "Sm"}
    model = minet_ref.create_model("minet", weights=out)
    assert model.pretrained_cfg["input_size"] == (3, 32, 32)
