"""Availability under attack: the worst a normal user sees while one client misbehaves (issue 18).

    .venv/bin/python bench/availability.py                  # every attack, 8 s each
    .venv/bin/python bench/availability.py --seconds 4 --only "slow GET streams"
    .venv/bin/python bench/availability.py --root /tmp/old  # the same against another checkout

It starts a server (tests/live.py, from ``--root``'s code when given), then runs each attack of
tests/app/attacks.py from other loopback addresses while a poller measures /healthz (every 0.2 s)
and a normal user's graph request and training step. Per attack it prints the worst latency of
each, the answers that were not 200, and the server's memory (VmRSS) before and at the end.
Goals: /healthz always under 1 s; the user's graph and step served in under 5 s.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.app.attacks import ATTACKS, measure  # noqa: E402
from tests.live import Server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="how long each attack runs")
    parser.add_argument("--only", action="append", choices=list(ATTACKS), help="run only these attacks")
    parser.add_argument("--root", type=Path, help="serve the app from this checkout instead")
    args = parser.parse_args()
    server = Server()
    if args.root is not None:
        server.env["PYTHONPATH"] = str(args.root)
        server.args = ["--app-dir", str(args.root)]
    server.start()
    try:
        print(f"{'attack':<24} {'healthz':>8} {'graph':>8} {'step':>8} {'RSS MiB':>15}  not 200")
        for name in args.only or ATTACKS:
            worst, before, after = measure(server.url, server.proc.pid, name, args.seconds)
            lat = worst.latency
            failures = f"{len(worst.failures)}: {worst.failures[0]}" if worst.failures else "0"
            print(
                f"{name:<24} {lat['healthz']:>7.2f}s {lat['graph']:>7.2f}s {lat['step']:>7.2f}s "
                f"{before:>6.0f} -> {after:<6.0f}  {failures}",
                flush=True,
            )
            if not server.healthy():
                print("the server stopped answering /healthz; restarting it")
                server.stop()
                server.start()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
