"""schemathesis against the app's own OpenAPI schema: no 5xx, and every response matches the
schema documented for its status (positive and negative cases, every operation).

Long-running requests are kept short so the suite stays fast: training requests run at most
a few steps on at most a few dozen samples, and the streams at most a few events. Capping
only lowers numbers that were already valid, so valid cases stay valid.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import app

schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# (field, cap) in training request bodies, and in the query of GET /api/train/stream
BODY_CAPS = {"steps": 3, "grid": 8, "interval_ms": 0, "every": 3}
STREAM_CAPS = {**BODY_CAPS, "steps": 1}  # the coverage phase sends the stream hundreds of cases
CONFIG_CAPS = {"n_samples": 30}
QUERY_CAPS = {"until": 3, "every": 3, "grid": 8, "interval_ms": 0}


def _cap(mapping: Any, caps: dict[str, int]) -> None:
    if not isinstance(mapping, dict):
        return
    for key, cap in caps.items():
        value = mapping.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > cap:
            mapping[key] = cap


def keep_short(case: Any) -> None:
    """Lower step counts, grid sizes, dataset sizes and pauses that are over a small cap."""
    if not case.path.startswith("/api/train/"):
        return
    body = case.body if isinstance(case.body, dict) else None
    if body is not None:
        _cap(body, STREAM_CAPS if case.path.endswith("/stream") else BODY_CAPS)
        for holder in (body.get("state"), body):
            config = holder.get("config") if isinstance(holder, dict) else None
            if isinstance(config, dict):
                _cap(config.get("dataset"), CONFIG_CAPS)
                if isinstance(config.get("batch_size"), int) and config["batch_size"] > 30:
                    config["batch_size"] = 30
    _cap(case.query, QUERY_CAPS)


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
def test_api_conforms_to_its_schema(case):
    keep_short(case)
    case.call_and_validate(checks=CHECKS)
