# CLI tests of alignment by optimization (nmt-score --optimize-steps,
# --contiguity, --reverse-model, --agreement, --reverse-alignment-out): two
# tiny models with the alignment layer, one per direction, share a joint
# vocabulary. Optimizing changes the links and not the scores; a step too
# small to move anything gives the plain links, and the reverse model's
# links then equal its own plain links, flipped (the orientation check);
# a pair with an empty target gets no reverse links;
# optimized links are whole-word pairs inside both lines; 1 and 2 threads
# give the same bytes; the refusals name the flag or the file, and a failed
# run leaves no output behind.
source "$(dirname "$0")/lib.sh"
toy_pairs || { fail vocab_for_align_optimize "nmt-vocab failed"; exit 0; }
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint -o "$T/VJ" 2>/dev/null ||
    { fail joint_vocab_for_align_optimize "nmt-vocab --joint failed"; exit 0; }
diagonal_links "$T/tr.src" "$T/tr.tgt" >"$T/fwd.links"
diagonal_links "$T/tr.tgt" "$T/tr.src" >"$T/rev.links"
settings=(--vocab "$T/VJ" --emb 16 --hidden 24 --batch 40 --dropout 0.1 --decoder cgru --seed 3 --threads 2
    --max-updates 60 --quiet --alignment-layer --alignment-context --alignment-layer-weight 2)
"$B/nmt-train" "${settings[@]}" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" -o "$T/fwd" \
    --guided-alignment "$T/fwd.links" 2>"$T/fwd.err" || fail train_forward "$(head -c 400 "$T/fwd.err")"
"$B/nmt-train" "${settings[@]}" --train-src "$T/tr.tgt" --train-tgt "$T/tr.src" -o "$T/rev" \
    --guided-alignment "$T/rev.links" 2>"$T/rev.err" || fail train_reverse "$(head -c 400 "$T/rev.err")"
[ -s "$T/fwd" ] && [ -s "$T/rev" ] || exit 0

sc=(-m "$T/fwd" --src "$T/va.src" --tgt "$T/va.tgt" --quiet --alignment hard)
"$B/nmt-score" "${sc[@]}" --threads 2 -o "$T/plain.scores" --alignment-out "$T/plain.links"
"$B/nmt-score" "${sc[@]}" --threads 2 -o "$T/opt.scores" --alignment-out "$T/opt.links" --optimize-steps 20 \
    --optimize-rate 2 --contiguity 1
cmp -s "$T/plain.scores" "$T/opt.scores" && pass optimizing_keeps_scores || fail optimizing_keeps_scores
expect_eq optimized_links_one_line_per_pair "$(wc -l <"$T/opt.links")" "$(wc -l <"$T/va.src")"
! cmp -s "$T/plain.links" "$T/opt.links" && pass optimizing_moves_links || fail optimizing_moves_links
# every link i-j names a word of both lines
bad=$(paste -d '\t' "$T/va.src" "$T/va.tgt" "$T/opt.links" | awk -F'\t' '{ a = split($1, x, " "); b = split($2, y, " ");
    n = split($3, l, " "); for (k = 1; k <= n; k++) { split(l[k], p, "-"); if (p[1] >= a || p[2] >= b) bad++ } } END { print bad + 0 }')
expect_eq optimized_links_inside_lines "$bad" 0

# A step too small to move a row: the plain links, in both directions.
"$B/nmt-score" -m "$T/rev" --src "$T/va.tgt" --tgt "$T/va.src" --quiet --alignment hard -o /dev/null \
    --alignment-out "$T/rev.plain"
awk '{ o = ""; for (i = 1; i <= NF; i++) { split($i, p, "-"); o = o (i > 1 ? " " : "") p[2] "-" p[1] } print o }' \
    "$T/rev.plain" >"$T/rev.plain.flipped"
tiny=(--optimize-steps 1 --optimize-rate 1e-7 --reverse-model "$T/rev" --agreement 1)
"$B/nmt-score" "${sc[@]}" -o /dev/null --alignment-out "$T/tiny.links" --reverse-alignment-out "$T/tiny.rev" "${tiny[@]}"
cmp -s "$T/tiny.links" "$T/plain.links" && pass tiny_step_gives_plain_links ||
    fail tiny_step_gives_plain_links "$(diff "$T/tiny.links" "$T/plain.links" | head -3)"
cmp -s "$T/tiny.rev" "$T/rev.plain.flipped" && pass reverse_links_in_this_direction ||
    fail reverse_links_in_this_direction "$(diff "$T/tiny.rev" "$T/rev.plain.flipped" | head -3)"

