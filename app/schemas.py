"""Request and response models of the graph API (documented in docs/api.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, FiniteFloat, Strict, field_validator
from pydantic_core import PydanticCustomError

from engine.expr import name_problem

ThemeName = Literal["light", "dark", "projector"]  # the pictures' themes: app/render.py THEMES
Role = Literal["input", "constant", "intermediate", "output"]
Direction = Literal["LR", "TB"]  # Graphviz's rankdir: inputs to output left to right, or top to bottom

# a JSON number (not a string, not a bool), finite
Number = Annotated[FiniteFloat, Strict()]


class ProgramRequest(BaseModel):
    """A program and the values of the names it uses without assigning them."""

    source: str = Field(description="The expression program, e.g. `L = (a*b + c)*f`.")
    values: dict[str, Number] = Field(
        default_factory=dict, description="Values for names the program uses without assigning."
    )

    @field_validator("values")
    @classmethod
    def names_only(cls, values: dict[str, float]) -> dict[str, float]:
        for name in values:
            problem = name_problem(name)
            if problem:
                shown = name if len(name) <= 40 else name[:40] + "…"
                raise PydanticCustomError(
                    "not_a_name",
                    "{name} is not a variable name: {problem}",
                    {"name": repr(shown), "problem": problem},
                )
        return values


class GraphRequest(ProgramRequest):
    h: Number = Field(default=1e-5, gt=0, le=1, description="Central-difference step for the checks.")
    theme: ThemeName = Field(default="light", description="Colours and type size of the picture.")
    fold: list[int] | None = Field(
        default=None,
        max_length=10_000,
        description="Statements (0-based, as the nodes' `statement`) to draw folded into one box each; "
        "null: none, unless the graph has more values than the server draws, then all of them.",
    )
    picture: bool = Field(
        default=True,
        description="false: the values without the picture (`svg` is empty), for a graph too big to draw.",
    )
    direction: Direction | None = Field(
        default=None,
        description='"LR": inputs on the left, the output on the right; "TB": inputs at the top, the '
        "output at the bottom; null: left to right (the graph page picks TB itself when it fits better).",
    )


class GraphNode(BaseModel):
    id: str = Field(description='"n<k>", k the position in topological order (inputs first).')
    label: str = Field(description='The name, "" for a literal or an unnamed intermediate.')
    op: str = Field(description='The op that made the value, "" for a leaf.')
    data: float
    grad: float
    inputs: list[str] = Field(description="Ids of the op's inputs, in order, with repeats.")
    local: list[float] = Field(description="d node / d input, one per input.")
    derivatives: list[str] = Field(description="The local derivatives as formulas, one per input.")
    role: Role
    statement: int | None = Field(default=None, description="0-based index of the statement that made it.")


class GradCheck(BaseModel):
    id: str
    label: str
    analytic: float = Field(description="The grad backward computed.")
    numeric: float | None = Field(
        description="(f(x+h) - f(x-h)) / 2h; null when not computed or when f(x±h) is not finite."
    )
    agree: bool | None = Field(
        description="Whether analytic and numeric agree; null when the leaf was not checked "
        "(more labeled leaves than the server checks)."
    )


class SourceLiteral(BaseModel):
    name: str = Field(description="The name the statement assigns.")
    line: int = Field(description="1-based line of the number.")
    column: int = Field(description="1-based column where the number starts (a sign or '(' included).")
    end_column: int = Field(description="1-based column just past the number's end.")
    value: float


class StatementGroup(BaseModel):
    statement: int = Field(description="0-based index of the statement.")
    name: str = Field(description="The name it assigns.")
    output: str = Field(description="Id of the value it assigns: a folded box is drawn as node-<output>.")
    members: list[str] = Field(description="Ids drawn inside: what it computes and the leaves only it uses.")
    summary: str = Field(description="A short formula for it, as its folded box shows (tanh(Σ w·x + b)).")


class GraphResponse(BaseModel):
    nodes: list[GraphNode] = Field(description="Every value, in topological order.")
    output: str = Field(description="Id of the output value.")
    backward_order: list[str] = Field(description="Ids in the order backward visits them, output first.")
    checks: list[GradCheck] = Field(description="One per labeled leaf.")
    h: float
    svg: str = Field(description="The picture, an inline-ready <svg> element.")
    groups: list[StatementGroup] = Field(
        default_factory=list,
        description="The statements that fold into one box (at least two values inside).",
    )
    folded: list[int] = Field(default_factory=list, description="The statements drawn folded.")
    literals: list[SourceLiteral] = Field(
        default_factory=list,
        description="Each `name = number` statement and where its number is, in source order: "
        "a page rewrites that span to change the leaf (a slider) without parsing the program.",
    )


class ErrorDetail(BaseModel):
    message: str
    line: int | None = Field(default=None, description="1-based; only for errors in the program.")
    column: int | None = Field(default=None, description="1-based; only for errors in the program.")


class ErrorResponse(BaseModel):
    detail: ErrorDetail


class BadRequestResponse(BaseModel):
    detail: ErrorDetail = Field(description="An error in the program (message, line, column).")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class UnprocessableResponse(BaseModel):
    detail: list[FieldError] | ErrorDetail = Field(
        description="FastAPI's list of invalid fields, or a message (a graph too big to lay out)."
    )


class ExportRequest(ProgramRequest):
    target: Literal["micrograd", "pytorch"] = Field(
        default="micrograd", description="micrograd from PyPI, or PyTorch (float64)."
    )


class ExportResponse(BaseModel):
    target: Literal["micrograd", "pytorch"]
    code: str = Field(
        description="A Python script that builds the same graph and prints its value and grads."
    )


# live lessons (app/routes/live.py)


class LiveCreated(BaseModel):
    code: str = Field(description="What followers type or open: /follow/<code>. Capitals and digits.")
    key: str = Field(description="The presenter's secret: `Authorization: Bearer <key>` on each PUT.")
    follow: str = Field(description="The follow page's path, /follow/<code>.")


class LiveLatest(BaseModel):
    seq: int = Field(description="The view's number: 1 for the first one sent, 0 before any.")
    view: dict[str, object] | None = Field(description="The latest view as the presenter sent it, or null.")


class ExerciseResponse(BaseModel):
    level: int = Field(description="1 to 5.")
    seed: int = Field(description="0 to 2**31 - 1: which exercise of the level.")
    source: str = Field(description="The program, for POST /api/graph.")
    values: dict[str, float] = Field(description="Values for the names the program uses without assigning.")
    title: str = Field(description='A short heading, e.g. "Level 3 · a tanh neuron, squared error".')


# OpenAPI documentation of responses that several routers give (app/routes/)
Responses = dict[int | str, dict[str, Any]]
BODY_TOO_LARGE: dict[str, Any] = {
    "model": ErrorResponse,
    "description": "The request body is over the size limit.",
}


def svg_responses(description: str, errors: Responses) -> Responses:
    """The responses of a route that answers an SVG picture (``description``), and its errors."""
    return {200: {"content": {"image/svg+xml": {}}, "description": description}, **errors}
