"""Saliency maps by the authors' test pipeline (Kunye-Shen/MINet ``test.py``, ``data_loader.py``).

Step by step, per image (each step is one function below so it can be checked alone):

1. read the image (8-bit grey, RGB or 16-bit) as an array
   (:func:`sodbench.folders.images.read_image`);
2. ``skimage.transform.resize`` to 368 x 368, ``mode="constant"``, as float (their ``Rescale``;
   weights trained at another size, like the demo weights, record it and use that size);
3. divide by the resized image's own maximum, then ``(x - 0.4669) / 0.2437`` on every channel,
   a grey image repeated to 3 channels (their ``ToTensor``), in float64, then float32;
4. the network's first side output S1 (its prediction);
5. per-image min-max in float32 (their ``normPRED``);
6. 8-bit as their ``Image.fromarray(p * 255)``: PIL truncates, so ``floor(255 p)`` clipped to
   0..255 (docs/minet.md, "Predict", step 6);
7. PIL bilinear resize to the source image's size, saved as an 8-bit grey PNG (they save RGB
   with three equal channels; the values are identical).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from minet_ref.model import INPUT_SIZE, fold_bn
from sodbench.errors import SodbenchError
from sodbench.folders.images import IMAGE_SUFFIXES, read_image
from sodbench.folders.outputs import OutputPlan, save_image

__all__ = ["MEAN", "STD", "check_device", "list_images", "plan_maps", "postprocess",
           "predict_arrays", "predict_folder", "preprocess"]

MEAN = 0.4669
STD = 0.2437


def preprocess(image: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """Steps 2-3: the 3 x size x size float32 network input of one image."""
    from skimage.transform import resize

    resized = resize(image, (size, size), mode="constant")
    peak = resized.max()
    if peak > 0:  # the authors divide by zero here for an all-black image (NaN maps)
        resized = resized / peak
    channels = np.repeat(resized[None], 3, 0) if resized.ndim == 2 else resized.transpose(2, 0, 1)
    return ((channels - MEAN) / STD).astype(np.float32)


def postprocess(prediction: np.ndarray, source_shape: Sequence[int]) -> np.ndarray:
    """Steps 5-7: a float32 map of the network -> uint8 map at ``source_shape`` (H, W).

    A constant map (max == min, where the authors' division gives NaN) becomes all zeros.

    >>> postprocess(np.array([[0.0, 0.5], [0.25, 1.0]], np.float32), (2, 2))
    array([[  0, 127],
           [ 63, 255]], dtype=uint8)
    """
    prediction = np.asarray(prediction, dtype=np.float32)
    low, high = prediction.min(), prediction.max()
    scaled = (prediction - low) / (high - low) if high > low else np.zeros_like(prediction)
    levels = np.clip(np.floor(scaled * np.float32(255)), 0, 255).astype(np.uint8)
    height, width = source_shape[:2]
    return np.asarray(Image.fromarray(levels).resize((width, height), Image.BILINEAR))


def list_images(images_dir: str | os.PathLike, *, what: str = "images_dir") -> list[Path]:
    """The image files of a folder (sorted by name); one-line errors for missing/empty folders.

    ``what`` names the folder in messages (the CLI passes its flag).
    """
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise SodbenchError(f"{what} folder {images_dir} does not exist")
    paths = sorted(
        p for p in images_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    )
    if not paths:
        raise SodbenchError(
            f"{what} folder {images_dir} has no images ({', '.join(IMAGE_SUFFIXES)})"
        )
    return paths


def plan_maps(
    images_dir: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    weights: str | os.PathLike | None = None,
    label: Callable[[str], str] = str,
) -> list[tuple[Path, Path]]:
    """(image, map) paths of a prediction run, checked before any work.

    Refused in one line: a missing or empty ``images_dir``, two images with one stem (two
    maps on one path), an ``out_dir`` that is ``images_dir`` or lies inside it (a map must
    never replace or sit among the source images), an ``out_dir`` where the maps cannot be
    written, and a map path that is the ``weights`` file. Nothing is created. ``label``
    turns an argument's name into its name in messages (default: the name itself; the CLI
    gives its flags).
    """
    images = label("images_dir")
    paths = list_images(images_dir, what=images)
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems):
        raise SodbenchError(f"{images} folder {images_dir} has two images with the same stem")
    plan = OutputPlan()
    plan.add_input_folder(images_dir, f"{images} {images_dir}")
    if weights is not None:
        plan.add_input(weights, f"{label('weights')} {weights}")
    out = label("out_dir")
    out_dir = plan.add_output_folder(out_dir, out)
    if Path(os.path.realpath(out_dir)).is_relative_to(os.path.realpath(images_dir)):
        raise SodbenchError(f"{out} {out_dir} lies inside {images} {images_dir}; write the maps "
                            "to a folder outside the image folder")
    return [(path, plan.add_output(out_dir / f"{path.stem}.png", out)) for path in paths]


def check_device(device: str, *, label: Callable[[str], str] = str) -> None:
    """Refuse a CUDA ``device`` where PyTorch sees none, before any work (``label`` as in
    :func:`plan_maps`).

    >>> check_device("cpu")
    """
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise SodbenchError(f"{label('device')} {device}: PyTorch sees no CUDA device; use "
                            f"{label('device')} cpu")


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def predict_arrays(
    model: torch.nn.Module, images: list[np.ndarray], *, device="cpu", size: int = INPUT_SIZE
) -> list[np.ndarray]:
    """Steps 2-7 for a list of image arrays (any sizes): uint8 maps at each image's size."""
    batch = torch.from_numpy(np.stack([preprocess(image, size) for image in images]))
    batch = batch.to(device)
    with torch.inference_mode():
        first = model(batch)[0][:, 0].float().cpu().numpy()
    return [postprocess(p, image.shape) for p, image in zip(first, images, strict=True)]


