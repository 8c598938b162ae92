"""Security headers on every response, script-free SVG, and 500s that show no internals."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.graph_service import get_service
from app.main import app
from app.security import INTERNAL_ERROR, PAGE_CSP, SVG_CSP

SVG_NS = "{http://www.w3.org/2000/svg}"


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} given twice"
        parsed[name] = sources
    return parsed


def assert_common_headers(response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response.headers["permissions-policy"]
    assert "microphone=()" in response.headers["permissions-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in response.headers


# every kind of response: page, static files, JSON, errors from each layer
@pytest.mark.parametrize(
    ("method", "url", "kwargs", "status"),
    [
        ("GET", "/", {}, 200),
        ("GET", "/train", {}, 200),
        ("GET", "/healthz", {}, 200),
        ("GET", "/static/style.css", {}, 200),
        ("GET", "/static/js/graph-page.js", {}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/no/such/page", {}, 404),
        ("PUT", "/api/graph", {}, 405),
        ("POST", "/api/graph", {"json": {"source": "a = 2; b = a*a"}}, 200),
        ("POST", "/api/graph", {"json": {"source": "a = (2"}}, 400),
        ("POST", "/api/graph", {"json": {"source": 3}}, 422),
        ("POST", "/api/graph", {"content": b"x" * (70 * 1024)}, 413),
        ("GET", "/api/train/presets", {}, 200),
    ],
)
def test_every_response_carries_the_page_policy(client, method, url, kwargs, status):
    response = client.request(method, url, **kwargs)
    assert response.status_code == status
    assert_common_headers(response)
    assert response.headers["content-security-policy"] == PAGE_CSP


def test_page_policy_allows_no_inline_script_and_no_remote_source():
    policy = directives(PAGE_CSP)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    for sources in policy.values():
        for source in sources:
            assert source in {"'self'", "'none'", "data:", "blob:"}, source


@pytest.mark.parametrize(
    "url",
    ["/api/graph.svg?source=a%20%3D%202%3B%20b%20%3D%20tanh(a)", "/static/favicon.svg"],
)
def test_svg_responses_forbid_script(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert_common_headers(response)
    assert response.headers.get_list("content-security-policy") == [SVG_CSP]
    policy = directives(SVG_CSP)
    assert policy["default-src"] == ["'none'"] and "script-src" not in policy
    assert "sandbox" in policy  # opened on its own, the SVG is a sandboxed document


def test_streamed_responses_carry_the_headers(client):
    body = {"state": {"config": {"dataset": {"name": "lecture"}, "layers": [2, 1]}}, "steps": 2}
    with client.stream("POST", "/api/train/stream", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert_common_headers(response)
        assert "event: done" in response.read().decode()


class PageAudit(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, handlers, styles, remote URLs."""

    def __init__(self, origin: str = "http://testserver") -> None:
        super().__init__()
        self.origin = origin
        self.problems: list[str] = []
        self.scripts = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_script = True
            if not attributes.get("src"):
                self.problems.append("an inline <script>")
        if tag == "style":
            self.problems.append("a <style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"an inline handler {name} on <{tag}>")
            if name == "style":
                self.problems.append(f"a style attribute on <{tag}>")
            absolute = value and re.match(r"(?i)\s*(https?:)?//", value)
            remote = absolute and not value.startswith(self.origin + "/")
            if name in {"src", "href", "action"} and remote:
                self.problems.append(f"a remote {name} {value}")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"a javascript: URL on <{tag}>")

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script


@pytest.mark.parametrize("url", ["/", "/train"])
def test_pages_have_no_inline_script_style_or_remote_source(client, url):
    response = client.get(url)
    assert response.status_code == 200
    audit = PageAudit()
    audit.feed(response.text)
    assert audit.scripts >= 1  # the audit saw the page's script tag
    assert audit.problems == []


def test_page_audit_catches_what_the_policy_blocks():
    audit = PageAudit()
    audit.feed(
        '<script>alert(1)</script><b onclick="x()" style="color:red"></b>'
        '<script src="https://cdn.example/x.js"></script><a href="javascript:x()">'
        '<link href="http://testserver/static/style.css"><img src="//cdn.example/x.png">'
    )
    assert len(audit.problems) == 6


@pytest.mark.parametrize("hostile", ["<script>", 'a"b', "a&b", "x y", "é", "__proto__", "import", "exp"])
def test_a_value_whose_name_is_not_a_name_is_refused(client, hostile):
    # values' keys never reach the picture unchecked: only identifiers of the language get in
    response = client.post("/api/graph", json={"source": "y = 2*x", "values": {"x": 1.0, hostile: 1.0}})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "values"] and "is not a variable name" in error["msg"]


def test_svg_has_no_script_and_escapes_what_the_user_typed(client):
    # what a person types reaches the SVG only as names and numbers; a comment is dropped
    response = client.post(
        "/api/graph",
        json={"source": "a = 2.0\nb = a * 3 # </svg><script>alert(1)</script>", "values": {}},
    )
    assert response.status_code == 200
    svg = response.json()["svg"]
    root = ET.fromstring(svg)  # well-formed XML: nothing typed broke out of its element
    tags = {element.tag.removeprefix(SVG_NS) for element in root.iter()}
    assert not tags & {"script", "foreignObject", "iframe", "a", "image", "use"}
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]
        for value in element.attrib.values():
            assert "javascript:" not in value.lower()
    assert "<script" not in svg.lower()


def test_docs_page_is_served_from_the_app_with_no_inline_script_and_no_remote_source(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert_common_headers(response)
    policy = directives(response.headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert all("http" not in source for sources in policy.values() for source in sources)
    assert policy["frame-ancestors"] == ["'none'"]
    assert not re.findall(r"<script>", response.text)
    for asset in re.findall(r'(?:src|href)="([^"]+)"', response.text):
        assert asset.startswith("/static/"), asset  # a path on the app itself (no Host echoed)
        assert client.get(asset).status_code == 200, asset
    assert client.get("/redoc").status_code == 404  # ReDoc would need its CDN


@pytest.fixture
def broken_service():
    def explode():
        raise RuntimeError("secret at /srv/chainrule/app/graph.py line 42")

    app.dependency_overrides[get_service] = explode
    yield
    app.dependency_overrides.pop(get_service, None)


def test_unexpected_error_is_a_generic_500_logged_on_the_server(broken_service, caplog):
    caplog.set_level(logging.ERROR, logger="app.security")
    with TestClient(app) as client:
        response = client.post("/api/graph", json={"source": "a = 1"})
    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "/srv" not in response.text and ".py" not in response.text
    assert_common_headers(response)
    assert "RuntimeError: secret" in caplog.text  # the details stay in the server's log
    assert "POST /api/graph" in caplog.text
