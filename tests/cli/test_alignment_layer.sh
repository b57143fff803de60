# CLI tests of the alignment layer (nmt-train --alignment-layer, nmt-score and
# nmt-translate --attention-source): a tiny model with the layer trains on the toy corpus,
# shows the layer's loss, and translates as the same model trained without
# it (the same log-probabilities, to the last digit, though it was trained
# with guidance going to the layer); nmt-score's alignments come from the
# layer by default and differ from the decoder's attention's, and so do
# nmt-translate's, for the same translations; the layer's
# rows sum to 1 over the real source tokens; a model without the layer
# refuses --attention-source alignment naming its file, and nmt-train
# refuses the layer's settings without it; --resume with the layer gives
# the uninterrupted run's model; a model without the layer has no trace of it.
source "$(dirname "$0")/lib.sh"
toy_pairs || { fail vocab_for_alignment_layer "nmt-vocab failed"; exit 0; }
# guidance: each word linked to the word at the same position on the other side (any links do)
paste -d '\t' "$T/tr.src" "$T/tr.tgt" | awk -F'\t' '{ a = split($1, w, " "); b = split($2, w, " "); n = a < b ? a : b; s = "";
    for (i = 0; i < n; i++) s = s (i ? " " : "") i "-" i; print s }' >"$T/tr.align"
settings=(--emb 16 --hidden 24 --batch 40 --shard-size 16 --dropout 0.2 --decoder cgru --seed 3 --threads 2
    --valid-every 20 --disp-every 10)
data=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt")

"$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/plain" --max-updates 40 --log "$T/plain.log" 2>"$T/plain.err" ||
    fail train_plain "$(head -c 400 "$T/plain.err")"
if "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/al" --max-updates 40 --alignment-layer --log "$T/al.log" \
    --guided-alignment "$T/tr.align" --alignment-layer-weight 2 2>"$T/al.err"; then
    pass train_with_alignment_layer
else
    fail train_with_alignment_layer "$(head -c 400 "$T/al.err")"
fi
grep -Eq '^epoch [0-9]+  update 10  loss [0-9.]+  ppl [0-9.]+  anll [0-9.]+  aguide [0-9.]+  [0-9]+ tok/s' "$T/al.err" &&
    pass progress_shows_layer_loss || fail progress_shows_layer_loss "$(grep -m1 update "$T/al.err")"
grep -q "trains the alignment layer" "$T/al.err" && pass guidance_trains_the_layer ||
    fail guidance_trains_the_layer "$(grep -m1 guided "$T/al.err")"
grep -Eq '"train_align_nll": [0-9.]+, ' "$T/al.log" && ! grep -q align "$T/plain.log" &&
    ! grep -Eq 'anll|align' "$T/plain.err" && pass log_has_layer_loss || fail log_has_layer_loss "$(head -c 300 "$T/al.log")"
grep -aq '^alignment_layer=1$' "$T/al" && grep -aq '^alignment_dim=24$' "$T/al" && pass conf_records_layer ||
    fail conf_records_layer
grep -aq 'alignment' "$T/plain" "$T/plain.ckpt" && fail plain_model_has_no_trace_of_layer ||
    pass plain_model_has_no_trace_of_layer

# The translation model is the one trained without the layer (and without guidance): the same scores.
sc=(--src "$T/va.src" --tgt "$T/va.tgt" --threads 2 --quiet)
"$B/nmt-score" -m "$T/plain" "${sc[@]}" -o "$T/plain.scores"
"$B/nmt-score" -m "$T/al" "${sc[@]}" -o "$T/al.scores" --attention-source decoder --alignment hard \
    --alignment-out "$T/al.decoder.links"
cmp -s "$T/plain.scores" "$T/al.scores" && [ -s "$T/plain.scores" ] && pass layer_leaves_translation_scores ||
    fail layer_leaves_translation_scores "$(diff "$T/plain.scores" "$T/al.scores" | head -4)"
"$B/nmt-translate" -m "$T/plain" -i "$T/va.src" -o "$T/plain.hyp" --threads 2 --quiet
"$B/nmt-translate" -m "$T/al" -i "$T/va.src" -o "$T/al.hyp" --threads 2 --quiet
cmp -s "$T/plain.hyp" "$T/al.hyp" && pass layer_leaves_translations || fail layer_leaves_translations

# The layer's alignments (the default for a model with the layer) differ from the decoder's.
"$B/nmt-score" -m "$T/al" "${sc[@]}" -o /dev/null --alignment hard --alignment-out "$T/al.layer.links"
"$B/nmt-score" -m "$T/al" "${sc[@]}" -o /dev/null --alignment hard --attention-source alignment \
    --alignment-out "$T/al.layer2.links"
expect_eq layer_links_one_line_per_pair "$(wc -l <"$T/al.layer.links")" "$(wc -l <"$T/va.src")"
cmp -s "$T/al.layer.links" "$T/al.layer2.links" && pass layer_is_the_default_source ||
    fail layer_is_the_default_source
grep -Eq '^[0-9]+-[0-9]+( [0-9]+-[0-9]+)*$' "$T/al.layer.links" && ! cmp -s "$T/al.layer.links" "$T/al.decoder.links" &&
    pass layer_links_differ_from_decoder || fail layer_links_differ_from_decoder "$(head -2 "$T/al.layer.links")"

