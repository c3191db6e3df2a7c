"""The profile record: what :func:`sodbench.profile` returns and :func:`dump_profile` writes.

A :class:`ProfileRecord` is an analysis object in the manner of fvcore's ``FlopCountAnalysis``:
the totals (``params``, ``macs``, ``flops``, ``paper_compatible_macs``), every counter with
what it counts, the breakdowns by operator and by module, the operators counted as zero, the
speed rows, the protocol and the environment. Its JSON file (``"format": "sodbench.profile"``,
``"schema": 1``; MACs and FLOPs are raw integers, per image, counted at batch 1)::

    {"format": "sodbench.profile", "schema": 1, "model": "MINet",
     "input_shape": [1, 3, 368, 368],
     "params": {"total": int, "trainable": int, "buffers": int},
     "macs": int, "flops": int, "paper_compatible_macs": int,
     "counters": {name: {"value": int | null, "counts": "what it counts", ...}},
     "by_operator": {"aten.convolution": {"calls", "output_elements", "flops"}, ...},
     "by_module": {child: {"params", "macs", "flops", "flops_with_elementwise"}, ...},
     "uncounted_ops": [{"op", "kind", "calls", "output_elements", "flops": 0}, ...],
     "elements": {"bias_elements", "batch_norm_elements", "bilinear_output_elements"},
     "speed": [{"backend", "protocol", "batch", "median_ms", "p90_ms", "fps", ...}, ...],
     "protocol": {"name", "batch_sizes", "warmup", "iters", "rounds", "backends", ...},
     "environment": {...}}

:meth:`ProfileRecord.to_dict` writes the keys in this order and leaves out those a part does
not have (a minet-fps speed row has ``dropped``, the others ``warmup`` and ``rounds``), so a
file that :func:`dump_profile` wrote is read and written back byte for byte. Reading checks the
fields a table uses (docs/profile.md, "The record").
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.folders.inputs import open_input
from sodbench.folders.outputs import atomic_write

__all__ = ["FORMAT", "SCHEMA", "WRITE_HINT", "CounterTotal", "ModuleCount", "OperatorCount",
           "ParamCount", "ProfileRecord", "Protocol", "SpeedRow", "UncountedOp", "dump_profile",
           "load_profile"]

FORMAT = "sodbench.profile"
SCHEMA = 1
#: How a record is made, for the messages about a missing or damaged one.
WRITE_HINT = "write the record with dump_profile (as `sodbench profile` does)"
_OMIT = {"omit_if_none": True}


def _optional():
    """A field that the JSON leaves out while it is None."""
    return field(default=None, metadata=_OMIT)


@dataclass(frozen=True)
class ParamCount:
    """Parameters (shared tensors once), trainable parameters and buffer elements."""

    total: int
    trainable: int | None = None
    buffers: int | None = None


@dataclass(frozen=True)
class CounterTotal:
    """One counter's total (None when it was skipped) and what it counts.

    fvcore and thop also carry the total that sodbench's breakdown predicts under their
    rules, and either why they were skipped or whether the two agree (``explained``).
    """

    value: int | None
    counts: str
    expected_from_breakdown: int | None = _optional()
    skipped: str | None = _optional()
    explained: bool | None = _optional()


@dataclass(frozen=True)
class OperatorCount:
    """Calls, output elements and FLOPs of one aten operator."""

    calls: int
    output_elements: int
    flops: int


@dataclass(frozen=True)
class ModuleCount:
    """Parameters, MACs and FLOPs of one top-level child module (or ``(own forward)``)."""

    params: int
    macs: int
    flops: int
    flops_with_elementwise: int


@dataclass(frozen=True)
class UncountedOp:
    """An operator counted as zero: ``kind`` is ``memory`` or ``compute, not counted``."""

    op: str
    kind: str
    calls: int
    output_elements: int
    flops: int = 0


@dataclass(frozen=True)
class SpeedRow:
    """One backend at one batch: per-call times in milliseconds and images per second."""

    backend: str | None = _optional()
    protocol: str | None = _optional()
    batch: int | None = _optional()
    median_ms: float | None = _optional()
    p90_ms: float | None = _optional()
    mean_ms: float | None = _optional()
    iqr_ms: float | None = _optional()
    min_ms: float | None = _optional()
    fps: float | None = _optional()
    iters: int | None = _optional()
    warmup: int | None = _optional()
    rounds: int | None = _optional()
    dropped: int | None = _optional()
    statistic: str | None = _optional()
    max_abs_diff_vs_eager: float | None = _optional()


@dataclass(frozen=True)
class Protocol:
    """How the speed was measured (:mod:`sodbench.profiling.timing`)."""

    name: str
    batch_sizes: list[int]
    warmup: int
    iters: int
    rounds: int
    backends: list[str]
    per_image: str
    input: str


@dataclass(frozen=True, kw_only=True)
class ProfileRecord:
    """Parameters, MACs/FLOPs (per image, at batch 1) and speed of one model.

    ``macs`` are multiply-accumulates of conv, linear and matmul, ``flops`` twice that and
    ``paper_compatible_macs`` the 2020 thop convention (docs/profile.md, "What is counted");
    ``counters`` holds those and the cross-checks, each with what it counts.
    """

    model: str | None = None
    input_shape: list[int] = field(default_factory=list)
    params: ParamCount
    macs: int | None = None
    flops: int | None = None
    paper_compatible_macs: int | None = None
    counters: dict[str, CounterTotal] = field(default_factory=dict)
    by_operator: dict[str, OperatorCount] = field(default_factory=dict)
    by_module: dict[str, ModuleCount] = field(default_factory=dict)
    uncounted_ops: list[UncountedOp] = field(default_factory=list)
    elements: dict[str, int] = field(default_factory=dict)
    speed: list[SpeedRow] = field(default_factory=list)
    protocol: Protocol | None = None
    environment: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON object of the record (the module docstring gives its layout)."""
        return {
            "format": FORMAT, "schema": SCHEMA, "model": self.model,
            "input_shape": list(self.input_shape), "params": _as_dict(self.params),
            "macs": self.macs, "flops": self.flops,
            "paper_compatible_macs": self.paper_compatible_macs,
            "counters": {name: _as_dict(total) for name, total in self.counters.items()},
            "by_operator": {op: _as_dict(count) for op, count in self.by_operator.items()},
            "by_module": {name: _as_dict(count) for name, count in self.by_module.items()},
            "uncounted_ops": [_as_dict(op) for op in self.uncounted_ops],
            "elements": dict(self.elements),
            "speed": [_as_dict(row) for row in self.speed],
            "protocol": None if self.protocol is None else _as_dict(self.protocol),
            "environment": dict(self.environment),
        }

    @classmethod
    def from_dict(cls, data: dict) -> ProfileRecord:
        """The record of a JSON object; raises :class:`SodbenchError` naming a damaged field.

        Keys the record does not know are ignored, and parts a hand-written record leaves out
        are empty (a table needs only ``params.total``).
        """
        problem = ("the record is not a JSON object" if not isinstance(data, dict)
                   else _record_problem(data))
        if problem:
            raise SodbenchError(f"{problem}; {WRITE_HINT}")
        protocol = data.get("protocol")
        return cls(
            model=data.get("model"), input_shape=list(data.get("input_shape", [])),
            params=_part(ParamCount, data["params"], "params"),
            macs=data.get("macs"), flops=data.get("flops"),
            paper_compatible_macs=data.get("paper_compatible_macs"),
            counters=_parts(CounterTotal, data, "counters"),
            by_operator=_parts(OperatorCount, data, "by_operator"),
            by_module=_parts(ModuleCount, data, "by_module"),
            uncounted_ops=_rows(UncountedOp, data, "uncounted_ops"),
            elements=_object(data, "elements"), speed=_rows(SpeedRow, data, "speed"),
            protocol=None if protocol is None else _part(Protocol, protocol, "protocol"),
            environment=_object(data, "environment"),
        )


