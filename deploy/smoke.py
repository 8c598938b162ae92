#!/usr/bin/env python3
"""Ask a running chainrule what a student's browser asks, and check the answers.

    python3 deploy/smoke.py http://127.0.0.1:8000

Standard library only, so it runs anywhere: against the image (deploy/image-smoke.sh), a compose
service, or a Kubernetes Service through `kubectl port-forward`. Exits 1 at the first wrong answer.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request

LECTURE = "a = 2; b = -3; c = 10; f = -2; L = (a*b + c)*f"


def ask(base: str, path: str, body: object = None) -> tuple[int, str, bytes]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()
    except urllib.error.URLError as e:
        sys.exit(f"FAIL cannot reach {base + path}: {e.reason}")


def check(what: str, ok: bool, detail: object = "") -> None:
    """Prints the check; at the first failure, what came back instead, and stops."""
    print(f"{'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        sys.exit(f"     got: {detail}")


def main(base: str) -> None:
    status, _, body = ask(base, "/healthz")
    check("GET /healthz", status == 200 and json.loads(body) == {"status": "ok"}, status)

    for page, what in (("/", "the graph page"), ("/train", "the training page")):
        status, ctype, body = ask(base, page)
        check(f"GET {page} is {what}", status == 200 and ctype.startswith("text/html"), (status, body[:200]))
        assets = re.findall(r'(?:href|src)="([^"]*/static/[^"]+)"', body.decode())
        check("  it links its scripts and styles from /static/", assets != [], body[:500])
        for url in assets:
            status, _, _ = ask(base, url[url.index("/static/") :])
            check(f"  {url[url.index('/static/') :]}", status == 200, status)

    status, _, body = ask(base, "/api/graph", {"source": LECTURE})
    check("POST /api/graph answers", status == 200, (status, body[:500]))
    graph = json.loads(body)
    output = next(n for n in graph["nodes"] if n["id"] == graph["output"])
    check("the lecture's L", (output["label"], output["data"], output["grad"]) == ("L", -8.0, 1.0), output)
    grads = {n["label"]: n["grad"] for n in graph["nodes"] if n["role"] == "input"}
    check("its grads", grads == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}, grads)
    check("drawn by Graphviz in the image", graph["svg"].lstrip().startswith(("<?xml", "<svg")))

    status, _, body = ask(base, "/api/train/presets")
    check("GET /api/train/presets", status == 200, (status, body[:500]))
    preset = next(p for p in json.loads(body)["presets"] if p["name"] == "micrograd-demo")
    status, _, body = ask(base, "/api/train/step", {"state": preset["state"], "steps": 2})
    check("POST /api/train/step", status == 200, (status, body[:500]))
    metrics = json.loads(body)["metrics"]
    first = metrics[0]
    # micrograd's demo.ipynb prints "step 0 loss 0.8958..., accuracy 50.0%"
    check("the micrograd demo's step 0", (round(first["loss"], 4), first["accuracy"]) == (0.8958, 0.5), first)
    check("one metric per step", [m["step"] for m in metrics] == [0, 1], metrics)

    status, ctype, body = ask(base, "/api/train/stream", {"state": preset["state"], "steps": 3})
    events = re.findall(r"^event: ?(\w+)", body.decode(), flags=re.M)
    check(
        "POST /api/train/stream",
        status == 200 and ctype.startswith("text/event-stream"),
        (status, body[:300]),
    )
    check("  three step events, then done", events == ["step"] * 3 + ["done"], events)

    status, _, body = ask(base, "/api/graph", {"source": "L = (a*"})
    check("a syntax error is a 400 with a position", status == 400 and "line" in json.loads(body)["detail"])


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
