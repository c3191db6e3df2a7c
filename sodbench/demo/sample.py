"""A small synthetic strip-steel-like dataset, so every command runs without the user's data.

The layout and names follow SD-Saliency-900 (Song et al., "Saliency detection for strip steel
surface defects using multiple constraints and improved texture features", Optics and Lasers
in Engineering 2020; data published with SongGuorong/MCITF)::

    <out>/Img/In_1.bmp  Pa_1.bmp  Sc_1.bmp ...    8-bit grey source images
    <out>/GT/In_1.png ...                         masks, mode L, values {0, 255}
    <out>/pred/GoodNet/In_1.png ...               RGB PNG, as MINet's test.py writes maps
    <out>/pred/WeakNet/In_1.jpg ...               grey JPEG, as MCITF's published maps

The three defect kinds mimic the real ones: ``In_`` inclusions (small dark elongated blobs),
``Pa_`` patches (large irregular regions), ``Sc_`` scratches (thin long bright lines that may
run off the border), on a grey rolled-steel background (rolling streaks, fine texture,
uneven illumination, sensor noise). Contrast is real but modest, so a model has to learn it.
The two "methods" are synthetic: ``GoodNet`` is a blurred, slightly shifted, noisy GT;
``WeakNet`` responds weakly, follows the background texture and misses some defects.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

from sodbench.errors import SodbenchError
from sodbench.folders.outputs import claim_folder, save_image

__all__ = ["KINDS", "MAX_SIZE", "METHODS", "MIN_SIZE", "generate"]

KINDS = ("In", "Pa", "Sc")
METHODS = ("GoodNet", "WeakNet")
#: Smallest and largest image side (4096 takes about 1 GB of memory and 15 s per image).
MIN_SIZE, MAX_SIZE = 16, 4096


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.mgrid[0:size, 0:size].astype(np.float64)


def _background(rng: np.random.Generator, size: int, roughness: float) -> np.ndarray:
    """Rolled steel: streaks along the (vertical) rolling direction, grain, uneven light."""
    yy, xx = _grid(size)
    base = rng.uniform(95, 135) + 25 * (roughness - 1)
    streaks = ndimage.gaussian_filter1d(rng.normal(0, 6, size), rng.uniform(0.8, 2.0))
    along = 1 + 0.15 * ndimage.gaussian_filter1d(rng.normal(0, 1, size), 12)
    direction = rng.uniform(-1, 1, 2)
    illumination = 12 * (direction[0] * (yy / size - 0.5) + direction[1] * (xx / size - 0.5))
    texture = ndimage.gaussian_filter(rng.normal(0, 7 * roughness, (size, size)), 1.2)
    return base + streaks[None, :] * along[:, None] + illumination + texture


def _inclusions(rng: np.random.Generator, size: int) -> tuple[np.ndarray, float]:
    yy, xx = _grid(size)
    mask = np.zeros((size, size), bool)
    for _ in range(rng.integers(1, 5)):
        cy, cx = rng.uniform(0.1 * size, 0.9 * size, 2)
        long_axis, short_axis = rng.uniform(0.02, 0.07) * size, rng.uniform(0.008, 0.02) * size
        theta = np.pi / 2 + rng.normal(0, 0.25)
        u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
        v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
        mask |= (u / long_axis) ** 2 + (v / short_axis) ** 2 <= 1
    return mask, -rng.uniform(30, 55)


def _patch(rng: np.random.Generator, size: int) -> tuple[np.ndarray, float]:
    yy, xx = _grid(size)
    cy, cx = rng.uniform(0.3 * size, 0.7 * size, 2)
    angle = np.arctan2(yy - cy, xx - cx)
    radius = rng.uniform(0.12, 0.3) * size * np.ones_like(angle)
    for harmonic in range(2, 7):
        radius *= 1 + rng.uniform(0, 0.25 / harmonic * 2) * np.cos(
            harmonic * angle + rng.uniform(0, 2 * np.pi)
        )
    ragged = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), 4)
    mask = np.hypot(yy - cy, xx - cx) <= radius * (1 + 2.5 * ragged)
    return mask, rng.choice([-1.0, 1.0], p=[0.75, 0.25]) * rng.uniform(30, 55)


def _scratches(rng: np.random.Generator, size: int) -> tuple[np.ndarray, float]:
    yy, xx = _grid(size)
    mask = np.zeros((size, size), bool)
    for _ in range(rng.integers(1, 3)):
        start = rng.uniform(0.05 * size, 0.95 * size, 2)
        heading = np.pi / 2 + rng.normal(0, 0.35)
        length = rng.uniform(0.3, 1.2) * size
        end = start + length * np.array([np.sin(heading), np.cos(heading)])
        segment = end - start
        t = ((yy - start[0]) * segment[0] + (xx - start[1]) * segment[1]) / (segment @ segment)
        t = np.clip(t, 0, 1)
        distance = np.hypot(yy - start[0] - t * segment[0], xx - start[1] - t * segment[1])
        mask |= distance <= rng.uniform(0.5, 1.8) * size / 200
    return mask, rng.uniform(30, 55)


_DEFECTS = {"In": _inclusions, "Pa": _patch, "Sc": _scratches}


def _render(rng: np.random.Generator, kind: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """One (image uint8, mask bool) pair; defect edges are softened as real optics do."""
    background = _background(rng, size, roughness=2.0 if kind == "Pa" else 1.0)
    mask, contrast = _DEFECTS[kind](rng, size)
    if not mask.any():
        mask[size // 2, size // 2] = True
    soft = ndimage.gaussian_filter(mask.astype(np.float64), 0.8)
    grain = ndimage.gaussian_filter(rng.normal(0, 1, (size, size)), 1.5)
    image = background + soft * contrast * (1 + 0.3 * grain) + rng.normal(0, 4, (size, size))
    return np.clip(image, 0, 255).astype(np.uint8), mask


def _good_prediction(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    shifted = np.roll(mask.astype(np.float64), tuple(rng.integers(-1, 2, 2)), axis=(0, 1))
    blurred = ndimage.gaussian_filter(shifted, 1.0)
    noisy = 0.9 * blurred / max(blurred.max(), 1e-9) + rng.normal(0, 0.02, mask.shape)
    return (np.clip(noisy, 0, 1) * 255).astype(np.uint8)


def _weak_prediction(rng: np.random.Generator, mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    deviation = np.abs(ndimage.gaussian_filter(image.astype(np.float64), 2) - image.mean())
    clutter = 0.35 * deviation / max(deviation.max(), 1e-9)
    response = 0.0 if rng.random() < 0.2 else rng.uniform(0.4, 0.7)
    target = response * ndimage.gaussian_filter(mask.astype(np.float64), 3)
    noisy = target / max(target.max(), 1e-9) * response + clutter + rng.normal(0, 0.08, mask.shape)
    return (np.clip(noisy, 0, 1) * 255).astype(np.uint8)


def _stems(n_images: int) -> list[tuple[str, str]]:
    return [(KINDS[i % 3], f"{KINDS[i % 3]}_{i // 3 + 1}") for i in range(n_images)]


def generate(out_dir, *, n_images: int = 36, size: int = 200, seed: int = 0) -> Path:
    """Write the synthetic strip-steel sample in the SD-Saliency-900 layout.

    Parameters
    ----------
    out_dir : path-like
        Folder to create (or fill); ``Img/``, ``GT/`` and ``pred/<method>/`` go inside.
    n_images : int
        Number of images; kinds cycle In, Pa, Sc, so names run ``In_1, Pa_1, Sc_1, In_2, ...``.
    size : int
        Side of the square images (SD-Saliency-900 uses 200).
    seed : int
        The same seed gives byte-identical files; image ``i`` depends only on ``(seed, i)``.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Examples
    --------
    >>> out = generate("sample", n_images=3, size=32)
    >>> sorted(path.name for path in (out / "Img").iterdir())
    ['In_1.bmp', 'Pa_1.bmp', 'Sc_1.bmp']
    """
    if seed < 0:
        raise SodbenchError(f"seed {seed}: must be 0 or more")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise SodbenchError(f"size {size}: must be {MIN_SIZE} to {MAX_SIZE} pixels")
    if n_images < 1:
        raise SodbenchError(f"n_images {n_images}: must be 1 or more")
    out = claim_folder(out_dir, "sample folder", "sample")
    folders = {name: out / name for name in ("Img", "GT", "pred/GoodNet", "pred/WeakNet")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    for index, (kind, stem) in enumerate(_stems(n_images)):
        rng = np.random.default_rng([seed, index])
        image, mask = _render(rng, kind, size)
        save_image(Image.fromarray(image), folders["Img"] / f"{stem}.bmp")
        save_image(Image.fromarray(mask.astype(np.uint8) * 255), folders["GT"] / f"{stem}.png")
        good = Image.fromarray(_good_prediction(rng, mask)).convert("RGB")
        save_image(good, folders["pred/GoodNet"] / f"{stem}.png")
        weak = Image.fromarray(_weak_prediction(rng, mask, image))
        save_image(weak, folders["pred/WeakNet"] / f"{stem}.jpg", quality=90)
    return out
