"""A real redis-server on a free loopback port, for the live-lesson tests and bench.

It writes every command to an append-only file (fsync always) in its own temporary directory,
so a restart, even after SIGKILL, comes back with the lessons it had, as a Redis with
persistence does in production.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.live import Server, free_port

START_SECONDS = 20.0


def redis_binary() -> str | None:
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


class RedisServer:
    def __init__(self) -> None:
        binary = redis_binary()
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = Path(tempfile.mkdtemp(prefix="chainrule-redis-"))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.tmp), "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"]
        log = (self.tmp / "redis.log").open("ab")
        self.proc = subprocess.Popen([self.binary, *args], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with redis.Redis.from_url(self.url, socket_timeout=1) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.tmp / "redis.log").read_text()[-2000:]
                raise RuntimeError(f"redis-server did not start: {log}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, as when its machine dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def replicas_sharing(
    server: RedisServer, env: dict[str, str] | None = None
) -> Iterator[tuple[Server, Server]]:
    """Two uvicorn replicas on loopback sharing this Redis (with more settings in `env`)."""
    settings = {"CHAINRULE_REDIS_URL": server.url, **(env or {})}
    pair = (Server(env=settings), Server(env=settings))
    try:
        for replica in pair:
            replica.start()
        yield pair
    finally:
        for replica in pair:
            replica.stop()
