#!/usr/bin/env bash
# bench/serve.sh BIN_DIR MODEL INPUT OUT — nmt-serve under load, for `make bench`: 8 clients
# send 200 one-line /translate requests each (bench/serve-load.py, loopback only; every
# answer checked against the same request sent alone), against a server of 2 workers,
# first decoding each request alone (--join 1), then joining up to 8 waiting requests
# (--join 8). Appends one JSON line per configuration to OUT; the server is always stopped.
set -euo pipefail
bin=$1 model=$2 input=$3 out=$4
log=$(mktemp)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -f "$log"' EXIT
for join in 1 8; do
    "$bin/nmt-serve" -m "$model" --port 0 --workers 2 --join $join 2>"$log" &
    pid=$!
    port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$log")
        [ -n "$port" ] && break
        sleep 0.05
    done
    [[ "$port" =~ ^[0-9]+$ ]] || { echo "serve.sh: nmt-serve did not start: $(cat "$log")" >&2; exit 1; }
    compare=bodies
    [ $join -gt 1 ] && compare=sources
    /usr/bin/python3 bench/serve-load.py "http://127.0.0.1:$port" "$input" 8 200 1 --compare $compare --json |
        grep '^{' | sed "s|^{|{\"join\": $join, \"model\": \"$model\", |" >>"$out"
    kill -TERM "$pid"
    wait "$pid"
    pid=
done
