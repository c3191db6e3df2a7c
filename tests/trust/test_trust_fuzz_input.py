"""Fuzz: `sodbench profile --input TEXT` gives four positive ints or one SodbenchError line.

Reported: `--input 3x368x368` was taken as `[1, 368, 368]`, any shape of two or more parts
was accepted, and `int()` read non-ASCII digits such as "１" as 1. The parser now reads exactly
four ASCII integers joined by `x`; whatever else it is given must be refused in one line, never
raise another exception.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sodbench.errors import SodbenchError
from sodbench.profiling.guard import check_input_shape, parse_input_shape

PARTS = st.one_of(
    st.integers(min_value=-5, max_value=10**6).map(str),
    st.sampled_from(["", "a", "-0", "+3", "1e3", "1.5", "3_000", "\uff11", "\u0663", " 4", "4 ",
                     "0x10", "\u00b2"]),
)
SHAPE_LIKE = st.builds(
    lambda parts, sep: sep.join(parts),
    st.lists(PARTS, min_size=0, max_size=6),
    st.sampled_from(["x", "X", "*", ",", " x ", "×", "xx"]),
)


def _parse(text: str):
    """The parsed shape, or None after checking the refusal is the one-line message."""
    try:
        shape = parse_input_shape(text, "--input")
    except SodbenchError as error:
        message = str(error)
        assert message == (f"--input {text!r} is not a shape like 1x3x368x368: give "
                           "N x C x H x W, four positive integers")
        assert len(message.splitlines()) == 1  # repr() escapes every line break
        return None
    assert type(shape) is tuple and len(shape) == 4
    assert all(type(n) is int and n >= 1 for n in shape)
    assert shape == tuple(int(part) for part in text.strip().lower().split("x"))
    return shape


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
@example("1x3x-2x5")
@example("0x3x4x4")
@example("1x3x368")
@example("1x3x368x368x2")
@example("ax3")
@example("")
@example("1e3x3x4x4")
@example("\uff11x3x4x4")
@example("1x3x368x368\n")
def test_any_text_is_a_shape_or_one_line(text):
    _parse(text)


@settings(max_examples=200, deadline=None)
@given(SHAPE_LIKE)
def test_shape_like_text_is_a_shape_or_one_line(text):
    shape = _parse(text)
    parts = text.strip().lower().split("x")
    accepted = (len(parts) == 4 and all(p.isascii() and p.isdigit() and int(p) >= 1
                                        for p in parts))
    assert (shape is not None) == accepted, text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=4, max_size=4))
def test_every_positive_four_tuple_round_trips(values):
    assert parse_input_shape("x".join(map(str, values))) == tuple(values)
    assert check_input_shape(values) == tuple(values)


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.lists(st.one_of(st.integers(-3, 5), st.floats(allow_nan=True), st.booleans(),
                       st.text(max_size=3), st.none()), max_size=6),
    st.text(max_size=10), st.integers(), st.none(),
))
def test_library_shape_check_is_a_shape_or_one_line(value):
    try:
        shape = check_input_shape(value)
    except SodbenchError as error:
        assert str(error).startswith(f"input_shape {value!r} is not N x C x H x W")
        assert len(str(error).splitlines()) == 1
        return
    assert len(shape) == 4 and all(type(n) is int and n >= 1 for n in shape)
    assert all(type(v) is int for v in value)
