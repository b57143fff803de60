#!/usr/bin/env bash
# CLI tests for nmt-translate and nmt-score on a tiny model trained here
# (a few seconds; its translations are poor, the formats and rules are what
# is checked).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
C=corpora/toy
PY=$(command -v python3 || true)

head -n 3000 $C/train.src >"$T/train.src"
head -n 3000 $C/train.tgt >"$T/train.tgt"
"$B/nmt-vocab" --src "$T/train.src" --tgt "$T/train.tgt" --bpe 100 -o "$T/V" --threads 2 >/dev/null 2>&1
"$B/nmt-train" --vocab "$T/V" --train-src "$T/train.src" --train-tgt "$T/train.tgt" -o "$T/M" --emb 16 --hidden 24 \
    --max-updates 80 --batch 32 --dropout 0 --threads 2 --quiet >/dev/null 2>&1
if [ ! -s "$T/M" ]; then
    fail translate_setup "could not train a model with $B/nmt-train"
    exit 0
fi
M=$T/M

# 40 test sentences with empty lines at 3 and 20
head -n 38 $C/test.src | awk 'NR == 3 || NR == 19 { print "" } { print }' >"$T/in.txt"
head -n 38 $C/test.tgt | awk 'NR == 3 || NR == 19 { print "" } { print }' >"$T/ref.txt"
N=$(wc -l <"$T/in.txt")

# ---- help ----
"$B/nmt-translate" --help >"$T/help" 2>&1
missing=""
for f in -m --beam --nbest --length-penalty --max-length-ratio --max-src-len --batch --threads --attention \
    --attention-format --alignment -i -o --skip-invalid --quiet; do
    grep -q -- "$f" "$T/help" || missing="$missing $f"
done
expect_eq translate_help_documents_every_flag "$missing" ""
grep -q "default 5" "$T/help" && grep -q "default 0.6" "$T/help"
expect_eq translate_help_documents_defaults "$?" 0
"$B/nmt-score" --help >"$T/help" 2>&1
missing=""
for f in -m --src --tgt -o --batch --threads --max-len --attention --attention-format --skip-invalid --quiet perplexity; do
    grep -q -- "$f" "$T/help" || missing="$missing $f"
done
expect_eq score_help_documents_every_flag "$missing" ""

# ---- one output line per input line, in order, empty lines kept ----
"$B/nmt-translate" -m "$M" --quiet <"$T/in.txt" >"$T/out1" 2>"$T/err"
expect_eq translate_line_count "$(wc -l <"$T/out1")" "$N"
expect_eq translate_empty_lines_kept "$(sed -n '3p;20p' "$T/out1" | tr -d '\n')" ""
expect_eq translate_nonempty_output "$(grep -c . "$T/out1")" "$((N - 2))"
"$B/nmt-translate" -m "$M" --quiet --threads 2 --batch 2 -i "$T/in.txt" -o "$T/out2" 2>"$T/err"
expect_eq translate_threads_and_batches_same_output "$(cmp -s "$T/out1" "$T/out2" && echo same)" same
"$B/nmt-translate" -m "$M" --quiet --threads 1 --batch 2 -i "$T/in.txt" -o "$T/out3" 2>"$T/err"
expect_eq translate_threads_1_vs_2 "$(cmp -s "$T/out2" "$T/out3" && echo same)" same
expect_eq translate_output_atomic_no_temp_left "$(ls -A "$T" | grep -c '\.tmp\.')" 0
"$B/nmt-translate" -m "$M" -i "$T/in.txt" -o "$T/out4" 2>"$T/err"
grep -Eq "40 lines, 38 translated, 2 empty" "$T/err"
expect_eq translate_summary_on_stderr "$?" 0
expect_ok translate_greedy "$B/nmt-translate" -m "$M" --beam 1 --quiet -i "$T/in.txt"
expect_eq translate_greedy_line_count "$(wc -l <"$T/out")" "$N"

