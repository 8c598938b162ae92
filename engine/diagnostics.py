"""What the expression language says when a program is wrong: the parser's diagnostics.

``engine/expr.py`` is the language itself (token table, binding-power table, builder); this
module turns a problem it finds into a sentence a learner can act on: the one exception type
(``ExprError``: a message, a line and a column), a pasted look-alike character explained
(``'−' (U+2212 MINUS SIGN) is not ASCII '-'``), "did you mean" for a misspelt name, what is
missing or unexpected at a token, and a friendly sentence for an engine ``MathError``.
Nothing here evaluates Python code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .engine import MathError

if TYPE_CHECKING:
    from .expr import Token

OPERATORS = "+ - * / **"  # the language's operators, as messages list them
BINARY_OPERATORS = frozenset(OPERATORS.split())  # the signs + and - are among them
MAX_LISTED_NAMES = 10  # names one error message lists (those without a value, or those with one)


class ExprError(ValueError):
    """A program that can't be turned into a graph: what went wrong, and where (1-based)."""

    def __init__(self, message: str, line: int, column: int, source_line: str = "") -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line

    def __reduce__(self) -> tuple[type, tuple[str, int, int, str]]:
        return (ExprError, (self.message, self.line, self.column, self.source_line))

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}"
        if not self.source_line:
            return f"{self.message} ({where})"
        shown, caret = caret_window(self.source_line, self.column)
        return f"{self.message} ({where})\n    {shown}\n    {caret}^"


