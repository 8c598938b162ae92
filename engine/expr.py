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
and column; the sentences those errors say are built in ``diagnostics.py``.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Iterator, Mapping
from numbers import Real
from typing import NamedTuple

from .diagnostics import (
    MAX_LISTED_NAMES,
    OPERATORS,
    ExprError,
    ends_statement,
    explain_character,
    explain_math,
    is_op,
    line_of,
    missing_names,
    missing_operand,
    position,
    suggest,
    unexpected,
)
from .engine import MathError, Value

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LISTED_NAMES",
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

# Limits. Each one, crossed, is an ExprError at the place it happened. (MAX_LISTED_NAMES, the
# names one error message lists, lives with the messages in diagnostics.py.)
MAX_SOURCE_CHARS = 10_000  # characters in a whole program
MAX_NODES = 5_000  # graph nodes a program may create (leaves included)
MAX_DEPTH = 200  # nesting: each open '(' or call, sign, and operator awaiting its right side
MAX_LITERAL_CHARS = 40  # characters in one number literal
MAX_NAME_CHARS = 64  # characters in one name

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "tanh": Value.tanh,
    "exp": Value.exp,
    "log": Value.log,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
}

_AVAILABLE = ", ".join(FUNCTIONS)


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
            f"{OPERATORS}, ( ) and the functions {_AVAILABLE}"
        )
    if assigning and name in FUNCTIONS:
        return f"'{name}' is a function; choose another name to assign to"
    return None


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
            raise ExprError(explain_character(source, match.start()), line, column)
        assert kind is not None
        yield Token(kind, match.group(), line, column)
        if kind == "NEWLINE":
            line, line_start = line + 1, match.end()
    yield Token("END", "", line, len(source) - line_start + 1)


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
            if ends_statement(self.peek()):
                self.advance()
                continue
            statements.append(self.statement())
            token = self.peek()
            if not ends_statement(token):
                raise unexpected(token, self.tokens[self.pos - 1], self.lex_error)
        if not statements:
            raise ExprError("the program has no expression to compute; write one, like (a*b + c)*f", 1, 1)
        return statements

    def statement(self) -> Statement:
        first, second = self.peek(), self.peek(1)
        if first.kind == "NAME" and is_op(second, "="):
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
        if depth > MAX_DEPTH:
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
            if is_op(self.peek(), ")"):
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
        if is_op(token, "("):
            if is_op(self.peek(), ")"):
                raise self.error("empty parentheses: put an expression inside ( )", token)
            inner = self.expression(0, depth + 1)
            self.close(token)
            return inner
        raise missing_operand(token, self.tokens[self.pos - 2] if self.pos >= 2 else None, self.lex_error)

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
        if is_op(token, ")"):
            self.advance()
            return
        if ends_statement(token):
            raise self.error("this '(' is never closed; add a ')'", opening)
        if is_op(token, ",") and function:
            raise self.error(f"{function}() takes exactly one argument", token)
        raise unexpected(token, self.tokens[self.pos - 1], self.lex_error)

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
            f"unknown function '{name}'{suggest(name, FUNCTIONS)}; the functions are {_AVAILABLE}", token
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
    def error(self, message: str, token: Token) -> ExprError:
        return ExprError(message, token.line, token.column)


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
                if stack[-1]._own_backward is not None:  # a value, but a slope that isn't finite:
                    stack[-1]._own_backward()  # its MathError, now, at its place (the page runs backward)
                if self.positions is not None:
                    self.positions[id(stack[-1])] = (token.line, token.column)
                if self.statements is not None:
                    self.statements[id(stack[-1])] = self.current
        except MathError as error:
            raise ExprError(explain_math(error), token.line, token.column) from None
        return stack[0]


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
            line, column = position(source, MAX_SOURCE_CHARS)
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
            raise missing_names(parser.missing, parser.assigned, parser.values, FUNCTIONS)
        return _Builder(values, positions, statements).run(program)
    except ExprError as error:
        error.source_line = line_of(source, error.line)
        raise
