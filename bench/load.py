"""A classroom against a running chainrule: many clients, a mix of graphs and training steps.

    .venv/bin/python bench/load.py --start                      # start a server, 50 clients, 60 s
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --pid 1234
    .venv/bin/python bench/load.py --start --clients 10 --duration 10   # a quick look

Each client is a student: it sends a request, waits for the answer, thinks for a moment
(``--think`` seconds on average, 0 = as fast as possible) and sends the next one. The mix:
  preset  POST /api/graph with one of the graph page's examples (identical across the class:
          the server's cache answers these)
  unique  POST /api/graph with an example whose numbers were changed (a slider moved: a
          program nobody sent before, so `dot` lays it out)
  train   POST /api/train/step as the training page sends it (the student's own run of
          micrograd's demo, 1 to 3 steps, a 40x40 decision boundary and the predictions)
  lecture POST /api/graph with the lecture's first example, the one program the whole class
          shares (answered from the cache)
  shape   POST /api/graph with an example and a line nobody typed before (a new shape: `dot`
          lays it out; ``unique`` changes only numbers, so its shape's layout is reused)

Issue 15's class typing, with the page redrawing as they type (one worker, then two; the
clients in three processes, as one process cannot drive more than ~150 requests a second):
    .venv/bin/python bench/load.py --start --procs 3 --clients 30 --think 0 \
        --mix lecture=70,unique=20,shape=10
    .venv/bin/python bench/load.py --start --procs 3 --workers 2 --clients 30 --think 0 --mix ...

It prints requests per second, p50/p99 latency (overall and per kind), the errors, the
server's memory over the run (VmRSS sampled every half second and VmHWM, the peak; the
server process and its workers), the most `dot` processes seen running at once under the
server (polled every 20 ms) against the configured cap, and the load average.
Targets (issue 8, 2 cores): zero errors, p99 < 500 ms, memory flat, dot never over the cap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.settings import get_settings  # noqa: E402
from tests.live import Server  # noqa: E402

# the graph page's examples (static/js/graph-presets.js), as a class would send them
PRESETS = [
    "a = 2.0\nb = -3.0\nc = 10.0\nf = -2.0\ne = a*b\nd = e + c\nL = d*f\n",
    "x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432\nx1w1 = x1*w1\nx2w2 = x2*w2\n"
    "x1w1x2w2 = x1w1 + x2w2\nn = x1w1x2w2 + b\no = tanh(n)\n",
    "x1 = 2.0\nx2 = 0.0\nw1 = -3.0\nw2 = 1.0\nb = 6.8813735870195432\nx1w1 = x1*w1\nx2w2 = x2*w2\n"
    "x1w1x2w2 = x1w1 + x2w2\nn = x1w1x2w2 + b\ne = exp(2*n)\no = (e - 1)/(e + 1)\n",
    "a = 3.0\nb = a + a\n",
    "a = -2.0\nb = 3.0\nd = a*b\ne = a + b\nf = d*e\n",
    "x = 3.0\ny = 3*x**2 - 4*x + 5\n",
]
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+")
TRAIN_PRESET = "micrograd-demo"
GRID = 40  # as static/js/train-page.js
SAMPLE_SECONDS = 0.5  # memory
DOT_POLL_SECONDS = 0.02  # dot processes (a layout takes tens of milliseconds)


def unique_program(rng: random.Random) -> str:
    """An example with one number changed, as when a student drags a slider."""
    source = rng.choice(PRESETS)
    numbers = list(NUMBER.finditer(source))
    m = rng.choice(numbers)
    value = f"{rng.uniform(-5, 5):.6f}"
    return source[: m.start()] + value + source[m.end() :]


def new_shape(rng: random.Random) -> str:
    """An example with one more line, under a name nobody used before: a shape never laid out."""
    source = rng.choice(PRESETS)
    names = re.findall(r"^(\w+) =", source, re.M)
    left, right = rng.choice(names), rng.choice(names)
    return source + f"t{rng.getrandbits(32):x} = {left} {rng.choice('+*-')} {right}\n"


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[str] = field(default_factory=list)
    recording: bool = False
    client_cores: float = 0.0  # CPU the clients themselves used (they share the machine)
    elapsed: float = 0.0

    def record(self, kind: str, seconds: float, problem: str | None) -> None:
        if not self.recording:
            return
        if problem is None:
            self.latencies[kind].append(seconds)
        else:
            self.errors[kind] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {problem}")


class Student:
    def __init__(self, client: httpx.AsyncClient, rng: random.Random, train_state: dict, mix: dict) -> None:
        self.client, self.rng, self.mix = client, rng, mix
        self.start_state = train_state
        self.run = train_state

    def choose(self) -> str:
        return self.rng.choices(list(self.mix), weights=list(self.mix.values()))[0]

    async def request(self, kind: str) -> str | None:
        """One request of this kind; None if it went well, else what went wrong."""
        if kind == "train":
            body = {
                "state": {**self.run, "history": [], "grads": None},
                "steps": self.rng.randint(1, 3),
                "grid": GRID,
                "predictions": True,
            }
            response = await self.client.post("/api/train/step", json=body)
            if response.status_code != 200:
                return f"{response.status_code} {response.text[:200]}"
            state = response.json()["state"]
            self.run = self.start_state if state["step"] >= 100 else state  # the demo runs 100 steps
            return None
        if kind == "preset":
            source = self.rng.choice(PRESETS)
        elif kind == "lecture":
            source = PRESETS[0]
        else:
            source = unique_program(self.rng) if kind == "unique" else new_shape(self.rng)
        response = await self.client.post("/api/graph", json={"source": source, "values": {}})
        if response.status_code != 200 or not response.json()["svg"].startswith("<svg"):
            return f"{response.status_code} {response.text[:200]}"
        return None

    async def attend(self, until: float, think: float, results: Results) -> None:
        await asyncio.sleep(self.rng.uniform(0, max(think, 0.05)))  # students don't start in step
        while time.monotonic() < until:
            kind = self.choose()
            started = time.perf_counter()
            try:
                problem = await self.request(kind)
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
            results.record(kind, time.perf_counter() - started, problem)
            if think > 0:
                await asyncio.sleep(self.rng.uniform(0.5 * think, 1.5 * think))


# --- watching the server ------------------------------------------------------------------


def processes() -> dict[int, tuple[str, int]]:
    """pid -> (command name, parent pid) for every process."""
    table = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read().decode(errors="replace")
            except OSError:
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            table[int(name)] = (comm, ppid)
    return table


def descends_from(pid: int, ancestor: int, table: dict[int, tuple[str, int]]) -> bool:
    for _ in range(64):
        if pid == ancestor:
            return True
        if pid not in table or pid <= 1:
            return False
        pid = table[pid][1]
    return False


def status_kib(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its finished children not included)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Watcher(multiprocessing.Process):
    """Polls /proc: `dot` processes under the server, and the server's memory. A process of
    its own, so that polling does not hold up the clients (they share no GIL with it)."""

    def __init__(self, server_pid: int) -> None:
        super().__init__(daemon=True)
        self.server_pid = server_pid
        self.stop = multiprocessing.Event()
        self._results: multiprocessing.Queue = multiprocessing.Queue()
        self.max_dot = 0  # under the server
        self.max_dot_anywhere = 0  # on the whole machine (other users of dot included)
        self.memory: list[tuple[float, int]] = []  # (time, total VmRSS KiB of server + workers)
        self.cpu: list[tuple[float, float]] = []  # (time, CPU seconds used so far by server + workers)
        self.peak_hwm = 0

    def server_processes(self, table: dict[int, tuple[str, int]]) -> list[int]:
        return [
            pid
            for pid, (comm, _) in table.items()
            if comm != "dot" and descends_from(pid, self.server_pid, table)
        ]

    def run(self) -> None:
        next_memory = 0.0
        while not self.stop.is_set():
            table = processes()
            dots = [pid for pid, (comm, _) in table.items() if comm == "dot"]
            self.max_dot_anywhere = max(self.max_dot_anywhere, len(dots))
            mine = sum(1 for pid in dots if descends_from(pid, self.server_pid, table))
            self.max_dot = max(self.max_dot, mine)
            now = time.monotonic()
            if now >= next_memory:
                pids = self.server_processes(table)
                self.memory.append((now, sum(status_kib(p, "VmRSS") for p in pids)))
                self.cpu.append((now, sum(cpu_seconds(p) for p in pids)))
                self.peak_hwm = max(self.peak_hwm, sum(status_kib(p, "VmHWM") for p in pids))
                next_memory = now + SAMPLE_SECONDS
            time.sleep(DOT_POLL_SECONDS)
        self._results.put((self.max_dot, self.max_dot_anywhere, self.memory, self.cpu, self.peak_hwm))

    def finish(self) -> None:
        """Stop polling and bring the figures back into this process."""
        self.stop.set()
        self.max_dot, self.max_dot_anywhere, self.memory, self.cpu, self.peak_hwm = self._results.get(
            timeout=30
        )
        self.join()


# --- running it ---------------------------------------------------------------------------


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    server = Server(args=["--workers", str(workers)], log=ROOT / "bench" / "output" / "load-server.log")
    server.start()
    assert server.proc is not None
    return server.proc, server.url


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def drive(url: str, args: argparse.Namespace, results: Results) -> float:
    # idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them under a request
    limits = httpx.Limits(
        max_connections=args.clients, max_keepalive_connections=args.clients, keepalive_expiry=2
    )
    async with httpx.AsyncClient(base_url=url, timeout=args.timeout, limits=limits) as client:
        presets = (await client.get("/api/train/presets")).json()["presets"]
        train_state = next(p["state"] for p in presets if p["name"] == TRAIN_PRESET)
        rng = random.Random(args.seed)
        students = [
            Student(client, random.Random(rng.random()), train_state, args.mix) for _ in range(args.clients)
        ]
        start = time.monotonic()
        end = start + args.warmup + args.duration
        tasks = [asyncio.create_task(s.attend(end, args.think, results)) for s in students]
        await asyncio.sleep(args.warmup)
        results.recording = True
        measured_from, cpu_from = time.monotonic(), time.process_time()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - measured_from
        results.client_cores = (time.process_time() - cpu_from) / elapsed
        return elapsed


KINDS = ("preset", "unique", "train", "lecture", "shape")


def drive_part(url: str, args: argparse.Namespace, part: int) -> Results:
    """One client process's share of the class (``--procs``): its own clients and seed."""
    share = {"clients": args.clients // args.procs, "seed": args.seed + part}
    mine = argparse.Namespace(**{**vars(args), **share})
    if part < args.clients % args.procs:
        mine.clients += 1
    results = Results()
    results.elapsed = asyncio.run(drive(url, mine, results))
    return results


def drive_all(url: str, args: argparse.Namespace, results: Results) -> float:
    """The clients in ``args.procs`` processes (one Python process drives about 150 requests a
    second at most: with more, the clients would measure their own queue, not the server)."""
    if args.procs == 1:
        return asyncio.run(drive(url, args, results))
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.procs) as pool:
        parts = pool.starmap(drive_part, [(url, args, k) for k in range(args.procs)])
    for part in parts:
        for kind, values in part.latencies.items():
            results.latencies[kind] += values
        for kind, count in part.errors.items():
            results.errors[kind] += count
        results.examples += part.examples[: 5 - len(results.examples)]
        results.client_cores += part.client_cores
    return max(part.elapsed for part in parts)


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind not in KINDS:
            raise argparse.ArgumentTypeError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")
        mix[kind] = float(weight)
    return mix


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running server (without --start)")
    parser.add_argument("--pid", type=int, help="the running server's pid, to watch its memory and dot")
    parser.add_argument("--start", action="store_true", help="start a server (uvicorn) for the run")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, with --start")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds before measuring")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between a client's requests")
    parser.add_argument("--mix", type=parse_mix, default=parse_mix("preset=55,unique=20,train=25"))
    parser.add_argument("--timeout", type=float, default=30.0, help="a request slower than this is an error")
    parser.add_argument("--dot-cap", type=int, help="the server's max_dot_processes (default: this env's)")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--procs", type=int, default=1, help="client processes sharing the clients")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    proc = None
    url, pid = args.url, args.pid
    if args.start:
        proc, url = start_server(args.workers)
        pid = proc.pid
    cap = args.dot_cap or get_settings().max_dot_processes
    args.cache_mib = get_settings().graph_cache_bytes / 2**20
    watcher = Watcher(pid) if pid else None
    load_before = os.getloadavg()
    results = Results()
    try:
        if watcher:
            watcher.start()
        elapsed = drive_all(url, args, results)
    finally:
        if watcher:
            watcher.finish()
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    load_after = os.getloadavg()
    return report(args, results, elapsed, watcher, cap, load_before, load_after)


