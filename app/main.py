"""Builds the app: static files, templates, routers. Nothing else lives here."""

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from .errors import validation_error
from .live import check_setup
from .middleware import BodySizeLimit
from .routes import exercise, graph, health, live, pages, train
from .security import SecurityHeaders, http_error
from .settings import STATIC_DIR, get_settings

app = FastAPI(
    title="chainrule",
    description="See backpropagation: micrograd's scalar autograd, drawn node by node.",
    version="0.1.0",
    docs_url=None,  # served from app/routes/pages.py with a vendored Swagger UI: no CDN
    redoc_url=None,
)
app.add_exception_handler(RequestValidationError, validation_error)
app.add_exception_handler(HTTPException, http_error)  # an unparsable body is a 422, not a bare 400
app.add_middleware(
    BodySizeLimit,
    max_bytes=get_settings().max_body_bytes,
    max_bytes_under={
        "/api/train": get_settings().max_train_body_bytes,
        "/api/live": get_settings().live_max_view_bytes,
    },
)
app.add_middleware(SecurityHeaders)  # outermost: the 413 and any 500 get the headers too
app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
app.include_router(health.router)
app.include_router(pages.router)
app.include_router(graph.router)
app.include_router(train.router)
app.include_router(live.router)
app.include_router(live.pages)
app.include_router(exercise.router)
check_setup(get_settings())  # logs that live lessons need Redis when served by several workers
