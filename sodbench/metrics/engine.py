"""The metric engine: which family computes which key, for one batch of pairs.

Every key of :mod:`sodbench.metrics.keys` names its family, a module of this package
(``_<family>.py``) with an ``evaluate(batch, conventions, keys, executor=None)`` function
that returns the per-image values of the keys it was asked for (a curve, N x 256, under
:func:`~.keys.curve_key`). :func:`score` calls the families a set of keys needs on one
:class:`~sodbench.metrics.batch.Batch`; the batch shares what the families derive from the
pairs (maps, histograms, confusion counts). The Evaluator adds these per-image values up over
many batches; docs/architecture.md shows the whole flow.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from sodbench.metrics import (
    _emeasure,
    _fmeasure,
    _iou,
    _mae,
    _overlap,
    _pfom,
    _smeasure,
    _wfmeasure,
)
from sodbench.metrics.batch import Batch
from sodbench.metrics.keys import CURVE_NAMES, KEYS, curve_key

__all__ = ["CURVE_FAMILIES", "FAMILIES", "score"]

#: Family name (as in :class:`~sodbench.metrics.keys.Key`) -> its module.
FAMILIES: dict[str, ModuleType] = {
    module.__name__.rsplit("._", 1)[-1]: module
    for module in (_mae, _smeasure, _wfmeasure, _fmeasure, _emeasure, _iou, _overlap, _pfom)
}
#: Curve name -> the family that computes it.
CURVE_FAMILIES = {**{name: "fmeasure" for name in _fmeasure.CURVES},
                  **{name: "emeasure" for name in _emeasure.CURVES}}


def score(batch: Batch, conventions, keys, *, curves: bool = False,
          executor=None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per-image values of the per-image ``keys``, and with ``curves`` every curve, (N, 256).

    ``executor`` (a ``concurrent.futures.Executor``) is offered to the families with a costly
    per-image step (wF), whose values are then Futures.
    """
    wanted = set(keys) | ({curve_key(name) for name in CURVE_NAMES} if curves else set())
    families = dict.fromkeys([KEYS[key].family for key in keys]
                             + [CURVE_FAMILIES[name] for name in CURVE_NAMES if curves])
    values: dict = {}
    for family in families:
        values.update(FAMILIES[family].evaluate(batch, conventions, wanted, executor))
    return ({key: values[key] for key in keys},
            {name: values[curve_key(name)] for name in CURVE_NAMES if curves})
