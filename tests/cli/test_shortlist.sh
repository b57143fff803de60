# CLI tests of nmt-shortlist and nmt-translate --shortlist: a shortlist that
# allows every token changes nothing; a real one keeps most translations and
# cuts the output layer; files of another vocabulary and bad files are refused.
source "$(dirname "$0")/lib.sh"
toy=corpora/toy
head -n 2000 $toy/train.src >"$T/tr.src"
head -n 2000 $toy/train.tgt >"$T/tr.tgt"
head -n 100 $toy/test.src >"$T/te.src"
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint --bpe 300 -o "$T/V" 2>/dev/null
"$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 32 --hidden 48 --batch 32 \
    --max-updates 150 --seed 5 --quiet --threads 2 -o "$T/m" 2>/dev/null || { fail shortlist_model "training failed"; exit 0; }
V=$("$B/nmt-vocab" --show "$T/V" 2>/dev/null | grep -m1 -oE 'joint table: [0-9]+' | grep -oE '[0-9]+$')
[ -n "$V" ] || V=100000

expect_ok shortlist_builds "$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" --best 20 --frequent 30 -o "$T/sl"
head -n 1 "$T/sl" | grep -q '^#nmt-shortlist 1$' && grep -q '^vocab_crc=' "$T/sl" && grep -q $'^S [0-9]*\t' "$T/sl" &&
    pass shortlist_file_format || fail shortlist_file_format "$(head -c 200 "$T/sl")"
"$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" --best 20 --frequent 30 --threads 1 -o "$T/sl1" 2>/dev/null
cmp -s "$T/sl" "$T/sl1" && pass shortlist_thread_independent || fail shortlist_thread_independent

# every token allowed: the same bytes as without a shortlist (beam and greedy, n-best, attention)
"$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" --best 1 --frequent "$V" -o "$T/all" 2>/dev/null
for beam in 1 5; do
    "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --beam $beam --nbest 1 --attention "$T/a$beam.jsonl" --quiet >"$T/full$beam"
    "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --beam $beam --nbest 1 --attention "$T/b$beam.jsonl" --quiet \
        --shortlist "$T/all" >"$T/sl$beam"
    if cmp -s "$T/full$beam" "$T/sl$beam" && cmp -s "$T/a$beam.jsonl" "$T/b$beam.jsonl"; then pass "shortlist_of_all_tokens_changes_nothing_beam$beam"
    else fail "shortlist_of_all_tokens_changes_nothing_beam$beam" "$(diff "$T/full$beam" "$T/sl$beam" | head -3)"; fi
done

# a real shortlist: most lines unchanged
"$B/nmt-translate" -m "$T/m" -i "$T/te.src" --quiet >"$T/full"
"$B/nmt-translate" -m "$T/m" -i "$T/te.src" --quiet --shortlist "$T/sl" >"$T/short"
same=$(paste -d'\t' "$T/full" "$T/short" | awk -F'\t' '$1 == $2' | wc -l)
[ "$(wc -l <"$T/short")" = 100 ] && [ "$same" -ge 80 ] && pass shortlist_keeps_most_translations ||
    fail shortlist_keeps_most_translations "$same of 100 lines unchanged"

# refused: another vocabulary's shortlist, a broken file, an output that is an input
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint --bpe 200 -o "$T/V2" 2>/dev/null
"$B/nmt-train" --vocab "$T/V2" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 8 --hidden 8 --max-updates 1 \
    --quiet -o "$T/m2" 2>/dev/null
expect_error shortlist_of_other_vocabulary "sl:2: built for another vocabulary" "$B/nmt-translate" -m "$T/m2" -i "$T/te.src" --shortlist "$T/sl"
{ head -n 3 "$T/sl"; printf 'S 5\t1 2 999999\n'; } >"$T/bad"
expect_error shortlist_bad_id "bad:4: bad target token id" "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --shortlist "$T/bad"
printf 'hello\n' >"$T/bad2"
expect_error shortlist_not_a_shortlist "bad2:1: not a shortlist file" "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --shortlist "$T/bad2"
expect_error shortlist_output_is_input "tr\.src" "$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/tr.src"
cmp -s <(head -n 2000 $toy/train.src) "$T/tr.src" && pass shortlist_input_intact || fail shortlist_input_intact
"$B/nmt-shortlist" --help | grep -q -- "--frequent" && pass shortlist_help || fail shortlist_help
