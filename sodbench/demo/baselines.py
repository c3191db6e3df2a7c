"""Classical saliency baselines (no training, no torch): a floor for every leaderboard.

Frequency-tuned saliency (FT) is one of the six methods whose maps ship with SD-Saliency-900
(SongGuorong/MCITF ``Results/FT``); :func:`frequency_tuned` reproduces those maps (measured on
all 900 images: max difference one grey level, see ``tests/reports/test_baselines.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage import color

from sodbench.errors import SodbenchError
from sodbench.folders.images import IMAGE_SUFFIXES, read_image
from sodbench.folders.outputs import OutputPlan, save_image

__all__ = ["BASELINES", "frequency_tuned", "predict_folder", "read_rgb8"]

#: Achanta's separable binomial smoothing kernel (SaliencyFT C++ code: {1, 2, 1}).
_FT_KERNEL = np.array([1.0, 2.0, 1.0]) / 4.0


def frequency_tuned(image: np.ndarray) -> np.ndarray:
    """Frequency-tuned saliency of one image.

    ``S(x) = ||mean(I_lab) - (I * G)_lab(x)||^2``, min-max normalised to [0, 1]: the image is
    smoothed in RGB with the 3-tap binomial kernel, converted to CIE Lab (sRGB, D65), and each
    pixel's squared Lab distance from the mean of the smoothed image is its saliency.

    Parameters
    ----------
    image : numpy.ndarray
        uint8, ``(H, W)`` grey (taken as R = G = B, so only L* varies) or ``(H, W, 3)`` RGB.

    Returns
    -------
    numpy.ndarray
        float64 ``(H, W)`` in [0, 1]; all zeros for a constant image.

    Notes
    -----
    The paper writes the Euclidean distance; Achanta's released code (and the FT maps
    published with SD-Saliency-900) use its square, which only sharpens the map before the
    min-max normalisation. Borders are mirrored without repeating the edge pixel
    (``scipy.ndimage`` mode ``"mirror"``), which is what matches the published maps exactly.

    References
    ----------
    R. Achanta, S. Hemami, F. Estrada, S. Süsstrunk, "Frequency-tuned Salient Region
    Detection", CVPR 2009 (and the authors' SaliencyFT code).

    Examples
    --------
    >>> image = np.full((5, 5), 100, np.uint8)
    >>> image[2, 2] = 200
    >>> saliency = frequency_tuned(image)
    >>> float(saliency[2, 2]), float(saliency.min())  # the odd pixel out is the most salient
    (1.0, 0.0)
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (
            image.ndim == 3 and image.shape[2] != 3):
        raise SodbenchError(
            f"frequency_tuned needs a uint8 (H, W) or (H, W, 3) image, got {image.dtype} "
            f"{image.shape}"
        )
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    smooth = rgb.astype(np.float64)
    for axis in (0, 1):
        smooth = ndimage.convolve1d(smooth, _FT_KERNEL, axis=axis, mode="mirror")
    lab = color.rgb2lab(smooth / 255.0)
    distance = np.sum((lab - lab.mean(axis=(0, 1))) ** 2, axis=2)
    span = distance.max() - distance.min()
    return (distance - distance.min()) / span if span > 0 else np.zeros_like(distance)


BASELINES = {"FT": frequency_tuned}


def read_rgb8(path: str | os.PathLike) -> np.ndarray:
    """An image file (:func:`sodbench.folders.images.read_image`) as uint8 RGB ``(H, W, 3)``:
    grey gives R = G = B, and 16 bits are scaled to 8 (``x / 257``, rounded), where Pillow's
    ``convert("RGB")`` would clip them at 255."""
    image = read_image(path)
    if image.dtype == np.uint16:
        image = np.round(image / 257).astype(np.uint8)
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


def predict_folder(images_dir: str | os.PathLike, out_dir: str | os.PathLike, *,
                   method: str = "FT") -> list[Path]:
    """Write one 8-bit PNG saliency map per image of ``images_dir`` (same stem).

    Returns the written paths, sorted by stem.
    """
    if method not in BASELINES:
        raise SodbenchError(f"baseline {method!r}: choose one of {', '.join(BASELINES)}")
    images_dir, out_dir = Path(images_dir), Path(out_dir)
    if not images_dir.is_dir():
        raise SodbenchError(f"{images_dir}: no such image folder")
    images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise SodbenchError(f"{images_dir}: no images ({', '.join(IMAGE_SUFFIXES)})")
    plan = OutputPlan()
    plan.add_input_folder(images_dir, f"the image folder {images_dir}")
    targets = [plan.add_output(out_dir / f"{path.stem}.png", "out_dir") for path in images]
    written = []
    for path, target in zip(images, targets, strict=True):
        saliency = BASELINES[method](read_rgb8(path))
        save_image(Image.fromarray(np.round(saliency * 255).astype(np.uint8)), target)
        written.append(target)
    return written
