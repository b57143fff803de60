#!/usr/bin/env bash
# bench/run.sh BUILD_DIR BIN_DIR — the figures of `make bench`: a table on
# stdout and every measurement in bench/results.json.
#   - product rates at the model's shapes: OpenBLAS fp32, oneDNN fp32 and
#     oneDNN bf16, one thread (and two threads, one product each, for the
#     largest shape): the yardstick
#   - training throughput at emb 256 / hidden 512 / batch 64, 1 and 2 threads,
#     with the default backend; its FLOP rate as a fraction of the best
#     product rate of the same kind measured in this run, and the 1 -> 2
#     thread scaling
#   - training at 2 threads with each kind of product, taking turns update by
#     update on the same batches (nmt-bench train --compare)
#   - training at 2 threads of the larger shapes (nmt-train's flags): 4 heads,
#     2 + 2 layers, layer normalization, and all three; FLOP per token from
#     the layers' sizes (seq2seq_forward_madds)
#   - decoding sentences/s, greedy and beam 5, 1 and 2 threads
#   - BPE learning (8,000 merges) and encoding speed
#   - nmt-serve under load (bench/serve.sh): requests/s and latency of 8
#     concurrent clients, each request decoded alone and joined
#   - peak resident memory next to the analytic floor
#   - with mpirun: 2 ranks x 1 thread against 1 rank x 2 threads (alternating,
#     the ratio of each pair), and the gradient reduction of the training
#     model's size between 2 ranks over shared memory and over TCP loopback
# Multi30k (../shared/corpora/multi30k, or $NMT_DATA) is used when present;
# without it training runs on generated batches of the same shape and the
# BPE figures are skipped. Decoding uses $BENCH_MODEL (default: the recipe's
# out/multi30k-de-en/model) on test2016 when it exists, else a random model.
# NMT_GEMM / NMT_GEMM_PRECISION (src/nn/blas.h) choose the default backend.
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
# Open MPI on this host only; as root (containers, CI) it wants to be told.
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --bind-to none --mca plm isolated)
run_mpi() { echo "  mpirun -np $* " >&2; "${mpi[@]}" -np "$@" | tee -a "$tmp" >/dev/null; }

echo "measuring (several minutes)..." >&2
run gemm --threads 1
run gemm --threads 2
for t in 1 2; do run train --threads $t ${data:+--data "$data"}; done
run train --threads 2 --compare ${data:+--data "$data"}
shapes=("--heads 4" "--enc-depth 2 --dec-depth 2" "--layer-norm" "--heads 4 --enc-depth 2 --dec-depth 2 --layer-norm")
for shape in "${shapes[@]}"; do
    # shellcheck disable=SC2086 # the shape is several flags
    run train --threads 2 $shape ${data:+--data "$data"}
done
if command -v mpirun >/dev/null 2>&1; then
    # the same cores either way; the machine's noise hits both sides of a pair alike
    for round in 1 2; do
        run_mpi 2 "$bench" train --threads 1 ${data:+--data "$data"}
        run train --threads 2 ${data:+--data "$data"}
    done
    run_mpi 2 "$bench" reduce
    run_mpi 2 --mca btl tcp,self "$bench" reduce
fi
if [ -f "$model" ] && [ -n "$data" ]; then
    for t in 1 2; do run decode --threads $t --model "$model" --input "$data/test2016.de"; done
else
    for t in 1 2; do run decode --threads $t; done
fi
[ -n "$data" ] && run bpe --data "$data"
# nmt-serve: the decoding model on test2016 when there is one, else a small toy model
serve_model=$model serve_input=${data:+$data/test2016.de}
if [ ! -f "$model" ] || [ -z "$data" ]; then
    serve_model=$(mktemp -d)/toy serve_input=corpora/toy/test.src
    echo "  a toy model for bench/serve.sh (3 minutes)" >&2
    "${2:-bin}/nmt-vocab" --src corpora/toy/train.src --tgt corpora/toy/train.tgt --bpe 1000 -o "$serve_model.vocab" >/dev/null 2>&1
    "${2:-bin}/nmt-train" --vocab "$serve_model.vocab" --train-src corpora/toy/train.src --train-tgt corpora/toy/train.tgt \
        -o "$serve_model" --emb 64 --hidden 128 --batch 64 --minutes 3 --quiet >/dev/null 2>&1