# ---- streaming: output appears before the input ends ----
mkfifo "$T/fifo"
"$B/nmt-translate" -m "$M" --quiet --batch 1 --threads 1 <"$T/fifo" >"$T/stream.out" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
head -n 8 "$T/in.txt" >&3
seen=0
for _ in $(seq 1 100); do
    seen=$(wc -l <"$T/stream.out")
    [ "$seen" -ge 8 ] && break
    sleep 0.1
done
exec 3>&-
wait $pid
expect_eq translate_streams_before_input_ends "$seen" 8
expect_eq translate_stream_total "$(wc -l <"$T/stream.out")" 8

# ---- n-best ----
"$B/nmt-translate" -m "$M" --quiet --beam 4 --nbest 3 -i "$T/in.txt" >"$T/nb" 2>"$T/err"
bad=$(grep -Ecv '^[0-9]+ \|\|\| .* \|\|\| -?[0-9]+\.[0-9]+$' "$T/nb")
expect_eq nbest_format "$bad" 0
ids=$(cut -d' ' -f1 "$T/nb" | uniq | tr '\n' ' ')
expect_eq nbest_ids_0_based_in_order "$ids" "$(seq 0 $((N - 1)) | tr '\n' ' ')"
check=$(awk -F' \\|\\|\\| ' '{ if ($1 == id && $3 + 0 > prev + 1e-9) bad++; if ($1 == id && seen[$1 FS $2]++) dup++;
    if ($1 != id) { id = $1; n = 0 } n++; if (n > 3) over++; prev = $3 + 0; seen[$1 FS $2]++ }
    END { print bad + 0, dup + 0, over + 0 }' "$T/nb")
expect_eq nbest_sorted_distinct_at_most_n "$check" "0 0 0"
expect_error nbest_larger_than_beam "larger than the beam" "$B/nmt-translate" -m "$M" --beam 2 --nbest 3 -i "$T/in.txt"

# ---- alignments ----
"$B/nmt-translate" -m "$M" --quiet --alignment hard -i "$T/in.txt" >"$T/al" 2>"$T/err"
expect_eq alignment_hard_line_count "$(wc -l <"$T/al")" "$N"
bad=$(grep -Ecv '^.* \|\|\| ([0-9]+-[0-9]+( [0-9]+-[0-9]+)*)?$' "$T/al")
expect_eq alignment_hard_format "$bad" 0
# indices are within the source and output words, each output word linked once
check=$(paste -d'\t' "$T/in.txt" "$T/al" | awk -F'\t' '{
    split($2, parts, / \|\|\| /); ns = split($1, sw, " "); nt = split(parts[1], tw, " ");
    n = split(parts[2], pairs, " "); if (n != nt) bad++;
    for (i = 1; i <= n; i++) { split(pairs[i], st, "-"); if (st[1] >= ns || st[2] >= nt) bad++ } }
    END { print bad + 0 }')
expect_eq alignment_hard_word_indices "$check" 0
"$B/nmt-translate" -m "$M" --quiet --alignment soft -i "$T/in.txt" >"$T/soft" 2>"$T/err"
check=$(awk -F' \\|\\|\\| ' 'NF == 2 && $2 != "" { n = split($2, rows, " ");
    for (r = 1; r <= n; r++) { k = split(rows[r], w, ","); s = 0; for (j = 1; j <= k; j++) s += w[j];
    if (s < 0.99999 || s > 1.00001) bad++ } rowsets++ } END { print bad + 0, (rowsets > 0) }' "$T/soft")
expect_eq alignment_soft_rows_sum_to_one "$check" "0 1"
"$B/nmt-translate" -m "$M" --quiet --nbest 2 --alignment hard -i "$T/in.txt" >"$T/nbal" 2>"$T/err"
bad=$(grep -Ecv '^[0-9]+ \|\|\| .* \|\|\| ([0-9]+-[0-9]+( [0-9]+-[0-9]+)*)? \|\|\| -?[0-9.]+$' "$T/nbal")
expect_eq nbest_with_alignment_format "$bad" 0