def report(args, results, elapsed, watcher, cap, load_before, load_after) -> int:  # noqa: ANN001
    every = [x for values in results.latencies.values() for x in values]
    cache_mib = args.cache_mib
    errors = sum(results.errors.values())
    figures: dict[str, object] = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "think_s": args.think,
        "requests": len(every) + errors,
        "rps": round((len(every) + errors) / elapsed, 1),
        "p50_ms": round(percentile(every, 50) * 1000, 1),
        "p99_ms": round(percentile(every, 99) * 1000, 1),
        "errors": errors,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    print(
        f"chainrule load: {args.clients} clients, {elapsed:.0f} s measured "
        f"(after {args.warmup:g} s warm-up), think {args.think:g} s, mix {args.mix}"
    )
    print(f"  requests {figures['requests']}  ({figures['rps']} per second)   errors {errors}")
    print(
        f"  latency  p50 {figures['p50_ms']} ms   p99 {figures['p99_ms']} ms   "
        f"max {max(every, default=0) * 1000:.0f} ms"
    )
    for kind, values in sorted(results.latencies.items()):
        figures[f"{kind}_ms"] = {p: round(percentile(values, p) * 1000, 1) for p in (50, 90, 99)}
        print(
            f"    {kind:7s} n={len(values):6d}  p50 {percentile(values, 50) * 1000:7.1f} ms  "
            f"p90 {percentile(values, 90) * 1000:7.1f} ms  "
            f"p99 {percentile(values, 99) * 1000:7.1f} ms  mean {statistics.fmean(values) * 1000:7.1f} ms  "
            f"errors {results.errors.get(kind, 0)}"
        )
    for example in results.examples:
        print(f"    error: {example}")
    if watcher and watcher.memory:
        t0 = watcher.memory[0][0]
        rss = [kib for _, kib in watcher.memory]
        measured = [kib for t, kib in watcher.memory if t - t0 >= args.warmup] or rss
        timeline = [
            f"{int(t - t0):3d}s {kib / 1024:6.1f}"
            for t, kib in watcher.memory[:: max(1, int(10 / SAMPLE_SECONDS))]
        ]
        figures.update(
            rss_start_mib=round(measured[0] / 1024, 1),
            rss_end_mib=round(measured[-1] / 1024, 1),
            rss_max_mib=round(max(measured) / 1024, 1),
            rss_half_mib=round(measured[len(measured) // 2] / 1024, 1),
            vmhwm_mib=round(watcher.peak_hwm / 1024, 1),
            max_dot=watcher.max_dot,
            max_dot_machine=watcher.max_dot_anywhere,
            dot_cap=cap * args.workers,
        )
        print(
            f"  memory   VmRSS after warm-up {figures['rss_start_mib']} MiB, "
            f"at the end {figures['rss_end_mib']} MiB, max {figures['rss_max_mib']} MiB; "
            f"VmHWM (peak) {figures['vmhwm_mib']} MiB"
        )
        print(f"           every 10 s (MiB): {' | '.join(timeline)}")
        print(
            f"           half-way {figures['rss_half_mib']} MiB; the graph cache may hold up to "
            f"{cache_mib:g} MiB of answers per worker (graph_cache_bytes), so RSS rises while it fills"
        )
        cpu = [(t, c) for t, c in watcher.cpu if t - t0 >= args.warmup]
        if len(cpu) > 1:
            busy = (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0])
            figures["server_cpu_cores"] = round(busy, 2)
            print(
                f"  cpu      the server used {busy:.2f} cores on average (dot not included), "
                f"the clients {results.client_cores:.2f}"
            )
        print(
            f"  dot      at most {watcher.max_dot} running at once under the server "
            f"(cap {cap} per worker x {args.workers}); {watcher.max_dot_anywhere} on the whole machine"
        )
    else:
        print("  memory and dot: not watched (give --pid or --start)")
    print(
        f"  load average (1, 5, 15 min) before {figures['load_average_before']}, "
        f"after {figures['load_average_after']}"
    )
    ok = {
        "zero errors": errors == 0,
        "p99 < 500 ms": figures["p99_ms"] < 500,
    }
    if watcher and watcher.memory:
        # bounded: no more than the graph cache's budget (+ slack) above the warmed-up size;
        # flat: the second half of the run adds under 5 %
        budget = figures["rss_start_mib"] + args.workers * (cache_mib + 16)
        ok[f"memory bounded (max <= {budget:.0f} MiB)"] = figures["rss_max_mib"] <= budget
        ok["memory flat (second half grows < 5%)"] = figures["rss_end_mib"] <= 1.05 * figures["rss_half_mib"]
        ok["dot within the cap"] = watcher.max_dot <= cap * args.workers
    for name, passed in ok.items():
        print(f"  {'PASS' if passed else 'FAIL'}  {name}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if all(ok.values()) else 1  # a FAIL fails the command too


if __name__ == "__main__":
    sys.exit(main())
