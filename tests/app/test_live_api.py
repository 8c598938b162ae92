"""Live lessons through the API, in this process (the in-process broker): every limit, the keys,
and the event stream (the latest view first, then each new one in order)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import replace
from types import SimpleNamespace

import httpx
import pytest
import segno

import app.live as live_package
from app.live import broker as broker_module
from app.live import check_setup, get_broker
from app.live.broker import CODE_ALPHABET
from app.main import app
from app.routes import live as live_routes
from app.settings import Settings, get_settings
from tests.own_loop import in_own_loop

TIMEOUT = 5.0  # seconds any single step may take before the test fails instead of hanging


class Clock:
    """time.monotonic for the broker, moved by hand: expiry and windows without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(broker_module, "time", SimpleNamespace(monotonic=c.monotonic))
    return c


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch):
    """configure(**settings): a fresh in-process broker under these settings."""

    def apply(**overrides: object) -> Settings:
        settings = replace(get_settings(), redis_url="", **overrides)
        monkeypatch.setattr(live_routes, "get_settings", lambda: settings)
        monkeypatch.setattr(live_package, "get_settings", lambda: settings)
        get_broker.cache_clear()
        return settings

    apply()
    yield apply
    get_broker.cache_clear()


def client(address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", timeout=TIMEOUT)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def go_live(http: httpx.AsyncClient) -> dict:
    r = await http.post("/api/live")
    assert r.status_code == 201, r.text
    return r.json()


class Stream:
    """GET an event stream from the app in this event loop, reading each event as it is sent
    (httpx's ASGI transport would wait for the end of a response that never ends)."""

    def __init__(self, path: str, address: str = "10.0.0.2") -> None:
        self.path, self.address = path, address
        self.sent: asyncio.Queue[dict] = asyncio.Queue()
        self.gone = asyncio.Event()
        self.buffer = ""

    async def __aenter__(self) -> Stream:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"test"), (b"accept", b"text/event-stream")],
            "client": (self.address, 40001),
            "server": ("test", 80),
        }
        asked = False

        async def receive() -> dict:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self.gone.wait()
            return {"type": "http.disconnect"}

        self.task = asyncio.create_task(app(scope, receive, self.sent.put))
        start = await asyncio.wait_for(self.sent.get(), TIMEOUT)
        self.status = start["status"]
        self.headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
        return self

    async def body(self) -> dict:
        """The whole body of an error answer, as JSON."""
        chunks = b""
        while True:
            message = await asyncio.wait_for(self.sent.get(), TIMEOUT)
            chunks += message.get("body", b"")
            if not message.get("more_body"):
                return json.loads(chunks)

    async def event(self) -> dict:
        """The next event (comments skipped) as {"event", "id", "data"}; data parsed from JSON."""
        while True:
            while "\n\n" not in self.buffer:
                message = await asyncio.wait_for(self.sent.get(), TIMEOUT)
                if not message.get("more_body", False) and not message.get("body"):
                    raise EOFError("the stream ended")
                self.buffer += message.get("body", b"").decode()
            block, self.buffer = self.buffer.split("\n\n", 1)
            fields: dict = {}
            for line in block.split("\n"):
                if line and not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value.removeprefix(" ")
            if "data" in fields:
                return {**fields, "data": json.loads(fields["data"])}

    async def __aexit__(self, *exc: object) -> None:
        self.gone.set()
        await asyncio.wait_for(self.task, TIMEOUT)


# ------------------------------------------------------------------ going live, sending, reading


@in_own_loop
async def test_go_live_gives_a_code_without_look_alikes_and_a_long_secret_key(configure) -> None:
    async with client() as http:
        lessons = [await go_live(http) for _ in range(5)]
    for lesson in lessons:
        assert len(lesson["code"]) >= 6
        assert set(lesson["code"]) <= set(CODE_ALPHABET)
        assert not set(lesson["code"]) & set("0O1IL")
        assert len(lesson["key"]) >= 32
        assert lesson["follow"] == f"/follow/{lesson['code']}"
    assert len({lesson["code"] for lesson in lessons}) == 5
    assert len({lesson["key"] for lesson in lessons}) == 5