# ---- attention dumps ----
"$B/nmt-translate" -m "$M" --quiet -i "$T/in.txt" --attention "$T/att.jsonl" >"$T/o" 2>"$T/err"
expect_eq dump_jsonl_one_line_per_sentence "$(wc -l <"$T/att.jsonl")" "$N"
if [ -n "$PY" ]; then
    check=$("$PY" - "$T/att.jsonl" <<'EOF'
import json, sys
bad = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    r = json.loads(line)
    a = r["attention"]
    bad += r["id"] != i + 1 or len(a) != len(r["tgt_tokens"])
    for row in a:
        bad += len(row) != len(r["src_tokens"]) or abs(sum(row) - 1) > 1e-5
    if r["tgt_tokens"]:
        bad += r["tgt_tokens"][-1] != "</s>" and len(r["tgt_tokens"]) < 10
print(bad)
EOF
)
    expect_eq dump_jsonl_valid_json_rows_sum_to_one "$check" 0
else
    skip dump_jsonl_valid_json_rows_sum_to_one "no python3"
fi
"$B/nmt-translate" -m "$M" --quiet -i "$T/in.txt" --attention "$T/att.tsv" >"$T/o" 2>"$T/err"
expect_eq dump_tsv_format_from_extension "$(grep -c '^# sentence ' "$T/att.tsv")" "$N"
"$B/nmt-translate" -m "$M" --quiet -i "$T/in.txt" --attention "$T/att.html" >"$T/o" 2>"$T/err"
expect_eq dump_html_one_heatmap_per_sentence "$(grep -o '<table class="heatmap"' "$T/att.html" | wc -l)" "$N"
expect_eq dump_html_self_contained "$(grep -Eci 'https?:|<link|src=' "$T/att.html")" 0
"$B/nmt-translate" -m "$M" --quiet -i "$T/in.txt" --attention "$T/npy" --attention-format npy >"$T/o" 2>"$T/err"
expect_eq dump_npy_files "$(ls "$T/npy" | grep -c '\.npy$') $(ls "$T/npy" | grep -c '\.json$')" "$N $N"
expect_eq dump_npy_magic "$(head -c 6 "$T/npy/000001.npy" | tail -c 5)" NUMPY
NPY=""
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null && "$p" -c 'import numpy' 2>/dev/null; then NPY=$(command -v "$p"); break; fi
done
if [ -n "$NPY" ]; then
    check=$("$NPY" - "$T/npy" "$N" <<'EOF'
import json, sys, numpy as np
d, n = sys.argv[1], int(sys.argv[2])
bad = 0
for i in range(1, n + 1):
    a = np.load("%s/%06d.npy" % (d, i))
    t = json.load(open("%s/%06d.json" % (d, i), encoding="utf-8"))
    bad += a.dtype != np.float32 or a.shape != (len(t["tgt_tokens"]), len(t["src_tokens"]))
    bad += a.size > 0 and not np.allclose(a.sum(axis=1), 1, atol=1e-5)
print(int(bad))
EOF
)
    expect_eq dump_npy_loads_with_numpy "$check" 0
else
    skip dump_npy_loads_with_numpy "no numpy"
fi
expect_error dump_bad_format "--attention-format must be one of jsonl, tsv, npy, html, got .png." "$B/nmt-translate" -m "$M" --attention "$T/x" --attention-format png

# ---- bad input ----
expect_error model_missing "$T/nope: cannot open: No such file or directory" "$B/nmt-translate" -m "$T/nope" -i "$T/in.txt"
expect_error model_wrong_type "not an nmtc model file" "$B/nmt-translate" -m "$T/in.txt" -i "$T/in.txt"
expect_error model_vocab_not_model "not an nmtc model file" "$B/nmt-translate" -m "$T/V" -i "$T/in.txt"
head -c 5000 "$M" >"$T/trunc"
expect_error model_truncated "truncated" "$B/nmt-translate" -m "$T/trunc" -i "$T/in.txt"
cp "$M" "$T/v2"
printf '\x02' | dd of="$T/v2" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_error model_other_version "version 2; this build reads version 1" "$B/nmt-translate" -m "$T/v2" -i "$T/in.txt"
cp "$M" "$T/corrupt"
printf 'XXXX' | dd of="$T/corrupt" bs=1 seek=3000 conv=notrunc 2>/dev/null
expect_error model_corrupt "corrupted|checksum" "$B/nmt-translate" -m "$T/corrupt" -i "$T/in.txt"
expect_error score_model_wrong_type "not an nmtc model file" "$B/nmt-score" -m "$T/in.txt" --src "$T/in.txt" --tgt "$T/ref.txt"