# nmt-translate: the alignments of its output come from the layer by default (a forced pass over each hypothesis:
# test_translate checks it is exactly the scorer's), so they differ from --attention-source decoder's, for the same
# translations (the tiny model's best outputs are mostly empty: all 5 of each n-best list); a dump holds one matrix.
nb=(-m "$T/al" -i "$T/va.src" --threads 2 --quiet --alignment hard --beam 5 --nbest 5)
"$B/nmt-translate" "${nb[@]}" -o "$T/al.nbest" --attention "$T/tr-att.jsonl"
"$B/nmt-translate" "${nb[@]}" -o "$T/al.nbest-dec" --attention-source decoder
awk -F' [|][|][|] ' '{ print $1, $2, $4 }' "$T/al.nbest" >"$T/nb.text"
awk -F' [|][|][|] ' '{ print $1, $2, $4 }' "$T/al.nbest-dec" >"$T/nb-dec.text"
expect_eq translate_nbest_entries "$(wc -l <"$T/nb.text")" $((5 * $(wc -l <"$T/va.src")))
cmp -s "$T/nb.text" "$T/nb-dec.text" && pass translate_source_leaves_translations ||
    fail translate_source_leaves_translations "$(diff "$T/nb.text" "$T/nb-dec.text" | head -4)"
awk -F' [|][|][|] ' '{ print $3 }' "$T/al.nbest" >"$T/nb.links"
awk -F' [|][|][|] ' '{ print $3 }' "$T/al.nbest-dec" >"$T/nb-dec.links"
grep -q '[0-9]-[0-9]' "$T/nb.links" && ! cmp -s "$T/nb.links" "$T/nb-dec.links" && pass translate_links_from_layer ||
    fail translate_links_from_layer "$(head -3 "$T/nb.links")"
grep -q '"heads"' "$T/tr-att.jsonl" && fail translate_layer_dump_one_matrix ||
    expect_eq translate_layer_dump_one_line_per_line "$(wc -l <"$T/tr-att.jsonl")" "$(wc -l <"$T/va.src")"
expect_error translate_alignment_without_layer_refused "plain has no alignment layer: --attention-source alignment" \
    "$B/nmt-translate" -m "$T/plain" -i "$T/va.src" --alignment hard --attention-source alignment

# Its rows sum to 1 over the real source tokens: --alignment soft, one group of weights per target token and </s>.
"$B/nmt-score" -m "$T/al" "${sc[@]}" -o "$T/soft" --alignment soft
bad=$(awk -F' [|][|][|] ' '{ n = split($2, g, " "); for (i = 1; i <= n; i++) { k = split(g[i], w, ","); s = 0;
    for (j = 1; j <= k; j++) s += w[j]; if (s < 0.9999 || s > 1.0001) bad++ } rows += n } END { print bad + 0, rows }' "$T/soft")
rows=$(awk '{ n += NF + 1 } END { print n }' "$T/va.tgt") # words; each has at least one subword row, plus </s>
[ "${bad%% *}" = 0 ] && [ "${bad##* }" -ge "$rows" ] && pass layer_rows_sum_to_one || fail layer_rows_sum_to_one "$bad (rows >= $rows)"
"$B/nmt-score" -m "$T/al" "${sc[@]}" -o /dev/null --attention "$T/att.jsonl"
grep -q '"heads"' "$T/att.jsonl" && fail layer_dump_one_matrix || pass layer_dump_one_matrix
expect_eq layer_dump_one_line_per_pair "$(wc -l <"$T/att.jsonl")" "$(wc -l <"$T/va.src")"

# Refusals: the layer asked of a model without it (naming the file), the decoder's next row with the layer's rows,
# the layer's training settings for a model without it.
expect_error score_alignment_without_layer_refused "plain has no alignment layer: --attention-source alignment needs" \
    "$B/nmt-score" -m "$T/plain" "${sc[@]}" --alignment hard --attention-source alignment
expect_error score_next_row_with_layer_refused "--alignment-row next reads the decoder's attention" \
    "$B/nmt-score" -m "$T/al" "${sc[@]}" --alignment hard --alignment-row next
expect_ok score_next_row_with_decoder_source \
    "$B/nmt-score" -m "$T/al" "${sc[@]}" --alignment hard --alignment-row next --attention-source decoder
expect_error train_layer_weight_without_layer_refused "--alignment-layer-weight needs a model with the alignment layer" \
    "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/x" --max-updates 2 --alignment-layer-weight 2
expect_error train_layer_target_without_layer_refused "--guided-alignment-target layer needs a model with the alignment layer" \
    "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/x" --max-updates 2 --guided-alignment "$T/tr.align" \
    --guided-alignment-target layer
expect_error train_alignment_dim_without_layer_refused "--alignment-dim 8 needs --alignment-layer" \
    "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/x" --max-updates 2 --alignment-dim 8
[ -e "$T/x" ] && fail refusals_write_nothing || pass refusals_write_nothing

# --resume with the layer: interrupted after update 25, resumed to 40, the uninterrupted run's bytes.
if NMT_TEST_SIGNAL_AT_UPDATE=25 "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/r" --max-updates 40 \
    --alignment-layer --guided-alignment "$T/tr.align" --alignment-layer-weight 2 --log "$T/r.log" 2>"$T/r.err"; then
    fail resume_run_interrupted "it was not interrupted"
else
    "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/r" --max-updates 40 --resume --guided-alignment "$T/tr.align" \
        2>"$T/r2.err" && cmp -s "$T/r" "$T/al" && cmp -s "$T/r.last" "$T/al.last" &&
        pass resume_with_layer_equals_uninterrupted || fail resume_with_layer_equals_uninterrupted "$(tail -c 400 "$T/r2.err")"
fi