@in_own_loop
async def test_presenter_sends_views_and_anyone_reads_the_latest(configure) -> None:
    async with client() as presenter, client("10.0.0.7") as student:
        lesson = await go_live(presenter)
        code = lesson["code"]
        r = await student.get(f"/api/live/{code}")
        assert r.status_code == 200
        assert r.json() == {"seq": 0, "view": None}
        for n in (1, 2):
            view = {"page": "graph", "hash": f"#src=L%3Da*{n}", "title": f"slide {n}"}
            r = await presenter.put(f"/api/live/{code}", json=view, headers=bearer(lesson["key"]))
            assert r.status_code == 204, r.text
            assert r.content == b""
        r = await student.get(f"/api/live/{code.lower()}")  # codes are read in any case
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"seq": 2, "view": view}


@in_own_loop
async def test_a_missing_or_wrong_key_is_401_and_changes_nothing(configure) -> None:
    async with client() as http:
        lesson, other = await go_live(http), await go_live(http)
        code = lesson["code"]
        await http.put(f"/api/live/{code}", json={"n": 1}, headers=bearer(lesson["key"]))
        for headers in (
            {},
            {"Authorization": lesson["key"]},
            {"Authorization": f"Basic {lesson['key']}"},
            {"Authorization": "Bearer "},
            bearer(lesson["key"][:-1] + "x"),
            bearer(other["key"]),
        ):
            r = await http.put(f"/api/live/{code}", json={"n": 2}, headers=headers)
            assert r.status_code == 401, headers
            assert r.headers["www-authenticate"] == "Bearer"
            assert "key" in r.json()["detail"]["message"]
        assert (await http.get(f"/api/live/{code}")).json() == {"seq": 1, "view": {"n": 1}}


@in_own_loop
async def test_an_unknown_or_malformed_code_is_404_everywhere(configure) -> None:
    async with client() as http:
        lesson = await go_live(http)
        unknown = "".join(c for c in CODE_ALPHABET if c not in lesson["code"])[:6]
        for code in (unknown, "ABC", "IIIIII", "%3Cb%3E", lesson["code"] + "2"):
            for method, path in (("GET", ""), ("GET", "/qr.svg"), ("PUT", "")):
                r = await http.request(
                    method, f"/api/live/{code}{path}", json={"n": 1}, headers=bearer(lesson["key"])
                )
                assert r.status_code == 404, (method, code, path)
                assert "no live lesson" in r.json()["detail"]["message"]
            async with Stream(f"/api/live/{code}/events", address="10.0.0.1") as stream:
                assert stream.status == 404
                assert "no live lesson" in (await stream.body())["detail"]["message"]


@in_own_loop
async def test_a_view_over_the_limit_is_413_and_the_latest_stays(configure) -> None:
    async with client() as http:
        lesson = await go_live(http)
        code, auth = lesson["code"], bearer(lesson["key"])
        await http.put(f"/api/live/{code}", json={"n": 1}, headers=auth)
        limit = get_settings().live_max_view_bytes
        r = await http.put(f"/api/live/{code}", json={"pad": "x" * limit}, headers=auth)
        assert r.status_code == 413
        assert str(limit) in r.json()["detail"]["message"]
        configure(live_max_view_bytes=100)  # under the body limit: the view's own check
        lesson = await go_live(http)
        code, auth = lesson["code"], bearer(lesson["key"])
        assert (await http.put(f"/api/live/{code}", json={"pad": "x" * 80}, headers=auth)).status_code == 204
        r = await http.put(f"/api/live/{code}", json={"pad": "x" * 100}, headers=auth)
        assert r.status_code == 413
        assert r.json()["detail"]["message"] == "the view is larger than the limit of 100 bytes"
        assert (await http.get(f"/api/live/{code}")).json()["view"] == {"pad": "x" * 80}


