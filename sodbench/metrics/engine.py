"""The metric engine: which family computes which key, for one batch of pairs.

Every key of :mod:`sodbench.metrics.keys` names its family, a module of this package
(``_<family>.py``) with an ``evaluate(batch, conventions, keys, executor=None)`` function that
returns the per-image values of what it was asked for: a per-image key under its name, a curve
(N x length) under :func:`~.keys.curve_key`, a dataset-wide total's per-image part under
:func:`~.keys.total_key`. :data:`~.keys.CURVE_FAMILIES` names the family of each curve; a
family with totals lists their shapes in ``TOTALS`` and makes its keys from the summed totals
in ``from_totals(key, totals)``. :func:`score` calls the families a set of keys needs on one
:class:`~sodbench.metrics.batch.Batch`; the batch shares what the families derive from the
pairs (maps, histograms, confusion counts). The Evaluator adds these per-image values up over
many batches, and :func:`finish` turns the totals into keys; docs/architecture.md shows the
whole flow.
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

import numpy as np

from sodbench.metrics.batch import Batch
from sodbench.metrics.keys import (
    BASE_CURVES,
    CURVE_FAMILIES,
    CURVE_NAMES,
    KEYS,
    curve_key,
    total_key,
)

__all__ = ["curves_for", "family", "finish", "score", "total_shapes"]


@cache
def family(name: str) -> ModuleType:
    """The module of family ``name`` (as in :class:`~sodbench.metrics.keys.Key`), imported on
    first use; a family's optional dependencies (OpenCV for HCE) are imported inside its
    functions, so this never fails for want of an extra."""
    return importlib.import_module(f"sodbench.metrics._{name}")


def total_shapes(keys) -> dict[str, tuple[int, ...]]:
    """The totals the dataset-wide ``keys`` need -> the shape of one image's part (and of
    the sum), from the families' ``TOTALS``."""
    return {KEYS[key].total: family(KEYS[key].family).TOTALS[KEYS[key].total]
            for key in keys if KEYS[key].total is not None}


def curves_for(keys) -> tuple[str, ...]:
    """The curves an evaluation of ``keys`` stores: none without a curve key, else the
    :data:`~.keys.BASE_CURVES` (for plots) and the curves of the chosen keys."""
    wanted = {KEYS[key].curve for key in keys if KEYS[key].curve is not None}
    if not wanted:
        return ()
    return tuple(name for name in CURVE_NAMES if name in BASE_CURVES or name in wanted)


def score(batch: Batch, conventions, keys, *, curves=(), executor=None
          ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-image values of the per-image ``keys``, of the ``curves`` named (N, length), and of
    the totals the dataset-wide ``keys`` need (N, *shape).

    ``executor`` (a ``concurrent.futures.Executor``) is offered to the families with a costly
    per-image step (wF), whose values are then Futures.
    """
    per_image = [key for key in keys if KEYS[key].per_image]
    totals = list(dict.fromkeys(KEYS[key].total for key in keys if KEYS[key].total))
    wanted = (set(per_image) | {curve_key(name) for name in curves}
              | {total_key(name) for name in totals})
    needed = dict.fromkeys([KEYS[key].family for key in per_image]
                           + [CURVE_FAMILIES[name] for name in curves]
                           + [KEYS[key].family for key in keys if KEYS[key].total])
    values: dict = {}
    for name in needed:
        values.update(family(name).evaluate(batch, conventions, wanted, executor))
    return ({key: values[key] for key in per_image},
            {name: values[curve_key(name)] for name in curves},
            {name: values[total_key(name)] for name in totals})


def finish(key: str, totals: dict[str, np.ndarray]) -> float:
    """The dataset-wide ``key`` from its family's summed totals."""
    return float(family(KEYS[key].family).from_totals(key, totals))
