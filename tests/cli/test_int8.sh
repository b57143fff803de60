#!/usr/bin/env bash
# --precision int8 (nmt-translate, nmt-score, nmt-serve; NMT_GEMM_PRECISION=int8): on a
# small model trained on the toy corpus long enough to translate it (BLEU ~85 at fp32),
# int8 translates the 500 test lines within a measured small difference of fp32
# (BLEU within 1, at most 5% of the lines changed; measured +0.10 and 12 lines) and
# scores every test pair within 0.05 nats per token of fp32 (measured at most 0.017);
# its output does not depend on --threads; where oneDNN may not use VNNI
# (ONEDNN_MAX_CPU_ISA=avx2) it says so once and translates as the default precision
# does; nmt-train refuses int8.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
toy=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/corpora/toy
PY=/usr/bin/python3

"$B/nmt-vocab" --src "$toy/train.src" --tgt "$toy/train.tgt" --bpe 300 -o "$T/V" --threads 2 >/dev/null 2>&1
if ! "$B/nmt-train" --vocab "$T/V" --train-src "$toy/train.src" --train-tgt "$toy/train.tgt" -o "$T/M" --emb 32 \
    --hidden 64 --max-updates 500 --batch 64 --lr 0.004 --dropout 0 --threads 2 --quiet >/dev/null 2>"$T/train.err"; then
    fail int8_model "nmt-train failed: $(head -c 300 "$T/train.err")"
    exit 0
fi
M=$T/M
head -n 40 "$toy/test.src" >"$T/in40"
# same A B: "same" when both files hold the same bytes, and something
same() { [ -s "$1" ] && cmp -s "$1" "$2" && echo same; }

# the help names the choice
"$B/nmt-translate" --help >"$T/help"
grep -q -- '--precision fp32|bf16|int8' "$T/help" && pass int8_in_help || fail int8_in_help "$(grep -- --precision "$T/help")"

# ---- where oneDNN may not use VNNI: one message, then the default precision's output ----
export ONEDNN_MAX_CPU_ISA=avx2
# the default precision: bf16 where the CPU multiplies it natively (nn/blas.c), else fp32
fallback=fp32
grep -qw avx512_bf16 /proc/cpuinfo && fallback=bf16
"$B/nmt-translate" -m "$M" --precision int8 --quiet -i "$T/in40" -o "$T/fb.int8" 2>"$T/fb.err"
"$B/nmt-translate" -m "$M" --precision "$fallback" --quiet -i "$T/in40" -o "$T/fb.def" 2>/dev/null
expect_eq int8_fallback_message "$(cat "$T/fb.err")" \
    "nmt-translate: int8 products are not available here (oneDNN's instruction set here is avx2, without VNNI): the products run in $fallback"
expect_eq int8_fallback_translates_as_default "$(same "$T/fb.int8" "$T/fb.def")" same
NMT_GEMM_PRECISION=int8 "$B/nmt-score" -m "$M" --quiet --src "$T/in40" --tgt "$T/fb.def" >/dev/null 2>"$T/fb.err"
expect_eq int8_fallback_message_from_env "$(cat "$T/fb.err")" \
    "nmt-score: int8 products are not available here (oneDNN's instruction set here is avx2, without VNNI): the products run in $fallback"
unset ONEDNN_MAX_CPU_ISA

# ---- training stays fp32 or bf16 ----
expect_error int8_train_flag_refused "--precision must be one of fp32, bf16, got 'int8'" \
    "$B/nmt-train" --vocab "$T/V" --train-src "$T/in40" --train-tgt "$T/in40" -o "$T/never" --precision int8
expect_error int8_train_env_refused \
    "NMT_GEMM_PRECISION=int8: training multiplies in fp32 or bf16 \(int8 is for translating\)" \
    env NMT_GEMM_PRECISION=int8 "$B/nmt-train" --vocab "$T/V" --train-src "$T/in40" --train-tgt "$T/in40" -o "$T/never"

# ---- int8 itself ----
"$B/nmt-translate" -m "$M" --precision int8 -i "$T/in40" -o /dev/null 2>"$T/probe.err"
if grep -q "int8 products are not available here" "$T/probe.err"; then
    skip int8_translation "$(head -n 1 "$T/probe.err")"
    exit 0
fi
for p in fp32 int8; do
    "$B/nmt-translate" -m "$M" --precision $p --quiet --threads 2 -i "$toy/test.src" -o "$T/out.$p" 2>"$T/err.$p"
    "$B/nmt-score" -m "$M" --precision $p --quiet --threads 2 --src "$toy/test.src" --tgt "$toy/test.tgt" \
        >"$T/sc.$p" 2>>"$T/err.$p"
