"""sodbench.profile end to end on a small model: record, hygiene, timing fields, JSON."""

from __future__ import annotations

import importlib.util
import json

import pytest

torch = pytest.importorskip("torch")
from profiling_models import TinySOD  # noqa: E402
from torch import nn  # noqa: E402

import sodbench  # noqa: E402
from sodbench.errors import SodbenchError  # noqa: E402
from sodbench.profiling import ProfileRecord, dump_profile, load_profile  # noqa: E402

# TinySOD at 1x3x32x32: stem 8x16x16 outputs x 27, depthwise 8x16x16 x 9, head 1x16x16 x 8
STEM, DEPTHWISE, HEAD = 2048 * 27, 2048 * 9, 256 * 8
MACS = STEM + DEPTHWISE + HEAD  # 75,776
BN_ELEMENTS = 2 * 2048


def _snapshot(model: nn.Module) -> dict:
    return {
        "keys": list(model.state_dict()),
        "tensors": {k: v.clone() for k, v in model.state_dict().items()},
        "hooks": [(name, {attr: list(getattr(m, attr)) for attr in (
            "_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
            "_forward_hooks_with_kwargs", "_state_dict_hooks", "_load_state_dict_pre_hooks")})
            for name, m in model.named_modules()],
        "training": [m.training for m in model.modules()],
        "buffers": [name for name, _ in model.named_buffers()],
    }


def test_record_numbers():
    record = sodbench.profile(TinySOD(), (1, 3, 32, 32), iters=0)
    assert isinstance(record, ProfileRecord)
    assert record.to_dict()["format"] == "sodbench.profile" and record.to_dict()["schema"] == 1
    assert record.params.total == 216 + 16 + 72 + 16 + 9
    assert record.macs == MACS == 75_776
    assert record.flops == 2 * MACS
    # head bias: one add per output element (256); BN 2 per element
    assert record.paper_compatible_macs == MACS + 256 + 2 * BN_ELEMENTS
    counters = record.counters
    # fvcore: BN 2 per element + bilinear 4 per output element (1 x 32 x 32)
    assert counters["fvcore"].value == MACS + 2 * BN_ELEMENTS + 4 * 1024
    # thop 0.1.1: 4 per affine BN element, functional interpolate/sigmoid/add unseen
    assert counters["thop"].value == MACS + 4 * BN_ELEMENTS
    assert counters["fvcore"].explained and counters["thop"].explained
    assert record.speed == []


def test_profile_leaves_model_unchanged():
    model = TinySOD().train()
    model.stem[1].eval()  # a frozen BatchNorm inside a training model stays frozen
    model.stem.register_forward_hook(lambda module, inputs, output: None)
    before = _snapshot(model)
    sodbench.profile(model, (1, 3, 32, 32), iters=1, warmup=0,
                     backends=("eager", "torchscript", "onnxruntime"))
    after = _snapshot(model)
    assert after["keys"] == before["keys"]
    assert after["hooks"] == before["hooks"]
    assert after["training"] == before["training"]
    assert model.training and not model.stem[1].training
    assert after["buffers"] == before["buffers"]
    for key, tensor in before["tensors"].items():
        assert torch.equal(after["tensors"][key], tensor), key


def test_eval_model_stays_in_eval_and_threads_restored():
    model = TinySOD().eval()
    threads = torch.get_num_threads()
    record = sodbench.profile(model, (1, 3, 16, 16), iters=2, warmup=0, threads=1)
    assert not model.training
    assert torch.get_num_threads() == threads
    assert record.environment["threads"] == 1


def test_timing_rows():
    record = sodbench.profile(TinySOD(), (1, 3, 24, 24), batch_sizes=(1, 3), iters=4, warmup=1,
                              rounds=5, external=False)
    rows = record.speed
    assert [(r.backend, r.batch, r.protocol) for r in rows] == [
        ("eager", 1, "latency"), ("eager", 3, "throughput")]
    for row in rows:
        assert 0 < row.min_ms <= row.median_ms <= row.p90_ms
        assert row.fps == pytest.approx(row.batch / row.median_ms * 1e3)
        assert row.iters == 4 and row.warmup == 1 and row.rounds == 4 and row.dropped is None
    env = record.environment
    assert env["torch"] == torch.__version__ and env["dtype"] == "float32"
    assert env["device"] == "cpu" and env["device_name"]
    assert record.protocol.name == "latency"
    assert record.input_shape == [1, 3, 24, 24]


def test_minet_fps_protocol_drops_first_calls():
    record = sodbench.profile(TinySOD(), (1, 3, 16, 16), protocol="minet-fps",
                              batch_sizes=(2,), iters=5, warmup=2, external=False)
    (row,) = record.speed
    assert row.protocol == "minet-fps" and row.batch == 2
    assert row.dropped == 2 and row.iters == 5 and row.warmup is None and row.rounds is None
    assert row.fps == pytest.approx(2 / row.mean_ms * 1e3)
    assert record.environment["cudnn_benchmark"] is True


def test_minet_fps_defaults_are_the_authors():
    with pytest.raises(SodbenchError, match="iters=21, warmup=21: minet-fps drops the first"):
        sodbench.profile(TinySOD(), (1, 3, 8, 8), protocol="minet-fps", batch_sizes=(1,),
                         iters=21, external=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"protocol": "fast"}, "unknown protocol"),
    ({"backends": ("tensorrt",)}, "unknown backend"),
    ({"amp": True}, "amp=True needs device=cuda"),
    ({"batch_sizes": (0,)}, r"batch_sizes=\[0\]: each must be 1 or more"),
    ({"device": "tpu"}, "device='tpu': must be cpu or cuda"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(SodbenchError, match=message):
        sodbench.profile(TinySOD(), (1, 3, 8, 8), iters=1, external=False, **kwargs)


def test_record_json_round_trip(tmp_path):
    record = sodbench.profile(TinySOD(), (1, 3, 16, 16), iters=2, warmup=0,
                              backends=("eager", "onnxruntime"))
    path = tmp_path / "profile.json"
    dump_profile(record, path)
    assert load_profile(path) == record
    assert isinstance(json.loads(path.read_text())["macs"], int)


def test_load_profile_rejects_other_files(tmp_path):
    other = tmp_path / "results.json"
    other.write_text(json.dumps({"format": "sodbench.results", "schema": 1}))
    with pytest.raises(SodbenchError, match="not a sodbench profile record"):
        load_profile(other)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_latency_and_amp():
    record = sodbench.profile(TinySOD(), (1, 3, 64, 64), device="cuda", iters=5, warmup=2,
                              amp=True, external=False)
    assert all(row.median_ms > 0 for row in record.speed)
    env = record.environment
    assert env["device_name"] == torch.cuda.get_device_name(0)
    assert env["dtype"] == "float16 autocast" and env["cudnn_benchmark"] is True


@pytest.mark.skipif(importlib.util.find_spec("thop") is None, reason="thop not installed")
def test_thop_itself_would_change_the_model():
    # Why the hygiene test above matters: thop 0.1.1 run on the model leaves buffers behind.
    import thop

    model = TinySOD().eval()
    keys = set(model.state_dict())
    thop.profile(model, inputs=(torch.randn(1, 3, 16, 16),), verbose=False)
    assert {key for key in model.state_dict() if key not in keys} >= {"total_ops", "total_params"}


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the message shown without CUDA")
def test_cuda_without_a_gpu_is_one_line():
    with pytest.raises(SodbenchError, match="torch.cuda.is_available"):
        sodbench.profile(TinySOD(), (1, 3, 8, 8), device="cuda", iters=1, external=False)
