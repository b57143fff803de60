# CLI tests of attention as word alignment: nmt-train --guided-alignment
# (training, its errors, resume rules, line mapping after filtering) and
# nmt-score --alignment (appended or in a file, current or next row) with the
# html overlay of model and gold links.
source "$(dirname "$0")/lib.sh"
toy=corpora/toy
head -n 300 $toy/test.src >"$T/g.src"
head -n 300 $toy/test.tgt >"$T/g.tgt"
head -n 300 $toy/test.align >"$T/g.align"
"$B/nmt-vocab" --src $toy/train.src --tgt $toy/train.tgt --bpe 300 -o "$T/V" 2>/dev/null ||
    { fail vocab_for_guided_tests "nmt-vocab failed"; exit 0; }
common=(--vocab "$T/V" --train-src "$T/g.src" --train-tgt "$T/g.tgt" --emb 16 --hidden 24 --batch 20 --shard-size 8
        --valid-every 10 --seed 5 --quiet --max-updates 20)

"$B/nmt-train" --help >"$T/help"
missing=""
for f in --guided-alignment --guided-alignment-weight --guided-alignment-decay --guided-alignment-decay-every; do
    grep -q -- "$f " "$T/help" || missing="$missing $f"
done
expect_eq train_help_documents_guidance "$missing" ""

# Guidance changes the model; 1 and 2 threads still agree; the checkpoint records it.
"$B/nmt-train" "${common[@]}" -o "$T/plain" --threads 1 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/g1" --threads 1 --guided-alignment "$T/g.align" --guided-alignment-weight 1 2>"$T/err"
"$B/nmt-train" "${common[@]}" -o "$T/g2" --threads 2 --guided-alignment "$T/g.align" --guided-alignment-weight 1 2>/dev/null
if cmp -s "$T/g1" "$T/g2"; then pass guided_threads_1_and_2_identical; else fail guided_threads_1_and_2_identical "$(head -3 "$T/err")"; fi
if cmp -s "$T/plain" "$T/g1"; then fail guidance_changes_model; else pass guidance_changes_model; fi
grep -aq "guided_alignment=1" "$T/g1.ckpt" && grep -aq "guided_alignment_weight=1" "$T/g1.ckpt"
expect_eq checkpoint_records_guidance "$?" 0
grep -aq "guided_alignment" "$T/plain.ckpt"
expect_eq unguided_checkpoint_has_no_guidance_keys "$?" 1
"$B/nmt-train" "${common[@]}" -o "$T/g3" --threads 1 --guided-alignment "$T/g.align" --guided-alignment-weight 1 \
    --guided-alignment-decay 0.5 --guided-alignment-decay-every 5 2>/dev/null
if cmp -s "$T/g1" "$T/g3"; then fail decay_changes_model; else pass decay_changes_model; fi

# Resume: the setting must agree with the checkpoint's.
expect_error resume_without_guidance_refused "trained with guided alignment" \
    "$B/nmt-train" "${common[@]}" -o "$T/g1" --resume --max-updates 25
expect_error resume_other_weight_refused "guided-alignment-weight 0.5 \(the checkpoint has 1\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/g1" --resume --max-updates 25 --guided-alignment "$T/g.align" \
    --guided-alignment-weight 0.5
sed '3s/.*/0-0/' "$T/g.align" >"$T/other.align"
expect_error resume_other_alignment_file_refused "^  --guided-alignment .*/other\.align differs: [0-9]+ bytes, hash [0-9a-f]{16} \(the checkpoint's run: " \
    "$B/nmt-train" "${common[@]}" -o "$T/g1" --resume --max-updates 25 --guided-alignment "$T/other.align" \
    --guided-alignment-weight 1
expect_ok resume_with_guidance "$B/nmt-train" "${common[@]}" -o "$T/g1" --resume --max-updates 25 \
    --guided-alignment "$T/g.align" --guided-alignment-weight 1

# Errors: the file named, FILE:LINE for a bad line.
head -n 299 "$T/g.align" >"$T/short.align"
expect_error guidance_wrong_line_count "short\.align has 299 lines but the training text .*g\.src has 300" \
    "$B/nmt-train" "${common[@]}" -o "$T/x" --guided-alignment "$T/short.align"
sed '7s/.*/0-0 1x2/' "$T/g.align" >"$T/bad.align"
expect_error guidance_malformed_link "bad\.align:7: malformed link '1x2'" \
    "$B/nmt-train" "${common[@]}" -o "$T/x" --guided-alignment "$T/bad.align"
sed '9s/.*/0-0 40-1/' "$T/g.align" >"$T/range.align"
expect_error guidance_index_out_of_range "range\.align:9: link 40-1: source index 40 is beyond" \
    "$B/nmt-train" "${common[@]}" -o "$T/x" --guided-alignment "$T/range.align"
expect_error guidance_weight_needs_file "guided-alignment-weight needs --guided-alignment" \
    "$B/nmt-train" "${common[@]}" -o "$T/x" --guided-alignment-weight 0.3
expect_error guidance_missing_file "nope\.align" \
    "$B/nmt-train" "${common[@]}" -o "$T/x" --guided-alignment "$T/nope.align"

# Links follow the kept pairs by line number: line 2 is too long for --max-len
# and its links (valid only for it) would be out of range for line 3's pair.
printf 'a b\nc d e f g h i j k l m n o p\nq r\n' >"$T/f.src"
printf 'x y\nz z z z z z z z z z z z z z\nw v\n' >"$T/f.tgt"
printf '0-0 1-1\n13-13\n1-0\n' >"$T/f.align"
expect_ok guidance_follows_kept_pairs "$B/nmt-train" --vocab "$T/V" --train-src "$T/f.src" --train-tgt "$T/f.tgt" \
    -o "$T/f" --emb 8 --hidden 8 --max-len 8 --max-updates 2 --guided-alignment "$T/f.align"
