#!/usr/bin/env bash
# Serves the image that ../shared/tools/container-check built the way compose.yaml and the
# Kubernetes Deployment run it: a read-only root, a writable tmpfs on /tmp, the image's own user
# (10001, no home directory), an empty environment but for PATH and the image's ENV. Then draws
# a graph (Graphviz and its fonts must cope) and trains a step.
#
# Usage, as root, after container-check:  deploy/readonly-check.sh   (uses port 8001)
set -euo pipefail

cache=${XDG_CACHE_HOME:-$HOME/.cache}/container-check
store=(--storage-driver vfs --root "$cache/storage" --runroot "$cache/run")
port=8001
say() { echo "readonly-check: $*"; }

ctr=$(buildah "${store[@]}" from --pull=never localhost/container-check:latest)
root=$(buildah "${store[@]}" mount "$ctr")
pid=""
cleanup() {
  [ -n "$pid" ] && kill -- "-$pid" 2>/dev/null || true
  sleep 1
  buildah "${store[@]}" umount "$ctr" >/dev/null 2>&1 || true
  buildah "${store[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# a private mount namespace: the image's root bound read-only, then /tmp, /dev and /proc on it
setsid unshare --mount --propagation private bash -c "
  set -e
  mount --bind '$root' '$root' && mount -o remount,bind,ro '$root'
  mount -t tmpfs -o size=64m tmpfs '$root/tmp'
  mount --rbind /dev '$root/dev'
  mount -t proc proc '$root/proc'
  touch '$root/probe' 2>/dev/null && { echo 'the root is writable' >&2; exit 1; }
  cd '$root/app'
  exec chroot --userspec=10001:10001 '$root' env -i PATH=/usr/local/bin:/usr/bin:/bin \
    PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 WEB_CONCURRENCY=1 \
    sh -c 'cd /app && exec uvicorn app.main:app --host 127.0.0.1 --port $port'
" >"$cache/readonly-serve.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.3; done
curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" || { tail -20 "$cache/readonly-serve.log"; exit 1; }
say "serving from a read-only root as 10001"

graph=$(curl -fsS -H 'content-type: application/json' \
  -d '{"source": "a = 2; b = -3; c = 10; f = -2; L = (a*b + c)*f", "theme": "projector"}' \
  "http://127.0.0.1:$port/api/graph")
python3 -c '
import json, sys
body = json.loads(sys.argv[1])
grads = {n["label"]: n["grad"] for n in body["nodes"] if n["label"]}
assert body["svg"].startswith("<svg") and "grad 6.0000" in body["svg"], body["svg"][:200]
assert (grads["a"], grads["b"], grads["c"], grads["f"]) == (6.0, -4.0, -2.0, 4.0), grads
' "$graph"
say "graph: dot drew the lecture's graph, a.grad 6"

state=$(curl -fsS "http://127.0.0.1:$port/api/train/presets" |
  python3 -c 'import json,sys; print(json.dumps({"state": {p["name"]: p for p in json.load(sys.stdin)["presets"]}["micrograd-demo"]["state"], "steps": 1, "grid": 10}))')
curl -fsS -H 'content-type: application/json' -d "$state" "http://127.0.0.1:$port/api/train/step" |
  python3 -c 'import json,sys; m = json.load(sys.stdin)["metrics"][0]; assert round(m["loss"], 4) == 0.8958, m; print("readonly-check: training: step 0 loss", round(m["loss"], 4))'
if grep -qiE "traceback|error" "$cache/readonly-serve.log"; then
  tail -20 "$cache/readonly-serve.log"
  exit 1
fi
say "OK"
