"""Re-create the project's demo weights (``minet_ref/weights/minet_demo.pth``).

    .venv/bin/python -m minet_ref.make_demo --workdir demo_weights_run

Trains by :data:`DEMO_RECIPE` on one CPU core (about 10-30 min, depending on the machine);
docs/minet.md ("Demo weights") explains the choices.
"""

from __future__ import annotations

from pathlib import Path

import torch

from minet_ref.demo import DEMO_WEIGHTS
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


def make_demo_weights(out_path: str | Path = DEMO_WEIGHTS, *, workdir: str | Path) -> dict:
    """Re-create the demo weights by :data:`DEMO_RECIPE` (15-30 min on one CPU core).

    An interrupted run continues from ``<workdir>/train/last.pth`` (training resumes exactly).

    Images are resized to 128 (crop 112, the paper's crop-to-size ratio) so that a step is
    cheap on one core; the file records ``input_size`` 128, which ``create_model`` and
    :func:`minet_ref.predict.predict_folder` then use. (Crops of 96 from 368-resized images
    were tried first: the deep side outputs saturate at full size, their BN statistics and
    zero-padding context differ too much.) Returns the metadata stored in the file.
    """
    from minet_ref.model import MINet
    from minet_ref.predict import predict_folder
    from minet_ref.train import TrainConfig, train
    from sodbench import evaluate
    from sodbench.demo.sample import generate

    check_writable(out_path, "--out")  # before the half hour of training, not after
    workdir = Path(workdir)
    samples = {
        name: generate(workdir / name, **options)
        for name, options in DEMO_RECIPE.items() if name.endswith("_sample")
    }
    config = TrainConfig(data=str(samples["train_sample"]), val=str(samples["val_sample"]),
                         out=str(workdir / "train"), **DEMO_RECIPE["train"],
                         resume=(workdir / "train" / "last.pth").is_file())
    history = train(config)
    state = torch.load(workdir / "train" / "last.pth", map_location="cpu", weights_only=False)
    model = MINet()
    model.load_state_dict(state["state_dict"])
    eval_sample = samples["eval_sample"]
    size = DEMO_RECIPE["train"]["size"]
    predict_folder(model.eval(), eval_sample / "Img", workdir / "pred", progress=False, size=size)
    results = evaluate(eval_sample / "GT", {"MINet-demo": workdir / "pred"}, jobs=1)
    scores = {key: value for key, value in results["entries"][0]["metrics"].items()
              if isinstance(value, float)}
    metadata = {
        "what": "DEMO weights: MINet trained briefly on sodbench's synthetic strip-steel "
                "sample; not trained on real data, not the paper's model",
        "input_size": size, "recipe": DEMO_RECIPE, "history": history,
        "eval_sample_scores": scores,
        "torch": str(torch.__version__),
    }
    weights = {key: value.float() if value.is_floating_point() else value
               for key, value in model.state_dict().items()}
    with atomic_file(out_path, "wb") as handle:
        torch.save({"state_dict": weights, "metadata": metadata}, handle)
    return metadata


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(description="Re-create MINet's demo weights.")
    parser.add_argument("--out", type=Path, default=DEMO_WEIGHTS)
    parser.add_argument("--workdir", type=Path, default=Path("demo_weights_run"))
    args = parser.parse_args()
    print(json.dumps(make_demo_weights(args.out, workdir=args.workdir)["eval_sample_scores"],
                     indent=1))
