"""Every number of the metric engine equals the stored reference bit for bit (no tolerance).

The reference (tests/golden/*.json) was made by tests/golden/make_golden.py before the metric
engine was redesigned; see tests/golden/golden_cases.py for the cases and the digests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))

from golden_cases import (  # noqa: E402
    CONVENTIONS,
    HERE,
    SD900_METHODS,
    float_cases,
    run_eval_cli,
    score_floats,
)


def _golden(name: str) -> dict:
    return json.loads((HERE / name).read_text())


def _assert_same(actual: dict, expected: dict) -> None:
    # a JSON round trip gives both sides the same types (tuples -> lists, keys -> str)
    actual = json.loads(json.dumps(actual, sort_keys=True))
    if actual != expected:
        diffs = [key for key in expected if actual.get(key) != expected[key]]
        raise AssertionError(f"numbers differ from the golden reference in {diffs}: "
                             f"{json.dumps(actual)[:2000]}")


@pytest.fixture(scope="module")
def sample_data(tmp_path_factory) -> Path:
    from sodbench.demo import sample

    return sample.generate(tmp_path_factory.mktemp("golden") / "sample")


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_eval_on_the_sample_is_bit_identical(sample_data, tmp_path, convention):
    from sodbench.demo import sample

    preds = {name: sample_data / "pred" / name for name in sample.METHODS}
    record = run_eval_cli(sample_data / "GT", preds, convention, tmp_path, "--profile")
    _assert_same(record, _golden("sample.json")[convention])


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_eval_on_sd900_six_methods_is_bit_identical(sd900, tmp_path, convention):
    preds = {method: sd900 / "pred" / method for method in SD900_METHODS}
    record = run_eval_cli(sd900 / "GT", preds, convention, tmp_path, "--profile")
    _assert_same(record, _golden("sd900.json")[convention])


@pytest.mark.parametrize("convention", CONVENTIONS)
def test_evaluator_on_float_maps_is_bit_identical(sample_data, convention):
    golden = _golden("floats.json")
    for case, pairs in float_cases(sample_data).items():
        _assert_same(score_floats(pairs, convention), golden[case][convention])
