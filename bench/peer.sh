#!/usr/bin/env bash
# bench/peer.sh BIN_DIR DATA_DIR OUT_JSONL — nmtc side by side with the PyTorch
# implementation of the same model math (../shared/peers/pytorch), in one run:
# word vocabularies (lowercased, count >= 2), emb 256 / hidden 512, Bahdanau,
# batch 64, no dropout, 2 threads; one epoch of training each, then test2016
# translated with beam 5 (and greedy) by each model, taking turns. PyTorch runs
# twice, at fp32 and under its bf16 CPU autocast (--bf16): a PyTorch user on a
# CPU with native bf16 turns that on with one line, so it is the rival of
# nmtc's default precision (bf16 on such CPUs, else fp32). Appends one JSON
# line per measurement to OUT_JSONL; prints why when it skips.
# PEER_MINUTES caps each training (default: a whole epoch).
set -euo pipefail
bin=$1 data=$2 out=$3
peer=${NMT_PEER:-../shared/peers/pytorch/seq2seq.py}
py=/usr/bin/python3
[ -f "$peer" ] || { echo "peer: skipped: $peer is not there" >&2; exit 0; }
[ -n "$data" ] && [ -f "$data/train.de" ] || { echo "peer: skipped: no Multi30k copy" >&2; exit 0; }
"$py" -c 'import torch, numpy' 2>/dev/null || {
    echo "peer: skipped: python3-torch and python3-numpy are not installed (apt-get install python3-torch python3-numpy libopenblas0-openmp)" >&2
    exit 0
}
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
minutes=${PEER_MINUTES:-0}
budget_n=() budget_p=(--epochs 1)
if [ "$minutes" != 0 ]; then budget_n=(--minutes "$minutes"); budget_p=(--epochs 1 --minutes "$minutes"); fi
now() { date +%s.%N; }

# nmtc's default precision, given explicitly so that the label is what ran: NMT_GEMM_PRECISION,
# else bf16 where the CPU multiplies it natively (AVX512_BF16 or AMX), else fp32 (nn/blas.c)
n_prec=${NMT_GEMM_PRECISION:-fp32}
[ -n "${NMT_GEMM_PRECISION:-}" ] || ! grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo || n_prec=bf16
"$bin/nmt-vocab" --src "$data/train.de" --tgt "$data/train.en" --lowercase --min-count 2 -o "$w/vocab" 2>/dev/null
# nmtc: one epoch; the log's last line counts the tokens and the training seconds
"$bin/nmt-train" --vocab "$w/vocab" --train-src "$data/train.de" --train-tgt "$data/train.en" \
    --valid-src "$data/valid.de" --valid-tgt "$data/valid.en" --valid-every 1000000 --log "$w/nmtc.log" \
    --emb 256 --hidden 512 --attention bahdanau --batch 64 --dropout 0 --epochs 1 "${budget_n[@]}" \
    --threads 2 --seed 1 --precision "$n_prec" --quiet -o "$w/nmtc.model" 2>"$w/nmtc.err"
n_tok=$(sed -n 's/.*"train_tokens": \([0-9]*\).*/\1/p' "$w/nmtc.log" | tail -1)
n_sec=$(sed -n 's/.*"elapsed": \([0-9.]*\).*/\1/p' "$w/nmtc.log" | tail -1)
# the peer, at fp32 and under bf16 autocast: the same epoch of the same pairs
precisions=(fp32 bf16)
peer_flags() { [ "$1" = bf16 ] && echo --bf16 || true; }
for prec in "${precisions[@]}"; do
    "$py" "$peer" train --src-train "$data/train.de" --tgt-train "$data/train.en" --src-valid "$data/valid.de" \
        --tgt-valid "$data/valid.en" --emb 256 --hidden 512 --attention bahdanau --batch 64 --dropout 0 --min-count 2 \
        "${budget_p[@]}" --threads 2 --seed 1 $(peer_flags $prec) --out "$w/peer-$prec.pt" --log "$w/peer-$prec.log" \
        >"$w/peer-$prec.out" 2>&1 || true
    p_tps=$(grep -oE '"tgt_tok_per_s": *[0-9.e+]+' "$w/peer-$prec.log" 2>/dev/null | tail -1 | sed 's/.*: *//' || true)
    [ -n "$p_tps" ] || { echo "peer: the PyTorch run ($prec) wrote no throughput: $(tail -n 3 "$w/peer-$prec.out")" >&2; exit 0; }
    echo "{\"bench\": \"peer-train\", \"peer_precision\": \"$prec\", \"nmtc_precision\": \"$n_prec\", \"threads\": 2, \"nmtc_tokens_per_s\": $(echo "$n_tok / $n_sec" | bc -l | cut -c1-10), \"peer_tokens_per_s\": $p_tps, \"nmtc_tokens\": $n_tok, \"nmtc_seconds\": $n_sec}" >>"$out"
done

# translation of test2016, taking turns: beam 5, then greedy; nmtc, then the peer at each precision
n=$(wc -l <"$data/test2016.de")
for beam in 5 1; do
    t0=$(now); "$bin/nmt-translate" -m "$w/nmtc.model" -i "$data/test2016.de" --beam $beam --threads 2 --precision "$n_prec" --quiet >"$w/n.hyp"; t1=$(now)
    n_sps=$(echo "$n / ($t1 - $t0)" | bc -l | cut -c1-10)
    for prec in "${precisions[@]}"; do
        t1=$(now)
        "$py" "$peer" translate --model "$w/peer-$prec.pt" --beam $beam --threads 2 $(peer_flags $prec) \
            <"$data/test2016.de" >"$w/p.hyp" 2>/dev/null
        t2=$(now)
        echo "{\"bench\": \"peer-decode\", \"peer_precision\": \"$prec\", \"nmtc_precision\": \"$n_prec\", \"beam\": $beam, \"threads\": 2, \"sentences\": $n, \"nmtc_sent_per_s\": $n_sps, \"peer_sent_per_s\": $(echo "$n / ($t2 - $t1)" | bc -l | cut -c1-10)}" >>"$out"
    done
done
