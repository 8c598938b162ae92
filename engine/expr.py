"""The expression language: typed text in, a labeled ``Value`` graph out.

    a = 2.0; b = -3.0; c = 10; f = -2
    L = (a*b + c)*f

Statements are separated by newlines or ``;``; ``#`` starts a comment; the last statement
is the output. ``name = <expression>`` labels the node the expression produces, so
``name = -3.0`` makes a leaf labeled ``name``. ``d = a`` (a bare name on the right) makes
``d`` another name for the node ``a`` already is: no new node, and the node keeps its
label ``a``. Names used before any assignment take their values from ``values``.
As in a micrograd program, a literal is a number, not an operation: ``-3`` is a leaf
holding -3 (no 'neg' node), and ``x**2`` has a constant exponent (the '**2' node).

Three stages, each a textbook piece: a tokenizer driven by a table of regular
expressions, a Pratt parser driven by a table of binding powers (it emits each
statement in postfix order and checks names), and a builder that runs those postfix steps
with a stack of values, making the graph with the engine's operators (no recursion, so
long chains are fine). Nothing here evaluates Python code.
Every failure, including arithmetic the engine can't do, is an ``ExprError`` with a line
and column.
"""

from __future__ import annotations

import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Real
from typing import NamedTuple

from .engine import RULES, MathError, Value

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LITERAL_CHARS",
    "MAX_NAME_CHARS",
    "MAX_NODES",
    "MAX_SOURCE_CHARS",
    "ExprError",
    "Token",
    "name_problem",
    "parse",
    "tokenize",
]

# Limits. Each one, crossed, is an ExprError at the place it happened.
MAX_SOURCE_CHARS = 10_000  # characters in a whole program
MAX_NODES = 5_000  # graph nodes a program may create (leaves included)
MAX_DEPTH = 200  # nesting: each open '(' or call, sign, and operator awaiting its right side
MAX_LITERAL_CHARS = 40  # characters in one number literal
MAX_NAME_CHARS = 64  # characters in one name
MAX_LISTED_NAMES = 10  # names one error message lists (those without a value, or those with one)

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
}

_AVAILABLE = ", ".join(FUNCTIONS)
_OPERATORS = "+ - * / **"


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def name_problem(name: str, assigning: bool = True) -> str | None:
    """Why ``name`` can't be a variable of the language, or None when it can: the parser's rules
    for every name it reads, and the check for names given outside a program (``values``' keys).
    ``assigning``: a name that gets a value (so not a function's)."""
    if not _NAME.fullmatch(name):
        return f"{name!r} is not a name: names are ASCII letters, digits and _, not starting with a digit"
    if len(name) > MAX_NAME_CHARS:
        return f"this name is longer than {MAX_NAME_CHARS} characters"
    if name.startswith("__"):
        return f"names can't start with '__' ('{name}'): this is not Python, only arithmetic"
    if keyword.iskeyword(name):
        return (
            f"'{name}' is a Python keyword; this language has only numbers, names, "
            f"{_OPERATORS}, ( ) and the functions {_AVAILABLE}"
        )
    if assigning and name in FUNCTIONS:
        return f"'{name}' is a function; choose another name to assign to"
    return None


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
        shown, caret = _caret_window(self.source_line, self.column)
        return f"{self.message} ({where})\n    {shown}\n    {caret}^"


def _caret_window(line: str, column: int, width: int = 72) -> tuple[str, str]:
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
# Tokenizer: the `re` module's "Writing a Tokenizer" recipe.


class Token(NamedTuple):
    kind: str  # NUMBER, NAME, OP (text is the operator), NEWLINE or END (ERROR: see _Parser)
    text: str
    line: int  # 1-based
    column: int  # 1-based, counted in characters


