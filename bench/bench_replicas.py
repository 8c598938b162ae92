"""One replica against three behind nginx (deploy/nginx.conf), in one run.

    .venv/bin/python bench/bench_replicas.py [--clients N] [--seconds S] [--rounds R]

Starts three app processes and nginx on loopback (tests/deploy/cluster.py), then, interleaved so
both see the same machine load:
  one      N clients, each stepping its own micrograd-demo run one step per request, all against a
           single replica directly;
  three    the same clients through nginx, spread round robin over the three replicas;
  proxy    GET /healthz one after another, direct and through nginx: what the extra hop costs.
Prints steps per second and the ratios. A replica is one Python process: on a machine with k cores,
three replicas can at best be min(3, k) times one (2x on this 2-core machine, less when it is shared).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.deploy.cluster import Cluster  # noqa: E402


def steps_per_second(base_url: str, start: dict, clients: int, seconds: float) -> float:
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        state = start
        with httpx.Client(base_url=base_url, timeout=60) as http:
            while time.monotonic() < stop:
                r = http.post("/api/train/step", json={"state": state, "steps": 1})
                r.raise_for_status()
                state = r.json()["state"]
                done[i] += 1

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.monotonic() - began)


def healthz_ms(base_url: str, n: int = 200) -> float:
    with httpx.Client(base_url=base_url) as http:
        began = time.perf_counter()
        for _ in range(n):
            http.get("/healthz").raise_for_status()
        return (time.perf_counter() - began) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    with Cluster(replicas=3) as cluster:
        one = f"http://127.0.0.1:{cluster.ports[0]}"
        presets = httpx.get(f"{cluster.url}/api/train/presets").json()["presets"]
        start = next(p for p in presets if p["name"] == "micrograd-demo")["state"]
        single, triple, direct, proxied = [], [], [], []
        for _ in range(args.rounds):
            single.append(steps_per_second(one, start, args.clients, args.seconds))
            triple.append(steps_per_second(cluster.url, start, args.clients, args.seconds))
            direct.append(healthz_ms(one))
            proxied.append(healthz_ms(cluster.url))

    med = statistics.median
    rounds = ", ".join(f"{t / s:.2f}" for s, t in zip(single, triple, strict=True))
    print(f"training steps/s, {args.clients} clients, one step per request:")
    print(f"  one replica {med(single):.0f}, three behind nginx {med(triple):.0f}")
    print(f"  three / one = {med(triple) / med(single):.2f}  (per round: {rounds})")
    print(f"GET /healthz one after another: direct {med(direct):.2f} ms, through nginx {med(proxied):.2f} ms")
    print(f"  nginx / direct = {med(proxied) / med(direct):.2f}")


if __name__ == "__main__":
    main()