@pytest.mark.parametrize(
    "body", ['["a list"]', '"text"', "42", "null", '{"x": NaN}', '{"x": Infinity}', "{not json", "[" * 5000]
)
@in_own_loop
async def test_a_view_must_be_a_plain_json_object(configure, body: str) -> None:
    async with client() as http:
        lesson = await go_live(http)
        headers = {**bearer(lesson["key"]), "Content-Type": "application/json"}
        r = await http.put(f"/api/live/{lesson['code']}", content=body, headers=headers)
        assert r.status_code == 422, r.text
        assert (await http.get(f"/api/live/{lesson['code']}")).json() == {"seq": 0, "view": None}


# ------------------------------------------------------------------ limits


@in_own_loop
async def test_a_lesson_expires_after_inactivity_and_each_view_keeps_it_alive(configure, clock) -> None:
    configure(live_idle_seconds=60.0)
    async with client() as http:
        lesson = await go_live(http)
        code, auth = lesson["code"], bearer(lesson["key"])
        for _ in range(3):
            clock.now += 50
            r = await http.put(f"/api/live/{code}", json={"t": clock.now}, headers=auth)
            assert r.status_code == 204
        clock.now += 59
        assert (await http.get(f"/api/live/{code}")).status_code == 200
        clock.now += 2
        assert (await http.get(f"/api/live/{code}")).status_code == 404
        assert (await http.put(f"/api/live/{code}", json={"t": 0}, headers=auth)).status_code == 404


@in_own_loop
async def test_live_lessons_are_capped_with_503_and_retry_after(configure, clock) -> None:
    configure(live_max_lessons=2, live_idle_seconds=60.0)
    async with client() as http:
        await go_live(http)
        await go_live(http)
        r = await http.post("/api/live")
        assert r.status_code == 503
        assert int(r.headers["retry-after"]) > 0
        assert "2 live lessons" in r.json()["detail"]["message"]
        clock.now += 61  # both expired: room again
        await go_live(http)


@in_own_loop
async def test_followers_of_a_lesson_are_capped_with_503_and_a_leaving_one_frees_a_place(configure) -> None:
    configure(live_max_followers=2)
    async with client() as http:
        code = (await go_live(http))["code"]
        path = f"/api/live/{code}/events"
        async with Stream(path) as first, Stream(path) as second:
            assert (first.status, second.status) == (200, 200)
            async with Stream(path) as third:
                assert third.status == 503
                assert int(third.headers["retry-after"]) > 0
                assert "2 followers" in (await third.body())["detail"]["message"]
            assert get_broker().hub.count(code) == 2
        assert get_broker().hub.count(code) == 0
        async with Stream(path) as again:
            assert again.status == 200


@in_own_loop
async def test_unknown_codes_from_one_address_are_limited_with_429_for_any_code(configure, clock) -> None:
    configure(live_max_misses=3, live_miss_window_seconds=60.0, live_idle_seconds=3600.0)
    async with client("10.0.0.1") as presenter, client("10.9.9.9") as guesser, client("10.0.0.5") as student:
        lesson = await go_live(presenter)
        code, auth = lesson["code"], bearer(lesson["key"])
        guesses = [c * 6 for c in CODE_ALPHABET if c not in code][:3]
        for guess in guesses:
            assert (await guesser.get(f"/api/live/{guess}")).status_code == 404
        # now every look-up from that address is 429, the real code too: no answer tells codes apart
        for method, path in (("GET", code), ("GET", f"{code}/qr.svg"), ("GET", "ZZZZZZ"), ("PUT", code)):
            r = await guesser.request(method, f"/api/live/{path}", json={"x": 1}, headers=bearer("guess"))
            assert r.status_code == 429, (method, path)
            assert 0 < int(r.headers["retry-after"]) <= 60
            assert "3 unknown lesson codes" in r.json()["detail"]["message"]
        async with Stream(f"/api/live/{code}/events", address="10.9.9.9") as stream:
            assert stream.status == 429
        # other addresses, and the presenter with the right key, are not held back
        assert (await student.get(f"/api/live/{code}")).status_code == 200
        assert (await guesser.put(f"/api/live/{code}", json={"n": 1}, headers=auth)).status_code == 204
        clock.now += 61  # a new window
        assert (await guesser.get(f"/api/live/{code}")).status_code == 200
        assert (await guesser.get(f"/api/live/{guesses[0]}")).status_code == 404