done
expect_eq int8_no_messages "$(cat "$T/err.int8")" ""
bleu_fp32=$("$B/nmt-bleu" --score-only "$toy/test.tgt" <"$T/out.fp32")
bleu_int8=$("$B/nmt-bleu" --score-only "$toy/test.tgt" <"$T/out.int8")
changed=$(paste -d '\t' "$T/out.fp32" "$T/out.int8" | awk -F'\t' '$1 != $2' | wc -l)
awk -v a="$bleu_fp32" -v b="$bleu_int8" -v c="$changed" 'BEGIN { d = a - b; exit !(a > 50 && d <= 1 && d >= -1 && c <= 25) }' &&
    pass int8_translation_near_fp32 ||
    fail int8_translation_near_fp32 "BLEU fp32 $bleu_fp32, int8 $bleu_int8, $changed of 500 lines changed"
worst=$(paste "$T/sc.fp32" "$T/sc.int8" | awk '{ d = ($1 - $3) / $2; if (d < 0) d = -d; if (d > m) m = d } END { printf "%.4f", m }')
awk -v w="$worst" 'BEGIN { exit !(w <= 0.05) }' && pass int8_scores_near_fp32 ||
    fail int8_scores_near_fp32 "a pair's log-probability differs by $worst per token"
# the same bits on any thread count, and from NMT_GEMM_PRECISION
"$B/nmt-translate" -m "$M" --precision int8 --quiet --threads 1 -i "$toy/test.src" -o "$T/out.int8.t1"
expect_eq int8_threads_same_output "$(same "$T/out.int8" "$T/out.int8.t1")" same
"$B/nmt-score" -m "$M" --precision int8 --quiet --threads 1 --src "$toy/test.src" --tgt "$toy/test.tgt" >"$T/sc.int8.t1"
expect_eq int8_threads_same_scores "$(same "$T/sc.int8" "$T/sc.int8.t1")" same
NMT_GEMM_PRECISION=int8 "$B/nmt-translate" -m "$M" --quiet --threads 2 -i "$toy/test.src" -o "$T/out.env"
expect_eq int8_from_env "$(same "$T/out.int8" "$T/out.env")" same
# an ensemble of the model with itself is the model, in int8 too
"$B/nmt-translate" -m "$M" -m "$M" --precision int8 --quiet -i "$T/in40" -o "$T/ens.int8"
head -n 40 "$T/out.int8" >"$T/out40.int8"
expect_eq int8_ensemble_of_itself "$(same "$T/out40.int8" "$T/ens.int8")" same

# ---- nmt-serve --precision int8: says so, and answers as nmt-translate --precision int8 ----
if [ ! -x "$PY" ] || ! command -v curl >/dev/null; then
    skip int8_serve "no /usr/bin/python3 or curl"
    exit 0
fi
"$B/nmt-serve" -m "$M" --port 0 --precision int8 --workers 2 2>"$T/serve.log" &
spid=$!
trap 'kill -KILL $spid 2>/dev/null' EXIT
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9][0-9]*\)/.*#\1#p' "$T/serve.log")
    [ -n "$port" ] && break
    kill -0 $spid 2>/dev/null || break
    sleep 0.05
done
if [ -z "$port" ]; then
    fail int8_serve "no server: $(head -c 300 "$T/serve.log")"
    exit 0
fi
grep -q "int8 products)" "$T/serve.log" && pass int8_serve_says_int8 || fail int8_serve_says_int8 "$(cat "$T/serve.log")"
"$PY" -c 'import json, sys; print(json.dumps({"text": open(sys.argv[1], encoding="utf-8").read().splitlines()}))' \
    "$T/in40" >"$T/req"
curl -s --noproxy '*' --max-time 60 -X POST --data-binary "@$T/req" -H 'Content-Type: application/json' \
    "http://127.0.0.1:$port/translate" >"$T/resp"
"$PY" -c 'import json, sys; [print(t["text"]) for t in json.load(open(sys.argv[1]))["translations"]]' "$T/resp" \
    >"$T/serve.out" 2>/dev/null
expect_eq int8_serve_answers_as_translate "$(same "$T/out40.int8" "$T/serve.out")" same
curl -s --noproxy '*' --max-time 10 "http://127.0.0.1:$port/model" >"$T/model.json"
expect_eq int8_serve_model_precision \
    "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["precision"])' "$T/model.json" 2>&1)" int8
kill -TERM $spid
wait $spid 2>/dev/null
