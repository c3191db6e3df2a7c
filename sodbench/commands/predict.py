"""``sodbench predict``: saliency maps of the reference MINet (:mod:`minet_ref.predict`)."""

from __future__ import annotations

import click


@click.command(name="predict")
@click.option("--model", "model_name", default="minet", show_default=True,
              type=click.Choice(["minet"]), help="Model architecture.")
@click.option("--weights", required=True,
              help="A .pth state dict (the project's or the authors' layout, or a "
                   "'sodbench train' checkpoint), or 'demo' for the shipped demo weights.")
@click.option("--images", "images_dir", required=True, type=click.Path(),
              help="Folder of source images (.bmp, .png, .jpg, .tif).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the 8-bit grey PNG maps (<stem>.png, source image size).")
@click.option("--batch", default=8, show_default=True, type=click.IntRange(min=1),
              help="Images per forward pass.")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]),
              help="Torch device.")
@click.option("--size", type=click.IntRange(min=32),
              help="Side images are resized to [default: the size the weights record (demo "
                   "weights, 'sodbench train' checkpoints), else the authors' 368].")
@click.option("--no-fold", is_flag=True,
              help="Run the model as loaded instead of its BN-folded copy (same maps up to "
                   "float rounding; slower).")
def command(model_name, weights, images_dir, out_dir, batch, device, size, no_fold):
    """Write saliency maps with the MINet authors' test pipeline (resize 368, normalise,
    first side output, per-image min-max, 8-bit PNG at the source size)."""
    from pathlib import Path

    from minet_ref.convert import load_weights_file
    from minet_ref.demo import DEMO_WEIGHTS
    from minet_ref.model import create_model, load_weights
    from minet_ref.predict import list_images, predict_folder

    list_images(images_dir)  # fail on a bad folder before loading torch weights
    path = DEMO_WEIGHTS if weights == "demo" else Path(weights)
    weights_file = load_weights_file(path)
    if weights_file.converted:
        click.echo(f"note: weights {path} look like the authors' checkpoint layout: "
                   "converted automatically", err=True)
    model = load_weights(create_model(model_name), weights_file).to(device)
    written = predict_folder(model, images_dir, out_dir, batch=batch, device=device,
                             fold=not no_fold, size=size)
    click.echo(f"wrote {len(written)} maps to {out_dir}")
