"""The expression language's errors, as tables: source -> error position and message; and its limits."""

from __future__ import annotations

import math
import pickle
import sys

import pytest

from engine.diagnostics import typos as count_typos
from engine.expr import (
    MAX_DEPTH,
    MAX_LISTED_NAMES,
    MAX_LITERAL_CHARS,
    MAX_NAME_CHARS,
    MAX_NODES,
    MAX_SOURCE_CHARS,
    ExprError,
    parse,
)

ERRORS = [
    # empty programs
    ("", 1, 1, "no expression"),
    ("# only a comment\n\n", 1, 1, "no expression"),
    (" ;; \n ; ", 1, 1, "no expression"),
    # operators and parentheses
    ("a +", 1, 3, "'+' needs something on its right"),
    ("a = 2\nb = a *\n", 2, 7, "'*' needs something on its right"),
    ("(a+)", 1, 3, "'+' needs something on its right"),
    ("a * * b", 1, 5, "'*' needs something on its right"),
    ("*a", 1, 1, "'*' needs something on its left"),
    ("a = ** 2", 1, 5, "'**' needs something on its left"),
    ("(a+b", 1, 1, "'(' is never closed"),
    ("x = 2 * (a + (b", 1, 14, "'(' is never closed"),
    ("tanh(a", 1, 5, "'(' is never closed"),
    ("(a\nb = 2", 1, 1, "'(' is never closed"),
    ("(a; b)", 1, 1, "'(' is never closed"),
    ("a)", 1, 2, "')' has no matching '('"),
    ("a + )", 1, 3, "'+' needs something on its right"),
    (")", 1, 1, "')' has no matching '('"),
    ("()", 1, 1, "empty parentheses"),
    ("a b", 1, 3, "expected an operator (+ - * / **) between 'a' and 'b'"),
    ("a\t2", 1, 3, "between 'a' and '2'"),
    ("(a)(b)", 1, 4, "between ')' and '('"),
    ("2(3)", 1, 2, "to multiply, write 2*(...)"),
    ("2x", 1, 2, "a number can't be followed directly by a name; did you mean 2*x?"),
    ("3 * 2ab", 1, 6, "did you mean 2*ab?"),
    ("2 x", 1, 3, "expected an operator"),
    ("1e", 1, 2, "'1e' is not a complete number"),
    ("1e+", 1, 2, "'1e' is not a complete number"),
    ("1.2.3", 1, 4, "only one decimal point"),
    ("1_000", 1, 2, "numbers can't contain '_'"),
    ("a == b", 1, 3, "'==' compares"),
    ("a // b", 1, 3, "floor division"),
    ("a ^ 2", 1, 3, "write a**b"),
    ("a % 2", 1, 3, "remainder"),
    ("a < b", 1, 3, "comparisons"),
    ("a = b = 2", 1, 7, "'=' can only follow a single name"),
    ("(a) = 2", 1, 5, "'=' can only follow a single name"),
    ("2 = a", 1, 3, "'=' can only follow a single name"),
    ("= 2", 1, 1, "'=' needs a single name on its left"),
    ("a = ", 1, 3, "nothing after '='"),
    ("a += 1", 1, 3, "'+=' is not part of the language; write a = a + b, not a += b"),
    ("a **= 2", 1, 3, "'**=' is not part of the language"),
    ("a + = 1", 1, 5, "'+' needs something on its right, not '='"),
    ("a = = 2", 1, 3, "nothing after '='"),
    ("a = 2\nb =\nb", 2, 3, "nothing after '='"),
    ("a, b", 1, 2, "','"),
    ("exp(a, b)", 1, 6, "exp() takes exactly one argument"),
    ("tanh()", 1, 6, "tanh() needs one argument"),
    # functions and names
    ("sin(a)", 1, 1, "unknown function 'sin'; the functions are tanh, exp, log, relu, sigmoid"),
    ("Tanh(a)", 1, 1, "did you mean 'tanh'?"),
    ("tanh", 1, 1, "'tanh' is a function: call it like tanh(x)"),
    ("tanh a", 1, 1, "'tanh' is a function"),
    ("tanh = 2", 1, 1, "'tanh' is a function; choose another name"),
    ("a(3)", 1, 1, "unknown function 'a'"),
    ("a = 2\na(3)", 2, 2, "'a' is a variable, not a function; to multiply, write a*(...)"),
    ("q", 1, 1, "'q' has no value; assign it first, like q = 1.0"),
    ("q + r*q + s\n", 1, 1, "3 names have no value: 'q' (line 1, column 1), 'r' (line 1, column 5), 's'"),
    ("rate = 1\n2*rte", 2, 3, "'rte' has no value (did you mean 'rate'?)"),
    ("a = 1; b = 2; q", 1, 15, "'q' has no value; assign it first, like q = 1.0; names with a value: a, b"),
    ("velocity = 1; 2*velcoity", 1, 17, "(did you mean 'velocity'?)"),  # two letters swapped
    ("x = 1; y", 1, 8, "'y' has no value; assign"),  # no "did you mean 'x'" for a one-letter name
    ("p = q; q = 2; p", 1, 5, "'q' is used before it gets a value (it is assigned on line 1)"),
    ("__import__('os')", 1, 1, "names can't start with '__'"),
    ("__class__", 1, 1, "names can't start with '__'"),
    ("lambda: 1", 1, 1, "'lambda' is a Python keyword"),
    ("import os", 1, 1, "'import' is a Python keyword"),
    ("x = 1\nif x", 2, 1, "'if' is a Python keyword"),
    ("None = 2", 1, 1, "'None' is a Python keyword"),
    # characters that are not part of the language
    ("a.b", 1, 2, "attribute access"),
    ("math.tanh(a)", 1, 5, "attribute access"),
    ("(a).data", 1, 4, "attribute access"),
    ("a + .", 1, 5, "a '.' must be part of a number"),
    ("'a'", 1, 1, "strings are not part of the language"),
    ('a + "b"', 1, 5, "strings are not part of the language"),
    ("a[0]", 1, 2, "square brackets"),
    ("{}", 1, 1, "curly braces"),
    ("lambda_ = 1; f = lambda_ : 2", 1, 26, "':' is not part of the language"),
    ("a \\\n + b", 1, 3, "'\\' is not part of the language"),
    ("a @ b", 1, 3, "'@'"),
    ("a + b!", 1, 6, "'!'"),
    ("x−1", 1, 2, "'−' (U+2212 MINUS SIGN) is not ASCII '-'; did you mean '-'?"),
    ("x – 1", 1, 3, "(U+2013 EN DASH) is not ASCII '-'"),
    ("a × b", 1, 3, "'×' (U+00D7 MULTIPLICATION SIGN) is not ASCII '*'; did you mean '*'?"),
    ("a·b", 1, 2, "did you mean '*'?"),
    ("a ÷ b", 1, 3, "'÷' (U+00F7 DIVISION SIGN) is not ASCII '/'"),
    ("a ＋ b", 1, 3, "(U+FF0B FULLWIDTH PLUS SIGN) is not ASCII '+'"),
    ("１ + a", 1, 1, "(U+FF11 FULLWIDTH DIGIT ONE) is not ASCII '1'"),
    ("（a）", 1, 1, "FULLWIDTH LEFT PARENTHESIS"),
    ("а = 2", 1, 1, "'а' (U+0430 CYRILLIC SMALL LETTER A) is not ASCII 'a'; did you mean 'a'?"),
    ("xо = 2", 1, 2, "U+043E CYRILLIC SMALL LETTER O"),
    ("Α*2", 1, 1, "GREEK CAPITAL LETTER ALPHA) is not ASCII 'A'"),
    ("a²", 1, 2, "'²' (U+00B2 SUPERSCRIPT TWO) is not ASCII; for a power write **2"),
    ("λ = 2", 1, 1, "'λ' (U+03BB GREEK SMALL LETTER LAMDA) is not an ASCII letter"),
    ("café = 2", 1, 4, "LATIN SMALL LETTER E WITH ACUTE"),
    ("a + ٣", 1, 5, "ARABIC-INDIC DIGIT THREE"),
    ("a = ‘b’", 1, 5, "is a quote; strings are not part of the language"),
    ("a\u00a0+ b", 1, 2, "U+00A0 NO-BREAK SPACE is an unusual space"),
    ("a\u200b+ b", 1, 2, "U+200B ZERO WIDTH SPACE"),
    ("\ufeffa", 1, 1, "U+FEFF"),
    ("a\x00", 1, 2, "control character U+0000 NUL"),
    ("a = 1\n\x1b[31mb", 2, 1, "U+001B ESCAPE"),
    ("a\x0cb", 1, 2, "FORM FEED"),
    ("a\x7f", 1, 2, "DELETE"),
    ("\ud800", 1, 1, "U+D800"),
    ("€", 1, 1, "'€' (U+20AC EURO SIGN) is not part of the language"),
    ("a + √b", 1, 5, "for a square root write x**0.5"),
    ("𝑥 = 2", 1, 1, "(U+1D465 MATHEMATICAL ITALIC SMALL X) is not ASCII 'x'"),
    ("a\u2028b", 1, 2, "LINE SEPARATOR is an unusual space"),
    ("a + ̀b", 1, 5, "U+0300 COMBINING GRAVE ACCENT is not part of the language"),
    # positions across line endings and tabs (a tab is one column)
    ("a = 1\r\nb = 2\r\nc +", 3, 3, "'+' needs something on its right"),
    ("a = 1\rb +", 2, 3, "'+' needs something on its right"),
    ("\ta +", 1, 4, "'+' needs something on its right"),
    ("a = 1 # ok\n\n\t b ^ 2", 3, 5, "'^'"),
    # arithmetic the engine can't do, at the failing operator or function
    ("9**9**9", 1, 2, "9 ** 3.8742e+08 is too large for a float"),
    ("exp(1000)", 1, 1, "exp(1000) is too large for a float"),
    ("x = 1e200\ny = x*x", 2, 6, "1e+200 * 1e+200 is too large"),
    ("1e308 + 1e308", 1, 7, "is too large"),
    ("log(0)", 1, 1, "log(0) is undefined: log needs a number greater than 0"),
    ("a = 1\nb = 2 + log(-a)", 2, 9, "log(-1) is undefined"),
    ("z = 0\n1/z", 2, 2, "division by zero: 1 / 0"),
    ("3 / (1 - 1)", 1, 3, "division by zero: 3 / 0"),
    ("0**-1", 1, 2, "0 ** -1 divides by zero"),
    ("(-8)**(1/3)", 1, 5, "(-8) ** 0.333333 has no real value: a negative number to a fractional power"),
    ("z = 0; z**0.5", 1, 9, "0 ** 0.5 has a value, but its slope there is not a finite number"),
    ("z = -2; z**(1+1)", 1, 10, "needs log(-2), which has no real value"),
    # literal limits
    ("1e999", 1, 1, "the number 1e999 is too large"),
    ("a = -1e999", 1, 6, "the number 1e999 is too large"),
    ("1" * (MAX_LITERAL_CHARS + 1), 1, 1, f"longer than {MAX_LITERAL_CHARS} characters"),
    ("v" * (MAX_NAME_CHARS + 1) + " = 1", 1, 1, f"longer than {MAX_NAME_CHARS} characters"),
]


