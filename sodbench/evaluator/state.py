"""Checks of what an Evaluator is given: its metric selection and a saved state."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.metrics.keys import GROUPS, expand

__all__ = ["OPTIONAL_STATE_KEYS", "STATE_KEYS", "check_state", "select_metrics", "state_numbers",
           "subset_state"]

#: The keys of :meth:`sodbench.Evaluator.state`.
STATE_KEYS = ("conventions", "metrics", "names", "scalars", "curve_sums")
#: Keys a state may have besides (a state saved before sodbench had dataset-wide keys has none).
OPTIONAL_STATE_KEYS = ("totals", "subsets")


def select_metrics(metrics) -> tuple[str, ...]:
    """The selected metric keys in table order: keys and group names (docs/metrics.md,
    "Groups"); None selects the ``default`` group."""
    if metrics is None:
        return GROUPS["default"]
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        metrics = list(metrics)
    except TypeError:
        raise SodbenchError(f"metrics={metrics!r}: pass a list of metric keys, e.g. "
                            "['MAE', 'Sm']") from None
    if not metrics:  # an empty selection would compute nothing, not everything
        raise SodbenchError("metrics is empty: name at least one metric key, or pass None "
                            "for the default set")
    try:
        return expand(metrics)
    except ValueError as error:
        raise SodbenchError(str(error)) from None


def check_state(state) -> None:
    """Refuse a state that is not a dict with the :data:`STATE_KEYS` and a list of metrics."""
    if not isinstance(state, Mapping) or not set(STATE_KEYS) <= set(state):
        raise SodbenchError("evaluator state must be a dict with conventions, metrics, names, "
                            "scalars and curve_sums, as Evaluator.state() returns")
    if not isinstance(state["metrics"], (list, tuple)):
        raise SodbenchError("evaluator state: metrics must be a list of metric keys")
    names = state["names"]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise SodbenchError("evaluator state: names must be a list of strings")


def state_numbers(values, what: str, length: int) -> np.ndarray:
    """``values`` of a state as float64, refused unless ``length`` finite real numbers
    (a per-image score or a curve sum is never NaN: a damaged state would average it in)."""
    if not isinstance(values, (list, tuple)) or len(values) != length or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise SodbenchError(f"evaluator state: {what} must be a list of {length} numbers")
    array = np.asarray(values, dtype=np.float64)
    if not np.isfinite(array).all():
        raise SodbenchError(f"evaluator state: {what} holds NaN or inf")
    return array


def subset_state(state, rule, count: int, empty: dict[str, np.ndarray]):
    """The subsets part of a saved state -> (each image's subsets, each subset's sums), checked
    against ``rule`` (a :class:`~sodbench.evaluator.Subsets`), ``count`` images and the
    shapes of ``empty`` (one subset's sums, all zero)."""
    members, sums = state.get("members"), state.get("sums")
    if (not isinstance(members, list) or len(members) != count or not isinstance(sums, dict)
            or set(sums) != set(rule.names)
            or not all(isinstance(member, list) and set(member) <= set(rule.names)
                       for member in members)):
        raise SodbenchError("evaluator state: subsets do not match its rule and names")
    checked = {}
    for subset, parts in sums.items():
        if not isinstance(parts, dict) or set(parts) != set(empty):
            raise SodbenchError(f"evaluator state: subset {subset!r} lacks some sums")
        checked[subset] = {
            name: state_numbers(parts[name], f"subsets sums[{subset!r}][{name!r}]",
                                total.size).reshape(total.shape)
            for name, total in empty.items()}
    return [tuple(member) for member in members], checked
