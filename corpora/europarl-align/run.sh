#!/usr/bin/env bash
# run.sh DATA_DIR GOLD_DIR OUT_DIR [MINUTES]
#
# Attention as word alignment, measured on the RWTH German-English gold.
# DATA_DIR holds the tokenized Europarl sample train.{de,en}; GOLD_DIR the
# gold sentences dev.{de,en} and their links dev.talp. Training text is the
# sample plus the gold sentences (alignment is unsupervised: the gold links
# are never read by training, only by scoring). The recipe
#   1. learns a joint BPE vocabulary and the built-in aligner (nmt-align,
#      both directions and grow-diag-final-and),
#   2. trains four models, de->en and en->de:
#      - "layer": with the alignment layer (--alignment-layer, an attention
#        queried with the target word itself), guided by the aligner's
#        symmetrized links; the guidance trains the layer alone, so the
#        translation model in it, and its attention, are bit for bit the
#        model without guidance (the "no guidance" rows read that attention:
#        --attention-source decoder);
#      - "guided": the decoder's own attention guided by the same links;
#   2b. (ROUNDS=2, the default) trains the layer of those models on,
#      guided by the first round's layer links over the training text
#      (optimized as in 3 unless OPTIMIZE_FLAGS is empty), symmetrized
#      (Zenkel et al. 2020's guided round), the translation model frozen;
#   3. force-aligns the gold sentences with every model (nmt-score
#      --alignment hard), symmetrizes the two directions, and prints one
#      table of AER / precision / recall against dev.talp; the layer models'
#      rows also by optimization (nmt-score --optimize-steps with the
#      contiguity and agreement terms, both directions together:
#      OPTIMIZE_FLAGS).
# Each model trains for at most MINUTES minutes (default 20) and, when
# MAX_UPDATES is set, at most that many updates (a fixed count compares the
# guided and the unguided models at an equal budget on a loaded machine).
# A finished model in OUT_DIR is kept (an interrupted one resumes), so a
# second run only scores.
# Environment: BPE EMB HIDDEN DECODER BATCH MAX_LEN GUIDE_WEIGHT LAYER_GUIDE_WEIGHT LAYER_FLAGS THREADS JOBS
# MAX_UPDATES ROUNDS OPTIMIZE_FLAGS.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 DATA_DIR GOLD_DIR OUT_DIR [MINUTES]   (default 20 minutes per model)" >&2
    exit 2
fi
data=$1 gold=$2 out=$3 minutes=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BIN:-$root/bin}
BPE=${BPE:-8000}
EMB=${EMB:-256}
HIDDEN=${HIDDEN:-256}
BATCH=${BATCH:-64}
MAX_LEN=${MAX_LEN:-60}
GUIDE_WEIGHT=${GUIDE_WEIGHT:-0.1}
LAYER_GUIDE_WEIGHT=${LAYER_GUIDE_WEIGHT:-1}   # the alignment layer's guidance (it trains nothing else)
read -r -a LAYER_FLAGS <<<"${LAYER_FLAGS-"--alignment-context"}"  # the alignment layer's own flags (keys with context: 29.8% AER against 35.3% without)
THREADS=${THREADS:-$(nproc)}
MAX_UPDATES=${MAX_UPDATES:-}
ROUNDS=${ROUNDS:-2}               # 2: a second round of the layer models, guided by the first round's own links
JOBS=${JOBS:-1}                   # models trained at once (e.g. THREADS=1 JOBS=2 on two cores)
# alignment by optimization of the layer's rows (docs/align.md: 26.9% against 29.8% symmetrized)
read -r -a OPTIMIZE_FLAGS <<<"${OPTIMIZE_FLAGS-"--optimize-steps 20 --optimize-rate 0.25 --contiguity 0.5 --agreement 10"}"
DECODER=${DECODER:-cgru}         # cgru: the conditional GRU, whose attention query has read y_{t-1}; or gru
for f in "$data/train.de" "$data/train.en" "$gold/dev.de" "$gold/dev.en" "$gold/dev.talp"; do
    [ -f "$f" ] || { echo "$0: missing $f (see README.md, \"Attention as word alignment\")" >&2; exit 1; }
