"""The image folders the selected metrics read, checked before any image is read.

``CCM`` reads the RGB image of each pair (a dataset's image folder: ``--images DIR``,
``images=`` of :func:`sodbench.evaluate`, ``images`` in a config's ``[[dataset]]``); which keys
read images or need an optional extra is :mod:`sodbench.metrics.extras`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sodbench.errors import SodbenchError
from sodbench.metrics.extras import IMAGE_KEYS

__all__ = ["check_images"]


def check_images(keys: Iterable[str], tasks: Iterable) -> None:
    """Refuse a run whose keys read the RGB images while a task has no image folder.

    >>> from pathlib import Path
    >>> from sodbench.folders.tasks import Task
    >>> check_images(["CCM"], [Task("COD10K", "M", Path("GT"), Path("pred"))])
    Traceback (most recent call last):
    ...
    sodbench.errors.SodbenchError: CCM needs the RGB images: add images=DIR (dataset COD10K ...
    """
    wanted = [key for key in keys if key in IMAGE_KEYS]
    if not wanted:
        return
    for task in tasks:
        if task.images_dir is None:
            raise SodbenchError(f"{', '.join(wanted)} needs the RGB images: add images=DIR "
                                f"(dataset {task.dataset} has no image folder)")
