# CLI tests of nmt-train --bpe-dropout: the same bytes on 1 and 2 threads,
# a different model than without it, kill -9 then --resume equal to the
# uninterrupted run (each epoch's segmentation is recomputed from the seed),
# and the settings it refuses.
source "$(dirname "$0")/lib.sh"
toy=corpora/toy
head -n 600 $toy/train.src >"$T/tr.src"
head -n 600 $toy/train.tgt >"$T/tr.tgt"
head -n 40 $toy/valid.src >"$T/va.src"
head -n 40 $toy/valid.tgt >"$T/va.tgt"
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint --bpe 150 -o "$T/V" 2>/dev/null ||
    { fail vocab_for_bpe_dropout "nmt-vocab failed"; exit 0; }
# 600 pairs in batches of 40: 15 updates per epoch, so 40 updates see three segmentations
run=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt"
     --emb 16 --hidden 24 --batch 40 --shard-size 16 --valid-every 10 --seed 5 --quiet --max-updates 40
     --max-len 30 --bpe-dropout 0.2)

"$B/nmt-train" "${run[@]}" -o "$T/d1" --threads 1 2>"$T/err1"
"$B/nmt-train" "${run[@]}" -o "$T/d2" --threads 2 2>"$T/err2"
if [ -s "$T/d1" ] && cmp -s "$T/d1" "$T/d2" && cmp -s "$T/d1.last" "$T/d2.last"
then pass bpe_dropout_threads_1_and_2_identical
else fail bpe_dropout_threads_1_and_2_identical "$(cat "$T/err1" "$T/err2" | head -5)"; fi

# the option changes what is trained on (so the comparisons above can fail)
"$B/nmt-train" "${run[@]:0:$((${#run[@]} - 2))}" -o "$T/plain" --threads 2 2>/dev/null
if [ -s "$T/plain.last" ] && ! cmp -s "$T/plain.last" "$T/d1.last"; then pass bpe_dropout_changes_the_model
else fail bpe_dropout_changes_the_model; fi
grep -aq '^bpe_dropout=0\.2' "$T/d1.ckpt" && ! grep -aq '^bpe_dropout' "$T/plain.ckpt" &&
    pass bpe_dropout_saved_only_when_used || fail bpe_dropout_saved_only_when_used

# kill -9 in the third epoch (after the checkpoint of update 30), then --resume
NMT_TEST_SIGNAL_AT_UPDATE=33:KILL "$B/nmt-train" "${run[@]}" -o "$T/k" --threads 2 2>/dev/null
rc=$?
if [ $rc = 137 ] && "$B/nmt-train" "${run[@]}" -o "$T/k" --threads 1 --resume 2>"$T/err" &&
    grep -qF "resuming from $T/k.ckpt at update 30" "$T/err" && cmp -s "$T/d1" "$T/k" && cmp -s "$T/d1.last" "$T/k.last"
then pass bpe_dropout_kill9_resume_equals_uninterrupted
else fail bpe_dropout_kill9_resume_equals_uninterrupted "exit $rc; $(head -3 "$T/err")"; fi

# a resumed run keeps the rate it was trained with
expect_error bpe_dropout_resume_other_rate "--bpe-dropout 0.1 \(the checkpoint has 0.2\)" \
    "$B/nmt-train" "${run[@]:0:$((${#run[@]} - 2))}" --bpe-dropout 0.1 -o "$T/d1" --resume

# With guided alignment, each epoch's gold rows join the word links to that
# epoch's subwords. A rate so small that nothing is dropped for this seed
# takes the whole path (every epoch segmented, the links joined again) and
# must give the bytes of the run without BPE-dropout; 0.2 gives another model.
diagonal_links "$T/tr.src" "$T/tr.tgt" >"$T/links"
guided=("${run[@]:0:$((${#run[@]} - 2))}" --guided-alignment "$T/links" --guided-alignment-weight 1)
"$B/nmt-train" "${guided[@]}" -o "$T/g0" --threads 2 2>"$T/gerr0"
"$B/nmt-train" "${guided[@]}" --bpe-dropout 1e-7 -o "$T/gtiny" --threads 2 2>"$T/gerr1"
"$B/nmt-train" "${guided[@]}" --bpe-dropout 0.2 -o "$T/g1" --threads 1 2>/dev/null
"$B/nmt-train" "${guided[@]}" --bpe-dropout 0.2 -o "$T/g2" --threads 2 2>/dev/null
if [ -s "$T/g0.last" ] && cmp -s "$T/g0.last" "$T/gtiny.last" && cmp -s "$T/g1.last" "$T/g2.last" &&
    ! cmp -s "$T/g0.last" "$T/g1.last" && ! cmp -s "$T/g1.last" "$T/d1.last"
then pass bpe_dropout_with_guidance
else fail bpe_dropout_with_guidance "$(cat "$T/gerr0" "$T/gerr1" | head -5)"; fi

# refused: whole-word vocabularies, rates out of range
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/W" 2>/dev/null
expect_error bpe_dropout_needs_bpe "--bpe-dropout needs a BPE vocabulary.*W has whole words" \
    "$B/nmt-train" --vocab "$T/W" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --bpe-dropout 0.1 -o "$T/w"
expect_error bpe_dropout_range "--bpe-dropout" \
    "$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --bpe-dropout 1 -o "$T/r"
[ ! -e "$T/w" ] && [ ! -e "$T/r" ] && pass bpe_dropout_refusals_write_nothing ||
    fail bpe_dropout_refusals_write_nothing
