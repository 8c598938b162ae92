from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..templating import templates

router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def graph_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html")


@router.get("/train", response_class=HTMLResponse, include_in_schema=False)
def train_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "train.html")
