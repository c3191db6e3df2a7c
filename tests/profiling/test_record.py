"""The typed profile record: schema-1 files load and are written back byte for byte.

The two files in ``data/`` were written by sodbench before the record was a dataclass (a dict
dumped as is): a latency run of eager and TorchScript, and a minet-fps run. Nothing here needs
torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sodbench.errors import SodbenchError
from sodbench.profiling import ProfileRecord, dump_profile, load_profile
from sodbench.profiling.record import CounterTotal, SpeedRow
from sodbench.reports import tables

DATA = Path(__file__).parent / "data"
FILES = sorted(DATA.glob("record_schema1_*.json"))


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_schema_1_files_are_written_back_byte_for_byte(path, tmp_path):
    record = load_profile(path)
    assert isinstance(record, ProfileRecord)
    dump_profile(record, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert ProfileRecord.from_dict(record.to_dict()) == record


def test_the_parts_are_typed():
    latency = load_profile(DATA / "record_schema1_latency.json")
    assert latency.params.total == latency.params.trainable == 120
    assert latency.by_operator["aten.convolution"].flops == 2 * latency.macs
    assert latency.counters["fvcore"].explained is True
    assert [(row.backend, row.rounds, row.dropped) for row in latency.speed] == [
        ("eager", 3, None), ("torchscript", 3, None)]
    assert [op.kind for op in latency.uncounted_ops] == ["memory"]
    assert latency.protocol.name == "latency" and latency.protocol.backends == [
        "eager", "torchscript"]
    (fps,) = load_profile(DATA / "record_schema1_minet_fps.json").speed
    assert (fps.protocol, fps.dropped, fps.warmup, fps.rounds) == ("minet-fps", 1, None, None)


def test_optional_keys_are_left_out_while_none():
    skipped = CounterTotal(value=None, counts="thop's total", expected_from_breakdown=5,
                           skipped="thop is not installed")
    record = ProfileRecord.from_dict({"params": {"total": 3},
                                      "counters": {"thop": {"value": None, "counts": "x",
                                                            "skipped": "not installed"}},
                                      "speed": [{"fps": 2.0}]})
    assert record.to_dict()["counters"] == {"thop": {"value": None, "counts": "x",
                                                     "skipped": "not installed"}}
    assert record.to_dict()["speed"] == [{"fps": 2.0}]
    assert record.speed == [SpeedRow(fps=2.0)]
    assert "explained" not in ProfileRecord(params=record.params, counters={
        "thop": skipped}).to_dict()["counters"]["thop"]


def test_a_hand_written_record_needs_only_the_parameter_count():
    record = ProfileRecord.from_dict({"params": {"total": 10**6}, "paper_compatible_macs": 10**9})
    assert tables.profile_costs(record)[:2] == [1.0, 1.0]
    assert record.speed == [] and record.protocol is None and record.model is None


@pytest.mark.parametrize("change, problem", [
    ({"counters": {"macs": {"value": 1}}}, '"counters.macs" has no "counts"'),
    ({"counters": []}, '"counters" is not an object'),
    ({"by_module": {"head": 5}}, '"by_module.head" is not an object'),
    ({"uncounted_ops": {}}, '"uncounted_ops" is not a list'),
    ({"protocol": {"name": "latency"}}, '"protocol" has no "batch_sizes"'),
    ({"speed": [{"fps": 0}]}, '"speed[0].fps" = 0 is not a positive number'),
])
def test_a_damaged_record_names_the_field(tmp_path, change, problem):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"format": "sodbench.profile", "schema": 1,
                                "params": {"total": 1}, **change}))
    with pytest.raises(SodbenchError) as caught:
        load_profile(path)
    assert str(caught.value) == (f"{path}: {problem}; write the record with dump_profile "
                                 "(as `sodbench profile` does)")
