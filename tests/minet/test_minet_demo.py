"""The shipped demo weights: labelled, made by the recorded recipe, sensible on the sample."""

from __future__ import annotations

import numpy as np
import torch

import minet_ref
from minet_ref.demo import DEMO_WEIGHTS, demo_metadata
from minet_ref.make_demo import DEMO_RECIPE
from minet_ref.predict import predict_folder, read_image
from sodbench import Evaluator
from sodbench.demo.sample import generate


def test_demo_file_is_small_fp32_and_labelled():
    assert DEMO_WEIGHTS.stat().st_size < 2_000_000
    stored = torch.load(DEMO_WEIGHTS, map_location="cpu", weights_only=True)
    floats = [t for t in stored["state_dict"].values() if t.is_floating_point()]
    assert floats and all(t.dtype == torch.float32 for t in floats)
    metadata = demo_metadata()
    assert metadata["what"].startswith("DEMO weights") and "not trained on real data" in (
        metadata["what"]
    )
    assert metadata["recipe"] == DEMO_RECIPE
    assert len(metadata["history"]) == DEMO_RECIPE["train"]["epochs"]
    assert metadata["input_size"] == DEMO_RECIPE["train"]["size"]


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
