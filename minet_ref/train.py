"""Train MINet with the paper's recipe (Sec. IV-A2) on an SD-Saliency-900 style folder.

Recipe: every image resized to 368 x 368 (``skimage.transform.resize``, ``mode="constant"``;
masks nearest-neighbour), a random 336 x 336 crop, image divided by its maximum and normalised
``(x - 0.4669) / 0.2437`` (3 channels), mask divided by its maximum; Xavier initialisation;
Adam (lr 4e-3, betas 0.9/0.999, eps 1e-8, no weight decay), batch 32; loss Eq. 9
(:func:`minet_ref.loss.deep_supervision_loss`). The authors' ``train.py`` runs 92K iterations
(their ``epoch_num = 1803`` over the paper's augmented training set); the size, crop, batch
and epochs are options here so that small runs fit a CPU.

After each epoch the model predicts the validation images with the test pipeline
(:mod:`minet_ref.predict`, at ``size``) and :class:`sodbench.Evaluator` scores the 8-bit maps;
then ``<out>/last.pth`` is written atomically (model, optimiser, RNG states, history), so
``resume=True`` continues an interrupted run exactly.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from minet_ref.loss import deep_supervision_loss
from minet_ref.model import MINet
from minet_ref.predict import check_device, list_images, predict_arrays, preprocess
from sodbench.errors import SodbenchError
from sodbench.evaluator import Evaluator
from sodbench.folders.images import read_image
from sodbench.folders.outputs import OutputPlan, atomic_file, atomic_write
from sodbench.workers import worker_count

__all__ = ["CHECKPOINT", "HISTORY", "VAL_METRICS", "TrainConfig", "load_pairs", "pair_folder",
           "plan_outputs", "random_crops", "split_validation", "train", "validate"]

CHECKPOINT = "last.pth"
HISTORY = "history.json"
VAL_METRICS = ("MAE", "Sm", "wF", "maxF", "IoU")


@dataclass
class TrainConfig:
    """Options of :func:`train` (the defaults are the paper's); ``sodbench train`` has one
    flag per field (``--val-every`` for ``val_every``)."""

    data: str
    out: str = "minet_train"
    epochs: int = 10
    batch: int = 32
    lr: float = 4e-3
    size: int = 368
    crop: int = 336
    val: str | None = None
    val_every: int = 10
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    resume: bool = False


def pair_folder(root: str | Path, *, what: str = "data") -> list[tuple[Path, Path]]:
    """(image, mask) paths of ``root/Img`` and ``root/GT`` paired by stem, sorted.

    ``what`` names the folder in messages (``data``, ``val``, or the CLI's flag).
    """
    root = Path(root)
    for sub in ("Img", "GT"):
        if not (root / sub).is_dir():
            raise SodbenchError(
                f"{what} {root} needs the sub-folders Img/ and GT/ (missing {sub}/)"
            )
    images = {p.stem: p for p in list_images(root / "Img", what=what)}
    masks = {p.stem: p for p in list_images(root / "GT", what=what)}
    unpaired = sorted(set(images) ^ set(masks))
    if unpaired:
        raise SodbenchError(
            f"{what} {root}: {len(unpaired)} stems are not in both Img/ and GT/ "
            f"(e.g. {unpaired[0]!r})"
        )
    return [(images[stem], masks[stem]) for stem in sorted(images)]


def load_pairs(pairs, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised images (N x 3 x size x size) and masks in [0, 1] (N x 1 x size x size)."""
    from skimage.transform import resize

    images, masks = [], []
    for image_path, mask_path in pairs:
        images.append(preprocess(read_image(image_path), size))
        mask = read_image(mask_path)
        mask = mask[..., 0] if mask.ndim == 3 else mask
        mask = resize(mask, (size, size), mode="constant", order=0, preserve_range=True)
        peak = mask.max()
        masks.append((mask / peak if peak >= 1e-6 else mask).astype(np.float32)[None])
    return np.stack(images), np.stack(masks)


def random_crops(images, masks, crop: int, rng: np.random.Generator):
    """One random crop x crop window per sample (same window for image and mask)."""
    size = images.shape[-1]
    tops = rng.integers(0, size - crop + 1, len(images))
    lefts = rng.integers(0, size - crop + 1, len(images))
    windows = [
        np.s_[..., top : top + crop, left : left + crop]
        for top, left in zip(tops, lefts, strict=True)
    ]
    return (np.stack([im[w] for im, w in zip(images, windows, strict=True)]),
            np.stack([m[w] for m, w in zip(masks, windows, strict=True)]))


def split_validation(pairs, val_every: int, *, what: str = "data"):
    """Every ``val_every``-th pair (by sorted stem) for validation, the rest for training.

    ``what`` names the training folder in messages.

    >>> split_validation(["a", "b", "c", "d", "e"], 2)
    (['a', 'c', 'e'], ['b', 'd'])
    """
    val = pairs[val_every - 1 :: val_every] or pairs[-1:]
    train = [pair for pair in pairs if pair not in val]
    if not train:
        raise SodbenchError(f"{what} has too few images to hold some out for validation")
    return train, val


def validate(model, pairs, size: int, device: str) -> dict:
    """Scores of the 8-bit test-pipeline maps of ``pairs`` (:class:`sodbench.Evaluator`,
    default conventions)."""
    evaluator = Evaluator(metrics=VAL_METRICS)
    model.eval()
    for image_path, mask_path in pairs:
        image = read_image(image_path)
        (saliency,) = predict_arrays(model, [image], device=device, size=size)
        mask = read_image(mask_path)
        evaluator.update(saliency, mask[..., 0] if mask.ndim == 3 else mask,
                         names=[image_path.stem])
    scores = evaluator.compute()
    return {key: scores[key] for key in VAL_METRICS}


def plan_outputs(config: TrainConfig, *, label: Callable[[str], str] = str) -> tuple[Path, Path]:
    """``<out>/last.pth`` and ``<out>/history.json``, refused before training when they would
    land in a data folder or cannot be written (``label`` as in :func:`train`)."""
    plan = OutputPlan()
    for field, folder in (("data", config.data), ("val", config.val)):
        if folder:
            for sub in ("", "Img", "GT"):
                plan.add_input_folder(Path(folder) / sub, f"{label(field)} {Path(folder) / sub}")
    out = plan.add_output_folder(config.out, label("out"))
    return (plan.add_output(out / CHECKPOINT, label("out")),
            plan.add_output(out / HISTORY, label("out")))


def _diverged(epoch: int, checkpoint: Path, what: str, lr: str) -> SodbenchError:
    return SodbenchError(f"epoch {epoch}: {what} (training diverged); {checkpoint} keeps the "
                         f"previous epoch, if any; lower {lr}")


def _check_config(config: TrainConfig, label: Callable[[str], str]) -> None:
    if not 0 < config.crop <= config.size:
        raise SodbenchError(f"{label('crop')} {config.crop} must be between 1 and "
                            f"{label('size')} {config.size}")
    if not (math.isfinite(config.lr) and config.lr > 0):
        raise SodbenchError(f"{label('lr')} {config.lr:g}: the learning rate must be a positive "
                            "number")
    if config.seed < 0:
        raise SodbenchError(f"{label('seed')} {config.seed}: the seed must be 0 or more")
    check_device(config.device, label=label)


def train(config: TrainConfig, *, log=print, label: Callable[[str], str] = str) -> dict:
    """Run (or resume) training; returns the history (one dict per epoch).

    ``<out>/last.pth`` holds ``state_dict`` (a weights file for
    :func:`minet_ref.create_model`), ``optimizer``, ``epoch``, the RNG states, ``config`` and
    ``history``; ``<out>/history.json`` the history. ``log`` receives one line per epoch.
    ``label`` turns a :class:`TrainConfig` field's name into its name in messages (default:
    the name itself; the CLI gives its flags).
    """
    _check_config(config, label)
    threads = None if config.threads is None else worker_count(config.threads,
                                                               name=label("threads"))
    pairs = pair_folder(config.data, what=label("data"))
    if config.val:
        train_pairs, val_pairs = pairs, pair_folder(config.val, what=label("val"))
    else:
        train_pairs, val_pairs = split_validation(pairs, config.val_every, what=label("data"))
    checkpoint_path, history_path = plan_outputs(config, label=label)
    Path(config.out).mkdir(parents=True, exist_ok=True)
    if threads:
        torch.set_num_threads(threads)
    images, masks = load_pairs(train_pairs, config.size)

    torch.manual_seed(config.seed)
    model = MINet().to(config.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
    rng = np.random.default_rng(config.seed)
    history, start_epoch = [], 0
    if config.resume:
        if not checkpoint_path.is_file():
            raise SodbenchError(f"{label('resume')}: no checkpoint {checkpoint_path} to resume "
                                "from")
        try:
            state = torch.load(checkpoint_path, map_location=config.device, weights_only=False)
            model.load_state_dict(state["state_dict"])
            optimizer.load_state_dict(state["optimizer"])
            rng.bit_generator.state = state["numpy_rng"]
            torch.set_rng_state(state["torch_rng"])
            history, start_epoch = state["history"], state["epoch"]
        except Exception as error:  # any damage: torch, pickle and key errors alike
            raise SodbenchError(
                f"{label('resume')}: {checkpoint_path} is not a readable `sodbench train` "
                f"checkpoint ({type(error).__name__}); start again in another "
                f"{label('out')} folder, without {label('resume')}"
            ) from error
        log(f"resumed from {checkpoint_path} after epoch {start_epoch}")

    for epoch in range(start_epoch + 1, config.epochs + 1):
        began = time.perf_counter()
        model.train()
        order = rng.permutation(len(images))
        crops, crop_masks = random_crops(images[order], masks[order], config.crop, rng)
        losses = []
        for start in range(0, len(order), config.batch):
            x = torch.from_numpy(crops[start : start + config.batch]).to(config.device)
            y = torch.from_numpy(crop_masks[start : start + config.batch]).to(config.device)
            optimizer.zero_grad()
            outputs = model(x)
            if not all(torch.isfinite(side).all() for side in outputs):
                raise _diverged(epoch, checkpoint_path, "the predictions became NaN",
                                label("lr"))
            loss = deep_supervision_loss(outputs, y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        if not all(torch.isfinite(weight).all() for weight in model.parameters()):
            # saving would replace the last good checkpoint with NaN weights
            raise _diverged(epoch, checkpoint_path, "the weights became NaN or infinite",
                            label("lr"))
        scores = validate(model, val_pairs, config.size, config.device)
        record = {"epoch": epoch, "loss": float(np.mean(losses)), "val": scores,
                  "seconds": round(time.perf_counter() - began, 2)}
        if not math.isfinite(record["loss"]):
            raise _diverged(epoch, checkpoint_path, f"the loss is {record['loss']}",
                            label("lr"))
        history.append(record)
        log(f"epoch {epoch}/{config.epochs} loss {record['loss']:.4f} "
            + " ".join(f"{k} {v:.4f}" for k, v in scores.items()) + f" ({record['seconds']} s)")
        with atomic_file(checkpoint_path, "wb") as handle:
            torch.save({
                "format": "minet_ref.train", "state_dict": model.state_dict(),
                "optimizer": optimizer.state_dict(), "epoch": epoch,
                "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                "config": asdict(config), "history": history,
            }, handle)
        atomic_write(history_path, json.dumps(history, indent=1))
    return history
