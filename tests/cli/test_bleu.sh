# CLI tests for nmt-bleu: sacreBLEU's numbers on the shared fixtures, the
# options, and the error messages for bad input.
source "$(dirname "$0")/lib.sh"
BLEU="$B/nmt-bleu"
FIX="$SHARED/fixtures/bleu"
cd "$T" || exit 1

# --help documents every option
"$BLEU" --help >help.txt 2>&1
missing=""
for f in --input --lowercase --score-only --help; do
    grep -q -- "$f" help.txt || missing="$missing $f"
done
expect_eq "help lists every option" "$missing" ""

# --- known answers (sacreBLEU 2.6.0) -------------------------------------
if [ -f "$FIX/expected.tsv" ]; then
    ncase=0
    while IFS=$'\t' read -r name score verbose sig; do
        [ "$name" = case ] && continue
        refs=("$FIX/$name/ref.txt")
        [ -f "$FIX/$name/ref2.txt" ] && refs+=("$FIX/$name/ref2.txt")
        want_sig="${sig%|version:*}|version:nmtc-1.0"
        flags=()
        case "$sig" in *case:lc*) flags=(--lowercase) ;; esac
        out=$("$BLEU" "${flags[@]}" "${refs[@]}" <"$FIX/$name/hyp.txt" 2>&1)
        expect_eq "fixture $name: score line" "$(sed -n 1p <<<"$out")" "BLEU = $verbose"
        expect_eq "fixture $name: signature" "$(sed -n 2p <<<"$out")" "$want_sig"
        expect_eq "fixture $name: two lines" "$(wc -l <<<"$out")" 2
        ncase=$((ncase + 1))
    done <"$FIX/expected.tsv"
    expect_eq "fixtures: every case checked" "$([ "$ncase" -ge 1 ] && echo yes)" yes

    # -i instead of stdin, and --score-only
    expect_eq "-i reads the hypothesis file" \
        "$("$BLEU" -i "$FIX/drop10/hyp.txt" "$FIX/drop10/ref.txt" | head -1)" \
        "BLEU = $(awk -F'\t' '$1 == "drop10" {print $3}' "$FIX/expected.tsv")"
    expect_eq "--score-only prints just the number" \
        "$("$BLEU" --score-only "$FIX/drop10/ref.txt" <"$FIX/drop10/hyp.txt")" \
        "$(awk -F'\t' '$1 == "drop10" {print $2}' "$FIX/expected.tsv")"
    # CRLF line ends and a byte-order mark change nothing
    { printf '\xef\xbb\xbf'; sed 's/$/\r/' "$FIX/swap/hyp.txt"; } >crlf_hyp.txt
    expect_eq "CRLF and BOM input" \
        "$("$BLEU" -b "$FIX/swap/ref.txt" <crlf_hyp.txt)" \
        "$(awk -F'\t' '$1 == "swap" {print $2}' "$FIX/expected.tsv")"
else
    skip "fixture cases" "no fixtures at $FIX (the shared folder is needed; set NMT_SHARED)"
fi

# --- small self-contained cases -------------------------------------------
printf 'the cat sat on the mat\n' >h1.txt
printf 'the cat is on the mat\n' >r1.txt
expect_eq "hand-computed case" "$("$BLEU" r1.txt <h1.txt | head -1)" \
    "BLEU = 37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)"
expect_eq "signature" "$("$BLEU" r1.txt <h1.txt | sed -n 2p)" \
    "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:nmtc-1.0"

printf 'The CAT sat on the Mat\n' >h2.txt
expect_eq "--lowercase" "$("$BLEU" --lowercase r1.txt <h2.txt | tr '\n' ' ')" \
    "BLEU = 37.99 83.3/60.0/25.0/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6) nrefs:1|case:lc|eff:no|tok:13a|smooth:exp|version:nmtc-1.0 "
expect_eq "-lc short form" "$("$BLEU" -lc -b r1.txt <h2.txt)" "37.99"

printf 'a a a b\n' >h3.txt
printf 'a b\n' >r3a.txt
printf 'a a c\n' >r3b.txt
expect_eq "two references" "$("$BLEU" r3a.txt r3b.txt <h3.txt | tr '\n' ' ')" \
    "BLEU = 42.04 75.0/66.7/25.0/25.0 (BP = 1.000 ratio = 1.333 hyp_len = 4 ref_len = 3) nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:nmtc-1.0 "

# an empty hypothesis line scores nothing; an empty line in one of two references is left out
printf '\nthe cat sat on the mat\n' >h4.txt
printf 'a b c\nthe cat sat on the mat\n' >r4.txt
expect_eq "empty hypothesis line" "$("$BLEU" r4.txt <h4.txt | head -1)" \
    "BLEU = 60.65 100.0/100.0/100.0/100.0 (BP = 0.607 ratio = 0.667 hyp_len = 6 ref_len = 9)"
printf 'the cat sat on the mat\na b c d\n' >h5.txt
printf 'the cat sat on the mat\n\n' >r5a.txt
printf 'the cat sat on a mat\na b c d\n' >r5b.txt
expect_eq "empty line in one reference: nrefs var" "$("$BLEU" r5a.txt r5b.txt <h5.txt | sed -n 2p)" \
    "nrefs:var|case:mixed|eff:no|tok:13a|smooth:exp|version:nmtc-1.0"

# --- errors ----------------------------------------------------------------
printf 'one\ntwo\nthree\n' >three.txt
printf 'one\ntwo\n' >two.txt
expect_error "hypothesis longer than reference" \
    "line counts differ: hypothesis <stdin> has 3 lines, reference two.txt has 2 lines" "$BLEU" two.txt <three.txt
expect_error "hypothesis shorter than reference (-i)" \
    "line counts differ: hypothesis two.txt has 2 lines, reference three.txt has 3 lines" "$BLEU" -i two.txt three.txt
expect_error "second reference shorter" \
    "reference three.txt has 3 lines, reference two.txt has 2 lines" "$BLEU" -i three.txt three.txt two.txt
expect_error "missing reference file" "cannot open reference file nope.txt: No such file or directory" \
    "$BLEU" nope.txt <three.txt
expect_error "missing hypothesis file" "cannot open hypothesis file nohyp.txt: No such file or directory" \
    "$BLEU" -i nohyp.txt three.txt
printf 'fine\nbad \xff byte\n' >badutf.txt
expect_error "invalid UTF-8 in the hypothesis" "^nmt-bleu: <stdin>:2: invalid UTF-8 at byte 5$" "$BLEU" two.txt <badutf.txt
expect_error "invalid UTF-8 in a reference" "^nmt-bleu: badutf.txt:2: invalid UTF-8 at byte 5$" "$BLEU" -i two.txt badutf.txt
printf 'one\n  \n' >emptyref.txt
expect_error "empty reference line" "emptyref.txt:2: empty reference line" "$BLEU" emptyref.txt <two.txt
expect_error "no reference given" "no reference file given" "$BLEU" <two.txt
expect_error "unknown option" "unknown option --frobnicate" "$BLEU" --frobnicate two.txt <two.txt
: >empty.txt
expect_error "no lines at all" "no lines to score" "$BLEU" empty.txt <empty.txt
