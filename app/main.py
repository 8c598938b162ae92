"""Builds the app: static files, templates, routers. Nothing else lives here."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from . import errors
from .live import check_setup
from .middleware import BodySizeLimit, StreamLimits
from .routes import exercise, graph, health, live, pages, train
from .security import SecurityHeaders
from .settings import STATIC_DIR, get_settings

app = FastAPI(
    title="chainrule",
    description="See backpropagation: micrograd's scalar autograd, drawn node by node.",
    version="0.1.0",
    docs_url=None,  # served from app/routes/pages.py with a vendored Swagger UI: no CDN
    redoc_url=None,
)
errors.install(app)  # every error type and its response: app/errors.py
app.add_middleware(
    BodySizeLimit,
    max_bytes=get_settings().max_body_bytes,
    max_bytes_under={
        "/api/train": get_settings().max_train_body_bytes,
        "/api/live": get_settings().live_max_view_bytes,
    },
)
app.add_middleware(
    StreamLimits,
    paths={"/api/train/stream"},
    max_streams=get_settings().train_max_streams,
    max_per_client=get_settings().train_max_streams_per_client,
    write_timeout=get_settings().stream_write_timeout_seconds,
    max_seconds=get_settings().train_max_stream_seconds,
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