done
[ -x "$bin/nmt-train" ] || { echo "$0: $bin/nmt-train not found: run make first" >&2; exit 1; }
mkdir -p "$out/data" "$out/align" "$out/score"
log() { printf '%s: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# i-j -> j-i on every link: an en->de alignment written as de-en, as the gold is
flip() { awk '{o = ""; for (i = 1; i <= NF; i++) { split($i, p, "-"); o = o (i > 1 ? " " : "") p[2] "-" p[1] } print o}'; }

# 1. the training text (the gold sentences last), the vocabulary, the aligner
n_gold=$(wc -l <"$gold/dev.de")
for l in de en; do cat "$data/train.$l" "$gold/dev.$l" >"$out/data/train.$l"; done
if [ ! -f "$out/vocab" ]; then
    log "vocabulary: joint BPE, $BPE merges"
    "$bin/nmt-vocab" --src "$out/data/train.de" --tgt "$out/data/train.en" --joint --bpe "$BPE" -o "$out/vocab"
fi
if [ ! -f "$out/align/gdfa" ]; then
    log "nmt-align: both directions, grow-diag-final-and"
    "$bin/nmt-align" --src "$out/data/train.de" --tgt "$out/data/train.en" -o "$out/align/gdfa" \
        --forward-out "$out/align/fwd" --reverse-out "$out/align/rev" --threads "$THREADS"
fi
flip <"$out/align/gdfa" >"$out/align/gdfa.en-de"

# 2. four models
train() { # NAME SRC TGT [flags]
    local name=$1 s=$2 t=$3
    shift 3
    # a finished training is kept; an interrupted one (a checkpoint, no "finished") resumes
    if [ -f "$out/$name/finished" ]; then log "$name: model exists, kept"; return; fi
    mkdir -p "$out/$name"
    local extra=()
    if [ -f "$out/$name/model.ckpt" ]; then
        extra+=(--resume)
        log "resuming $name ($s -> $t)"
    else
        log "training $name ($s -> $t) for at most $minutes minutes${MAX_UPDATES:+ and $MAX_UPDATES updates}"
    fi
    [ -n "$MAX_UPDATES" ] && extra+=(--max-updates "$MAX_UPDATES")
    "$bin/nmt-train" --vocab "$out/vocab" --train-src "$out/data/train.$s" --train-tgt "$out/data/train.$t" \
        -o "$out/$name/model" --decoder "$DECODER" --emb "$EMB" --hidden "$HIDDEN" --deep-output --tie-embeddings --dropout 0.2 \
        --label-smoothing 0.1 --batch "$BATCH" --max-len "$MAX_LEN" --epochs 0 --minutes "$minutes" \
        --valid-every 1000 --threads "$THREADS" --disp-every 100 "${extra[@]}" "$@" 2>>"$out/$name/train.log" &&
        touch "$out/$name/finished"
}
# JOBS models at a time (each on THREADS threads), in the order below
running=0
wait_trainings() {
    local failed=0
    for pid in $(jobs -p); do wait "$pid" || failed=1; done
    running=0
    [ $failed = 0 ] || { echo "$0: a training failed: see $out/*/train.log" >&2; exit 1; }
}
launch() {
    if [ "$JOBS" -le 1 ]; then train "$@"; return; fi
    train "$@" &
    running=$((running + 1))
    [ "$running" -lt "$JOBS" ] || wait_trainings
}
launch layer-de-en de en --alignment-layer "${LAYER_FLAGS[@]}" --guided-alignment "$out/align/gdfa" \
    --guided-alignment-weight "$LAYER_GUIDE_WEIGHT"
launch layer-en-de en de --alignment-layer "${LAYER_FLAGS[@]}" --guided-alignment "$out/align/gdfa.en-de" \
    --guided-alignment-weight "$LAYER_GUIDE_WEIGHT"
launch guided-de-en de en --guided-alignment "$out/align/gdfa" --guided-alignment-weight "$GUIDE_WEIGHT"
launch guided-en-de en de --guided-alignment "$out/align/gdfa.en-de" --guided-alignment-weight "$GUIDE_WEIGHT"
wait_trainings

# 2b. with ROUNDS=2, a second round (Zenkel et al. 2020): the layer of the
# first round's models trained on, guided by their own grow-diag-final-and
# links over the training text (their rows optimized, both directions
# together, with OPTIMIZE_FLAGS) instead of the aligner's; the translation
# model stays the first round's, bit for bit (--freeze-translation), and
# only the layer's backward pass runs
if [ "$ROUNDS" -ge 2 ]; then
    if [ ! -f "$out/align/layer1.gdfa" ]; then
        log "the first round's layer links over the training text, both directions${OPTIMIZE_FLAGS[0]:+, optimized}"
        if [ ${#OPTIMIZE_FLAGS[@]} -gt 0 ]; then
            # the rows optimized, both directions together (Zenkel et al. 2020 guide the second round so)
            "$bin/nmt-score" -m "$out/layer-de-en/model" --reverse-model "$out/layer-en-de/model" \
                --src "$out/data/train.de" --tgt "$out/data/train.en" --quiet --threads $((THREADS * JOBS)) \
                --alignment hard "${OPTIMIZE_FLAGS[@]}" --alignment-out "$out/align/layer1.de-en" \
                --reverse-alignment-out "$out/align/layer1.en-de" >/dev/null
        else
            "$bin/nmt-score" -m "$out/layer-de-en/model" --src "$out/data/train.de" --tgt "$out/data/train.en" --quiet \
                --threads $((THREADS * JOBS)) --attention-source alignment --alignment hard \
                --alignment-out "$out/align/layer1.de-en" >/dev/null
            "$bin/nmt-score" -m "$out/layer-en-de/model" --src "$out/data/train.en" --tgt "$out/data/train.de" --quiet \
                --threads $((THREADS * JOBS)) --attention-source alignment --alignment hard \
                --alignment-out "$out/align/layer1.raw-en-de" >/dev/null
            flip <"$out/align/layer1.raw-en-de" >"$out/align/layer1.en-de"
        fi
        "$bin/nmt-align" --symmetrize grow-diag-final-and --forward "$out/align/layer1.de-en" \
            --reverse "$out/align/layer1.en-de" --src "$out/data/train.de" --tgt "$out/data/train.en" \
            -o "$out/align/layer1.gdfa"
    fi
    flip <"$out/align/layer1.gdfa" >"$out/align/layer1.gdfa.en-de"
    # from the first round's models, the layer alone trained on (the translation model frozen)
    launch layer2-de-en de en --init "$out/layer-de-en/model" --freeze-translation --alignment-layer "${LAYER_FLAGS[@]}" \
        --guided-alignment "$out/align/layer1.gdfa" --guided-alignment-weight "$LAYER_GUIDE_WEIGHT"
    launch layer2-en-de en de --init "$out/layer-en-de/model" --freeze-translation --alignment-layer "${LAYER_FLAGS[@]}" \
        --guided-alignment "$out/align/layer1.gdfa.en-de" --guided-alignment-weight "$LAYER_GUIDE_WEIGHT"
    wait_trainings
fi

# 3. forced alignment of the gold sentences, all written de-en
sc=$out/score
tail -n "$n_gold" "$out/align/fwd" >"$sc/aligner.de-en"
tail -n "$n_gold" "$out/align/rev" >"$sc/aligner.en-de"
tail -n "$n_gold" "$out/align/gdfa" >"$sc/aligner.gdfa"
# KIND MODEL SOURCE ROW: the decoder's attention (SOURCE decoder; ROW current or next) or the
# alignment layer's rows (SOURCE alignment), both directions and grow-diag-final-and
force_align() {
    local kind=$1 model=$2 source=$3 row=$4
    "$bin/nmt-score" -m "$out/$model-de-en/model" --src "$gold/dev.de" --tgt "$gold/dev.en" --quiet \
        --attention-source "$source" --alignment hard --alignment-row "$row" --alignment-out "$sc/$kind.de-en" >/dev/null
    "$bin/nmt-score" -m "$out/$model-en-de/model" --src "$gold/dev.en" --tgt "$gold/dev.de" --quiet \
        --attention-source "$source" --alignment hard --alignment-row "$row" --alignment-out "$sc/$kind.raw-en-de" >/dev/null
    flip <"$sc/$kind.raw-en-de" >"$sc/$kind.en-de"
    "$bin/nmt-align" --symmetrize grow-diag-final-and --forward "$sc/$kind.de-en" \
        --reverse "$sc/$kind.en-de" --src "$gold/dev.de" --tgt "$gold/dev.en" -o "$sc/$kind.gdfa"
}
force_align raw-current layer decoder current
force_align raw-next layer decoder next
force_align guided-current guided decoder current
force_align layer layer alignment current
[ "$ROUNDS" -ge 2 ] && force_align layer2 layer2 alignment current
# MODEL's layer rows optimized, both directions together (each the other's --reverse-model)
optimize_align() { # KIND MODEL
    local kind=$1 model=$2
    "$bin/nmt-score" -m "$out/$model-de-en/model" --reverse-model "$out/$model-en-de/model" --src "$gold/dev.de" \
        --tgt "$gold/dev.en" --quiet --threads "$THREADS" --alignment hard "${OPTIMIZE_FLAGS[@]}" \
        --alignment-out "$sc/$kind.de-en" --reverse-alignment-out "$sc/$kind.en-de" >/dev/null
    "$bin/nmt-align" --symmetrize grow-diag-final-and --forward "$sc/$kind.de-en" \
        --reverse "$sc/$kind.en-de" --src "$gold/dev.de" --tgt "$gold/dev.en" -o "$sc/$kind.gdfa"
}
optimize_align layer-opt layer
[ "$ROUNDS" -ge 2 ] && optimize_align layer2-opt layer2
head -n 12 "$gold/dev.de" >"$sc/first12.de"
head -n 12 "$gold/dev.en" >"$sc/first12.en"
head -n 12 "$gold/dev.talp" >"$sc/first12.talp"
for kind in raw guided layer; do
    model=$kind source=decoder
    [ $kind = guided ] || model=layer
    [ $kind = layer ] && source=alignment
    # how peaked the rows are: the mean of each target subword's largest weight (</s> left out)
    "$bin/nmt-score" -m "$out/$model-de-en/model" --src "$gold/dev.de" --tgt "$gold/dev.en" --quiet \
        --attention-source "$source" --alignment soft --alignment-out "$sc/$kind.soft" >/dev/null
    # the first 12 gold sentences as an html page: the rows, the model's links, gold links
    "$bin/nmt-score" -m "$out/$model-de-en/model" --src "$sc/first12.de" --tgt "$sc/first12.en" --quiet \
        --attention-source "$source" --alignment hard --alignment-out /dev/null --gold-alignment "$sc/first12.talp" \
        --attention "$out/attention-$kind-de-en.html" >/dev/null
done
peak() { awk '{for (i = 1; i < NF; i++) { n = split($i, w, ","); m = 0; for (k = 1; k <= n; k++) if (w[k] + 0 > m) m = w[k] + 0; s += m; c++ } } END { printf "%.3f", s / c }' "$1"; }

tail -n "$n_gold" "$out/align/gdfa" >"$sc/teacher.gdfa"
teacher_aer() { "$bin/nmt-align" --score "$sc/teacher.gdfa" --gold-format pharaoh <"$1" | awk 'NR == 1 { printf "%.1f%%", 100 * $2 }'; }

row() { # LABEL FILE
    local r
    r=$("$bin/nmt-align" --score "$gold/dev.talp" <"$2" | head -n 1)
    awk -v label="$1" -v r="$r" 'BEGIN { split(r, f, " "); printf "| %-52s | %6.1f%% | %6.1f%% | %6.1f%% |\n", label, 100 * f[2], 100 * f[4], 100 * f[6] }'
}
{
    echo "| alignment of the $n_gold gold sentences                  |    AER | precision | recall |"
    echo "|---|---:|---:|---:|"
    row "attention, no guidance: de->en" "$sc/raw-current.de-en"
    row "attention, no guidance: en->de" "$sc/raw-current.en-de"
    row "attention, no guidance: grow-diag-final-and" "$sc/raw-current.gdfa"
    row "attention, no guidance, next step's row: de->en" "$sc/raw-next.de-en"
    row "attention, no guidance, next step's row: en->de" "$sc/raw-next.en-de"
    row "attention, no guidance, next step's row: gdfa" "$sc/raw-next.gdfa"
    row "nmt-align: forward (de->en)" "$sc/aligner.de-en"
    row "nmt-align: reverse (en->de)" "$sc/aligner.en-de"
    row "nmt-align: grow-diag-final-and" "$sc/aligner.gdfa"
    row "attention, guided by nmt-align: de->en" "$sc/guided-current.de-en"
    row "attention, guided by nmt-align: en->de" "$sc/guided-current.en-de"
    row "attention, guided by nmt-align: grow-diag-final-and" "$sc/guided-current.gdfa"
    row "alignment layer, guided by nmt-align: de->en" "$sc/layer.de-en"
    row "alignment layer, guided by nmt-align: en->de" "$sc/layer.en-de"
    row "alignment layer, guided by nmt-align: grow-diag-final-and" "$sc/layer.gdfa"
    row "alignment layer, rows optimized: de->en" "$sc/layer-opt.de-en"
    row "alignment layer, rows optimized: en->de" "$sc/layer-opt.en-de"
    row "alignment layer, rows optimized: grow-diag-final-and" "$sc/layer-opt.gdfa"
    if [ "$ROUNDS" -ge 2 ]; then
        row "alignment layer, second round (its own links): de->en" "$sc/layer2.de-en"
        row "alignment layer, second round (its own links): en->de" "$sc/layer2.en-de"
        row "alignment layer, second round (its own links): gdfa" "$sc/layer2.gdfa"
        row "alignment layer, second round, rows optimized: de->en" "$sc/layer2-opt.de-en"
        row "alignment layer, second round, rows optimized: en->de" "$sc/layer2-opt.en-de"
        row "alignment layer, second round, rows optimized: gdfa" "$sc/layer2-opt.gdfa"
    fi
    echo
    echo "mean largest weight per target subword (de->en): attention, no guidance $(peak "$sc/raw.soft"), guided $(peak "$sc/guided.soft"); alignment layer $(peak "$sc/layer.soft")"
    # how well each learned its own training targets: the gold sentences
    # are training pairs, guided by the aligner's links
    echo "AER against the aligner's gdfa links (the guidance on these sentences):" \
        "attention guided $(teacher_aer "$sc/guided-current.gdfa"), no guidance $(teacher_aer "$sc/raw-current.gdfa");" \
        "alignment layer $(teacher_aer "$sc/layer.gdfa")"
} | tee "$out/aer-table.md"
log "outputs in $out: aer-table.md, score/, attention-{raw,guided,layer}-de-en.html, the models"
