"""``sodbench predict``: saliency maps of the reference MINet (:mod:`minet_ref.predict`)."""

from __future__ import annotations

import click

_FLAGS = {"images_dir": "--images", "out_dir": "--out", "weights": "--weights",
          "batch": "--batch", "device": "--device"}


@click.command(name="predict")
@click.option("--model", "model_name", default="minet", show_default=True,
              type=click.Choice(["minet"]), help="Model architecture.")
@click.option("--weights", required=True,
              help="A .pth state dict (the project's or the authors' layout, or a "
                   "'sodbench train' checkpoint), or 'demo' for the shipped demo weights.")
@click.option("--images", "images_dir", required=True, type=click.Path(),
              help="Folder of source images (.bmp, .png, .jpg, .tif).")
@click.option("--out", "out_dir", required=True, type=click.Path(),
              help="Folder for the 8-bit grey PNG maps (<stem>.png, source image size); not "
                   "--images or a folder inside it.")
@click.option("--batch", default=8, show_default=True, type=click.IntRange(min=1),
              help="Images per forward pass.")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]),
              help="Torch device.")
@click.option("--size", type=click.IntRange(min=32),
              help="Side images are resized to [default: the size the weights record (demo "
                   "weights, 'sodbench train' checkpoints), else the authors' 368].")
@click.option("--threads", type=click.IntRange(min=1),
              help="torch CPU threads [default: the cores idle at the start, at most torch's "
                   "count].")
@click.option("--no-fold", is_flag=True,
              help="Run the model as loaded instead of its BN-folded copy (same maps up to "
                   "float rounding; slower).")
def command(model_name, weights, images_dir, out_dir, batch, device, size, threads, no_fold):
    """Write saliency maps with the MINet authors' test pipeline (resize 368, normalise,
    first side output, per-image min-max, 8-bit PNG at the source size)."""
    import torch

    from minet_ref import create_model, load_weights, load_weights_file, resolve_weights
    from minet_ref.predict import check_device, plan_maps, predict_folder
    from sodbench.profiling.threads import choose_threads
    from sodbench.profiling.timing import fixed_threads

    path = resolve_weights(weights)
    # Bad folders, and maps that would land on an input or cannot be written, are refused
    # before the weights load and the model runs.
    plan_maps(images_dir, out_dir, weights=path, label=_flag)
    check_device(device, label=_flag)
    weights_file = load_weights_file(path)
    if weights_file.converted:
        click.echo(f"note: weights {path} look like the authors' checkpoint layout: "
                   "converted automatically", err=True)
    model = load_weights(create_model(model_name), weights_file).to(device)
    # One thread per core idle now: a core held by another process would otherwise stall
    # every parallel operator (docs/profile.md, "Threads").
    threads = choose_threads(threads, torch.get_num_threads())[0]
    with fixed_threads(threads):
        written = predict_folder(model, images_dir, out_dir, batch=batch, device=device,
                                 fold=not no_fold, size=size, label=_flag)
    click.echo(f"wrote {len(written)} map{'' if len(written) == 1 else 's'} to {out_dir}")


def _flag(argument: str) -> str:
    """The flag of an argument of :mod:`minet_ref.predict`, for its messages."""
    return _FLAGS[argument]