def caret_window(line: str, column: int, width: int = 72) -> tuple[str, str]:
    """The part of ``line`` around ``column`` (printable), and the padding that puts a caret under it."""
    start = max(0, column - 1 - width // 2)
    end = start + width
    shown = "".join(ch if ch == "\t" or ch.isprintable() else "?" for ch in line)
    prefix = "..." if start > 0 else ""
    suffix = "..." if end < len(line) else ""
    window = prefix + shown[start:end] + suffix
    pad = " " * len(prefix) + "".join("\t" if ch == "\t" else " " for ch in shown[start : column - 1])
    return window, pad


# ---------------------------------------------------------------------------------------
# Characters the tokenizer can't read

# Characters a student may paste from a document or a phone keyboard, and what they meant.
_LOOKALIKES = {
    "\u2212": "-",  # MINUS SIGN
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u2013": "-",  # EN DASH
    "\u2014": "-",  # EM DASH
    "\u00d7": "*",  # MULTIPLICATION SIGN
    "\u00b7": "*",  # MIDDLE DOT
    "\u22c5": "*",  # DOT OPERATOR
    "\u2219": "*",  # BULLET OPERATOR
    "\u2217": "*",  # ASTERISK OPERATOR
    "\u00f7": "/",  # DIVISION SIGN
    "\u2215": "/",  # DIVISION SLASH
    "\u2044": "/",  # FRACTION SLASH
    "\u2018": "'",  # quotes: explained as strings below
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2024": ".",  # ONE DOT LEADER
}
# Cyrillic and Greek letters that look exactly like Latin ones.
_LOOKALIKES.update(zip("аеорсухіјѕАВЕКМНОРСТХІЈЅ", "aeopcyxijsABEKMHOPCTXIJS", strict=True))
_LOOKALIKES.update(zip("οΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "oABEZHIKMNOPTYX", strict=True))

_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\x0b": "VERTICAL TAB",
    "\x0c": "FORM FEED",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}

_UNSUPPORTED_ASCII = {
    "^": "'^' is not a power operator (nor is it in Python); write a**b for a to the power b",
    "%": "'%' (remainder) is not part of the language; the operators are " + OPERATORS,
    ".": "a '.' must be part of a number like 2.5 or .5; attribute access (like math.tanh) "
    "is not part of the language: write tanh(x)",
    "[": "square brackets are not part of the language; use ( ) to group",
    "]": "square brackets are not part of the language; use ( ) to group",
    "{": "curly braces are not part of the language; use ( ) to group",
    "}": "curly braces are not part of the language; use ( ) to group",
    '"': "strings are not part of the language: only numbers, names, " + OPERATORS + " and ( )",
    "'": "strings are not part of the language: only numbers, names, " + OPERATORS + " and ( )",
    "`": "backquotes are not part of the language",
    ":": "':' is not part of the language (no lambdas, slices or blocks); write one statement per line",
    "\\": "'\\' is not part of the language; write each statement on its own line",
    "@": "'@' is not part of the language; the operators are " + OPERATORS,
    "!": "'!' is not part of the language; the operators are " + OPERATORS,
    "<": "comparisons are not part of the language; the operators are " + OPERATORS,
    ">": "comparisons are not part of the language; the operators are " + OPERATORS,
    "&": "'&' is not part of the language; the operators are " + OPERATORS,
    "|": "'|' is not part of the language; the operators are " + OPERATORS,
    "~": "'~' is not part of the language; the operators are " + OPERATORS,
    "$": "'$' is not allowed in names; names use letters, digits and _",
    "?": "'?' is not part of the language",
    "\u221a": "'√' (U+221A SQUARE ROOT) is not part of the language; for a square root write x**0.5",
}


def _describe_character(ch: str) -> str:
    """``'−' (U+2212 MINUS SIGN)``, or just the code point for what can't be shown."""
    code = f"U+{ord(ch):04X}"
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "")
    label = f"{code} {name}" if name else code
    if ch.isprintable() and unicodedata.category(ch)[0] != "M":
        return f"'{ch}' ({label})"
    return label


def explain_character(source: str, index: int) -> str:
    ch = source[index]
    if ch in _UNSUPPORTED_ASCII:
        if ch == "." and index > 0 and (source[index - 1].isalnum() or source[index - 1] in "_)"):
            return "attribute access (like math.tanh or a.data) is not part of the language; write tanh(x)"
        return _UNSUPPORTED_ASCII[ch]
    described = _describe_character(ch)
    meant = _LOOKALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
    if meant in ("'", '"'):
        return f"{described} is a quote; strings are not part of the language"
    if len(meant) == 1 and meant.isascii() and meant.isprintable() and meant != ch and meant != " ":
        if "SUPERSCRIPT" in unicodedata.name(ch, "") and meant.isdigit():
            return f"{described} is not ASCII; for a power write **{meant}"
        return f"{described} is not ASCII '{meant}'; did you mean '{meant}'?"
    if ch in _CONTROL_NAMES or unicodedata.category(ch) == "Cc":
        return f"the control character {described} is not allowed; delete it"
    category = unicodedata.category(ch)
    if category[0] == "Z" or category == "Cf" or meant == " ":
        return f"{described} is an unusual space or invisible character; use a plain space or delete it"
    if category[0] == "L":
        return f"{described} is not an ASCII letter; names use only A-Z, a-z, 0-9 and _"
    if category[0] == "N":
        return f"{described} is not an ASCII digit; numbers use only 0-9"
    return f"{described} is not part of the language; use ASCII: numbers, names, {OPERATORS}, ( )"


# ---------------------------------------------------------------------------------------
# A token the parser didn't expect


def is_op(token: Token, *texts: str) -> bool:
    return token.kind == "OP" and token.text in texts


def touching(first: Token, second: Token) -> bool:
    """Whether ``second`` starts right where ``first`` ends, with no space between."""
    return first.line == second.line and first.column + len(first.text) == second.column


def ends_statement(token: Token) -> bool:
    return token.kind in ("NEWLINE", "END") or is_op(token, ";")


def error_at(message: str, token: Token) -> ExprError:
    return ExprError(message, token.line, token.column)


def missing_operand(token: Token, previous: Token | None, lex_error: ExprError | None) -> ExprError:
    """The error for ``token`` where an expression should start (``previous``: the token before)."""
    if token.kind == "ERROR" and lex_error is not None:
        return lex_error
    if previous is not None and is_op(previous, "=") and (ends_statement(token) or is_op(token, "=")):
        return error_at("nothing after '='; give a value or an expression, like a = 2.0", previous)
    if previous is not None and is_op(previous, "(") and ends_statement(token):
        return error_at("this '(' is never closed; add a ')'", previous)
    if previous is not None and previous.kind == "OP" and previous.text in BINARY_OPERATORS:
        op = previous.text
        if is_op(token, "=") and touching(previous, token):
            return error_at(
                f"'{op}=' is not part of the language; write a = a {op} b, not a {op}= b", previous
            )
        if ends_statement(token) or is_op(token, ")", ","):
            return error_at(f"'{op}' needs something on its right", previous)
        if token.kind == "OP" and (token.text in BINARY_OPERATORS or token.text == "="):
            return error_at(f"'{op}' needs something on its right, not '{token.text}'", token)
    if token.kind == "OP" and token.text in BINARY_OPERATORS:
        return error_at(f"'{token.text}' needs something on its left", token)
    if is_op(token, "="):
        return error_at("'=' needs a single name on its left, like a = 2.0", token)
    return unexpected(token, previous, lex_error)


def unexpected(token: Token, previous: Token | None, lex_error: ExprError | None) -> ExprError:
    """The error for ``token`` where it can't go (mostly: right after a complete expression)."""
    if token.kind == "ERROR" and lex_error is not None:
        return lex_error
    if is_op(token, ")"):
        return error_at("this ')' has no matching '('", token)
    if is_op(token, "=="):
        return error_at(
            "'==' compares, and there are no comparisons here; to name a value write a = 2", token
        )
    if is_op(token, "//"):
        return error_at("'//' (floor division) is not part of the language; use '/'", token)
    if is_op(token, ","):
        return error_at(
            "',' is not part of the language: functions take one argument, "
            "and statements are separated by ';' or a new line",
            token,
        )
    if is_op(token, "="):
        return error_at("'=' can only follow a single name at the start of a statement, like e = a*b", token)
    if previous is None or ends_statement(previous):
        return error_at(f"unexpected '{token.text}'", token)
    adjacent = touching(previous, token)
    if adjacent and previous.kind == "NUMBER" and token.kind == "NAME":
        if token.text in ("e", "E"):
            return error_at(
                f"'{previous.text}{token.text}' is not a complete number: an exponent needs digits, "
                f"like 1e-3 (to multiply, write {previous.text}*{token.text})",
                token,
            )
        if token.text.startswith("_"):
            return error_at("numbers can't contain '_'; write 1000, not 1_000", token)
        return error_at(
            f"a number can't be followed directly by a name; did you mean {previous.text}*{token.text}?",
            token,
        )
    if adjacent and previous.kind == "NUMBER" and token.kind == "NUMBER":
        return error_at("a number can have only one decimal point", token)
    hint = f"; to multiply, write {previous.text}*(...)" if is_op(token, "(") else ""
    return error_at(
        f"expected an operator ({OPERATORS}) between '{previous.text}' and '{token.text}'{hint}", token
    )


# ---------------------------------------------------------------------------------------
# Names: did you mean, and which have a value


def suggest(name: str, known: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the known name fewest typos away, if it is a likely typo."""
    # none in a one-letter name (any other letter is "one typo away"), one in a short name,
    # two in a longer one
    limit = 0 if len(name) <= 1 else 1 if len(name) <= 4 else 2
    best, best_distance = "", limit + 1
    for candidate in known:
        distance = typos(name, candidate, best_distance - 1)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return f" (did you mean '{best}'?)" if best else ""


def typos(a: str, b: str, limit: int) -> int:
    """How many typos (a letter added, dropped, changed, or two neighbours swapped) turn ``a``
    into ``b``; any number over ``limit`` comes back as ``limit + 1``. Only cells within
    ``limit`` of the diagonal are computed, so the cost is about ``len(a) * (2 * limit + 1)``
    however many names an error compares (difflib's matcher is quadratic in the length).
    """
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    before, previous = [over] * (len(b) + 1), list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i if i <= limit else over] + [over] * len(b)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d = min(d, before[j - 2] + 1)  # two neighbours swapped
            current[j] = min(d, over)
        if min(current) > limit:
            return over
        before, previous = previous, current
    return previous[len(b)]


def names_with_values(names: Iterable[str]) -> str:
    """ "; names with a value: a, b, c" (at most MAX_LISTED_NAMES of them), or nothing."""
    names = list(dict.fromkeys(names))
    if not names:
        return ""
    listed = ", ".join(names[:MAX_LISTED_NAMES])
    more = f" and {len(names) - MAX_LISTED_NAMES:,} more" if len(names) > MAX_LISTED_NAMES else ""
    return f"; names with a value: {listed}{more}"


def missing_names(
    missing: dict[str, Token], assigned: dict[str, Token], values: Iterable[str], functions: Iterable[str]
) -> ExprError:
    """The error for names used with no value: ``missing`` (each name where it was first used);
    ``assigned``, the names the program assigns (where first); ``values``, the names given."""
    (first_name, first), *rest = missing.items()
    if not rest:
        later = assigned.get(first_name)
        if later is not None:
            message = (
                f"'{first_name}' is used before it gets a value (it is assigned on line {later.line}); "
                "move the assignment up"
            )
        else:
            names = [*assigned, *values]
            message = (
                f"'{first_name}' has no value{suggest(first_name, [*names, *functions])}; "
                f"assign it first, like {first_name} = 1.0{names_with_values(names)}"
            )
        return ExprError(message, first.line, first.column)
    listed = list(missing.items())[:MAX_LISTED_NAMES]
    where = ", ".join(f"'{name}' (line {token.line}, column {token.column})" for name, token in listed)
    if len(missing) > len(listed):
        where += f" and {len(missing) - len(listed):,} more"
    return ExprError(
        f"{len(missing):,} names have no value: {where}; assign each one first, like {first_name} = 1.0",
        first.line,
        first.column,
    )


# ---------------------------------------------------------------------------------------
# Arithmetic the engine can't do


def _number(x: float) -> str:
    return f"{x:.6g}"


def explain_math(error: MathError) -> str:
    """A student-friendly sentence for an engine MathError."""
    op, xs = error.op, error.operands
    a = _number(xs[0])
    b = _number(xs[1]) if len(xs) > 1 else ""
    if op == "**":
        shown = f"({a}) ** {b}" if xs[0] < 0 else f"{a} ** {b}"
    elif op in BINARY_OPERATORS:
        shown = f"{a} {op} {b}"
    else:
        shown = f"{op}({a})"
    if error.what == "derivative":  # the value is fine: its local derivative is not
        if op == "**" and xs[0] < 0:
            return (
                f"{shown} has a value, but its slope with respect to the exponent needs log({a}), "
                "which has no real value (use a constant exponent, like x**2)"
            )
        return f"{shown} has a value, but its slope there is not a finite number, so there is no gradient"
    if op == "/" and xs[1] == 0:
        return f"division by zero: {shown}"
    if op == "log" and xs[0] <= 0:
        return f"{shown} is undefined: log needs a number greater than 0"
    if op == "**" and xs[0] == 0 and xs[1] < 0:
        return f"{shown} divides by zero"
    if op == "**" and xs[0] < 0 and not float(xs[1]).is_integer():
        return f"{shown} has no real value: a negative number to a fractional power"
    return f"{shown} is too large for a float (it overflows past about 1.8e308)"


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_of(source: str, line: int) -> str:
    """The text of the 1-based ``line`` of ``source`` (quoted under an error)."""
    lines = _LINE_BREAK.split(source, maxsplit=line)
    return lines[line - 1] if line - 1 < len(lines) else ""


def position(source: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``source[index]``, counting lines as the tokenizer does."""
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source, 0, index)]
    return len(starts), index - starts[-1] + 1