@pytest.mark.parametrize(("source", "line", "column", "fragment"), ERRORS)
def test_parse_errors_say_what_and_where(source: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse(source)
    error = caught.value
    assert fragment in error.message
    assert (error.line, error.column) == (line, column), error.message


def test_a_missing_name_error_lists_the_names_that_have_values_and_suggests_from_them() -> None:
    with pytest.raises(ExprError) as caught:
        parse("a = 1\n2*rte + a", {"rate": 0.5, "x": 2.0})
    assert caught.value.message == (
        "'rte' has no value (did you mean 'rate'?); assign it first, like rte = 1.0; "
        "names with a value: a, rate, x"
    )
    names = [f"n{i}" for i in range(MAX_LISTED_NAMES + 5)]
    with pytest.raises(ExprError) as caught:
        parse("zz", dict.fromkeys(names, 1.0))
    listed = ", ".join(names[:MAX_LISTED_NAMES])
    assert caught.value.message.endswith(f"names with a value: {listed} and 5 more")


def test_many_missing_names_are_listed_up_to_the_limit_with_a_count_of_the_rest() -> None:
    source = " + ".join(f"m{i}" for i in range(MAX_LISTED_NAMES + 3))
    with pytest.raises(ExprError) as caught:
        parse(source)
    message = caught.value.message
    assert message.startswith(f"{MAX_LISTED_NAMES + 3} names have no value: 'm0' (line 1, column 1), ")
    assert f"'m{MAX_LISTED_NAMES - 1}'" in message and f"'m{MAX_LISTED_NAMES}'" not in message
    assert "and 3 more" in message


@pytest.mark.parametrize(
    ("a", "b", "typos"),
    [
        ("rate", "rate", 0),
        ("rte", "rate", 1),  # dropped
        ("rate", "rte", 1),  # added
        ("rate", "rbte", 1),  # changed
        ("tahn", "tanh", 1),  # neighbours swapped
        ("kitten", "sitting", 3),
        ("abcdef", "abcfed", 2),
        ("a" * 64, "b" * 64, 3),  # over the limit: limit + 1
    ],
)
def test_typos_counts_edits_up_to_a_limit(a: str, b: str, typos: int) -> None:
    assert count_typos(a, b, 2) == min(typos, 3)
    assert count_typos(b, a, 2) == min(typos, 3)


def test_errors_come_in_the_order_of_the_text() -> None:
    with pytest.raises(ExprError) as caught:
        parse("a b €")
    assert caught.value.column == 3
    with pytest.raises(ExprError) as caught:
        parse("a €")
    assert "EURO SIGN" in caught.value.message


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"a": float("nan")}, "(nan) is not a finite number"),
        ({"a": float("inf")}, "(inf) is not a finite number"),
        ({"a": "2"}, "('2') is not a finite number"),
        ({"a": True}, "(True) is not a finite number"),
        ({"a": None}, "(None) is not a finite number"),
        ({"a": 10**400}, "(1000000000000000000000000000000000000...) is not a finite number"),
        ({"a": 10**5000}, "(of type int) is not a finite number"),
    ],
)
def test_bad_values_are_reported_where_first_used(values: dict[str, object], fragment: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse("b = 1\nb + a", values)  # type: ignore[arg-type]
    assert fragment in caught.value.message
    assert (caught.value.line, caught.value.column) == (2, 5)


def test_parse_needs_a_string() -> None:
    with pytest.raises(TypeError):
        parse(b"a + b")  # type: ignore[arg-type]


# --- limits ---------------------------------------------------------------------------


def test_source_limit() -> None:
    parse("1" + " " * (MAX_SOURCE_CHARS - 1))
    with pytest.raises(ExprError) as caught:
        parse("a = 1\n" * 2000)
    assert f"the limit is {MAX_SOURCE_CHARS:,}" in caught.value.message
    assert (caught.value.line, caught.value.column) == (MAX_SOURCE_CHARS // 6 + 1, MAX_SOURCE_CHARS % 6 + 1)


def test_ten_thousand_open_parens_hit_the_depth_limit() -> None:
    with pytest.raises(ExprError) as caught:
        parse("(" * 10_000)
    assert "nested too deeply" in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, MAX_DEPTH + 2)  # the first '(' past the limit
    with pytest.raises(ExprError) as caught:
        parse("(" * (MAX_SOURCE_CHARS + 1))  # the source limit speaks first
    assert "the limit is" in caught.value.message


@pytest.mark.parametrize(
    "source",
    [
        "-" * 5000 + "a",
        "+" * 5000 + "a",
        "a" + "**a" * 2000,
        "tanh(" * 1000 + "a" + ")" * 1000,
        "(a+(" * 1000 + "a" + "))" * 1000,
        "-(" * 3000 + "a" + ")" * 3000,
    ],
)
def test_deep_nesting_is_an_expr_error_not_a_recursion_error(source: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse(source, {"a": 0.5})
    assert "nested too deeply" in caught.value.message


@pytest.mark.parametrize(
    "nest",
    [
        lambda n: "(" * n + "a" + ")" * n,
        lambda n: "-" * n + "a",
        lambda n: "-" * n + "2",  # a literal: signs fold into it, but each one is still a level
        lambda n: "tanh(" * n + "a" + ")" * n,
        lambda n: "a" + "**a" * n,  # each '**' waits for its right side
    ],
)
def test_nesting_exactly_max_depth_parses_and_one_more_level_does_not(nest) -> None:
    assert math.isfinite(parse(nest(MAX_DEPTH), {"a": 0.5}).data)
    with pytest.raises(ExprError) as caught:
        parse(nest(MAX_DEPTH + 1), {"a": 0.5})
    assert f"nested too deeply (more than {MAX_DEPTH} levels" in caught.value.message


def test_worst_nesting_fits_under_a_deep_caller_stack() -> None:
    # each level costs at most two frames; parse from 300 frames down
    def call_from(depth: int) -> float:
        if depth:
            return call_from(depth - 1)
        return parse("tanh(-" * 99 + "a" + ")" * 99, {"a": 0.5}).data

    assert call_from(300) != 0


def test_a_caller_with_a_nearly_full_stack_still_gets_an_expr_error() -> None:
    def call_from(depth: int) -> None:
        if depth:
            return call_from(depth - 1)
        parse("(" * (MAX_DEPTH - 1) + "a" + ")" * (MAX_DEPTH - 1), {"a": 1})

    with pytest.raises(ExprError, match="nested too deeply"):
        call_from(sys.getrecursionlimit() - 100)


def test_node_limit() -> None:
    parse("+".join(["1"] * (MAX_NODES // 2)))  # n leaves and n - 1 sums
    with pytest.raises(ExprError) as caught:
        parse("+".join(["1"] * (MAX_NODES // 2 + 1)))
    error = caught.value
    assert f"more than {MAX_NODES:,} nodes" in error.message
    # the 5,001st node: the last '+' (the leaves and sums alternate in postfix order)
    assert (error.line, error.column) == (1, 2 * (MAX_NODES // 2 + 1) - 2)


def test_node_limit_counts_every_statement() -> None:
    line = "+".join(["1"] * 10)  # 19 nodes
    with pytest.raises(ExprError) as caught:
        parse("\n".join([line] * 300))
    # node 5,001 is the fourth of line 264: in postfix order 1 1 + 1, the third '1'
    assert (caught.value.line, caught.value.column) == (MAX_NODES // 19 + 1, 5)
    assert "nodes" in caught.value.message


# --- the error object -----------------------------------------------------------------


def test_str_shows_the_line_and_a_caret_under_the_column() -> None:
    with pytest.raises(ExprError) as caught:
        parse("a = 2\nb = a +* 3")
    text = str(caught.value)
    lines = text.splitlines()
    assert lines[0] == "'+' needs something on its right, not '*' (line 2, column 8)"
    assert lines[1].strip() == "b = a +* 3"
    assert lines[2].index("^") == lines[1].index("*")


def test_caret_keeps_tabs_so_it_lines_up() -> None:
    with pytest.raises(ExprError) as caught:
        parse("\t\ta ^ 2")
    source_line, caret = str(caught.value).splitlines()[1:]
    assert caret.expandtabs(8).index("^") == source_line.expandtabs(8).index("^")


def test_caret_on_a_long_line_shows_the_part_around_the_column() -> None:
    source = "a = " + "1 + " * 2000 + "$"
    with pytest.raises(ExprError) as caught:
        parse(source)
    source_line, caret = str(caught.value).splitlines()[1:]
    assert len(source_line) < 100
    assert source_line[caret.index("^")] == "$"


def test_str_replaces_unprintable_characters() -> None:
    with pytest.raises(ExprError) as caught:
        parse("a\x00b")
    source_line, caret = str(caught.value).splitlines()[1:]
    assert "\x00" not in source_line
    assert caret.index("^") == source_line.index("a") + 1


def test_expr_error_fields_and_pickling() -> None:
    error = ExprError("bad", 3, 4, "x y z")
    assert (error.message, error.line, error.column) == ("bad", 3, 4)
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.line, copy.column, str(copy)) == ("bad", 3, 4, str(error))
    assert str(ExprError("bad", 1, 1)) == "bad (line 1, column 1)"
