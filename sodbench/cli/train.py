"""``sodbench train``: train the reference MINet (:mod:`minet_ref.train`)."""

from __future__ import annotations

import click


@click.command(name="train")
@click.option("--model", "model_name", default="minet", show_default=True,
              type=click.Choice(["minet"]), help="Model architecture.")
@click.option("--data", required=True, type=click.Path(),
              help="Training folder with Img/ and GT/ (files paired by stem).")
@click.option("--val", type=click.Path(),
              help="Validation folder (Img/, GT/); default: every --val-every-th training pair "
                   "is held out.")
@click.option("--val-every", default=10, show_default=True, type=click.IntRange(min=2),
              help="Hold out every N-th pair (sorted by stem) when --val is not given.")
@click.option("--epochs", default=10, show_default=True, type=click.IntRange(min=1),
              help="Epochs to train in total (the paper: 92K iterations of batch 32).")
@click.option("--batch", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=4e-3, show_default=True, type=float, help="Adam learning rate.")
@click.option("--size", default=368, show_default=True, type=click.IntRange(min=32),
              help="Side images are resized to (training and validation).")
@click.option("--crop", default=336, show_default=True, type=click.IntRange(min=16),
              help="Side of the random training crop.")
@click.option("--out", default="minet_train", show_default=True, type=click.Path(),
              help="Folder for last.pth (checkpoint and weights) and history.json.")
@click.option("--resume", is_flag=True, help="Continue from <out>/last.pth.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]))
@click.option("--threads", type=click.IntRange(min=1),
              help="torch CPU threads [default: the cores idle at the start, at most torch's "
                   "count].")
def command(model_name, data, val, val_every, epochs, batch, lr, size, crop, out, resume, seed,
            device, threads):
    """Train MINet with the paper's recipe: resize, random crop, Adam, Xavier init, BCE + SSIM
    on all five side outputs; a checkpoint and sodbench validation scores after every epoch."""
    import torch

    from minet_ref.train import TrainConfig, train
    from sodbench.profiling.threads import choose_threads

    # One thread per core that is idle now: a core held by another process would otherwise
    # stall every parallel operator (docs/profile.md, "Threads").
    threads = choose_threads(threads, torch.get_num_threads())[0]
    config = TrainConfig(data=data, out=out, epochs=epochs, batch=batch, lr=lr, size=size,
                         crop=crop, val=val, val_every=val_every, seed=seed, device=device,
                         threads=threads, resume=resume)
    train(config, log=lambda line: click.echo(line, err=True), label=_flag)
    click.echo(f"{out}/last.pth")


def _flag(field: str) -> str:
    """The flag of a TrainConfig field (``val_every`` -> ``--val-every``), for its messages."""
    return "--" + field.replace("_", "-")
