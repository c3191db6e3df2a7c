"""What metrics need beyond the core install: the optional extras and the RGB images.

``HCE``, ``CM`` and ``CCM`` need the ``cv`` extra (``pip install 'sodbench[cv]'``: OpenCV;
CM and CCM scikit-learn too), imported only when they are computed, so the package imports
without it. ``CCM`` also reads the RGB image of each pair. This module is the one place that
knows it: the metric families call :func:`require_extra` before their work, and ``eval``
calls it before any image is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from sodbench.errors import SodbenchError

__all__ = ["EXTRAS", "IMAGE_KEYS", "missing_extra", "reads_images", "require_extra"]

#: Keys whose score reads the RGB image of each pair.
IMAGE_KEYS = ("CCM",)
#: Key -> (the optional extra it needs, the modules that extra provides and the key imports).
EXTRAS = {
    "HCE": ("cv", ("cv2",)),
    "CM": ("cv", ("cv2", "sklearn")),
    "CCM": ("cv", ("cv2", "sklearn")),
}


def reads_images(keys: Iterable[str]) -> bool:
    """True when one of ``keys`` reads the RGB images (:data:`IMAGE_KEYS`).

    >>> reads_images(["MAE", "CCM"]), reads_images(["MAE"])
    (True, False)
    """
    return any(key in IMAGE_KEYS for key in keys)


def _importable(module: str) -> str | None:
    """None when ``module`` imports, else why not (a broken install raises more than
    ImportError: a wrong NumPy ABI, a missing system library)."""
    try:
        importlib.import_module(module)
    except Exception as error:
        return f"cannot import {module}: {type(error).__name__}"
    return None


def missing_extra(keys: Iterable[str]) -> str | None:
    """The one-line message naming the keys of ``keys`` whose extra is not installed, or None.

    >>> missing_extra(["MAE", "Sm"]) is None
    True
    """
    keys = list(keys)
    for extra in dict.fromkeys(extra for extra, _ in EXTRAS.values()):
        wanted = [key for key in keys if key in EXTRAS and EXTRAS[key][0] == extra]
        modules = dict.fromkeys(module for key in wanted for module in EXTRAS[key][1])
        problems = [problem for problem in map(_importable, modules) if problem]
        if wanted and problems:
            verb = "needs" if len(wanted) == 1 else "need"
            return (f"{', '.join(wanted)} {verb} the {extra} extra: pip install "
                    f"'sodbench[{extra}]' ({'; '.join(problems)})")
    return None


def require_extra(keys: Iterable[str]) -> None:
    """Raise a one-line :class:`SodbenchError` when a key's optional extra is not importable.

    >>> require_extra(["MAE", "maxF"])  # nothing to import
    """
    message = missing_extra(keys)
    if message is not None:
        raise SodbenchError(message)