fi
echo "  bench/serve.sh (8 clients, --join 1 and 8)" >&2
bash bench/serve.sh "${2:-bin}" "$serve_model" "$serve_input" "$tmp" || echo "serve: failed, see above" >&2
echo "  bench/peer.sh (PyTorch side by side at fp32 and bf16, one epoch each)" >&2
bash bench/peer.sh "${2:-bin}" "$data" "$tmp" || echo "peer: failed, see above" >&2

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
function kind_of(kernels) { return kernels ~ /^OpenBLAS/ ? "openblas-fp32" : kernels ~ /\(bf16\)/ ? "onednn-bf16" : "onednn-fp32" }
/"gemm"/ {
    t = f("threads"); shape = f("m") " x " f("n") " x " f("k"); k = f("kind"); r = f("gflops") + 0
    if (!(shape in seen)) { seen[shape] = 1; order[++nshapes] = shape }
    g[t, shape, k] = r; name[k] = f("kernels")
    if (r > best[t, k]) best[t, k] = r
    if (t == 2) big = shape
}
/"train"/ && /"compare"/ { c = f("compare"); ctok[c] = f("tokens_per_s"); cgf[c] = f("gflops"); next }
/"train"/ && f("ranks") == 1 && (f("heads") != 1 || f("enc_depth") != 1 || f("dec_depth") != 1 || f("layer_norm") != 0) {
    sh = (f("heads") != 1 ? "heads " f("heads") " " : "") (f("enc_depth") != 1 || f("dec_depth") != 1 ? "depth " f("enc_depth") "+" f("dec_depth") " " : "") (f("layer_norm") == 1 ? "layer-norm" : "")
    shp[++nshape] = sh; stok[nshape] = f("tokens_per_s"); sgf[nshape] = f("gflops"); sfpt[nshape] = f("flops_per_token"); sparams[nshape] = f("params"); next
}
/"train"/ && f("ranks") == 2 { mpi_tok[++mpi_n] = f("tokens_per_s"); mpi_red[mpi_n] = f("reduce_ms"); next }
/"train"/ && f("ranks") == 1 && f("threads") == 2 && mpi_n > 0 { pair_tok[mpi_n] = f("tokens_per_s"); next }
/"reduce"/ { red[++red_n] = f("mean_ms"); redbest[red_n] = f("best_ms"); redfl = f("floats") }
/"build"/ && /"train"/  { ntr[f("build")] += f("tokens_per_s"); next }
/"build"/ && /"decode"/ { ngr[f("build")] += f("greedy_sent_per_s"); nbm[f("build")] += f("beam5_sent_per_s"); next }
/"train"/  { t = f("threads"); tok[t] = f("tokens_per_s"); gf[t] = f("gflops"); rss[t] = f("peak_rss_kb"); floor[t] = f("floor_kb"); fpt = f("flops_per_token"); src = f("data"); params = f("params"); tkind = kind_of(f("kernels")); tkern = f("kernels") }
/"decode"/ { t = f("threads"); gr[t] = f("greedy_sent_per_s"); bm[t] = f("beam5_sent_per_s"); drss[t] = f("peak_rss_kb"); dmodel = f("model"); dn = f("sentences") }
/"peer-train"/  { pq = f("peer_precision"); pn = f("nmtc_tokens_per_s"); pp[pq] = f("peer_tokens_per_s"); nprec = f("nmtc_precision"); next }
/"peer-decode"/ { pq = f("peer_precision"); pb = f("beam"); pdn[pb] = f("nmtc_sent_per_s"); pdp[pb, pq] = f("peer_sent_per_s"); next }
/"serve"/  { sj = f("join"); sreq[sj] = f("requests_per_s"); ssent[sj] = f("sent_per_s"); s50[sj] = f("p50_ms"); s90[sj] = f("p90_ms"); s99[sj] = f("p99_ms"); serr[sj] = f("errors"); smodel = f("model"); sn = f("requests"); next }
/"bpe"/    { learn = f("learn_seconds"); count = f("count_seconds"); enc = f("encode_mb_per_s") }
END {
    split("openblas-fp32 onednn-fp32 onednn-bf16", kinds, " ")
    printf "\nproducts C = A B^T, GFLOP/s (bf16: B converted once, A at every call)\n"
    for (i = 1; i <= 3; i++) printf "  %-14s %s\n", kinds[i], name[kinds[i]]
    printf "  %-32s %14s %14s %14s\n", "M x N x K", "OpenBLAS fp32", "oneDNN fp32", "oneDNN bf16"
    for (s = 1; s <= nshapes; s++)
        printf "  %-32s %14.1f %14.1f %14.1f\n", order[s] " (1 thread)", g[1, order[s], kinds[1]], g[1, order[s], kinds[2]], g[1, order[s], kinds[3]]
    printf "  %-32s %14.1f %14.1f %14.1f\n\n", big " (2 threads)", g[2, big, kinds[1]], g[2, big, kinds[2]], g[2, big, kinds[3]]
    printf "training, emb 256 / hidden 512 / batch 64, %s (%s parameters, %.3g FLOP per target token)\n", src, params, fpt
    printf "  kernels: %s\n", tkern
    printf "  %-8s %12s %12s %16s %16s %14s\n", "threads", "tokens/s", "GFLOP/s", "of best product", "peak RSS MB", "floor MB"
    for (t = 1; t <= 2; t++)
        printf "  %-8d %12.0f %12.1f %15.0f%% %16.0f %14.0f\n", t, tok[t], gf[t], 100 * gf[t] / best[t, tkind], rss[t] / 1024, floor[t] / 1024
    printf "  scaling 1 -> 2 threads: %.2fx   (best product: the fastest shape of the same kind and thread count above)\n\n", tok[2] / tok[1]
    printf "training at 2 threads by kind of product, taking turns update by update\n"
    printf "  %-14s %12s %12s %14s %16s\n", "products", "tokens/s", "GFLOP/s", "vs OpenBLAS", "of best product"
    for (i = 1; i <= 3; i++)
        printf "  %-14s %12.0f %12.1f %13.2fx %15.0f%%\n", kinds[i], ctok[kinds[i]], cgf[kinds[i]], ctok[kinds[i]] / ctok[kinds[1]], 100 * cgf[kinds[i]] / best[2, kinds[i]]
    if (nshape > 0) {
        printf "\ntraining at 2 threads by shape (the model above otherwise)\n"
        printf "  %-34s %12s %14s %12s %12s %10s\n", "shape", "parameters", "FLOP / token", "tokens/s", "GFLOP/s", "vs base"
        printf "  %-34s %12s %14.3g %12.0f %12.1f %9.2fx\n", "base: 1 head, 1 + 1 layers", params, fpt, tok[2], gf[2], 1
        for (i = 1; i <= nshape; i++)
            printf "  %-34s %12s %14.3g %12.0f %12.1f %9.2fx\n", shp[i], sparams[i], sfpt[i], stok[i], sgf[i], stok[i] / tok[2]
    }
    printf "\ndecoding %s sentences, %s\n", dn, dmodel
    printf "  %-8s %14s %14s %16s\n", "threads", "greedy sent/s", "beam 5 sent/s", "peak RSS MB"
    for (t = 1; t <= 2; t++) printf "  %-8d %14.1f %14.1f %16.0f\n", t, gr[t], bm[t], drss[t] / 1024
    if (mpi_n > 0) {
        printf "\nOpen MPI, 2 ranks x 1 thread against 1 rank x 2 threads (alternating pairs):\n"
        for (i = 1; i <= mpi_n; i++)
            printf "  pair %d: %.0f against %.0f tokens/s = %.2fx (reduction %.1f ms per update)\n", i, mpi_tok[i], pair_tok[i], mpi_tok[i] / pair_tok[i], mpi_red[i]
        printf "gradient reduction, 2 ranks, %s floats: shared memory %.1f ms (best %.1f), TCP loopback %.1f ms (best %.1f)\n", redfl, red[1], redbest[1], red[2], redbest[2]
    }
    if (ntr["native"] > 0)
        printf "\nportable build / make NATIVE=1 (1 thread, 3 alternated runs each): training %.3f, greedy %.3f, beam 5 %.3f\n", ntr["portable"] / ntr["native"], ngr["portable"] / ngr["native"], nbm["portable"] / nbm["native"]
    if (learn != "") printf "\nBPE: 8,000 merges learned in %.2f s (+ %.2f s counting); encoding %.1f MB/s\n", learn, count, enc
    else printf "\nBPE: skipped (no Multi30k data)\n"
    if (sn != "") {
        printf "\nnmt-serve, 2 workers, %s, 8 clients x %d one-line requests (each answer checked)\n", smodel, sn / 8
        printf "  %-34s %12s %10s %10s %10s %8s\n", "", "requests/s", "p50 ms", "p90 ms", "p99 ms", "errors"
        printf "  %-34s %12.1f %10.1f %10.1f %10.1f %8d\n", "each request alone (--join 1)", sreq[1], s50[1], s90[1], s99[1], serr[1]
        printf "  %-34s %12.1f %10.1f %10.1f %10.1f %8d\n", "up to 8 joined (--join 8)", sreq[8], s50[8], s90[8], s99[8], serr[8]
    } else printf "\nnmt-serve: skipped (see the reason above)\n"
    if (pn != "") {
        printf "\nside by side with the PyTorch peer (same model math: word vocabularies, emb 256 / hidden 512,\n"
        printf "Bahdanau, batch 64, no dropout, 2 threads; one epoch, then test2016; nmtc at its default, %s;\n", nprec
        printf "PyTorch at fp32 and under its bf16 CPU autocast; ratios nmtc / PyTorch)\n"
        printf "  %-22s %10s %14s %8s %14s %8s\n", "", "nmtc", "PyTorch fp32", "ratio", "PyTorch bf16", "ratio"
        printf "  %-22s %10.0f %14.0f %7.2fx %14.0f %7.2fx\n", "training tokens/s", pn, pp["fp32"], pn / pp["fp32"], pp["bf16"], (pp["bf16"] > 0 ? pn / pp["bf16"] : 0)
        printf "  %-22s %10.1f %14.1f %7.2fx %14.1f %7.2fx\n", "beam 5 sentences/s", pdn[5], pdp[5, "fp32"], pdn[5] / pdp[5, "fp32"], pdp[5, "bf16"], (pdp[5, "bf16"] > 0 ? pdn[5] / pdp[5, "bf16"] : 0)
        printf "  %-22s %10.1f %14.1f %7.2fx %14.1f %7.2fx\n", "greedy sentences/s", pdn[1], pdp[1, "fp32"], pdn[1] / pdp[1, "fp32"], pdp[1, "bf16"], (pdp[1, "bf16"] > 0 ? pdn[1] / pdp[1, "bf16"] : 0)
    } else printf "\nPyTorch peer: skipped (see the reason above)\n"
}' "$tmp"
echo "results: $results"
