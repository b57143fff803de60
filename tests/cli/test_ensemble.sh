#!/usr/bin/env bash
# CLI tests of ensembles (nmt-translate and nmt-score with -m given more
# than once): a model with itself prints exactly what the model prints
# (greedy, beam, n-best, alignments, attention, shortlist, scores); two
# models of different sizes score the average of their log-probabilities,
# weighted by --weights; the chosen model's attention is dumped; the output
# is the same on 1 and 2 threads; vocabularies, weights and
# --attention-model are checked with clear messages.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tiny_model "$T" || { fail ensemble_model "could not train a tiny model"; exit 0; }
M=$T/M
"$B/nmt-train" --vocab "$T/V" --train-src "$T/train.src" --train-tgt "$T/train.tgt" -o "$T/M2" --emb 12 --hidden 20 \
    --max-updates 60 --batch 32 --dropout 0 --threads 2 --seed 5 --quiet >/dev/null 2>&1
"$B/nmt-vocab" --src "$T/train.src" --tgt "$T/train.tgt" --bpe 80 -o "$T/V3" --threads 2 >/dev/null 2>&1
"$B/nmt-train" --vocab "$T/V3" --train-src "$T/train.src" --train-tgt "$T/train.tgt" -o "$T/M3" --emb 8 --hidden 8 \
    --max-updates 1 --batch 32 --threads 2 --quiet >/dev/null 2>&1
[ -s "$T/M2" ] && [ -s "$T/M3" ] || { fail ensemble_models "could not train the second models"; exit 0; }
M2=$T/M2
C=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/corpora/toy
head -n 30 "$C/test.src" | awk 'NR == 4 { print "" } { print }' >"$T/in"
head -n 30 "$C/test.tgt" | awk 'NR == 4 { print "" } { print }' >"$T/ref"

# ---- a model with itself is the model, byte for byte ----
same_as_model() { # NAME ARGS...: nmt-translate with -m M and with -m M -m M
    local name=$1
    shift
    "$B/nmt-translate" -m "$M" -i "$T/in" --quiet "$@" >"$T/one" 2>&1
    "$B/nmt-translate" -m "$M" -m "$M" -i "$T/in" --quiet "$@" >"$T/two" 2>&1
    if [ -s "$T/one" ] && cmp -s "$T/one" "$T/two"; then pass "$name"; else fail "$name" "$(diff "$T/one" "$T/two" | head -c 300)"; fi
}
same_as_model self_ensemble_greedy --beam 1
same_as_model self_ensemble_beam5 --beam 5
same_as_model self_ensemble_nbest --beam 5 --nbest 5 --alignment hard
same_as_model self_ensemble_soft_alignment_batch --beam 3 --alignment soft --batch 3 --length-penalty 1.2 \
    --max-length-ratio 0.5
"$B/nmt-shortlist" -m "$M" --src "$T/train.src" --tgt "$T/train.tgt" --best 10 --frequent 20 -o "$T/sl" 2>/dev/null
same_as_model self_ensemble_shortlist --beam 4 --nbest 2 --shortlist "$T/sl"
"$B/nmt-translate" -m "$M" -i "$T/in" --quiet --attention "$T/a1.jsonl" >/dev/null
"$B/nmt-translate" -m "$M" -m "$M" -i "$T/in" --quiet --attention "$T/a2.jsonl" >/dev/null
expect_eq self_ensemble_attention "$(md5sum <"$T/a2.jsonl")" "$(md5sum <"$T/a1.jsonl")"
"$B/nmt-score" -m "$M" --src "$T/in" --tgt "$T/ref" --quiet --alignment hard >"$T/s1"
"$B/nmt-score" -m "$M" -m "$M" --src "$T/in" --tgt "$T/ref" --quiet --alignment hard >"$T/s2"
expect_eq self_ensemble_scores "$(md5sum <"$T/s2")" "$(md5sum <"$T/s1")"

