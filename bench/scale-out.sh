#!/usr/bin/env bash
# bench/scale-out.sh T1 PARAMS [ALPHA_US] — the scaling model of docs/scale-out.md as a table.
#   T1      seconds per update on one host (its own minibatch share, optimizer step included)
#   PARAMS  model parameters (the gradient is 4 x PARAMS bytes)
#   ALPHA_US  per-message latency in microseconds (default 30)
# Prints, for 2..64 hosts on 10, 25 and 100 Gbit/s links, the predicted reduction time per
# update and the speed-up in tokens/s over one host, with the global batch growing with the
# hosts (each host keeps its share). The chunk size is the trainer's (train/update.c).
# bench/scale-out.sh --reduce-ms HOSTS GBIT PARAMS [ALPHA_US] [SW_GBIT] prints the predicted
# reduction time of one update in ms for one point (bench/emulate-hosts.sh compares it with a
# measurement); SW_GBIT, the hosts' own rate through MPI and TCP, adds the software's term.
set -euo pipefail
# T_red(P) of docs/scale-out.md, in seconds: awk function text shared by both uses
reduce_fn='function reduce_s(P, n, B, a, Bsw,    G, c, link, sw) {
    G = 4 * n
    c = n / (4 * P); if (c < 16384) c = 16384; if (c > 1048576) c = 1048576
    c *= 4
    # the running sum up the chain and the total back down at once: each
    # direction of a link carries G bytes in G / c messages, and the last
    # chunk crosses 2 (P - 1) hops
    link = (G + 2 * (P - 1) * c) / B
    # with Bsw > 0, the hosts own rate of moving bytes through MPI and the
    # TCP stack: the two work on different chunks at once, but not wholly
    # (on emulated hosts they share the cores); measured there
    # (bench/emulate-hosts.sh), they combine as (link^3 + sw^3)^(1/3):
    # docs/scale-out.md
    if (Bsw > 0) {
        sw = G / Bsw
        link = (link ^ 3 + sw ^ 3) ^ (1 / 3)
    }
    return link + (G / c + 2 * (P - 1)) * a
}'
if [ "${1:-}" = --reduce-ms ]; then
    [ $# -ge 4 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
    awk -v P="$2" -v gb="$3" -v n="$4" -v alpha_us="${5:-30}" -v sw="${6:-0}" "$reduce_fn"'
        BEGIN { printf "%.1f\n", 1e3 * reduce_s(P, n, gb * 1e9 / 8, alpha_us * 1e-6, sw * 1e9 / 8) }'
    exit 0
fi
[ $# -ge 2 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }
awk -v t1="$1" -v n="$2" -v alpha_us="${3:-30}" "$reduce_fn"'
BEGIN {
    a = alpha_us * 1e-6
    printf "%6s", "hosts"
    split("10 25 100", gb, " ")
    for (j = 1; j <= 3; j++) printf "  %9s Gbit/s: ms  speed-up", gb[j]
    printf "\n"
    for (P = 2; P <= 64; P *= 2) {
        printf "%6d", P
        for (j = 1; j <= 3; j++) {
            red = reduce_s(P, n, gb[j] * 1e9 / 8, a, 0)
            printf "  %20.0f  %8.1fx", 1e3 * red, P * t1 / (t1 + red)
        }
        printf "\n"
    }
}'