printf 'the cat sleeps.\nthe \xff dog\n\nthe dog sleeps.\n' >"$T/bad.txt"
expect_error invalid_utf8_names_line "bad.txt:2: invalid UTF-8 at byte 5" "$B/nmt-translate" -m "$M" -i "$T/bad.txt"
expect_error invalid_utf8_stdin "<stdin>:2: invalid UTF-8 at byte 5" sh -c "\"$B/nmt-translate\" -m \"$M\" <\"$T/bad.txt\""
"$B/nmt-translate" -m "$M" --skip-invalid -i "$T/bad.txt" >"$T/o" 2>"$T/err"
expect_eq skip_invalid_exit "$?" 0
expect_eq skip_invalid_lines "$(wc -l <"$T/o") $(sed -n 2p "$T/o" | wc -c)" "4 1"
grep -q "1 line with invalid UTF-8" "$T/err"
expect_eq skip_invalid_counted "$?" 0

awk 'BEGIN { for (i = 0; i < 20000; i++) printf "the big cat sees a dog "; print "." ; print "the cat sleeps." }' >"$T/long.txt"
"$B/nmt-translate" -m "$M" --beam 2 --threads 2 -i "$T/long.txt" >"$T/o" 2>"$T/err"
expect_eq long_line_translated "$? $(wc -l <"$T/o")" "0 2"
grep -q "long.txt:1: the source has .* tokens; only the first 512 are translated" "$T/err"
expect_eq long_line_cut_with_warning "$?" 0

# ---- nmt-score ----
"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" --threads 2 --batch 4 >"$T/sc" 2>"$T/err"
expect_eq score_exit "$?" 0
expect_eq score_line_count "$(wc -l <"$T/sc")" "$N"
expect_eq score_format "$(grep -Ev '^$' "$T/sc" | grep -Ecv '^-[0-9]+\.[0-9]+	[0-9]+$')" 0
expect_eq score_empty_source_empty_line "$(sed -n '3p;20p' "$T/sc" | tr -d '\n')" ""
ppl=$(sed -n 's/.*perplexity \([0-9.]*\).*/\1/p' "$T/err")
want=$(awk -F'\t' 'NF == 2 { lp += $1; n += $2 } END { printf "%.4f", exp(-lp / n) }' "$T/sc")
expect_eq score_perplexity_summary "$ppl" "$want"
"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" --threads 1 --batch 4 --quiet >"$T/sc1" 2>"$T/err"
expect_eq score_threads_same_output "$(cmp -s "$T/sc" "$T/sc1" && echo same)" same
# forced decoding of the model's own translations scores them as the search did
paste -d'\t' "$T/in.txt" "$T/out1" | awk -F'\t' '$1 != ""' >"$T/pairs"
cut -f1 "$T/pairs" >"$T/ps"
cut -f2 "$T/pairs" >"$T/pt"
"$B/nmt-translate" -m "$M" --quiet --beam 1 --nbest 1 --length-penalty 0 -i "$T/ps" | sed 's/.* ||| //' >"$T/greedy_lp"
"$B/nmt-translate" -m "$M" --quiet --beam 1 -i "$T/ps" --attention "$T/g.jsonl" >"$T/greedy_txt"
# only hypotheses that ended with </s> (a cut one has no </s> to score)
awk '{ print (index($0, "\"</s>\"],\"attention\"") > 0) }' "$T/g.jsonl" >"$T/ended"
"$B/nmt-score" -m "$M" --src "$T/ps" --tgt "$T/greedy_txt" --quiet | cut -f1 >"$T/forced_lp"
check=$(paste "$T/greedy_lp" "$T/forced_lp" "$T/ended" | awk '$3 == 1 { n++; d = $1 - $2; if (d < 0) d = -d;
    if (d > 1e-3) bad++ } END { print bad + 0, (n > 0) }')
