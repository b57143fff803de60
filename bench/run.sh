#!/usr/bin/env bash
# bench/run.sh BUILD_DIR BIN_DIR — the figures of `make bench`: a table on
# stdout and every measurement in bench/results.json.
#   - sgemm rate of this machine, 1 and 2 threads (the yardstick)
#   - training throughput at emb 256 / hidden 512 / batch 64, 1 and 2 threads,
#     its FLOP rate as a fraction of sgemm, and the 1 -> 2 thread scaling
#   - decoding sentences/s, greedy and beam 5, 1 and 2 threads
#   - BPE learning (8,000 merges) and encoding speed
#   - peak resident memory next to the analytic floor
# Multi30k (../shared/corpora/multi30k, or $NMT_DATA) is used when present;
# without it training runs on generated batches of the same shape and the
# BPE figures are skipped. Decoding uses $BENCH_MODEL (default: the recipe's
# out/multi30k-de-en/model) on test2016 when it exists, else a random model.
set -euo pipefail
build=${1:-build}
bench="$build/bench/nmt-bench"
data=${NMT_DATA:-../shared/corpora/multi30k}
[ -f "$data/train.de" ] || data=""
model=${BENCH_MODEL:-out/multi30k-de-en/model}
results=bench/results.json
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
run() { echo "  nmt-bench $*" >&2; "$bench" "$@" | tee -a "$tmp" >/dev/null; }

echo "measuring (a few minutes)..." >&2
run sgemm --threads 1
run sgemm --threads 2
for t in 1 2; do run train --threads $t ${data:+--data "$data"}; done
if [ -f "$model" ] && [ -n "$data" ]; then
    for t in 1 2; do run decode --threads $t --model "$model" --input "$data/test2016.de"; done
else
    for t in 1 2; do run decode --threads $t; done
fi
[ -n "$data" ] && run bpe --data "$data"

# ---- portable (the default build) against make NATIVE=1: one thread, runs alternated so
# that a noisy machine slows both alike; the table reports the ratios ----
native=${NATIVE_BENCH:-}
if [ -n "$native" ] && [ -x "$native" ]; then
    for r in 1 2 3; do
        for b in portable native; do
            exe=$bench
            [ $b = native ] && exe=$native
            echo "  nmt-bench ($b) train --threads 1 --updates 40, decode --threads 1 (round $r)" >&2
            "$exe" train --threads 1 --updates 40 ${data:+--data "$data"} | sed "s/^{/{\"build\": \"$b\", /" >>"$tmp"
            if [ -f "$model" ] && [ -n "$data" ]; then
                "$exe" decode --threads 1 --model "$model" --input "$data/test2016.de"
            else
                "$exe" decode --threads 1
            fi | sed "s/^{/{\"build\": \"$b\", /" >>"$tmp"
        done
    done
fi
# ---- end portable/native ----

{ echo "["; sed '$!s/$/,/' "$tmp"; echo "]"; } >"$results"

# The table. Fields are pulled out of the JSON lines with awk.
awk '
function f(key,    m) { if (match($0, "\"" key "\": (\"[^\"]*\"|[-0-9.e+]+)")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: /, "", m); gsub(/"/, "", m); return m } return "" }
/"sgemm"/  { sg[f("threads")] = f("gflops"); kern = f("kernels") }
/"build"/ && /"train"/  { ntr[f("build")] += f("tokens_per_s"); next }
/"build"/ && /"decode"/ { ngr[f("build")] += f("greedy_sent_per_s"); nbm[f("build")] += f("beam5_sent_per_s"); next }
/"train"/  { t = f("threads"); tok[t] = f("tokens_per_s"); gf[t] = f("gflops"); rss[t] = f("peak_rss_kb"); floor[t] = f("floor_kb"); fpt = f("flops_per_token"); src = f("data"); params = f("params") }
/"decode"/ { t = f("threads"); gr[t] = f("greedy_sent_per_s"); bm[t] = f("beam5_sent_per_s"); drss[t] = f("peak_rss_kb"); dmodel = f("model"); dn = f("sentences") }
/"bpe"/    { learn = f("learn_seconds"); count = f("count_seconds"); enc = f("encode_mb_per_s") }
END {
    printf "\nmachine: OpenBLAS kernels %s\n", kern
    printf "sgemm (1024 x 8000 x 1792):  1 thread %.1f GFLOP/s   2 threads %.1f GFLOP/s\n\n", sg[1], sg[2]
    printf "training, emb 256 / hidden 512 / batch 64, %s (%s parameters, %.3g FLOP per target token)\n", src, params, fpt
    printf "  %-8s %12s %12s %14s %16s %14s\n", "threads", "tokens/s", "GFLOP/s", "of sgemm", "peak RSS MB", "floor MB"
    for (t = 1; t <= 2; t++)
        printf "  %-8d %12.0f %12.1f %13.0f%% %16.0f %14.0f\n", t, tok[t], gf[t], 100 * gf[t] / sg[t], rss[t] / 1024, floor[t] / 1024
    printf "  scaling 1 -> 2 threads: %.2fx\n\n", tok[2] / tok[1]
    printf "decoding %s sentences, %s\n", dn, dmodel
    printf "  %-8s %14s %14s %16s\n", "threads", "greedy sent/s", "beam 5 sent/s", "peak RSS MB"
    for (t = 1; t <= 2; t++) printf "  %-8d %14.1f %14.1f %16.0f\n", t, gr[t], bm[t], drss[t] / 1024
    if (ntr["native"] > 0)
        printf "\nportable build / make NATIVE=1 (1 thread, 3 alternated runs each): training %.3f, greedy %.3f, beam 5 %.3f\n", ntr["portable"] / ntr["native"], ngr["portable"] / ngr["native"], nbm["portable"] / nbm["native"]
    if (learn != "") printf "\nBPE: 8,000 merges learned in %.2f s (+ %.2f s counting); encoding %.1f MB/s\n", learn, count, enc
    else printf "\nBPE: skipped (no Multi30k data)\n"
}' "$tmp"
echo "results: $results"
