from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = Field(description="Always 'ok': the process is up and answering.")


HEALTHY = b'{"status":"ok"}'


@router.get("/healthz", response_model=Health)
@router.head("/healthz", include_in_schema=False)
async def healthz() -> Response:
    """For load balancers, Docker's HEALTHCHECK and Kubernetes' probes: answered on the event
    loop, touching nothing shared, so busy workers never make it late."""
    return Response(HEALTHY, media_type="application/json")