expect_eq score_matches_search_logprob "$check" "0 1"
"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" --quiet --attention "$T/forced.html" >/dev/null 2>"$T/err"
expect_eq score_dump_html "$(grep -o '<table class="heatmap"' "$T/forced.html" | wc -l)" "$N"
"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" --quiet --attention "$T/forced.jsonl" >/dev/null 2>"$T/err"
expect_eq score_dump_jsonl "$(grep -c '"tgt_tokens":\[.*"</s>"\]' "$T/forced.jsonl")" "$((N - 2))"
head -n 5 "$T/ref.txt" >"$T/short.txt"
expect_error score_line_counts_differ "short.txt" "$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/short.txt"
printf 'a\nb\nc\nd\n' >"$T/four.txt"
expect_error score_invalid_utf8_names_file_line "bad.txt:2: invalid UTF-8" "$B/nmt-score" -m "$M" --src "$T/four.txt" --tgt "$T/bad.txt"
"$B/nmt-score" -m "$M" --src "$T/four.txt" --tgt "$T/bad.txt" --skip-invalid >"$T/o" 2>"$T/err"
expect_eq score_skip_invalid "$? $(wc -l <"$T/o") $(sed -n 2p "$T/o" | wc -c)" "0 4 1"

# ---- a deep model (--enc-depth, --dec-depth): the search carries every layer's state ----
# Beam search moves each hypothesis's state (all its layers) to its new row
# at every step; forced decoding runs the layers over the whole sentence.
# The two must agree on the log-probability of each translation that ended
# and whose text reads back as the same tokens (a barely trained model
# emits some that do not, such as "." without the word start before it).
"$B/nmt-train" --vocab "$T/V" --train-src "$T/train.src" --train-tgt "$T/train.tgt" -o "$T/D" --emb 16 --hidden 24 \
    --enc-depth 2 --dec-depth 3 --decoder cgru --max-updates 80 --batch 32 --dropout 0 --threads 2 --quiet \
    >/dev/null 2>"$T/err"
if [ -s "$T/D" ]; then
    for beam in 1 4; do
        "$B/nmt-translate" -m "$T/D" --quiet --beam $beam --nbest 1 --length-penalty 0 -i "$T/ps" |
            sed 's/.* ||| //' >"$T/deep_lp"
        "$B/nmt-translate" -m "$T/D" --quiet --beam $beam --length-penalty 0 -i "$T/ps" --attention "$T/d.jsonl" \
            >"$T/deep_txt"
        "$B/nmt-score" -m "$T/D" --src "$T/ps" --tgt "$T/deep_txt" --quiet --attention "$T/f.jsonl" | cut -f1 >"$T/deep_forced"
        # 1 where the search ended and the scored tokens are the searched ones
        paste -d'\t' "$T/d.jsonl" "$T/f.jsonl" | awk -F'\t' '{ a = $1; b = $2; sub(/.*"tgt_tokens":/, "", a);
            sub(/,"attention".*/, "", a); sub(/.*"tgt_tokens":/, "", b); sub(/,"attention".*/, "", b);
            print (a == b && index(a, "\"</s>\"]") > 0) }' >"$T/deep_same"
        check=$(paste "$T/deep_lp" "$T/deep_forced" "$T/deep_same" | awk '$3 == 1 { n++; d = $1 - $2; if (d < 0) d = -d;
            if (d > 1e-3) bad++ } END { print bad + 0, (n > 0) }')
        expect_eq "deep_model_score_matches_search_logprob_beam$beam" "$check" "0 1"
    done
else
    fail deep_model_setup "$(head -c 400 "$T/err")"
fi
