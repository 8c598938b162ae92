"""A real uvicorn server in a subprocess on a free port: for the tests that need real sockets and
restarts, the browser tests, and the benches that drive a served app."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn app.main:app`` on 127.0.0.1; ``start``/``kill`` may be called repeatedly."""

    def __init__(
        self,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        log: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.args = args or []  # more uvicorn options, e.g. ["--workers", "2"]
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = log or ROOT / "tests" / "output" / f"live-server-{self.port}.log"

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("ab")
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1"]
        self.proc = subprocess.Popen(
            [*command, "--port", str(self.port), "--log-level", "warning", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        log.close()  # the child has its own copy
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.healthy():
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the server exited with {self.proc.returncode}: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer /healthz within {STARTUP_SECONDS} s")
            time.sleep(0.1)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to save anything (it keeps nothing anyway)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextmanager
def running(
    env: dict[str, str] | None = None, args: list[str] | None = None, log: Path | None = None
) -> Iterator[Server]:
    server = Server(env=env, args=args, log=log)
    server.start()
    try:
        yield server
    finally:
        server.stop()
