"""Re-create the project's demo weights (``minet_ref/weights/minet_demo.pth``); not in the wheel.

    .venv/bin/python scripts/make_demo_weights.py --workdir demo_weights_run

Trains by :data:`DEMO_RECIPE` on one CPU core (about 10-30 min, depending on the machine) and
writes ``<workdir>/minet_demo.pth``; the bundled file is replaced only when asked, with
``--out minet_ref/weights/minet_demo.pth``. docs/minet.md ("Demo weights") explains the
choices. An interrupted run continues from ``<workdir>/train/last.pth`` (training resumes
exactly).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from minet_ref import MINet
from minet_ref.predict import predict_folder
from minet_ref.train import TrainConfig, train
from sodbench import evaluate
from sodbench.demo.sample import generate
from sodbench.folders.outputs import atomic_file, check_writable

DEMO_RECIPE = {
    "train_sample": {"n_images": 96, "size": 200, "seed": 1},
    "val_sample": {"n_images": 12, "size": 200, "seed": 2},
    "eval_sample": {"n_images": 36, "size": 200, "seed": 0},
    "train": {"epochs": 40, "batch": 8, "lr": 4e-3, "size": 128, "crop": 112, "seed": 0,
              "threads": 1, "device": "cpu"},
}
"""How the shipped file was made: train on one synthetic sample, validate on a second, and
score the result on the sample ``sodbench demo`` uses (seed 0), which training never saw."""


def make_demo_weights(out_path: str | Path, *, workdir: str | Path,
                      recipe: dict | None = None) -> dict:
    """Train by ``recipe`` (default :data:`DEMO_RECIPE`) in ``workdir``; write ``out_path``.

    Images are resized to 128 (crop 112, the paper's crop-to-size ratio) so that a step is
    cheap on one core; the file records ``input_size`` 128, which ``create_model`` and
    :func:`minet_ref.predict.predict_folder` then use. (Crops of 96 from 368-resized images
    were tried first: the deep side outputs saturate at full size, their BN statistics and
    zero-padding context differ too much.) Returns the metadata stored in the file.
    """
    recipe = recipe or DEMO_RECIPE
    check_writable(out_path, "out_path")  # before the half hour of training, not after
    workdir = Path(workdir)
    samples = {
        name: generate(workdir / name, **options)
        for name, options in recipe.items() if name.endswith("_sample")
    }
    checkpoint = workdir / "train" / "last.pth"
    config = TrainConfig(data=str(samples["train_sample"]), val=str(samples["val_sample"]),
                         out=str(checkpoint.parent), **recipe["train"],
                         resume=checkpoint.is_file())
    history = train(config)
    model = MINet()
    model.load_state_dict(torch.load(checkpoint, map_location="cpu",
                                     weights_only=False)["state_dict"])
    eval_sample = samples["eval_sample"]
    size = recipe["train"]["size"]
    predict_folder(model.eval(), eval_sample / "Img", workdir / "pred", progress=False, size=size)
    results = evaluate(eval_sample / "GT", {"MINet-demo": workdir / "pred"}, jobs=1)
    scores = {key: value for key, value in results["entries"][0]["metrics"].items()
              if isinstance(value, float)}
    metadata = {
        "what": "DEMO weights: MINet trained briefly on sodbench's synthetic strip-steel "
                "sample; not trained on real data, not the paper's model",
        "input_size": size, "recipe": recipe, "history": history,
        "eval_sample_scores": scores,
        "torch": str(torch.__version__),
    }
    weights = {key: value.float() if value.is_floating_point() else value
               for key, value in model.state_dict().items()}
    with atomic_file(out_path, "wb") as handle:
        torch.save({"state_dict": weights, "metadata": metadata}, handle)
    return metadata


def main() -> None:
    parser = argparse.ArgumentParser(description="Re-create MINet's demo weights.")
    parser.add_argument("--workdir", type=Path, default=Path("demo_weights_run"),
                        help="Folder for the samples, the training run and the maps.")
    parser.add_argument("--out", type=Path,
                        help="Weights file to write [default: <workdir>/minet_demo.pth]; give "
                             "minet_ref/weights/minet_demo.pth to replace the bundled file.")
    args = parser.parse_args()
    out = args.out or args.workdir / "minet_demo.pth"
    metadata = make_demo_weights(out, workdir=args.workdir)
    print(json.dumps(metadata["eval_sample_scores"], indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