TOKEN_SPEC = [
    ("NUMBER", r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"),  # 2, 2.0, .5, 1e-3
    ("NAME", r"[A-Za-z_][A-Za-z0-9_]*"),  # ASCII identifiers only
    ("OP", r"\*\*|==|//|[-+*/()=;,]"),  # '==' and '//' only to explain them
    ("NEWLINE", r"\r\n|\r|\n"),
    ("SKIP", r"[ \t]+"),
    ("COMMENT", r"#[^\r\n]*"),
    ("MISMATCH", r"."),  # anything else: explained and rejected
]
_TOKEN_RE = re.compile("|".join(f"(?P<{kind}>{regex})" for kind, regex in TOKEN_SPEC), re.DOTALL)


def tokenize(source: str) -> Iterator[Token]:
    """The tokens of ``source``, ending with one END token. Raises ExprError at a bad character."""
    line, line_start = 1, 0
    for match in _TOKEN_RE.finditer(source):
        kind = match.lastgroup
        if kind == "SKIP" or kind == "COMMENT":
            continue
        column = match.start() - line_start + 1
        if kind == "MISMATCH":
            raise ExprError(_explain_character(source, match.start()), line, column)
        assert kind is not None
        yield Token(kind, match.group(), line, column)
        if kind == "NEWLINE":
            line, line_start = line + 1, match.end()
    yield Token("END", "", line, len(source) - line_start + 1)


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
    "%": "'%' (remainder) is not part of the language; the operators are " + _OPERATORS,
    ".": "a '.' must be part of a number like 2.5 or .5; attribute access (like math.tanh) "
    "is not part of the language: write tanh(x)",
    "[": "square brackets are not part of the language; use ( ) to group",
    "]": "square brackets are not part of the language; use ( ) to group",
    "{": "curly braces are not part of the language; use ( ) to group",
    "}": "curly braces are not part of the language; use ( ) to group",
    '"': "strings are not part of the language: only numbers, names, " + _OPERATORS + " and ( )",
    "'": "strings are not part of the language: only numbers, names, " + _OPERATORS + " and ( )",
    "`": "backquotes are not part of the language",
    ":": "':' is not part of the language (no lambdas, slices or blocks); write one statement per line",
    "\\": "'\\' is not part of the language; write each statement on its own line",
    "@": "'@' is not part of the language; the operators are " + _OPERATORS,
    "!": "'!' is not part of the language; the operators are " + _OPERATORS,
    "<": "comparisons are not part of the language; the operators are " + _OPERATORS,
    ">": "comparisons are not part of the language; the operators are " + _OPERATORS,
    "&": "'&' is not part of the language; the operators are " + _OPERATORS,
    "|": "'|' is not part of the language; the operators are " + _OPERATORS,
    "~": "'~' is not part of the language; the operators are " + _OPERATORS,
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


def _explain_character(source: str, index: int) -> str:
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
    return f"{described} is not part of the language; use ASCII: numbers, names, {_OPERATORS}, ( )"


# ---------------------------------------------------------------------------------------
# Parser: Pratt's top-down operator precedence. The grammar is in these tables.

# Binary operators: (left binding power, right binding power). Higher binds tighter;
# a right power below the left one makes the operator right-associative.
INFIX: dict[str, tuple[int, int]] = {
    "+": (10, 11),
    "-": (10, 11),
    "*": (20, 21),
    "/": (20, 21),
    "**": (40, 39),  # right-associative: 2**3**2 is 2**(3**2)
}
# Prefix operators: the binding power of their operand. Below '**', so -a**2 is -(a**2).
PREFIX: dict[str, int] = {
    "+": 30,
    "-": 30,
}


# One instruction of the postfix program the parser emits (inputs come before their op):
# (kind, token, number). kind is 'num', 'name', 'bin', 'powk' (a constant exponent, as
# micrograd's a**2), 'neg' or 'call'; the token says which operator, function or name, and
# where (for errors while building); number is a literal's value or the constant exponent.
# A plain tuple: a program has up to 10,000 of them, and a NamedTuple costs 10x to make.
Step = tuple[str, Token, float]


class Statement(NamedTuple):
    target: str | None  # the assigned name, if any
    steps: list[Step]  # the expression in postfix order: a*b+c is a b * c +


def _is_op(token: Token, *texts: str) -> bool:
    return token.kind == "OP" and token.text in texts


def _touching(first: Token, second: Token) -> bool:
    """Whether ``second`` starts right where ``first`` ends, with no space between."""
    return first.line == second.line and first.column + len(first.text) == second.column


def _ends_statement(token: Token) -> bool:
    return token.kind in ("NEWLINE", "END") or _is_op(token, ";")


class _Parser:
    def __init__(self, source: str, values: Mapping[str, float]) -> None:
        self.tokens: list[Token] = []
        self.lex_error: ExprError | None = None  # raised when the parser reaches the bad character
        try:
            for token in tokenize(source):
                self.tokens.append(token)
        except ExprError as error:
            self.lex_error = error
            self.tokens.append(Token("ERROR", "", error.line, error.column))
        self.tokens += [self.tokens[-1]] * 3  # peeking past the end finds the last token again
        self.pos = 0
        self.values = values
        self.assigned: dict[str, Token] = {}  # names assigned so far, and where first
        self.missing: dict[str, Token] = {}  # names used with no value, and where first used
        self.checked: set[str] = set()  # names already found valid
        self.checked_values: set[str] = set()  # names whose value in ``values`` is a fine number
        self.steps: list[Step] = []  # the statement being parsed, in postfix order

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[self.pos + ahead]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def emit(self, kind: str, token: Token, number: float = 0.0) -> Step:
        step = (kind, token, number)
        self.steps.append(step)
        return step

    # -- statements
    def program(self) -> list[Statement]:
        statements = []
        while self.peek().kind != "END":
            if _ends_statement(self.peek()):
                self.advance()
                continue
            statements.append(self.statement())
            token = self.peek()
            if not _ends_statement(token):
                raise self.unexpected(token, self.tokens[self.pos - 1])
        if not statements:
            raise ExprError("the program has no expression to compute; write one, like (a*b + c)*f", 1, 1)
        return statements

    def statement(self) -> Statement:
        first, second = self.peek(), self.peek(1)
        if first.kind == "NAME" and _is_op(second, "="):
            self.check_name(first, assigning=True)
            self.pos += 2
            self.steps = []
            self.expression(0, 0)
            self.assigned.setdefault(first.text, first)
            return Statement(first.text, self.steps)
        self.steps = []
        self.expression(0, 0)
        return Statement(None, self.steps)

    # -- expressions
    def expression(self, rbp: int, depth: int) -> Step:
        """Parse an expression whose operators bind tighter than ``rbp``; return its last step.

        Every nested call is one level of ``depth``: an open parenthesis or function call,
        a sign, or an operator waiting for its right side. Each level costs two Python
        frames at most, so MAX_DEPTH keeps the recursion well inside Python's limit.
        """
        if depth >= MAX_DEPTH:
            raise self.error(
                f"the expression is nested too deeply (more than {MAX_DEPTH} levels of "
                "parentheses, calls, signs and operators)",
                self.peek(),
            )
        left = self.prefix(depth)
        while True:
            token = self.tokens[self.pos]
            if token.kind != "OP" or token.text not in INFIX:
                return left
            lbp, next_rbp = INFIX[token.text]
            if lbp <= rbp:
                return left
            self.advance()
            right = self.expression(next_rbp, depth + 1)
            if token.text == "**" and right[0] == "num":
                self.steps.pop()
                left = self.emit("powk", token, right[2])
            else:
                left = self.emit("bin", token)

    def prefix(self, depth: int) -> Step:
        """What can start an expression: a number, a name, a call, a sign, or '('."""
        token = self.tokens[self.pos]
        self.pos += 1
        if token.kind == "NAME":
            following = self.tokens[self.pos]
            if following.kind != "OP" or following.text != "(":
                return self.name(token)
        if token.kind == "NUMBER":
            return self.emit("num", token, self.number(token))
        if token.kind == "NAME":  # followed by '(': a call
            opening = self.advance()
            self.check_function(token, opening)
            if _is_op(self.peek(), ")"):
                raise self.error(f"{token.text}() needs one argument, like {token.text}(x)", self.peek())
            self.expression(0, depth + 1)
            self.close(opening, function=token.text)
            return self.emit("call", token)
        if token.kind == "OP" and token.text in PREFIX:
            operand = self.expression(PREFIX[token.text], depth + 1)
            if token.text == "+":
                return operand
            if operand[0] == "num":  # -3 is a number, as in Python: no 'neg' node
                self.steps.pop()
                return self.emit("num", token, -operand[2])
            return self.emit("neg", token)
        if _is_op(token, "("):
            if _is_op(self.peek(), ")"):
                raise self.error("empty parentheses: put an expression inside ( )", token)
            inner = self.expression(0, depth + 1)
            self.close(token)
            return inner
        raise self.missing_operand(token)

    def name(self, token: Token) -> Step:
        if token.text not in self.checked:
            self.check_name(token, assigning=False)
            if token.text in FUNCTIONS:
                raise self.error(f"'{token.text}' is a function: call it like {token.text}(x)", token)
            self.checked.add(token.text)
        if token.text not in self.assigned and token.text not in self.checked_values:
            if token.text in self.values:
                self.check_value(token)
                self.checked_values.add(token.text)
            else:
                self.missing.setdefault(token.text, token)
        return self.emit("name", token)

    def close(self, opening: Token, function: str = "") -> None:
        token = self.peek()
        if _is_op(token, ")"):
            self.advance()
            return
        if _ends_statement(token):
            raise self.error("this '(' is never closed; add a ')'", opening)
        if _is_op(token, ",") and function:
            raise self.error(f"{function}() takes exactly one argument", token)
        raise self.unexpected(token, self.tokens[self.pos - 1])

    # -- checks
    def number(self, token: Token) -> float:
        if len(token.text) > MAX_LITERAL_CHARS:
            raise self.error(f"this number is longer than {MAX_LITERAL_CHARS} characters", token)
        value = float(token.text)  # safe: the token is ASCII digits, '.', 'e' and a sign
        if math.isinf(value):
            raise self.error(f"the number {token.text} is too large (floats go up to about 1.8e308)", token)
        return value

    def check_name(self, token: Token, assigning: bool) -> None:
        problem = name_problem(token.text, assigning)
        if problem is not None:
            raise self.error(problem, token)

    def check_function(self, token: Token, opening: Token) -> None:
        name = token.text
        if name in FUNCTIONS:
            return
        self.check_name(token, assigning=False)
        if name in self.assigned or name in self.values:
            raise self.error(
                f"'{name}' is a variable, not a function; to multiply, write {name}*(...)", opening
            )
        raise self.error(
            f"unknown function '{name}'{_suggest(name, FUNCTIONS)}; the functions are {_AVAILABLE}", token
        )

    def check_value(self, token: Token) -> None:
        value = self.values[token.text]
        try:
            fine = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
        except (OverflowError, ValueError):  # an int too large for a float
            fine = False
        if not fine:
            try:
                shown = repr(value)
            except Exception:  # noqa: BLE001 - only for the message; e.g. an int with too many digits
                shown = f"of type {type(value).__name__}"
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise self.error(f"the value given for '{token.text}' ({shown}) is not a finite number", token)

    # -- messages
    def missing_operand(self, token: Token) -> ExprError:
        """The error for ``token`` where an expression should start."""
        if token.kind == "ERROR" and self.lex_error is not None:
            return self.lex_error
        previous = self.tokens[self.pos - 2] if self.pos >= 2 else None
        if previous is not None and _is_op(previous, "=") and (_ends_statement(token) or _is_op(token, "=")):
            return self.error("nothing after '='; give a value or an expression, like a = 2.0", previous)
        if previous is not None and _is_op(previous, "(") and _ends_statement(token):
            return self.error("this '(' is never closed; add a ')'", previous)
        if previous is not None and previous.kind == "OP" and previous.text in INFIX | PREFIX:
            op = previous.text
            if _is_op(token, "=") and _touching(previous, token):
                return self.error(
                    f"'{op}=' is not part of the language; write a = a {op} b, not a {op}= b", previous
                )
            if _ends_statement(token) or _is_op(token, ")", ","):
                return self.error(f"'{op}' needs something on its right", previous)
            if token.kind == "OP" and (token.text in INFIX or token.text == "="):
                return self.error(f"'{op}' needs something on its right, not '{token.text}'", token)
        if token.kind == "OP" and token.text in INFIX:
            return self.error(f"'{token.text}' needs something on its left", token)
        if _is_op(token, "="):
            return self.error("'=' needs a single name on its left, like a = 2.0", token)
        return self.unexpected(token, previous)

    def unexpected(self, token: Token, previous: Token | None) -> ExprError:
        """The error for ``token`` where it can't go (mostly: right after a complete expression)."""
        if token.kind == "ERROR" and self.lex_error is not None:
            return self.lex_error
        if _is_op(token, ")"):
            return self.error("this ')' has no matching '('", token)
        if _is_op(token, "=="):
            return self.error(
                "'==' compares, and there are no comparisons here; to name a value write a = 2", token
            )
        if _is_op(token, "//"):
            return self.error("'//' (floor division) is not part of the language; use '/'", token)
        if _is_op(token, ","):
            return self.error(
                "',' is not part of the language: functions take one argument, "
                "and statements are separated by ';' or a new line",
                token,
            )
        if _is_op(token, "="):
            return self.error(
                "'=' can only follow a single name at the start of a statement, like e = a*b", token
            )
        if previous is None or _ends_statement(previous):
            return self.error(f"unexpected '{token.text}'", token)
        touching = _touching(previous, token)
        if touching and previous.kind == "NUMBER" and token.kind == "NAME":
            if token.text in ("e", "E"):
                return self.error(
                    f"'{previous.text}{token.text}' is not a complete number: an exponent needs digits, "
                    f"like 1e-3 (to multiply, write {previous.text}*{token.text})",
                    token,
                )
            if token.text.startswith("_"):
                return self.error("numbers can't contain '_'; write 1000, not 1_000", token)
            return self.error(
                f"a number can't be followed directly by a name; did you mean {previous.text}*{token.text}?",
                token,
            )
        if touching and previous.kind == "NUMBER" and token.kind == "NUMBER":
            return self.error("a number can have only one decimal point", token)
        hint = f"; to multiply, write {previous.text}*(...)" if _is_op(token, "(") else ""
        return self.error(
            f"expected an operator ({_OPERATORS}) between '{previous.text}' and '{token.text}'{hint}", token
        )

    def error(self, message: str, token: Token) -> ExprError:
        return ExprError(message, token.line, token.column)


def _suggest(name: str, known: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" for the known name fewest typos away, if it is a likely typo."""
    # none in a one-letter name (any other letter is "one typo away"), one in a short name,
    # two in a longer one
    limit = 0 if len(name) <= 1 else 1 if len(name) <= 4 else 2
    best, best_distance = "", limit + 1
    for candidate in known:
        distance = _typos(name, candidate, best_distance - 1)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return f" (did you mean '{best}'?)" if best else ""


def _typos(a: str, b: str, limit: int) -> int:
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


def _names_with_values(names: Iterable[str]) -> str:
    """ "; names with a value: a, b, c" (at most MAX_LISTED_NAMES of them), or nothing."""
    names = list(dict.fromkeys(names))
    if not names:
        return ""
    listed = ", ".join(names[:MAX_LISTED_NAMES])
    more = f" and {len(names) - MAX_LISTED_NAMES:,} more" if len(names) > MAX_LISTED_NAMES else ""
    return f"; names with a value: {listed}{more}"


# ---------------------------------------------------------------------------------------
# Builder: runs each statement's postfix steps, making graph nodes with the engine's operators.

_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": Value.__add__,
    "-": Value.__sub__,
    "*": Value.__mul__,
    "/": Value.__truediv__,
    "**": Value.__pow__,
}


class _Builder:
    def __init__(
        self,
        values: Mapping[str, float],
        positions: dict[int, tuple[int, int]] | None,
        statements: dict[int, int] | None = None,
    ) -> None:
        self.values = values
        self.positions = positions
        self.statements = statements  # id(node) -> index of the statement that made it
        self.current = 0  # the statement being built
        self.env: dict[str, Value] = {}  # what each name refers to now
        self.created = 0  # graph nodes made so far

    def run(self, statements: list[Statement]) -> Value:
        """Build every statement; the last one's node is the output."""
        for self.current, statement in enumerate(statements):
            result = self.evaluate(statement.steps)
            if statement.target is not None:
                if statement.steps[-1][0] != "name":  # d = a: d is another name for a's node
                    result.label = statement.target
                self.env[statement.target] = result
        return result  # there is at least one statement: the parser sees to that

    def evaluate(self, steps: list[Step]) -> Value:
        """Run a postfix program with a stack of values: the graph is built bottom-up."""
        stack: list[Value] = []
        token = steps[0][1]
        try:
            for kind, token, number in steps:
                if kind == "name" and token.text in self.env:
                    stack.append(self.env[token.text])
                    continue
                self.created += 1
                if self.created > MAX_NODES:
                    raise ExprError(
                        f"the graph would have more than {MAX_NODES:,} nodes; make the program smaller",
                        token.line,
                        token.column,
                    )
                if kind == "bin":
                    right = stack.pop()
                    stack[-1] = _BINARY[token.text](stack[-1], right)
                elif kind == "num":
                    stack.append(Value(number))
                elif kind == "name":  # first use of a name from ``values``
                    leaf = self.env[token.text] = Value(float(self.values[token.text]), label=token.text)
                    stack.append(leaf)
                elif kind == "powk":
                    stack[-1] = stack[-1] ** number
                elif kind == "neg":
                    stack[-1] = -stack[-1]
                else:
                    stack[-1] = FUNCTIONS[token.text](stack[-1])
                if self.positions is not None:
                    self.positions[id(stack[-1])] = (token.line, token.column)
                if self.statements is not None:
                    self.statements[id(stack[-1])] = self.current
        except MathError as error:
            raise ExprError(_explain_math(error), token.line, token.column) from None
        return stack[0]


def _number(x: float) -> str:
    return f"{x:.6g}"


def _explain_math(error: MathError) -> str:
    """A student-friendly sentence for an engine MathError."""
    op, xs = error.op, error.operands
    a = _number(xs[0])
    b = _number(xs[1]) if len(xs) > 1 else ""
    if op == "**":
        shown = f"({a}) ** {b}" if xs[0] < 0 else f"{a} ** {b}"
    elif op in _BINARY:
        shown = f"{a} {op} {b}"
    else:
        shown = f"{op}({a})"
    if _has_value(op, xs):  # the value is fine: its local derivative is not
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


def _has_value(op: str, xs: tuple[float, ...]) -> bool:
    """Whether ``op(*xs)`` itself is a finite real number."""
    try:
        out = RULES[op].forward(*xs)
    except (ArithmeticError, ValueError, TypeError, KeyError):
        return False
    return isinstance(out, float | int) and math.isfinite(out)


# ---------------------------------------------------------------------------------------


def parse(
    source: str,
    values: Mapping[str, float] | None = None,
    positions: dict[int, tuple[int, int]] | None = None,
    statements: dict[int, int] | None = None,
) -> Value:
    """Turn a program into its graph: the output node, labeled, forward computed (no backward).

    Names used before they are assigned take their values from ``values``. Every problem
    is an ``ExprError`` with a message, a 1-based line and column, and the source line.
    Given a dict as ``positions``, it gets ``id(node) -> (line, column)`` for every node the
    program made: an operation at its operator or function, a leaf at its number or name
    (for errors found later, such as a gradient that overflows in backward).
    Given a dict as ``statements``, it gets ``id(node) -> k`` for every node the program made:
    k is the 0-based index of the statement that made it (a page folds a statement into one box).
    """
    if not isinstance(source, str):
        raise TypeError(f"parse() needs a str, not {type(source).__name__}")
    values = {} if values is None else values
    try:
        if len(source) > MAX_SOURCE_CHARS:
            line, column = _position(source, MAX_SOURCE_CHARS)
            raise ExprError(
                f"the program is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}",
                line,
                column,
            )
        parser = _Parser(source, values)
        try:
            program = parser.program()
        except RecursionError:  # only if the caller's own stack is already nearly full
            raise parser.error("the expression is nested too deeply for this server", parser.peek()) from None
        if parser.missing:
            raise _missing_names(parser)
        return _Builder(values, positions, statements).run(program)
    except ExprError as error:
        error.source_line = _line_of(source, error.line)
        raise


def _missing_names(parser: _Parser) -> ExprError:
    (first_name, first), *rest = parser.missing.items()
    if not rest:
        later = parser.assigned.get(first_name)
        if later is not None:
            message = (
                f"'{first_name}' is used before it gets a value (it is assigned on line {later.line}); "
                "move the assignment up"
            )
        else:
            names = [*parser.assigned, *parser.values]
            message = (
                f"'{first_name}' has no value{_suggest(first_name, [*names, *FUNCTIONS])}; "
                f"assign it first, like {first_name} = 1.0{_names_with_values(names)}"
            )
        return ExprError(message, first.line, first.column)
    listed = list(parser.missing.items())[:MAX_LISTED_NAMES]
    where = ", ".join(f"'{name}' (line {token.line}, column {token.column})" for name, token in listed)
    if len(parser.missing) > len(listed):
        where += f" and {len(parser.missing) - len(listed):,} more"
    return ExprError(
        f"{len(parser.missing):,} names have no value: {where}; "
        f"assign each one first, like {first_name} = 1.0",
        first.line,
        first.column,
    )


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _line_of(source: str, line: int) -> str:
    lines = _LINE_BREAK.split(source, maxsplit=line)
    return lines[line - 1] if line - 1 < len(lines) else ""


def _position(source: str, index: int) -> tuple[int, int]:
    """The 1-based line and column of ``source[index]``, counting lines as the tokenizer does."""
    starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source, 0, index)]
    return len(starts), index - starts[-1] + 1