# ------------------------------------------------------------------ the event stream


@in_own_loop
async def test_the_stream_sends_the_latest_view_first_then_every_new_one_in_order(configure) -> None:
    async with client() as presenter:
        lesson = await go_live(presenter)
        code, auth = lesson["code"], bearer(lesson["key"])
        for n in (1, 2):
            await presenter.put(f"/api/live/{code}", json={"n": n}, headers=auth)
        async with Stream(f"/api/live/{code}/events") as stream:
            assert stream.status == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            first = await stream.event()
            assert first == {"event": "view", "id": "2", "retry": "1000", "data": {"n": 2}}
            for n in range(3, 13):
                await presenter.put(f"/api/live/{code}", json={"n": n, "text": "<b>é</b>"}, headers=auth)
            for n in range(3, 13):
                event = await stream.event()
                expected = ("view", str(n), {"n": n, "text": "<b>é</b>"})
                assert (event["event"], event["id"], event["data"]) == expected


@in_own_loop
async def test_a_stream_opened_before_any_view_waits_for_the_first(configure) -> None:
    async with client() as presenter:
        lesson = await go_live(presenter)
        async with Stream(f"/api/live/{lesson['code']}/events") as stream:
            assert stream.status == 200
            await presenter.put(f"/api/live/{lesson['code']}", json={"n": 1}, headers=bearer(lesson["key"]))
            assert (await stream.event())["data"] == {"n": 1}


@in_own_loop
async def test_a_stream_says_end_when_its_lesson_expires(configure, clock) -> None:
    configure(live_idle_seconds=60.0, live_check_seconds=0.05)
    async with client() as presenter:
        lesson = await go_live(presenter)
        await presenter.put(f"/api/live/{lesson['code']}", json={"n": 1}, headers=bearer(lesson["key"]))
        async with Stream(f"/api/live/{lesson['code']}/events") as stream:
            assert (await stream.event())["data"] == {"n": 1}
            clock.now += 61
            event = await stream.event()
            assert event["event"] == "end"
            assert "ended" in event["data"]["reason"]
            with pytest.raises(EOFError):
                await stream.event()


@in_own_loop
async def test_a_stream_ends_after_its_time_limit(configure) -> None:
    configure(live_max_stream_seconds=0.2)
    async with client() as presenter:
        lesson = await go_live(presenter)
        await presenter.put(f"/api/live/{lesson['code']}", json={"n": 1}, headers=bearer(lesson["key"]))
        async with Stream(f"/api/live/{lesson['code']}/events") as stream:
            assert (await stream.event())["data"] == {"n": 1}
            with pytest.raises(EOFError):  # the browser reconnects, and gets the latest view again
                await stream.event()


@in_own_loop
async def test_followers_never_see_the_key(configure) -> None:
    async with client() as presenter, client("10.0.0.8") as student:
        lesson = await go_live(presenter)
        code, key = lesson["code"], lesson["key"]
        await presenter.put(f"/api/live/{code}", json={"n": 1}, headers=bearer(key))
        async with Stream(f"/api/live/{code}/events") as stream:
            await stream.event()
            assert key not in stream.buffer
        for path in (f"/api/live/{code}", f"/api/live/{code}/qr.svg", f"/follow/{code}"):
            r = await student.get(path)
            assert r.status_code == 200
            assert key not in r.text
            assert key_hash_of(key) not in r.text


