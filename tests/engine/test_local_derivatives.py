"""Every row of the rules table against central differences, over many random inputs."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import RULES, MathError, Value, central_difference
from engine.gradcheck import agree

moderate = st.floats(min_value=-5, max_value=5, allow_nan=False).filter(lambda x: abs(x) > 1e-3)
positive = st.floats(min_value=0.05, max_value=5)

UNARY = {
    "neg": (lambda a: -a, moderate),
    "tanh": (lambda a: a.tanh(), moderate),
    "exp": (lambda a: a.exp(), moderate),
    "log": (lambda a: a.log(), positive),
    "relu": (lambda a: a.relu(), moderate.filter(lambda x: abs(x) > 1e-2)),
    "sigmoid": (lambda a: a.sigmoid(), moderate),
    "**2": (lambda a: a**2, moderate),
    "**-1": (lambda a: a**-1, moderate.filter(lambda x: abs(x) > 0.1)),
    "**0.5": (lambda a: a**0.5, positive),
    "**3": (lambda a: a**3, moderate),
}

BINARY = {
    "+": (lambda a, b: a + b, moderate, moderate),
    "-": (lambda a, b: a - b, moderate, moderate),
    "*": (lambda a, b: a * b, moderate, moderate),
    "/": (lambda a, b: a / b, moderate, moderate.filter(lambda x: abs(x) > 0.1)),
    "**": (lambda a, b: a**b, positive, st.floats(min_value=-3, max_value=3)),
}


def assert_matches_central_difference(out, leaf):
    out.backward()
    numeric = central_difference(out, leaf, h=1e-6)
    assert agree(leaf.grad, numeric, rtol=1e-4, atol=1e-6), (leaf.grad, numeric)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(UNARY)), st.data())
def test_unary_local_derivatives_match_central_differences(op, data):
    make, values = UNARY[op]
    a = Value(data.draw(values))
    assert_matches_central_difference(make(a), a)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BINARY)), st.data(), st.booleans())
def test_binary_local_derivatives_match_central_differences(op, data, wrt_right):
    make, left, right = BINARY[op]
    a, b = Value(data.draw(left)), Value(data.draw(right))
    try:
        out = make(a, b)
    except MathError:
        assume(False)
    assume(abs(out.data) < 1e6)
    assert_matches_central_difference(out, b if wrt_right else a)


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False), st.floats(allow_nan=False), st.sampled_from(sorted(BINARY)))
def test_any_operands_give_a_finite_value_or_a_math_error(x, y, op):
    make = BINARY[op][0]
    try:
        out = make(Value(x), Value(y))
    except MathError as error:
        assert error.op == op
    else:
        assert math.isfinite(out.data)
        if not all(math.isfinite(d) for d in out._local):  # only backward fails, naming the slope
            with pytest.raises(MathError, match="local derivative") as caught:
                out.backward()
            assert (caught.value.op, caught.value.what) == (op, "derivative")


@settings(max_examples=100, deadline=None)
@given(st.floats(allow_nan=False), st.floats(allow_nan=False), st.sampled_from(["+", "-", "*"]))
def test_the_written_out_operators_are_their_rows_of_the_table(x, y, op):
    # + - and * skip the table for speed: each must compute exactly what its row says, or refuse alike
    make = BINARY[op][0]
    rule = RULES[op]
    try:
        expected = rule.forward(x, y)
    except ArithmeticError:
        expected = math.nan
    try:
        out = make(Value(x), Value(y))
    except MathError as error:
        assert not math.isfinite(expected) and (error.op, error.operands) == (op, (x, y))
    else:
        assert out.data == expected and out._op == op
        assert out._local == rule.local(x, y, expected)