def _as_dict(part) -> dict:
    return {item.name: getattr(part, item.name) for item in fields(part)
            if not (item.metadata.get("omit_if_none") and getattr(part, item.name) is None)}


def _damaged(where: str, what: str) -> SodbenchError:
    return SodbenchError(f"\"{where}\" {what}; {WRITE_HINT}")


def _part(cls, value, where: str):
    """``cls`` from its JSON object ``value`` (at ``where`` in the record)."""
    if not isinstance(value, dict):
        raise _damaged(where, "is not an object")
    known = {item.name for item in fields(cls)}
    missing = [item.name for item in fields(cls) if item.default is MISSING
               and item.default_factory is MISSING and item.name not in value]
    if missing:
        raise _damaged(where, f"has no \"{missing[0]}\"")
    return cls(**{key: item for key, item in value.items() if key in known})


def _object(data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _damaged(key, "is not an object")
    return dict(value)


def _parts(cls, data: dict, key: str) -> dict:
    return {name: _part(cls, value, f"{key}.{name}")
            for name, value in _object(data, key).items()}


def _rows(cls, data: dict, key: str) -> list:
    rows = data.get(key, [])
    if not isinstance(rows, list):
        raise _damaged(key, "is not a list")
    return [_part(cls, row, f"{key}[{index}]") for index, row in enumerate(rows)]


def dump_profile(record: ProfileRecord, path: str | os.PathLike) -> None:
    """Write a profile record as JSON, atomically."""
    atomic_write(path, json.dumps(record.to_dict(), indent=1, allow_nan=False) + "\n")


def load_profile(path: str | os.PathLike) -> ProfileRecord:
    """Read a profile record written by :func:`dump_profile`, checking format and schema."""
    if not Path(path).exists() and not Path(path).is_symlink():
        raise SodbenchError(f"{path}: no such profile record ({WRITE_HINT})")
    try:
        with open_input(path) as handle:  # a FIFO or a folder is refused, never read
            data = json.loads(handle.read().decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise SodbenchError(f"cannot read profile record {path}: {error}") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SodbenchError(f"{path} is not a sodbench profile record (format != {FORMAT!r})")
    if data.get("schema") != SCHEMA:
        raise SodbenchError(
            f"{path} has profile schema {data.get('schema')}; this sodbench reads {SCHEMA}"
        )
    try:
        return ProfileRecord.from_dict(data)
    except SodbenchError as error:
        error.args = (f"{path}: {error}",)
        raise


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _record_problem(record: dict) -> str | None:
    """What makes a profile record unusable in a table (the fields it reads), or None."""
    params = record.get("params")
    if not (isinstance(params, dict) and _count(params.get("total"))):
        return "\"params.total\" is not a parameter count"
    for key in ("macs", "flops", "paper_compatible_macs"):
        if record.get(key) is not None and not _count(record[key]):
            return f"\"{key}\" is not a count"
    speed = record.get("speed", [])
    if not (isinstance(speed, list) and all(isinstance(run, dict) for run in speed)):
        return "\"speed\" is not a list of timing objects"
    fps = speed[0].get("fps") if speed else None
    if fps is not None and not (isinstance(fps, (int, float)) and not isinstance(fps, bool)
                                and math.isfinite(fps) and fps > 0):
        return f"\"speed[0].fps\" = {fps!r} is not a positive number"
    shape = record.get("input_shape", [])
    if not (isinstance(shape, list) and all(_count(size) for size in shape)):
        return "\"input_shape\" is not a list of sizes"
    if not isinstance(record.get("environment", {}), dict):
        return "\"environment\" is not an object"
    if not isinstance(record.get("model", ""), str):
        return "\"model\" is not a name"
    return None
