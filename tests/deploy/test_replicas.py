"""chainrule holds no per-user state: three replicas behind nginx serve one training run as one
process does, and losing a replica mid-run loses nothing. Uses the shipped deploy/nginx.conf."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.sse import SseReader

from .cluster import UPSTREAM_HEADER, Cluster, nginx_binary

pytestmark = pytest.mark.skipif(
    nginx_binary() is None,
    reason="nginx is not installed (apt-get install nginx; `./chainrule test` installs it)",
)

STEPS = 9  # three rounds of the three replicas
PRESET = "micrograd-demo"
IN_FLIGHT_STEPS = 200  # one request long enough (about a second here) to kill its replica during it


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    with Cluster(replicas=3) as c:
        yield c


def port_of(upstream: str) -> int:
    return int(upstream.rsplit(":", 1)[1])


def upstreams(response: httpx.Response) -> list[str]:
    """The replicas nginx tried for this request, in order (more than one when it retried)."""
    return response.headers[UPSTREAM_HEADER].split(", ")


def preset_state(base_url: str) -> dict:
    r = httpx.get(f"{base_url}/api/train/presets", timeout=30)
    assert r.status_code == 200, r.text
    (preset,) = [p for p in r.json()["presets"] if p["name"] == PRESET]
    return preset["state"]


def step(base_url: str, state: dict, steps: int = 1) -> httpx.Response:
    r = httpx.post(f"{base_url}/api/train/step", json={"state": state, "steps": steps}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["stopped"] is None
    return r


def one_process_run(base_url: str, state: dict, steps: int) -> tuple[dict, list[dict]]:
    """The reference: the same run stepped one step per request on a single replica."""
    metrics = []
    for _ in range(steps):
        body = step(base_url, state).json()
        state = body["state"]
        metrics += body["metrics"]
    return state, metrics


def sse_events(response: httpx.Response) -> Iterator[dict]:
    """Server-sent events as {"event", "id", "data"} dicts, data parsed from JSON."""
    reader = SseReader()
    for line in response.iter_lines():
        if (event := reader.feed(line)) is not None:
            yield event


def stream_part(
    cluster: Cluster,
    events: int,
    body: dict | None = None,
    params: dict | None = None,
    last_event_id: str | None = None,
) -> tuple[str, list[dict]]:
    """Opens a stream through nginx (POST with a body, else GET), reads `events` events (or all, if
    fewer), then hangs up. Returns the replica that served it and the events."""
    headers = {} if last_event_id is None else {"Last-Event-ID": last_event_id}
    method = "GET" if body is None else "POST"
    got = []
    url = f"{cluster.url}/api/train/stream"
    with httpx.stream(method, url, json=body, params=params, headers=headers, timeout=60) as r:
        assert r.status_code == 200, r.read()
        for event in sse_events(r):
            got.append(event)
            if len(got) == events:
                break
        return upstreams(r)[-1], got


def test_round_robin_sends_consecutive_requests_to_different_replicas(cluster: Cluster) -> None:
    served = [upstreams(httpx.get(f"{cluster.url}/healthz"))[-1] for _ in range(6)]
    assert set(served) == {cluster.upstream(p) for p in cluster.ports}
    assert all(a != b for a, b in zip(served, served[1:], strict=False))


def test_page_links_point_back_through_the_proxy(cluster: Cluster) -> None:
    r = httpx.get(f"{cluster.url}/")
    assert r.status_code == 200
    links = re.findall(r'href="([^"]+\.css)"', r.text)
    assert links
    assert any(link.endswith("/style.css") for link in links)
    for link in links:
        assert link.startswith("/static/"), link  # a path: it resolves against the proxy's URL
        direct = httpx.get(cluster.live_replica_url() + link)
        proxied = httpx.get(cluster.url + link)
        assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content)
    assert httpx.get(f"{cluster.url}/static/style.css").status_code == 200


def test_a_run_stepped_across_replicas_equals_the_same_run_on_one_process(cluster: Cluster) -> None:
    start = preset_state(cluster.url)
    state, metrics, served = start, [], []
    for _ in range(STEPS):
        r = step(cluster.url, state)
        served.append(upstreams(r)[-1])
        state = r.json()["state"]
        metrics += r.json()["metrics"]

    assert set(served) == {cluster.upstream(p) for p in cluster.ports}
    assert all(a != b for a, b in zip(served, served[1:], strict=False)), served

    alone_state, alone_metrics = one_process_run(cluster.live_replica_url(), start, STEPS)
    assert [m["step"] for m in metrics] == list(range(STEPS))
    assert metrics == alone_metrics
    assert state == alone_state  # weights, grads, optimiser state, history: equal to the last bit
    assert state["step"] == STEPS


def test_a_dropped_stream_resumed_on_another_replica_equals_one_uninterrupted_run(cluster: Cluster) -> None:
    start = preset_state(cluster.url)
    first, before = stream_part(cluster, 3, body={"state": start, "steps": STEPS})
    resume = {"state": before[-1]["data"]["state"], "steps": STEPS - 3}
    second, after = stream_part(cluster, STEPS, body=resume)

    assert first != second
    assert [e["event"] for e in before + after] == ["step"] * STEPS + ["done"]
    metrics = [m for e in before + after[:-1] for m in e["data"]["metrics"]]
    alone_state, alone_metrics = one_process_run(cluster.live_replica_url(), start, STEPS)
    assert metrics == alone_metrics
    assert after[-2]["data"]["state"] == alone_state


def test_a_browser_reconnecting_with_last_event_id_continues_on_another_replica(cluster: Cluster) -> None:
    query = {"preset": PRESET, "until": STEPS}
    first, before = stream_part(cluster, 3, params=query)
    second, after = stream_part(cluster, STEPS, params=query, last_event_id=before[-1]["id"])

    assert first != second
    assert [int(e["id"]) for e in before + after[:-1]] == list(range(1, STEPS + 1))
    alone_state, alone_metrics = one_process_run(cluster.live_replica_url(), preset_state(cluster.url), STEPS)
    assert [m for e in before + after[:-1] for m in e["data"]["metrics"]] == alone_metrics
    assert after[-2]["data"]["state"] == alone_state


def test_killing_a_replica_mid_run_loses_nothing() -> None:
    with Cluster(replicas=3) as cluster:
        start = preset_state(cluster.url)
        state, metrics = start, []
        victim, last_served, retried = None, None, []
        for k in range(STEPS):
            if k == 4:
                # the replica that served the last step dies; round robin would send it step 6
                victim = last_served
                cluster.kill_replica(port_of(victim))
            r = step(cluster.url, state)  # asserts 200: nobody saw an error
            tried = upstreams(r)
            last_served = tried[-1]
            if len(tried) > 1:
                retried.append(tried)
            assert tried[-1] != victim
            state = r.json()["state"]
            metrics += r.json()["metrics"]

        assert retried and all(t[0] == victim for t in retried), retried  # nginx did meet the dead one
        alone_state, alone_metrics = one_process_run(cluster.live_replica_url(), start, STEPS)

    assert [m["step"] for m in metrics] == list(range(STEPS))
    assert metrics == alone_metrics
    assert state == alone_state


def test_a_replica_dying_with_a_step_in_flight_is_retried_on_another() -> None:
    with Cluster(replicas=3) as cluster:
        start = preset_state(cluster.url)
        cycle = [upstreams(httpx.get(f"{cluster.url}/healthz"))[-1] for _ in range(6)]
        assert cycle[:3] == cycle[3:], cycle
        victim = cycle[0]  # round robin comes back to it with the next request
        body = {"state": start, "steps": IN_FLIGHT_STEPS}
        idle = cluster.cpu_ticks(port_of(victim))
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(httpx.post, f"{cluster.url}/api/train/step", json=body, timeout=300)
            while cluster.cpu_ticks(port_of(victim)) < idle + 10:  # a tenth of a second spent on it
                assert not pending.done(), "the request ended before its replica could be killed"
                time.sleep(0.01)
            cluster.kill_replica(port_of(victim))
            r = pending.result()

        assert r.status_code == 200, r.text
        assert upstreams(r)[0] == victim and len(upstreams(r)) == 2, upstreams(r)
        reference = httpx.post(f"{cluster.live_replica_url()}/api/train/step", json=body, timeout=300)
    assert r.json() == reference.json()
    assert r.json()["state"]["step"] == IN_FLIGHT_STEPS
