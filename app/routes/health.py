from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always 'ok': the process is up and answering.")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """For load balancers, Docker's HEALTHCHECK and Kubernetes' probes."""
    return Health(status="ok")
