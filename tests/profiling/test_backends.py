"""Backends give the eager outputs within 1e-4, or are refused before timing."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
from profiling_models import TinySOD  # noqa: E402
from torch import nn  # noqa: E402

from sodbench.errors import SodbenchError  # noqa: E402
from sodbench.profiling.backends import (  # noqa: E402
    check_equivalence,
    flatten_outputs,
    max_abs_difference,
    prepare_backend,
)


@pytest.mark.parametrize("backend", ["eager", "torchscript", "onnxruntime"])
def test_backend_matches_eager_at_other_shapes(backend):
    model = TinySOD().eval()
    example = torch.randn(1, 3, 32, 32)
    run = prepare_backend(model, example, backend, threads=1)
    # dynamic batch, height and width: a different shape than the one traced/exported
    other = torch.randn(2, 3, 40, 24)
    difference = check_equivalence(model, run, other, backend=backend)
    assert difference <= 1e-4
    outputs = run(other)
    assert [tuple(o.shape) for o in outputs] == [(2, 1, 40, 24), (2, 1, 20, 12)]


def test_traced_control_flow_is_refused():
    class SignBranch(nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x * 3

    model = SignBranch().eval()
    positive = torch.rand(1, 3, 8, 8) + 0.1
    with pytest.warns(torch.jit.TracerWarning):  # the user is told, and so is the record
        run = prepare_backend(model, positive, "torchscript")
    assert check_equivalence(model, run, positive) == 0.0
    with pytest.raises(SodbenchError, match="refusing to time it"):
        check_equivalence(model, run, -positive, backend="torchscript")


def test_onnx_export_failure_is_one_line():
    class Spectral(nn.Module):
        def forward(self, x):
            return torch.fft.rfft2(x).abs()

    with pytest.raises(SodbenchError, match="ONNX export failed") as info:
        prepare_backend(Spectral().eval(), torch.randn(1, 1, 8, 8), "onnxruntime")
    assert "\n" not in str(info.value)


def test_output_flattening_and_mismatch():
    a, b = torch.zeros(2), torch.ones(3)
    assert flatten_outputs({"x": a, "y": [b, (a,)]}) == (a, b, a)
    assert max_abs_difference((a, b), (a,)) == float("inf")
    assert max_abs_difference(a, torch.zeros(3)) == float("inf")
    assert max_abs_difference((a, b), (a + 0.5, b)) == 0.5
    with pytest.raises(SodbenchError, match="not a tensor"):
        flatten_outputs("text")


def test_unknown_backend():
    with pytest.raises(SodbenchError, match="unknown backend"):
        prepare_backend(TinySOD(), torch.randn(1, 3, 8, 8), "tensorrt")
