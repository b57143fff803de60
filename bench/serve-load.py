#!/usr/bin/env python3
"""serve-load.py -- concurrent clients against a running nmt-serve, loopback only.

    serve-load.py URL LINES CLIENTS REQUESTS [LINES_PER_REQUEST] [--compare bodies|sources] [--json]

Each of CLIENTS threads sends REQUESTS POST /translate requests of
LINES_PER_REQUEST lines (its own lines: client c, request r takes the lines
at (c * REQUESTS + r) * LINES_PER_REQUEST of the file LINES, wrapping
around), one after another on one connection, and checks every answer
against the answer to the same request sent alone before the load: the
same bytes (--compare bodies, the default: each request is decoded as
nmt-translate decodes its lines, whatever runs beside it) or, for
nmt-serve --join, whose joined requests may differ in the last digits of
their scores (and so, at a near-tie, in a text), the same source tokens
line for line (--compare sources: each answer is about its own lines).
A lost, failed or mixed-up answer is counted. Prints one line of figures
(with --json also as a JSON line, for bench/results.json) and, last,
"errors N"; exits 1 when N > 0. Only 127.0.0.1 / localhost / [::1] URLs
are accepted.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    compare = "sources" if "--compare" in sys.argv and sys.argv[sys.argv.index("--compare") + 1] == "sources" else "bodies"
    args = [a for a in args if a not in ("bodies", "sources")]
    url, path, clients, requests = args[0], args[1], int(args[2]), int(args[3])
    per = int(args[4]) if len(args) > 4 else 1
    u = urllib.parse.urlparse(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("serve-load.py: only loopback URLs (127.0.0.1, localhost, [::1])")
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip()]

    def request_of(c, r):
        start = (c * requests + r) * per
        return {"text": [lines[(start + i) % len(lines)] for i in range(per)]}

    def post(conn, body):
        conn.request("POST", "/translate", body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()

    def sources(raw):
        return [t["src_tokens"] for t in json.loads(raw)["translations"]]

    # the answers to every request sent alone, one at a time
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    expected = {}
    for c in range(clients):
        for r in range(requests):
            status, raw = post(conn, request_of(c, r))
            if status != 200:
                sys.exit(f"serve-load.py: the baseline request failed: {status} {raw[:200]!r}")
            expected[(c, r)] = raw
    conn.close()

    errors, latencies, lock = [], [], threading.Lock()

    def client(c):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        for r in range(requests):
            t0 = time.perf_counter()
            try:
                status, raw = post(conn, request_of(c, r))
            except Exception as e:  # a lost answer
                with lock:
                    errors.append(f"client {c} request {r}: {e}")
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
                continue
            dt = time.perf_counter() - t0
            ok = status == 200 and (raw == expected[(c, r)] if compare == "bodies"
                                    else sources(raw) == sources(expected[(c, r)]))
            with lock:
                latencies.append(dt)
                if not ok:
                    errors.append(f"client {c} request {r}: status {status}, answer not its own: {raw[:120]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p):
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    n = clients * requests
    print(f"{clients} clients x {requests} requests x {per} lines: {n / wall:.1f} requests/s, "
          f"{n * per / wall:.1f} sentences/s, latency p50 {pct(0.5):.1f} ms, p90 {pct(0.9):.1f} ms, "
          f"p99 {pct(0.99):.1f} ms, {wall:.2f} s")
    if "--json" in sys.argv:
        print(json.dumps({"serve": "load", "clients": clients, "requests": n, "lines_per_request": per,
                          "requests_per_s": round(n / wall, 2), "sent_per_s": round(n * per / wall, 2),
                          "p50_ms": round(pct(0.5), 2), "p90_ms": round(pct(0.9), 2), "p99_ms": round(pct(0.99), 2),
                          "errors": len(errors)}))
    for e in errors[:5]:
        print(e)
    print(f"errors {len(errors)}")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