def predict_folder(
    model: torch.nn.Module,
    images_dir: str | Path,
    out_dir: str | Path,
    *,
    batch: int = 8,
    device: str = "cpu",
    progress: bool = True,
    fold: bool = True,
    size: int | None = None,
    label: Callable[[str], str] = str,
) -> list[Path]:
    """Write ``<out_dir>/<stem>.png`` for every image of ``images_dir`` (the authors' pipeline).

    Each map is written atomically (:func:`sodbench.folders.outputs.save_image`), so an
    interrupted run leaves whole maps only.

    Parameters
    ----------
    model : torch.nn.Module
        A MINet-like model whose forward returns side outputs, the first being the prediction.
    images_dir, out_dir : path
        Source images (.bmp, .png, .jpg, .tif) and the folder for the 8-bit grey PNG maps.
    batch : int
        Images per forward pass (all are resized to ``size``, so source sizes may differ).
    device : str
        ``"cpu"`` or ``"cuda"``.
    progress : bool
        Show a tqdm bar (only when stderr is a terminal).
    fold : bool
        Run :func:`minet_ref.fold_bn`'s copy of the model (same maps within float rounding,
        faster); False runs ``model`` itself.
    size : int, optional
        Side of the network input (step 2). Default: ``model.pretrained_cfg["input_size"]``
        when the model has it (the size its weights were trained at), else the authors' 368.
    label : callable
        Turns an argument's name into its name in messages (default: the name itself).

    Returns
    -------
    list of Path
        The written files, in image-name order.

    Raises
    ------
    SodbenchError
        Before the model runs, for what :func:`plan_maps` and :func:`check_device` refuse
        and a ``batch`` below 1.
    """
    from tqdm import tqdm

    if batch < 1:
        raise SodbenchError(f"{label('batch')} {batch}: must be 1 or more")
    check_device(device, label=label)
    pairs = plan_maps(images_dir, out_dir, label=label)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if size is None:
        size = getattr(model, "pretrained_cfg", {}).get("input_size", (3, INPUT_SIZE))[-1]
    runner = (fold_bn(model) if fold else model.eval()).to(device)
    written = []
    show = progress and sys.stderr.isatty()
    with tqdm(total=len(pairs), unit="img", disable=not show, desc="predict") as bar:
        for chunk in _batches(pairs, batch):
            images = [read_image(source) for source, _ in chunk]
            maps = predict_arrays(runner, images, device=device, size=size)
            for (_, target), saliency in zip(chunk, maps, strict=True):
                save_image(Image.fromarray(saliency), target)
                written.append(target)
            bar.update(len(chunk))
    return written
