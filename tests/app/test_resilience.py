"""Things that go wrong in a classroom leave the service healthy and lose no one's work.

Each test runs the app in a real uvicorn subprocess (tests/app/live.py), because what is
tested is process-level: a killed `dot`, a dropped socket, a killed server.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import Server, running

DOT = shutil.which("dot")
SLOW_MARKER = "slowpoke"  # a name in the program that makes the fake dot hang
SLEEP_SECONDS = "31.25"  # a distinctive argument, to find the hanging process in /proc

# a small net on the moons, so each step is quick but the run is real
CONFIG = {"dataset": {"name": "moons", "n_samples": 40}, "layers": [8, 8, 1], "optimizer": {"name": "adam"}}


def processes_with(argument: str) -> list[int]:
    """Pids of processes whose command line contains ``argument``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argument.encode() in cmdline:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def slow_dot(tmp_path: Path) -> str:
    """A `dot` that hangs on programs naming SLOW_MARKER and draws everything else."""
    if DOT is None:
        pytest.skip("Graphviz (dot) is not installed")
    script = tmp_path / "dot"
    script.write_text(
        "#!/bin/sh\n"
        "input=$(cat)\n"
        f'case "$input" in *{SLOW_MARKER}*) exec sleep {SLEEP_SECONDS};; esac\n'
        f'printf "%s\\n" "$input" | exec {DOT} "$@"\n'
    )
    script.chmod(0o755)
    return str(script)


def test_a_render_that_times_out_leaves_the_service_healthy(slow_dot):
    # a process per graph: this stand-in reads its input to the end (tests/app/test_dot.py kills
    # a kept `dot` that takes too long)
    env = {
        "CHAINRULE_DOT_COMMAND": slow_dot,
        "CHAINRULE_RENDER_TIMEOUT_SECONDS": "1",
        "CHAINRULE_DOT_GRAPHS_PER_PROCESS": "1",
    }
    with running(env) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/graph", json={"source": f"{SLOW_MARKER} = 2.0\n{SLOW_MARKER} * 3"})
        assert response.status_code == 503
        assert "longer than 1 s" in response.json()["detail"]["message"]
        assert response.headers["retry-after"] == "5"
        assert processes_with(SLEEP_SECONDS) == []  # the hanging dot was killed, not left behind
        # its slot was given back: both slots still draw
        for k in range(3):
            response = client.post("/api/graph", json={"source": f"a = {k}.5\nb = a*a"})
            assert response.status_code == 200
            assert response.json()["svg"].startswith("<svg")
        assert client.get("/healthz").json() == {"status": "ok"}


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event name, data) per server-sent event."""
    name, data = "message", []
    for line in lines:
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def test_a_client_that_disconnects_mid_stream_stops_the_work_and_leaves_the_service_healthy():
    with running() as server, httpx.Client(base_url=server.url, timeout=30) as client:
        body = {"state": {"config": CONFIG}, "steps": 10_000, "every": 1}
        pid = server.proc.pid
        with client.stream("POST", "/api/train/stream", json=body) as response:
            assert response.status_code == 200
            stream = events(response.iter_lines())
            first = next(stream)
            assert first[0] == "step" and first[1]["state"]["step"] == 1
            before = cpu_seconds(pid)
            started = time.monotonic()
            for _ in range(200):
                next(stream)
            streaming = (cpu_seconds(pid) - before) / (time.monotonic() - started)
        # the client hung up with ~9800 steps to go
        time.sleep(1)  # let the server notice
        before = cpu_seconds(pid)
        time.sleep(2)
        idle = (cpu_seconds(pid) - before) / 2
        assert idle < 0.2 * streaming, (idle, streaming)  # the abandoned run is not being computed
        assert client.get("/healthz").status_code == 200
        response = client.post("/api/train/stream", json={"state": {"config": CONFIG}, "steps": 3})
        assert response.status_code == 200
        assert [name for name, _ in events(iter(response.text.splitlines()))] == ["step"] * 3 + ["done"]


def step(client: httpx.Client, state: dict[str, Any], steps: int) -> dict[str, Any]:
    response = client.post("/api/train/step", json={"state": state, "steps": steps})
    assert response.status_code == 200, response.text
    return response.json()["state"]


def test_a_server_restart_during_training_loses_nothing():
    server = Server()
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            state = {"config": CONFIG}
            for _ in range(4):
                state = step(client, state, 3)
            assert state["step"] == 12
            server.kill()  # SIGKILL mid-run: the page keeps the state, the server kept nothing
            with pytest.raises(httpx.TransportError):
                client.get("/healthz")
            server.start()
            for _ in range(4):
                state = step(client, state, 3)
            uninterrupted = step(client, {"config": CONFIG}, 24)
        assert state == uninterrupted  # the same weights, grads, Adam moments and history, exactly
        assert len(state["history"]) == 24
    finally:
        server.stop()


def test_a_stream_cut_by_a_restart_resumes_from_the_last_state_it_sent():
    server = Server()
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            total, last = 30, None
            body = {"state": {"config": CONFIG}, "steps": total, "interval_ms": 20}
            with pytest.raises(httpx.TransportError):
                with client.stream("POST", "/api/train/stream", json=body) as response:
                    for name, data in events(response.iter_lines()):
                        assert name == "step"
                        last = data["state"]
                        if last["step"] == 10:
                            server.kill()
            assert last is not None and last["step"] >= 10
            server.start()
            remaining = total - last["step"]
            response = client.post("/api/train/stream", json={"state": last, "steps": remaining})
            assert response.status_code == 200
            received = list(events(iter(response.text.splitlines())))
            assert received[-1] == ("done", {"step": total, "reason": "finished", "stopped": None})
            resumed = received[-2][1]["state"]
            uninterrupted = step(client, {"config": CONFIG}, total)
        assert resumed == uninterrupted
    finally:
        server.stop()
