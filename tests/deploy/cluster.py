"""Several chainrule processes behind nginx on loopback, as deploy/nginx.conf runs them.

`Cluster(n)` starts n uvicorn processes of the app on free ports and nginx in front of them, with
the shipped deploy/nginx.conf (its replica ports and listen port swapped for free ones) included
from a main config that keeps pid, logs and temp files in a temporary directory. Each answer
carries `X-Chainrule-Upstream` (nginx's $upstream_addr): the replica(s) nginx tried, in order.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.live import free_port

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CONF = REPO / "deploy" / "nginx.conf"
UPSTREAM_HEADER = "X-Chainrule-Upstream"
START_TIMEOUT = 60.0  # seconds for a process to answer; generous, the machine is shared


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def shipped_conf_for(replica_ports: list[int], listen_port: int) -> str:
    """deploy/nginx.conf with its replicas and listen port replaced; fails if its shape changed."""
    text = SHIPPED_CONF.read_text()
    servers = re.findall(r"^\s*server\s+127\.0\.0\.1:\d+", text, flags=re.M)
    if len(servers) != len(replica_ports):
        raise ValueError(f"{SHIPPED_CONF} lists {len(servers)} replicas, not {len(replica_ports)}")
    ports = iter(replica_ports)
    text = re.sub(r"(server\s+127\.0\.0\.1:)\d+", lambda m: f"{m.group(1)}{next(ports)}", text)
    listen = rf"\g<1>listen 127.0.0.1:{listen_port};"
    text, listens = re.subn(r"^(\s*)listen\s+[^;]+;", listen, text, flags=re.M)
    if listens != 1:
        raise ValueError(f"{SHIPPED_CONF} should have exactly one listen directive, has {listens}")
    return text


def main_conf(tmp: Path, include: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would otherwise run as nobody
    temps = "\n".join(
        f"    {kind}_temp_path {tmp / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} info;
events {{ worker_connections 128; }}
http {{
    access_log {tmp / "access.log"};
{temps}
    add_header {UPSTREAM_HEADER} $upstream_addr always;
    include {include};
}}
"""


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT}s:\n{log.read_text()[-2000:]}")


class Cluster:
    def __init__(self, replicas: int = 3, env: dict[str, str] | None = None) -> None:
        self.nginx = nginx_binary()
        if self.nginx is None:
            raise RuntimeError("nginx is not installed")
        self.tmp = Path(tempfile.mkdtemp(prefix="chainrule-cluster-"))
        self.env = {**os.environ, **(env or {})}
        self.ports = [free_port() for _ in range(replicas)]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.replicas: dict[int, subprocess.Popen] = {}
        self.proxy: subprocess.Popen | None = None

    def upstream(self, port: int) -> str:
        return f"127.0.0.1:{port}"

    def live_replica_url(self) -> str:
        port = next(p for p, proc in self.replicas.items() if proc.poll() is None)
        return f"http://127.0.0.1:{port}"

    def start_replica(self, port: int, wait: bool = True) -> None:
        log = self.tmp / f"replica-{port}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=self.env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self.replicas[port] = proc
        if wait:
            self.wait_for_replica(port)

    def wait_for_replica(self, port: int) -> None:
        log = self.tmp / f"replica-{port}.log"
        wait_until_up(f"http://127.0.0.1:{port}/healthz", self.replicas[port], log)

    def cpu_ticks(self, port: int) -> int:
        """CPU time the replica has used so far, in clock ticks (Linux /proc)."""
        stat = Path(f"/proc/{self.replicas[port].pid}/stat").read_text()
        utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
        return int(utime) + int(stime)

    def kill_replica(self, port: int) -> None:
        """SIGKILL: the process gets no chance to finish anything, as when a machine dies."""
        proc = self.replicas[port]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def __enter__(self) -> Cluster:
        try:
            for port in self.ports:
                self.start_replica(port, wait=False)
            for port in self.ports:
                self.wait_for_replica(port)
            include = self.tmp / "chainrule.conf"
            include.write_text(shipped_conf_for(self.ports, self.port))
            conf = self.tmp / "nginx.conf"
            conf.write_text(main_conf(self.tmp, include))
            log = self.tmp / "error.log"
            self.proxy = subprocess.Popen(
                [self.nginx, "-p", str(self.tmp), "-e", str(log), "-c", str(conf)],
                stdout=(self.tmp / "nginx.out").open("w"),
                stderr=subprocess.STDOUT,
            )
            wait_until_up(f"{self.url}/healthz", self.proxy, self.tmp / "nginx.out")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        procs = [p for p in (self.proxy, *self.replicas.values()) if p is not None]
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