grep -q "2 of 3 line pairs used\|3 line pairs, 2 used" "$T/err"
expect_eq guidance_filtered_pair_left_out "$?" 0
printf '0-0 1-1\n\n1-0\n' >"$T/e.align"
"$B/nmt-train" --vocab "$T/V" --train-src "$T/f.src" --train-tgt "$T/f.tgt" -o "$T/e" --emb 8 --hidden 8 \
    --max-len 100 --max-updates 2 --guided-alignment "$T/e.align" 2>"$T/err"
grep -q "1 of 3 pairs without links" "$T/err"
expect_eq guidance_counts_pairs_without_links "$?" 0

# nmt-score --alignment: appended, or alone in a file; the next step's rows differ.
M=$T/g1
"$B/nmt-score" -m "$M" --src "$T/g.src" --tgt "$T/g.tgt" --alignment hard >"$T/app" 2>/dev/null
expect_eq score_alignment_appended "$(grep -Ecv '^-[0-9.]+	[0-9]+ \|\|\| [0-9]+-[0-9]+( [0-9]+-[0-9]+)*$' "$T/app")" 0
"$B/nmt-score" -m "$M" --src "$T/g.src" --tgt "$T/g.tgt" --alignment hard --alignment-out "$T/a.cur" >"$T/sc" 2>/dev/null
expect_eq score_alignment_out_lines "$(wc -l <"$T/a.cur")" 300
expect_eq score_alignment_out_same_links "$(sed 's/.* ||| //' "$T/app" | cmp -s - "$T/a.cur" && echo same)" same
expect_eq score_lines_unchanged_with_alignment_out "$(grep -c '|||' "$T/sc")" 0
"$B/nmt-score" -m "$M" --src "$T/g.src" --tgt "$T/g.tgt" --alignment hard --alignment-out "$T/a.next" \
    --alignment-row next >/dev/null 2>&1
if cmp -s "$T/a.cur" "$T/a.next"; then fail score_alignment_next_row_differs; else pass score_alignment_next_row_differs; fi
awk '{ o = ""; for (i = 1; i <= NF; i++) { split($i, p, "-"); o = o (i > 1 ? " " : "") p[1] + 1 "-" p[2] + 1 } print o }' \
    "$T/g.align" >"$T/g.talp"
expect_ok score_alignment_feeds_nmt_align "$B/nmt-align" --score "$T/g.talp" --hyp "$T/a.cur"
grep -q "^AER " "$T/out"
expect_eq score_alignment_aer_printed "$?" 0
"$B/nmt-score" -m "$M" --src "$T/g.src" --tgt "$T/g.tgt" --alignment soft --alignment-out "$T/a.soft" >/dev/null 2>&1
expect_eq score_soft_alignment_groups "$(head -1 "$T/a.soft" | wc -w)" "$(($(head -1 "$T/g.tgt" | "$B/nmt-vocab" --encode "$T/V" --side tgt | wc -w) + 1))"
expect_error score_alignment_out_needs_mode "need --alignment" \
    "$B/nmt-score" -m "$M" --src "$T/g.src" --tgt "$T/g.tgt" --alignment-out "$T/z"

# The html page marks the model's links and the gold's.
head -n 3 "$T/g.src" >"$T/h.src"
head -n 3 "$T/g.tgt" >"$T/h.tgt"
printf '1-1 2p2\n\n1-1\n' >"$T/h.talp"
expect_ok score_html_with_gold "$B/nmt-score" -m "$M" --src "$T/h.src" --tgt "$T/h.tgt" --alignment hard \
    --alignment-out /dev/null --attention "$T/h.html" --gold-alignment "$T/h.talp"
# every target word of the 3 pairs has one model link, so some cells are outlined
expect_eq html_marks_model_links "$([ "$(grep -o 'class="m' "$T/h.html" | wc -l)" -ge "$(head -3 "$T/a.cur" | wc -w)" ] && echo yes)" yes
grep -Eq 'class="(m )?s"' "$T/h.html" && grep -Eq 'class="(m )?p"' "$T/h.html"
expect_eq html_marks_sure_and_possible "$?" 0
grep -q "sure gold link: 1.*possible: 1" "$T/h.html"
expect_eq html_counts_gold_links "$?" 0
expect_error gold_needs_html "needs an html --attention" \
    "$B/nmt-score" -m "$M" --src "$T/h.src" --tgt "$T/h.tgt" --gold-alignment "$T/h.talp"
printf '1-1 2x2\n' >"$T/bad.talp"
expect_error gold_malformed_names_line "bad\.talp:1:" "$B/nmt-score" -m "$M" --src "$T/h.src" --tgt "$T/h.tgt" \
    --attention "$T/h2.html" --gold-alignment "$T/bad.talp"
"$B/nmt-score" --help >"$T/help"
missing=""
for f in --alignment --alignment-out --alignment-row --gold-alignment; do grep -q -- "$f " "$T/help" || missing="$missing $f"; done
expect_eq score_help_documents_alignment_flags "$missing" ""
# nmt-translate outlines the links it prints when --alignment goes with an html dump.
expect_ok translate_html_with_alignment "$B/nmt-translate" -m "$M" -i "$T/h.src" --alignment hard --attention "$T/t.html"
expect_eq translate_html_marks_links "$(grep -c 'class="m' "$T/t.html" | awk '{ print ($1 > 0) }')" 1
