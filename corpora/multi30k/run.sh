#!/usr/bin/env bash
# run.sh DATA_DIR OUT_DIR [SRC TGT] [MINUTES]
#
# The Multi30k recipe: learn a joint BPE vocabulary, train within a time
# budget (validation BLEU as it goes, best model kept), translate test2016
# with beam search, score it with nmt-bleu against the raw reference (cased,
# detokenized: sacreBLEU's default), write an attention page for the first
# 20 test sentences and a learning-curve SVG. Everything goes under OUT_DIR;
# DATA_DIR is only read. The last line printed is "BLEU = NN.NN".
#
# Hyper-parameters can be changed through the environment (defaults below),
# e.g. BPE=6000 HIDDEN=384 corpora/multi30k/run.sh ../shared/corpora/multi30k out/m30k
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 DATA_DIR OUT_DIR [SRC TGT] [MINUTES]   (defaults: de en 60)" >&2
    exit 2
fi
data=$1 out=$2 src=${3:-de} tgt=${4:-en} minutes=${5:-60}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BIN:-$root/bin}
BPE=${BPE:-8000}
EMB=${EMB:-256}
HIDDEN=${HIDDEN:-256}
DROPOUT=${DROPOUT:-0.3}
BPE_DROPOUT=${BPE_DROPOUT:-0.1}  # BPE-dropout (each epoch segmented anew): 42.25 mean test2016 BLEU over 4 seeds against 41.67 over 2 without (EXPERIMENTS.md); 0: off
LABEL_SMOOTHING=${LABEL_SMOOTHING:-0.1}
EMA=${EMA:-0.999}                # validate and keep a moving average of the weights (decay): +0.25 mean test2016 BLEU over 3 seeds (EXPERIMENTS.md); 0: off
BATCH=${BATCH:-64}
LR=${LR:-0.001}
BEAM=${BEAM:-10}                 # beam 10 with length penalty 0.8: chosen on valid over 4 seeds (EXPERIMENTS.md)
LENGTH_PENALTY=${LENGTH_PENALTY:-0.8}
VALID_EVERY=${VALID_EVERY:-450}
DECODER=${DECODER:-cgru}         # cgru: the conditional GRU (two GRUs per step, the attention between); or gru
OUTPUT=${OUTPUT:-deep}           # direct: logits from [s;c;y]; deep: a tanh layer of EMB units and tied target embeddings
THREADS=${THREADS:-$(nproc)}
MAX_UPDATES=${MAX_UPDATES:-}     # stop after this many updates as well (experiments at a fixed count)
TRAIN_FLAGS=${TRAIN_FLAGS:-}     # more nmt-train flags, e.g. "--seed 2"
case "$OUTPUT" in
    direct) output_flags=() ;;
    deep) output_flags=(--deep-output --tie-embeddings) ;;
    *) echo "$0: OUTPUT must be direct or deep, got '$OUTPUT'" >&2; exit 2 ;;
esac

missing=0
for split in train valid test2016; do
    for lang in "$src" "$tgt"; do
        if [ ! -f "$data/$split.$lang" ]; then
            echo "$0: missing $data/$split.$lang" >&2
            missing=1
        fi
    done
done
if [ $missing = 1 ]; then
    cat >&2 <<MSG
$0: DATA_DIR must hold Multi30k as raw text, one sentence per line:
  train.{de,en,fr,cs} (29,000 lines), valid.* (1,014), test2016.* (1,000)
They are the gunzipped files data/task1/raw/{train,val,test_2016_flickr}.*.gz of the
public multi30k/dataset repository on GitHub, with val renamed to valid and
test_2016_flickr to test2016 (see README.md, "Multi30k").
MSG
    exit 1
fi
if [ ! -x "$bin/nmt-train" ]; then
    echo "$0: $bin/nmt-train not found: run make first" >&2
    exit 1
fi
case "$(cd "$out" 2>/dev/null && pwd)" in "$(cd "$data" && pwd)"*) echo "$0: OUT_DIR must not be inside DATA_DIR" >&2; exit 1 ;; esac
mkdir -p "$out"
log() { printf '%s: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

log "vocabulary: joint BPE, $BPE merges"
"$bin/nmt-vocab" --src "$data/train.$src" --tgt "$data/train.$tgt" --joint --bpe "$BPE" -o "$out/vocab"

log "training $src-$tgt for at most $minutes minutes on $THREADS threads"
resume=()
[ -f "$out/model.ckpt" ] && resume=(--resume)
extra=("${output_flags[@]}")
[ -n "$MAX_UPDATES" ] && extra+=(--max-updates "$MAX_UPDATES")
[ "$BPE_DROPOUT" != 0 ] && extra+=(--bpe-dropout "$BPE_DROPOUT")
[ "$EMA" != 0 ] && extra+=(--ema "$EMA")
# shellcheck disable=SC2206  # TRAIN_FLAGS is a list of words on purpose
[ -n "$TRAIN_FLAGS" ] && extra+=($TRAIN_FLAGS)
"$bin/nmt-train" --vocab "$out/vocab" --train-src "$data/train.$src" --train-tgt "$data/train.$tgt" \
    --valid-src "$data/valid.$src" --valid-tgt "$data/valid.$tgt" -o "$out/model" \
    --decoder "$DECODER" --emb "$EMB" --hidden "$HIDDEN" --dropout "$DROPOUT" --label-smoothing "$LABEL_SMOOTHING" \
    --batch "$BATCH" --lr "$LR" --epochs 0 --minutes "$minutes" --valid-every "$VALID_EVERY" \
    --valid-metric bleu --lr-patience 2 --patience 8 --threads "$THREADS" \
    --log "$out/train-log.jsonl" "${resume[@]}" "${extra[@]}"

log "translating test2016 (beam $BEAM, length penalty $LENGTH_PENALTY)"
"$bin/nmt-translate" -m "$out/model" --beam "$BEAM" --length-penalty "$LENGTH_PENALTY" --threads "$THREADS" \
    -i "$data/test2016.$src" -o "$out/test2016.hyp.$tgt"
head -n 20 "$data/test2016.$src" >"$out/test2016.first20.$src"
"$bin/nmt-translate" -m "$out/model" --beam "$BEAM" --length-penalty "$LENGTH_PENALTY" -i "$out/test2016.first20.$src" \
    --attention "$out/attention.html" --attention-format html >/dev/null
awk -f "$here/curve.awk" -v title="$src-$tgt" "$out/train-log.jsonl" >"$out/learning-curve.svg"

"$bin/nmt-bleu" "$data/test2016.$tgt" <"$out/test2016.hyp.$tgt" | tee "$out/bleu.txt" >&2
log "outputs in $out: model, test2016.hyp.$tgt, bleu.txt, attention.html, learning-curve.svg, train-log.jsonl"
echo "BLEU = $("$bin/nmt-bleu" --score-only "$data/test2016.$tgt" <"$out/test2016.hyp.$tgt")"