# ---- two models: the average of their log-probabilities, weighted ----
"$B/nmt-score" -m "$M2" --src "$T/in" --tgt "$T/ref" --quiet >"$T/sB"
"$B/nmt-score" -m "$M" --src "$T/in" --tgt "$T/ref" --quiet >"$T/sA"
"$B/nmt-score" -m "$M" -m "$M2" --src "$T/in" --tgt "$T/ref" --quiet >"$T/sAB"
"$B/nmt-score" -m "$M" -m "$M2" --weights 1,3 --src "$T/in" --tgt "$T/ref" --quiet >"$T/sw"
"$B/nmt-score" -m "$M" -m "$M2" --weights=1,1e-6 --src "$T/in" --tgt "$T/ref" --quiet >"$T/stiny"
# every pair: |ensemble - (wA a + wB b)| within the printed rounding, and the models differ
check_avg() { # FILE WA WB: prints "ok" or the first bad line
    paste "$T/sA" "$T/sB" "$1" | awk -F'\t' -v wa="$2" -v wb="$3" '
        $1 == "" { next }
        { want = (wa * $1 + wb * $3) / (wa + wb); d = $5 - want; if (d < 0) d = -d
          if (d > 2e-6 || $6 != $2) { print "line " NR ": " $5 " not " want; bad = 1; exit }
          differ += ($1 != $3) }
        END { if (!bad) print (differ > 10 ? "ok" : "the models agree on " NR - differ " lines") }'
}
expect_eq ensemble_score_is_the_average "$(check_avg "$T/sAB" 1 1)" ok
expect_eq ensemble_score_weighted "$(check_avg "$T/sw" 1 3)" ok
expect_eq ensemble_tiny_weight_is_the_first_model "$(paste "$T/sA" "$T/stiny" | awk -F'\t' '
    $1 != "" { d = $1 - $3; if (d < 0) d = -d; if (d > 1e-3) { print "line " NR ": " $3 " not " $1; exit } }
    END { print "done" }')" done
"$B/nmt-translate" -m "$M" -m "$M2" --weights 1,1e-6 -i "$T/in" --quiet --beam 1 >"$T/ttiny"
"$B/nmt-translate" -m "$M" -i "$T/in" --quiet --beam 1 >"$T/tA"
expect_eq ensemble_tiny_weight_translates_as_the_first_model "$(md5sum <"$T/ttiny")" "$(md5sum <"$T/tA")"

# ---- the same bytes on 1 and 2 threads ----
for th in 1 2; do
    "$B/nmt-translate" -m "$M" -m "$M2" -i "$T/in" --quiet --beam 4 --nbest 2 --batch 4 --threads $th \
        --alignment hard >"$T/t$th"
    "$B/nmt-score" -m "$M" -m "$M2" --src "$T/in" --tgt "$T/ref" --quiet --batch 4 --threads $th >"$T/sc$th"
done
expect_eq ensemble_translate_threads "$(md5sum <"$T/t2")" "$(md5sum <"$T/t1")"
expect_eq ensemble_score_threads "$(md5sum <"$T/sc2")" "$(md5sum <"$T/sc1")"

# ---- the attention of the chosen model ----
"$B/nmt-score" -m "$M2" --src "$T/in" --tgt "$T/ref" --quiet --attention "$T/attB.jsonl" >/dev/null
"$B/nmt-score" -m "$M" -m "$M2" --attention-model 2 --src "$T/in" --tgt "$T/ref" --quiet --attention "$T/attAB.jsonl" >/dev/null
expect_eq ensemble_attention_model "$(md5sum <"$T/attAB.jsonl")" "$(md5sum <"$T/attB.jsonl")"

# ---- refusals ----
expect_error ensemble_target_vocabulary_differs "$T/M3: target vocabulary differs from $M's \\(" \
    "$B/nmt-translate" -m "$M" -m "$T/M3" -i "$T/in"
expect_error ensemble_weights_count "--weights '1' gives 1 weight for 2 models \\(one per -m\\)" \
    "$B/nmt-translate" -m "$M" -m "$M" --weights 1 -i "$T/in"
expect_error ensemble_weights_zero "--weights '1,0': weight 2 \\('0'\\) is not a positive finite number" \
    "$B/nmt-score" -m "$M" -m "$M" --weights 1,0 --src "$T/in" --tgt "$T/ref"
expect_error ensemble_weights_format "--weights '1;2': weight 1 \\('1;2'\\) is not a positive finite number" \
    "$B/nmt-translate" -m "$M" -m "$M" --weights '1;2' -i "$T/in"
expect_error ensemble_weights_value_missing "--weights needs a value" "$B/nmt-translate" -m "$M" --weights
expect_error ensemble_attention_model_range "--attention-model 3: there are only 2 models \\(-m\\)" \
    "$B/nmt-translate" -m "$M" -m "$M" --attention-model 3 -i "$T/in"
cp "$M2" "$T/M2.copy"
expect_error ensemble_output_over_a_model "it is the same file as the input" \
    "$B/nmt-translate" -m "$M" -m "$T/M2.copy" -i "$T/in" -o "$T/M2.copy"
expect_eq ensemble_model_kept "$(cmp "$M2" "$T/M2.copy" && echo kept)" kept