def key_hash_of(key: str) -> str:
    return broker_module.key_hash(key)


# ------------------------------------------------------------------ QR code and follow page


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=8, border=4, dark="#000", light="#fff")


def modules(svg: str) -> str:
    """The QR modules of an SVG (its last path; the first is the light background)."""
    return re.findall(r' d="([^"]+)"', svg)[-1]


@in_own_loop
async def test_the_qr_code_holds_the_follow_address_never_from_the_host_header(configure) -> None:
    async with client() as http:
        code = (await go_live(http))["code"]
        r = await http.get(f"/api/live/{code}/qr.svg", headers={"Host": "evil.example"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/svg+xml"
        assert "sandbox" in r.headers["content-security-policy"]
        assert modules(r.text) == modules(qr_svg(f"/follow/{code}"))
        r = await http.get(f"/api/live/{code}/qr.svg", params={"base": "http://192.168.1.20:8000"})
        assert modules(r.text) == modules(qr_svg(f"http://192.168.1.20:8000/follow/{code}"))
        for bad in ("javascript:alert(1)", "http://a/b", "http://user@host", "https://x.org/?q=1"):
            r = await http.get(f"/api/live/{code}/qr.svg", params={"base": bad})
            assert r.status_code == 422, bad
        configure(public_base_url="https://class.example.org/")
        code = (await go_live(http))["code"]
        r = await http.get(f"/api/live/{code}/qr.svg", params={"base": "http://192.168.1.20:8000"})
        assert modules(r.text) == modules(qr_svg(f"https://class.example.org/follow/{code}"))


@in_own_loop
async def test_the_follow_page_names_the_code_and_loads_only_its_module(configure) -> None:
    async with client() as http:
        code = (await go_live(http))["code"]
        r = await http.get(f"/follow/{code.lower()}")
        assert r.status_code == 200
        assert f'data-code="{code}"' in r.text
        (script,) = re.findall(r"<script[^>]*>", r.text)  # no inline script: the CSP forbids it
        assert re.fullmatch(r'<script type="module" src="[^"]*/static/js/follow\.js">', script)
        assert (await http.get("/static/js/follow.js")).status_code == 200
        r = await http.get("/follow/%3Cscript%3E")
        assert r.status_code == 404
        assert "<script>" not in r.text


# ------------------------------------------------------------------ set-up


def test_several_workers_without_redis_warn_that_live_lessons_need_redis(caplog) -> None:
    caplog.set_level(logging.WARNING, logger="app.live")
    plain, with_redis = Settings(), Settings(redis_url="redis://localhost:6379/0")
    assert check_setup(plain, ["uvicorn", "app.main:app"], {}) is None
    assert check_setup(with_redis, ["uvicorn", "--workers", "4"], {}) is None
    assert caplog.records == []
    for argv, environ in ((["uvicorn", "--workers", "2"], {}), (["uvicorn"], {"WEB_CONCURRENCY": "3"})):
        warning = check_setup(plain, argv, environ)
        assert warning is not None
        assert "live lessons need Redis" in warning
        assert "CHAINRULE_REDIS_URL" in warning
    assert [r.getMessage() for r in caplog.records] == [warning.replace("3 workers", "2 workers"), warning]


@in_own_loop
async def test_openapi_documents_the_live_endpoints(configure) -> None:
    async with client() as http:
        paths = (await http.get("/openapi.json")).json()["paths"]
    assert set(paths["/api/live"]["post"]["responses"]) >= {"201", "503"}
    assert set(paths["/api/live/{code}"]["put"]["responses"]) >= {"204", "401", "404", "413", "422", "429"}
    assert set(paths["/api/live/{code}/events"]["get"]["responses"]) >= {"200", "404", "429", "503"}
