"""MINet against an independent per-channel implementation (tests/minet/minet_naive.py)."""

from __future__ import annotations

import copy

import pytest
import torch
from minet_naive import NaiveMI, NaiveMINet, randomise

import minet_ref
from minet_ref import MINet, checkpoint_filter_fn, fold_bn, to_official_checkpoint
from minet_ref.layers import MIModule, WeightedSumMIModule
from sodbench.errors import SodbenchError

SIZES = [(1, 368, 368), (2, 97, 131), (1, 200, 200)]
HOOKED = ("encoder5", "decoder1")


@pytest.fixture(scope="module")
def official_state(official_minet_path):
    return torch.load(official_minet_path, map_location="cpu", weights_only=True)


@pytest.fixture(scope="module")
def official_pair(official_state):
    """(per-channel oracle, MINet), both with the authors' weights, eval mode."""
    naive = NaiveMINet().eval()
    naive.load_state_dict(official_state, strict=True)
    model = MINet().eval()
    model.load_state_dict(checkpoint_filter_fn(official_state), strict=True)
    return naive, model


def _run(model, x):
    """The five side outputs and the encoder5 / decoder1 features (before any sigmoid)."""
    captured = {}
    hooks = [
        getattr(model, name).register_forward_hook(
            lambda _m, _i, out, name=name: captured.__setitem__(name, out.clone())
        )
        for name in HOOKED
    ]
    with torch.inference_mode():
        outputs = model(x)
    for hook in hooks:
        hook.remove()
    return outputs, captured


def _assert_close(model, reference, x, atol):
    outputs, features = _run(model, x)
    expected, expected_features = _run(reference, x)
    assert len(outputs) == 5
    for out, ref in zip(outputs, expected, strict=True):
        assert out.shape == (x.shape[0], 1, *x.shape[2:])
        assert float((out - ref).abs().max()) <= atol
    for name in HOOKED:
        ref = expected_features[name]
        scale = max(1.0, float(ref.abs().max()))
        assert float((features[name] - ref).abs().max()) <= atol * scale


def test_parameter_count_and_keys():
    model = MINet()
    assert sum(p.numel() for p in model.parameters()) == 277_477
    assert len(model.state_dict()) == 760
    assert len(NaiveMINet().state_dict()) == 8536


def test_official_checkpoint_loads_strictly(official_state):
    converted = checkpoint_filter_fn(official_state)
    assert len(official_state) == 8536 and len(converted) == 760
    model = MINet()
    model.load_state_dict(converted, strict=True)
    assert list(converted) == list(model.state_dict())
    assert converted["encoder2.1.Pconv.conv.0.weight"].shape == (32, 4, 1, 1)
    assert converted["encoder4.6.Pconv.conv.1.running_var"].shape == (96,)
    assert int(converted["encoder5.3.Pconv.conv.1.num_batches_tracked"]) == int(
        official_state["encoder5.3.Pconv.0.conv.1.num_batches_tracked"]
    )


def test_round_trip_is_bit_identical(official_state):
    back = to_official_checkpoint(checkpoint_filter_fn(official_state))
    assert list(back) == list(official_state)
    for key, tensor in official_state.items():
        assert back[key].dtype == tensor.dtype and torch.equal(back[key], tensor), key


def test_module_prefix_and_bad_copies(official_state):
    prefixed = {f"module.{k}": v for k, v in official_state.items()}
    assert list(checkpoint_filter_fn(prefixed)) == list(
        checkpoint_filter_fn(official_state)
    )
    broken = dict(official_state)
    broken["encoder2.1.Pconv.5.conv.1.num_batches_tracked"] = torch.tensor(1)
    with pytest.raises(ValueError, match="num_batches_tracked"):
        checkpoint_filter_fn(broken)
    del broken["encoder2.1.Pconv.5.conv.0.weight"]
    with pytest.raises(ValueError, match="indices"):
        checkpoint_filter_fn(broken)


