"""Practice exercises: a level and a seed in, a program to work out by hand out.

The exercise is drawn by engine/exercises.py; POST its ``source`` and ``values`` to /api/graph to
see it (every data, grad and local derivative: what the page checks answers against).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from engine.exercises import LEVELS, MAX_SEED, exercise

from ..schemas import ExerciseResponse, UnprocessableResponse

router = APIRouter(prefix="/api", tags=["exercise"])

# the same level and seed always give the same exercise
HEADERS = {"Cache-Control": "public, max-age=3600"}


@router.get(
    "/exercise",
    response_model=ExerciseResponse,
    responses={422: {"model": UnprocessableResponse, "description": "A level or seed out of range."}},
)
def get_exercise(
    response: Response,
    level: Annotated[
        int, Query(ge=LEVELS.start, le=LEVELS.stop - 1, description="1 (+ and *) to 5 (an MLP).")
    ],
    seed: Annotated[int, Query(ge=0, le=MAX_SEED, description="Which exercise of the level.")],
) -> ExerciseResponse:
    """A program to work out by hand: the same one for the same level and seed."""
    response.headers.update(HEADERS)
    return ExerciseResponse(**exercise(level, seed)._asdict())
