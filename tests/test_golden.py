"""Every number of the metric engine equals the stored reference bit for bit (no tolerance).

The reference (tests/golden/*.json) was made by tests/golden/make_golden.py before the metric
engine was redesigned; see tests/golden/golden_cases.py for the cases and the digests. A metric
added later adds keys to the results; the stored ones must keep their values.
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
    """Every number of ``expected`` is in ``actual`` with the same float64 value.

    Keys added after the reference was made (a new metric) may appear in ``actual``; every
    stored key must be there, unchanged.
    """
    # a JSON round trip gives both sides the same types (tuples -> lists, keys -> str)
    actual = json.loads(json.dumps(actual, sort_keys=True))
    differ = list(_differences(actual, expected, "record"))
    assert not differ, f"numbers differ from the golden reference: {differ[:20]}"


def _differences(actual, expected, where: str):
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            yield where
            return
        for key, value in expected.items():
            if key not in actual:
                yield f"{where}[{key!r}] missing"
            else:
                yield from _differences(actual[key], value, f"{where}[{key!r}]")
    elif isinstance(expected, list) and expected and isinstance(expected[0], dict):
        if len(actual) != len(expected):
            yield f"{where}: {len(actual)} entries, not {len(expected)}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=False)):
            yield from _differences(got, want, f"{where}[{index}]")
    elif actual != expected:
        yield where


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
