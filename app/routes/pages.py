from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..templating import templates

router = APIRouter(tags=["pages"])


@router.head("/", include_in_schema=False)
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def graph_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "index.html")


@router.head("/train", include_in_schema=False)
@router.get("/train", response_class=HTMLResponse, include_in_schema=False)
def train_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "train.html")


@router.head("/docs", include_in_schema=False)
@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from static/vendor (FastAPI's own /docs would load it from a CDN)."""
    return templates.TemplateResponse(request, "docs.html", {"openapi_url": request.app.openapi_url})
