"""The reference MINet's complexity: the paper's 0.28 M / 0.30 G and every tool's total.

Targets from docs/profile.md, "MINet, and the paper's 0.30G" (measured with the authors' code
and each tool), pinned exactly.
"""

from __future__ import annotations

import importlib.util

import pytest

torch = pytest.importorskip("torch")
minet_ref = pytest.importorskip("minet_ref")

import sodbench  # noqa: E402
from sodbench.cli import main  # noqa: E402
from sodbench.profiling import load_profile  # noqa: E402

PARAMS = 277_477
MACS = 270_830_656
pytestmark = pytest.mark.slow  # about 20-40 s: MINet at 368x368 through four counters
BIAS, BATCH_NORM, BILINEAR = 45_109, 15_397_504, 1_675_872


def _hook_state(model):
    return [(name, list(m._forward_hooks), list(m._forward_pre_hooks), list(m._backward_hooks))
            for name, m in model.named_modules()]


@pytest.fixture(scope="module")
def minet_run():
    model = minet_ref.MINet()
    before = (list(model.state_dict()), _hook_state(model), model.training)
    record = sodbench.profile(model, (1, 3, 368, 368), iters=0, name="minet")
    after = (list(model.state_dict()), _hook_state(model), model.training)
    return record, before, after


def test_paper_numbers(minet_run):
    record, _, _ = minet_run
    assert record.params.total == record.params.trainable == PARAMS
    assert record.macs == MACS == 270_830_656
    assert record.flops == 2 * MACS == 541_661_312
    assert record.elements == {"bias_elements": BIAS, "batch_norm_elements": BATCH_NORM,
                               "bilinear_output_elements": BILINEAR}
    assert record.paper_compatible_macs == MACS + BIAS + 2 * BATCH_NORM == 301_670_773
    counters = record.counters
    assert counters["module_hook_macs"].value == MACS
    # BN 2, ReLU 1, add 1, sigmoid 1, bilinear 4 per element (docs/profile.md, "What is
    # counted")
    assert counters["flops_with_elementwise"].value == 599_029_653
    assert record.by_operator["aten.convolution"].flops == 541_661_312
    assert record.by_operator["aten.relu_"].flops == 17_111_744
    assert record.by_operator["aten.add"].flops == 2_712_992
    assert record.by_operator["aten.sigmoid"].flops == 45_109


@pytest.mark.skipif(importlib.util.find_spec("fvcore") is None, reason="fvcore not installed")
def test_fvcore_total_and_explanation(minet_run):
    entry = minet_run[0].counters["fvcore"]
    assert entry.value == 308_329_152 == MACS + 2 * BATCH_NORM + 4 * BILINEAR
    assert entry.explained


@pytest.mark.skipif(importlib.util.find_spec("thop") is None, reason="thop not installed")
def test_thop_total_and_explanation(minet_run):
    entry = minet_run[0].counters["thop"]
    assert entry.value == 332_420_672 == MACS + 4 * BATCH_NORM
    assert entry.explained


def test_model_left_as_it_was(minet_run):
    _, before, after = minet_run
    keys_before, hooks_before, training_before = before
    keys_after, hooks_after, training_after = after
    assert keys_after == keys_before
    assert hooks_after == hooks_before
    assert training_after == training_before is True


def test_by_module_adds_up(minet_run):
    record, _, _ = minet_run
    modules = record.by_module
    assert sum(m.macs for m in modules.values()) == MACS
    assert sum(m.params for m in modules.values()) == PARAMS


def test_builtin_target_matches_python_api(tmp_path, capsys):
    out = tmp_path / "minet.json"
    assert main(["profile", "minet", "--input", "1x3x32x32", "--iters", "0",
                 "--no-external", "--json", str(out)]) == 0
    record = load_profile(out)
    direct = sodbench.profile(minet_ref.MINet(), (1, 3, 32, 32), iters=0, external=False)
    assert record.macs == direct.macs and record.params.total == PARAMS
    assert "270,830,656" not in capsys.readouterr().out  # counted at the requested size


def test_weights_file_and_bad_weights(tmp_path, capsys):
    model = minet_ref.MINet()
    path = tmp_path / "minet.pth"
    torch.save(model.state_dict(), path)
    assert main(["profile", "minet", "--weights", str(path), "--input", "1x3x32x32",
                 "--iters", "0", "--no-external"]) == 0
    capsys.readouterr()
    assert main(["profile", "minet", "--weights", str(tmp_path / "none.pth"), "--iters", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.pth not found" in err


def test_onnxruntime_on_official_weights(official_minet_path):
    # TorchScript is covered on small models; tracing MINet's 736 modules costs ~15 s more.
    model = minet_ref.create_model("minet", weights=official_minet_path)
    record = sodbench.profile(model, (1, 3, 96, 96), iters=1, warmup=0, external=False,
                              backends=("eager", "onnxruntime"))
    rows = {row.backend: row for row in record.speed}
    assert set(rows) == {"eager", "onnxruntime"}
    assert all(row.max_abs_diff_vs_eager <= 1e-4 for row in rows.values())
    assert not model.training
