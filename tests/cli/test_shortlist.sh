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
nS=$(grep -c $'^S [0-9]*\t' "$T/sl")
head -n 1 "$T/sl" | grep -q '^#nmt-shortlist 2$' && sed -n 2p "$T/sl" | grep -q '^vocab_crc=' &&
    [ "$(sed -n 4p "$T/sl")" = "sources=$nS" ] && [ "$nS" -gt 0 ] && [ "$(tail -n 1 "$T/sl")" = end ] &&
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
{ head -n 3 "$T/sl"; printf 'sources=1\nF\nS 5\t1 2 999999\nend\n'; } >"$T/bad"
expect_error shortlist_bad_id "bad:6: bad target token id" "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --shortlist "$T/bad"
printf 'hello\n' >"$T/bad2"
expect_error shortlist_not_a_shortlist "bad2:1: not a shortlist file" "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --shortlist "$T/bad2"
expect_error shortlist_output_is_input "tr\.src" "$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/tr.src"
cmp -s <(head -n 2000 $toy/train.src) "$T/tr.src" && pass shortlist_input_intact || fail shortlist_input_intact
"$B/nmt-shortlist" --help | grep -q -- "--frequent" && pass shortlist_help || fail shortlist_help

# A shortlist cut short is refused wherever the cut is, naming the file (it used to be read as a
# whole one: from the header alone every translation came out empty).
tr_sl() { "$B/nmt-translate" -m "$T/m" -i "$T/te.src" --quiet --shortlist "$@"; }
lines=$(wc -l <"$T/sl")
head -n 5 "$T/sl" >"$T/sl.head"
expect_error shortlist_header_only "sl\.head: truncated after line 5 \(0 of the $nS source lines, no end line\)" tr_sl "$T/sl.head"
[ ! -s "$T/out" ] && pass shortlist_header_only_no_output || fail shortlist_header_only_no_output "$(head -c 100 "$T/out")"
head -n 2 "$T/sl" >"$T/sl.h2"
expect_error shortlist_cut_in_header "sl\.h2: truncated \(the header ends after line 2\)" tr_sl "$T/sl.h2"
head -c $(($(wc -c <"$T/sl") / 2)) "$T/sl" >"$T/sl.half"
expect_error shortlist_cut_mid_line "sl\.half: truncated after line [0-9]+ \([0-9]+ of the $nS source lines" tr_sl "$T/sl.half"
head -n $((lines - 1)) "$T/sl" >"$T/sl.noend"
expect_error shortlist_without_end "sl\.noend: truncated after line $((lines - 1)) \($nS of the $nS source lines, no end line\)" \
    tr_sl "$T/sl.noend"
head -c -2 "$T/sl" >"$T/sl.en"
expect_error shortlist_cut_in_end_line "sl\.en:$lines: expected the end line" tr_sl "$T/sl.en"
bad_cuts=0
for n in $(seq 1 $((lines - 1))); do
    head -n "$n" "$T/sl" >"$T/sl.cut"
    tr_sl "$T/sl.cut" >/dev/null 2>&1 && bad_cuts=$((bad_cuts + 1))
done
expect_eq shortlist_every_line_cut_refused "$bad_cuts" 0
head -c -1 "$T/sl" >"$T/sl.nonl"
tr_sl "$T/sl.nonl" >"$T/short.nonl" 2>/dev/null && cmp -s "$T/short" "$T/short.nonl" &&
    pass shortlist_without_final_newline_is_whole || fail shortlist_without_final_newline_is_whole
sed 7d "$T/sl" >"$T/sl.gap"
expect_error shortlist_line_missing "sl\.gap:$((lines - 1)): end after $((nS - 1)) of the $nS source lines" tr_sl "$T/sl.gap"
{ cat "$T/sl"; echo "S 1"; } >"$T/sl.more"
expect_error shortlist_text_after_end "sl\.more:$((lines + 1)): text after the end line" tr_sl "$T/sl.more"
{ echo "#nmt-shortlist 1"; sed -n '2,3p;5,$p' "$T/sl" | grep -v '^end$'; } >"$T/sl.v1"
expect_error shortlist_version_1_refused "sl\.v1:1: a version 1 shortlist.*rebuild it with nmt-shortlist" tr_sl "$T/sl.v1"
: >"$T/sl.empty"
expect_error shortlist_empty_file "sl\.empty: empty file" tr_sl "$T/sl.empty"
expect_error shortlist_missing_file "nope\.sl: cannot open: No such file or directory" tr_sl "$T/nope.sl"
# --best far above the vocabulary: the candidates take what the corpus gives, not Vs x best ints
# (in 400 MB of address space; ASan reserves terabytes of shadow memory, so not there)
case $B in *build-san*) as_limit=unlimited ;; *) as_limit=400000 ;; esac
# (OPENBLAS_NUM_THREADS=1: OpenBLAS's threads each allocate a 128 MB buffer, retried forever under the limit)
(ulimit -v $as_limit && OPENBLAS_NUM_THREADS=1 timeout 120 "$B/nmt-shortlist" -m "$T/m" --src "$T/tr.src" --tgt "$T/tr.tgt" --best 1000000 --frequent 30 \
    --threads 1 -o "$T/sl.big" 2>"$T/err") && tr_sl "$T/sl.big" >/dev/null 2>&1 &&
    pass shortlist_huge_best || fail shortlist_huge_best "$(head -c 300 "$T/err")"
# from a pipe (process substitution): the same file
tr_sl <(cat "$T/sl") >"$T/short.pipe" 2>/dev/null && cmp -s "$T/short" "$T/short.pipe" && pass shortlist_from_a_pipe ||
    fail shortlist_from_a_pipe