@pytest.mark.parametrize("shape", SIZES)
def test_official_outputs_match_per_channel_form(official_pair, shape):
    naive, model = official_pair
    x = torch.randn(shape[0], 3, *shape[1:], generator=torch.Generator().manual_seed(1)) * 1.5
    _assert_close(model, naive, x, atol=1e-5)


def test_official_outputs_match_in_float64(official_pair):
    naive, model = (copy.deepcopy(m) for m in official_pair)
    x = torch.randn(2, 3, 97, 131, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    _assert_close(model.double(), naive.double(), x, atol=1e-10)


def test_random_weights_match_per_channel_form():
    naive = randomise(NaiveMINet(), 0).eval()
    model = MINet().eval()
    model.load_state_dict(checkpoint_filter_fn(naive.state_dict()), strict=True)
    x = torch.randn(2, 3, 97, 131, generator=torch.Generator().manual_seed(10))
    _assert_close(model, naive, x, atol=1e-5)
    _assert_close(model.double(), naive.double(), x[:1, :, :45, :61].double(), atol=1e-10)


def test_mi_module_against_channel_loop_float64():
    naive = randomise(NaiveMI(32), 3).double().eval()
    module = MIModule(32).double().eval()
    prefixed = checkpoint_filter_fn({f"m.{k}": v for k, v in naive.state_dict().items()})
    module.load_state_dict({key[2:]: value for key, value in prefixed.items()}, strict=True)
    x = torch.randn(3, 32, 23, 17, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    with torch.inference_mode():
        assert float((module(x) - naive(x)).abs().max()) <= 1e-12


def test_train_mode_gradients_match():
    naive = randomise(NaiveMINet(), 5).train()
    model = MINet().train()
    model.load_state_dict(checkpoint_filter_fn(naive.state_dict()), strict=True)
    x = torch.randn(2, 3, 40, 56, generator=torch.Generator().manual_seed(6))
    torch.manual_seed(0)  # Dropout2d draws: the same sequence for both models
    sum(out.mean() for out in naive(x)).backward()
    torch.manual_seed(0)
    sum(out.mean() for out in model(x)).backward()
    grads = checkpoint_filter_fn({name: p.grad for name, p in naive.named_parameters()})
    for name, p in model.named_parameters():
        scale = max(1e-3, float(grads[name].abs().max()))
        assert float((p.grad - grads[name]).abs().max()) <= 1e-5 * scale, name


@pytest.mark.parametrize("shape", [(1, 368, 368), (2, 97, 131)])
@pytest.mark.parametrize("weighted_sum", [False, True])
def test_fold_bn_keeps_official_outputs(official_pair, shape, weighted_sum):
    naive, model = official_pair
    folded = fold_bn(model, weighted_sum=weighted_sum)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    n_weighted = sum(isinstance(m, WeightedSumMIModule) for m in folded.modules())
    assert n_weighted == (16 if weighted_sum else 0)
    x = torch.randn(shape[0], 3, *shape[1:], generator=torch.Generator().manual_seed(8)) * 1.5
    _assert_close(folded, naive, x, atol=1e-4)


@pytest.mark.parametrize("weighted_sum", [False, True])
def test_fold_bn_random_weights_float64(weighted_sum):
    model = randomise(MINet(), 7).double().eval()
    x = torch.randn(2, 3, 97, 131, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    _assert_close(fold_bn(model, weighted_sum=weighted_sum), model, x, atol=1e-10)


def test_weighted_sum_needs_folded_module():
    with pytest.raises(ValueError, match="folded"):
        WeightedSumMIModule.from_folded(MIModule(8))


def test_create_model_registry():
    model = minet_ref.create_model("minet")
    assert isinstance(model, MINet) and model.training
    with pytest.raises(SodbenchError, match="unknown model 'resnet'"):
        minet_ref.create_model("resnet")
