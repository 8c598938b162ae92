#!/usr/bin/env bash
# image-smoke: serve the image that ../shared/tools/container-check built and ask it what a
# student's browser asks (deploy/smoke.py: the graph page, the graph API, the training API).
# No Docker engine here: the image is run the way container-check runs it (buildah, its own CMD,
# USER and WORKDIR, host network, so port 8000 must be free), with WEB_CONCURRENCY workers (2 by
# default, where the image's default is 1, so the multi-process path WEB_CONCURRENCY switches on runs
# too). Run container-check first, as root:
#   ../shared/tools/container-check . && deploy/image-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${XDG_CACHE_HOME:-$HOME/.cache}/container-check
store=(--storage-driver vfs --root "$cache/storage" --runroot "$cache/run")
tag=localhost/container-check:latest
say() { printf 'image-smoke: %s\n' "$*"; }

conf=$(buildah "${store[@]}" inspect --type image "$tag") || { say "no image: run container-check first"; exit 1; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['Docker']['config'].get('$1') or '')" <<<"$conf"; }
user=$(field User); wd=$(field WorkingDir)
mapfile -t argv < <(python3 -c "import json,sys; print('\n'.join(json.load(sys.stdin)['Docker']['config']['Cmd']))" <<<"$conf")
if (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; then say "port 8000 is busy"; exit 1; fi

workers=${WEB_CONCURRENCY:-2}
ctr=$(buildah "${store[@]}" from --pull=never "$tag")
run=(buildah "${store[@]}" run --isolation chroot --user "$user" --workingdir "$wd" "$ctr" --)
setsid buildah "${store[@]}" run --isolation chroot --user "$user" --workingdir "$wd" \
  --env WEB_CONCURRENCY="$workers" "$ctr" -- "${argv[@]}" >"$cache/smoke-serve.log" 2>&1 &
srv=$!
trap 'kill -- -"$srv" 2>/dev/null || true; sleep 1; buildah "${store[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" 2>/dev/null && break; sleep 0.3; done

say "inside the image: $("${run[@]}" python -c 'import sys; print("Python", sys.version.split()[0])'), $("${run[@]}" dot -V 2>&1), user $("${run[@]}" id -u)"
for _ in $(seq 1 50); do [ "$(grep -c 'Application startup complete' "$cache/smoke-serve.log")" -ge "$workers" ] && break; sleep 0.3; done
python3 deploy/smoke.py http://127.0.0.1:8000
started=$(grep -c 'Application startup complete' "$cache/smoke-serve.log" || true)
[ "$started" = "$workers" ] || { say "FAIL: WEB_CONCURRENCY=$workers but $started workers started"; exit 1; }
say "$started uvicorn workers served (WEB_CONCURRENCY=$workers)"
say "OK"
