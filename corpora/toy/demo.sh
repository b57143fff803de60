#!/usr/bin/env bash
# demo.sh [BIN_DIR] — the main job on the embedded toy corpus (make demo):
# learn a vocabulary, train, translate the held-out test set with beam search,
# score it, and dump attention. Everything goes under $OUT (default out/demo).
set -euo pipefail
bin=${1:-bin}
toy=corpora/toy
out=${OUT:-out/demo}
minutes=${MINUTES:-6}
mkdir -p "$out"
step() { printf '\n== %s\n' "$*"; }

step "vocabulary (BPE, 1000 merges per side)"
"$bin/nmt-vocab" --src $toy/train.src --tgt $toy/train.tgt --bpe 1000 -o "$out/vocab"

step "training (at most $minutes minutes; best model on validation kept)"
"$bin/nmt-train" --vocab "$out/vocab" --train-src $toy/train.src --train-tgt $toy/train.tgt \
    --valid-src $toy/valid.src --valid-tgt $toy/valid.tgt -o "$out/model" \
    --emb 128 --hidden 256 --dropout 0.1 --batch 64 --epochs 12 --minutes "$minutes" \
    --valid-every 300 --patience 3 --log "$out/train-log.jsonl"

step "translating the held-out test set (beam 5)"
"$bin/nmt-translate" -m "$out/model" --beam 5 -i $toy/test.src -o "$out/test.hyp" \
    --attention "$out/attention.html" --attention-format html
paste -d '\n' <(head -n 3 $toy/test.src) <(head -n 3 "$out/test.hyp") <(head -n 3 $toy/test.tgt) |
    awk '{ label = NR % 3 == 1 ? "source:    " : NR % 3 == 2 ? "output:    " : "reference: "; print label $0; if (NR % 3 == 0) print "" }'

step "score"
"$bin/nmt-bleu" $toy/test.tgt <"$out/test.hyp" | tee "$out/bleu.txt"
exact=$(paste -d '\t' "$out/test.hyp" $toy/test.tgt | awk -F'\t' '$1 == $2 { n++ } END { printf "%.1f", 100 * n / NR }')
echo "exact-match sentences: $exact%"

step "attention of the first test sentence (target rows x source columns)"
head -n 1 $toy/test.src | "$bin/nmt-translate" -m "$out/model" --beam 5 \
    --attention "$out/attention-1.tsv" --attention-format tsv >/dev/null
cat "$out/attention-1.tsv"
echo
echo "all attention matrices as a web page: $out/attention.html"