# Both directions with agreement: the two directions' links move closer; threads do not change a byte.
both=(--optimize-steps 20 --optimize-rate 0.25 --contiguity 0.5 --reverse-model "$T/rev" --agreement 10)
"$B/nmt-score" "${sc[@]}" --threads 1 -o /dev/null --alignment-out "$T/a1" --reverse-alignment-out "$T/r1" "${both[@]}"
"$B/nmt-score" "${sc[@]}" --threads 2 -o /dev/null --alignment-out "$T/a2" --reverse-alignment-out "$T/r2" "${both[@]}"
cmp -s "$T/a1" "$T/a2" && cmp -s "$T/r1" "$T/r2" && pass optimized_links_independent_of_threads ||
    fail optimized_links_independent_of_threads
# links the two directions share, before and after
shared() { paste -d '\t' "$1" "$2" | awk -F'\t' '{ n = split($1, a, " "); m = split($2, b, " "); delete h
    for (i = 1; i <= m; i++) h[b[i]] = 1; for (i = 1; i <= n; i++) if (a[i] in h) s++; t += n + m } END { printf "%d %d", s, t }'; }
before=$(shared "$T/plain.links" "$T/rev.plain.flipped") after=$(shared "$T/a1" "$T/r1")
# shared / total links: more of them agree after
awk -v b="$before" -v a="$after" 'BEGIN { split(b, x, " "); split(a, y, " "); exit !(y[1] / y[2] > x[1] / x[2]) }' &&
    pass agreement_brings_directions_together || fail agreement_brings_directions_together "before $before, after $after"

# A pair with an empty target: the reverse model has no source to read; the pair gets its line, the reverse an empty one.
{ head -n 2 "$T/va.src"; } >"$T/e.src"
{ head -n 1 "$T/va.tgt"; echo; } >"$T/e.tgt"
if "$B/nmt-score" -m "$T/fwd" --src "$T/e.src" --tgt "$T/e.tgt" --quiet --alignment hard --alignment-out "$T/e.links" \
    --reverse-alignment-out "$T/e.rev" "${both[@]}" >"$T/e.scores" 2>"$T/e.err"; then
    expect_eq empty_target_lines "$(wc -l <"$T/e.scores") $(wc -l <"$T/e.links") $(wc -l <"$T/e.rev")" "2 2 2"
    expect_eq empty_target_no_reverse_links "$(sed -n 2p "$T/e.rev")" ""
    [ -n "$(sed -n 1p "$T/e.rev")" ] && pass first_pair_has_reverse_links || fail first_pair_has_reverse_links
else
    fail empty_target_lines "$(head -c 400 "$T/e.err")"
fi

# Refusals, and no output left behind.
expect_error contiguity_needs_steps "--reverse-model, --contiguity and --agreement need --optimize-steps" \
    "$B/nmt-score" "${sc[@]}" --contiguity 1
expect_error agreement_needs_reverse_model "--agreement needs the other direction's model" \
    "$B/nmt-score" "${sc[@]}" --optimize-steps 2 --agreement 1
expect_error reverse_out_needs_reverse_model "--reverse-alignment-out needs --reverse-model" \
    "$B/nmt-score" "${sc[@]}" --optimize-steps 2 --reverse-alignment-out "$T/x.rev"
expect_error optimize_needs_layer_rows "has no alignment layer or they are not the rows read" \
    "$B/nmt-score" "${sc[@]}" --optimize-steps 2 --attention-source decoder
"$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.tgt" --train-tgt "$T/tr.src" -o "$T/other" --emb 16 --hidden 24 \
    --max-updates 2 --quiet --alignment-layer 2>/dev/null
expect_error reverse_model_other_vocabulary_refused "other: --reverse-model must share .*joint vocabulary" \
    "$B/nmt-score" "${sc[@]}" --optimize-steps 2 --reverse-model "$T/other"
head -n 5 "$T/va.tgt" >"$T/short.tgt"
expect_error short_target_refused "short.tgt has 5 lines" \
    "$B/nmt-score" -m "$T/fwd" --src "$T/va.src" --tgt "$T/short.tgt" --alignment hard --alignment-out "$T/x.links" \
    "${both[@]}" --reverse-alignment-out "$T/x.rev"
[ -e "$T/x.rev" ] || [ -e "$T/x.links" ] && fail failed_run_leaves_nothing || pass failed_run_leaves_nothing
