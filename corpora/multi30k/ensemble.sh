#!/usr/bin/env bash
# ensemble.sh DATA_DIR OUT_DIR [SRC TGT] [MINUTES] [SEEDS]
#
# The Multi30k recipe (run.sh) trained once per seed (default 4 seeds:
# 1..4, each for at most MINUTES minutes, default 60), then test2016
# translated by the ensemble of those models (nmt-translate -m A -m B ...,
# the models' log-probabilities averaged at every step) and scored beside
# each single model. Models land in OUT_DIR/seedK; a seed whose run is
# finished is kept, and an interrupted one resumes, so the runs can be
# spread over several sittings. run.sh's environment (HIDDEN, TRAIN_FLAGS,
# THREADS, ...) applies to every seed; TRAIN_FLAGS must not hold --seed.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 DATA_DIR OUT_DIR [SRC TGT] [MINUTES] [SEEDS]   (defaults: de en 60 4)" >&2
    exit 2
fi
data=$1 out=$2 src=${3:-de} tgt=${4:-en} minutes=${5:-60} seeds=${6:-4}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${BIN:-$root/bin}
BEAM=${BEAM:-10}                 # run.sh's defaults
LENGTH_PENALTY=${LENGTH_PENALTY:-0.8}
THREADS=${THREADS:-$(nproc)}
case " ${TRAIN_FLAGS:-} " in *" --seed "*) echo "$0: TRAIN_FLAGS must not set --seed: the seeds are 1..$seeds" >&2; exit 2 ;; esac
log() { printf '%s: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

models=()
for k in $(seq 1 "$seeds"); do
    dir=$out/seed$k
    if [ -f "$dir/bleu.txt" ]; then
        log "seed $k: finished run kept ($dir)"
    else
        log "seed $k: corpora/multi30k/run.sh into $dir"
        TRAIN_FLAGS="${TRAIN_FLAGS:-} --seed $k" "$here/run.sh" "$data" "$dir" "$src" "$tgt" "$minutes" >/dev/null
    fi
    models+=(-m "$dir/model")
done

log "translating test2016 with the ensemble of $seeds models (beam $BEAM, length penalty $LENGTH_PENALTY)"
"$bin/nmt-translate" "${models[@]}" --beam "$BEAM" --length-penalty "$LENGTH_PENALTY" --threads "$THREADS" \
    -i "$data/test2016.$src" -o "$out/test2016.ensemble.$tgt"
{
    echo "| model | test2016 BLEU |"
    echo "|---|---:|"
    for k in $(seq 1 "$seeds"); do
        echo "| seed $k | $("$bin/nmt-bleu" --score-only "$data/test2016.$tgt" <"$out/seed$k/test2016.hyp.$tgt") |"
    done
    echo "| ensemble of the $seeds | $("$bin/nmt-bleu" --score-only "$data/test2016.$tgt" <"$out/test2016.ensemble.$tgt") |"
} | tee "$out/ensemble.md"
