# CLI tests for nmt-align: training on a tiny corpus with a known answer,
# symmetrizing and scoring files, the error messages, and, with the shared
# data, the alignment error rate on the 200 RWTH German-English gold sentences.
source "$(dirname "$0")/lib.sh"
ALIGN="$B/nmt-align"
GOLD="$SHARED/alignments/rwth-deen-dev"
EUROPARL="$SHARED/corpora/europarl-deen-sample"
cd "$T" || exit 1

"$ALIGN" --help >help.txt 2>&1
missing=""
for f in --src --tgt --output --direction --symmetrize --forward-out --reverse-out --iterations --p0 \
    --tension --fixed-tension --alpha --threads --verbose --forward --reverse --score --gold-format --hyp; do
    grep -q -- "$f" help.txt || missing="$missing $f"
done
expect_eq "help lists every option" "$missing" ""

# --- training: a tiny corpus whose participle moves to the end in German ---
printf 'das Haus\ndas Buch\nein Buch\nein Haus\nich habe gelesen\nich habe gesehen\nich habe das Buch gelesen\nich habe ein Haus gesehen\n' >s.txt
printf 'the house\nthe book\na book\na house\nI have read\nI have seen\nI have read the book\nI have seen a house\n' >t.txt
want=$'0-0 1-1\n0-0 1-1\n0-0 1-1\n0-0 1-1\n0-0 1-1 2-2\n0-0 1-1 2-2\n0-0 1-1 2-3 3-4 4-2\n0-0 1-1 2-3 3-4 4-2'
expect_ok "train both directions" "$ALIGN" --src s.txt --tgt t.txt -o g.txt --forward-out f.txt --reverse-out r.txt
expect_eq "tiny corpus: gdfa alignment (gelesen-read across the reordering)" "$(cat g.txt)" "$want"
expect_eq "tiny corpus: forward alignment" "$(cat f.txt)" "$want"
expect_eq "tiny corpus: reverse alignment" "$(cat r.txt)" "$want"
expect_eq "stdout by default, forward only" "$("$ALIGN" --src s.txt --tgt t.txt --direction forward)" "$want"
"$ALIGN" --src s.txt --tgt t.txt --threads 1 -o g1.txt && "$ALIGN" --src s.txt --tgt t.txt --threads 2 -o g2.txt
expect_eq "same output for 1 and 2 threads" "$(cmp g1.txt g2.txt && echo same)" same
printf 'das Haus\n\nein Buch\n' >e.de
printf 'the house\nthe book\n\n' >e.en
expect_eq "an empty side gives an empty line" "$("$ALIGN" --src e.de --tgt e.en | sed -n 2,3p | tr '\n' '|')" "||"

# --- symmetrizing files: the grid of test_align_links.c, worked by hand ---
printf '0-0 1-1 2-2 4-4\n0-0 1-1 3-2 3-3\n' >fw.txt
printf '0-0 1-1 3-0\n0-0 1-2 2-3 3-3\n' >rv.txt
for m in intersect:'0-0 1-1|0-0 3-3' union:'0-0 1-1 2-2 3-0 4-4|0-0 1-1 1-2 2-3 3-2 3-3' \
    grow-diag:'0-0 1-1 2-2|0-0 1-1 1-2 2-3 3-3' grow-diag-final:'0-0 1-1 2-2 3-0 4-4|0-0 1-1 1-2 2-3 3-3' \
    grow-diag-final-and:'0-0 1-1 2-2 4-4|0-0 1-1 1-2 2-3 3-3'; do
    expect_eq "symmetrize ${m%%:*}" \
        "$("$ALIGN" --symmetrize "${m%%:*}" --forward fw.txt --reverse rv.txt | tr '\n' '|')" "${m#*:}|"
done
printf 'a b c d e\na b c d\n' >sym.de
printf 'v w x y z\nw x y z\n' >sym.en
expect_ok "symmetrize with --src/--tgt lengths" "$ALIGN" --symmetrize gdfa --forward fw.txt --reverse rv.txt \
    --src sym.de --tgt sym.en -o sym.txt
expect_eq "symmetrize -o writes the file" "$(tr '\n' '|' <sym.txt)" "0-0 1-1 2-2 4-4|0-0 1-1 1-2 2-3 3-3|"

# --- scoring: the hand example of test_align_links.c ---
printf '1-1 2-2 2p3 3p3\n1-1\n' >gold.talp
printf '2-1 0-0 1-2\n\n' >hyp.txt
expect_eq "score from stdin" "$("$ALIGN" --score gold.talp <hyp.txt | head -1)" \
    "AER 0.5000 precision 0.6667 recall 0.3333"
expect_eq "score counts" "$("$ALIGN" --score gold.talp --hyp hyp.txt | sed -n 2p)" \
    "sentences 2 hypothesis 3 sure 3 possible 5 hyp&sure 1 hyp&possible 2"
printf '0-0 1-1 1p2 2p2\n0-0\n' >gold.pharaoh
expect_eq "0-based gold" "$("$ALIGN" --score gold.pharaoh --gold-format pharaoh <hyp.txt | head -1)" \
    "AER 0.5000 precision 0.6667 recall 0.3333"

# --- errors -----------------------------------------------------------------
printf 'a b\nc\nd\n' >three.de
printf 'x y\nz\n' >two.en
expect_error "unequal corpus lines" "line counts differ: three.de has 3 lines, two.en has 2" \
    "$ALIGN" --src three.de --tgt two.en
printf '0-0 1-1\n0-x\n' >badhyp.txt
expect_error "malformed hypothesis link names FILE:LINE" "^nmt-align: badhyp.txt:2: malformed link '0-x' \(expected I-J\)" \
    "$ALIGN" --score gold.talp --hyp badhyp.txt
printf '0-0\n0p1\n' >phyp.txt
expect_error "a possible link in a hypothesis" "phyp.txt:2: malformed link '0p1'" "$ALIGN" --score gold.talp --hyp phyp.txt
printf '1-1\n0-1\n' >zero.talp
expect_error "index 0 in talp gold" "zero.talp:2: link '0-1' has index 0, but this format counts tokens from 1" \
    "$ALIGN" --score zero.talp --hyp hyp.txt
printf 'a b c\nd\n' >sc3.de
printf 'x y z\nw\n' >sc3.en
printf '0-0 3-1\n\n' >bad3.txt
expect_error "hypothesis index beyond the sentence" "bad3.txt:1: link 3-1: source index 3 is beyond the 3 source tokens" \
    "$ALIGN" --score gold.talp --hyp bad3.txt --src sc3.de --tgt sc3.en
printf 'a b c\nd e\n' >sc.de
printf 'x y\nz w\n' >sc.en
expect_error "gold index beyond the sentence" "gold.talp:1: link 2p3: target index 3 is beyond the 2 target tokens" \
    "$ALIGN" --score gold.talp --hyp hyp.txt --src sc.de --tgt sc.en
printf '0-0\n' >one.txt
expect_error "hypothesis and gold line counts" "line counts differ: one.txt has 1 lines, gold.talp has 2" \
    "$ALIGN" --score gold.talp --hyp one.txt
expect_error "forward and reverse line counts" "line counts differ: fw.txt has 2 lines, one.txt has 1" \
    "$ALIGN" --symmetrize union --forward fw.txt --reverse one.txt
printf 'a b c\na b c d\n' >short.de
expect_error "symmetrize: link beyond the lengths" "fw.txt:1: link 4-4: source index 4 is beyond the 3 source tokens" \
    "$ALIGN" --symmetrize union --forward fw.txt --reverse rv.txt --src short.de --tgt sym.en
echo keep >kept.txt
"$ALIGN" --symmetrize union --forward fw.txt --reverse badhyp.txt -o kept.txt 2>/dev/null
expect_eq "a failed run leaves the output file alone" "$(cat kept.txt)" keep
expect_error "unknown method" "--symmetrize must be one of intersect, union, grow-diag, grow-diag-final, grow-diag-final-and, got 'grow'" \
    "$ALIGN" --symmetrize grow --forward fw.txt --reverse rv.txt
expect_error "forward without reverse" "needs both --forward and --reverse" "$ALIGN" --symmetrize union --forward fw.txt
expect_error "unknown gold format" "--gold-format must be one of pharaoh, talp, got 'giza'" "$ALIGN" --score gold.talp --gold-format giza
expect_error "bad --iterations" "iterations" "$ALIGN" --src s.txt --tgt t.txt --iterations 0
expect_error "--symmetrize with one direction" "--symmetrize needs --direction both" \
    "$ALIGN" --src s.txt --tgt t.txt --direction forward --symmetrize union
expect_error "missing corpus file" "cannot open nope.de" "$ALIGN" --src nope.de --tgt t.txt
expect_error "unwritable output" "nonexistent-dir" "$ALIGN" --src s.txt --tgt t.txt -o nonexistent-dir/out.txt

# --- the RWTH gold: train on Europarl + the dev text, score the dev part ----
# score NAME FILE: print the AER line of the last 200 lines (the dev sentences).
score() { tail -n 200 "$2" | "$ALIGN" --score "$GOLD/dev.talp" | head -1; }
aer_of() { awk '{print $2}' <<<"$1"; }
if [ ! -f "$GOLD/dev.talp" ] || [ ! -f "$EUROPARL/train.de" ]; then
    skip "RWTH gold AER" "no shared data at $SHARED (alignments/rwth-deen-dev, corpora/europarl-deen-sample; set NMT_SHARED)"
else
    # A small run (3,000 pairs) that sanitizer builds can afford too.
    { head -n 3000 "$EUROPARL/train.de"; cat "$GOLD/dev.de"; } >small.de
    { head -n 3000 "$EUROPARL/train.en"; cat "$GOLD/dev.en"; } >small.en
    "$ALIGN" --src small.de --tgt small.en -o small.gdfa
    line=$(score small small.gdfa)
    expect_eq "3,000 pairs + dev: gdfa AER <= 0.46 ($line)" "$(awk -v a="$(aer_of "$line")" 'BEGIN{print (a <= 0.46) ? "ok" : a}')" ok
    case "$B" in
    *build-san*)
        skip "full Europarl sample AER" "sanitizer build: training on 23,780 pairs both ways takes about 30 s there (9 s optimized); the 3,000-pair run above covers the same code" ;;
    *)
        cat "$EUROPARL/train.de" "$GOLD/dev.de" >all.de
        cat "$EUROPARL/train.en" "$GOLD/dev.en" >all.en
        start=$(date +%s.%N)
        "$ALIGN" --src all.de --tgt all.en -o all.gdfa --forward-out all.fwd --reverse-out all.rev
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
        "$ALIGN" --symmetrize intersect --forward all.fwd --reverse all.rev -o all.int
        "$ALIGN" --symmetrize union --forward all.fwd --reverse all.rev -o all.uni
        # The AER of each direction and symmetrization is a figure to read, not a check:
        # "info" lines, which tests/run.sh does not count. That each one was scored is the check.
        unscored=""
        for k in fwd:forward rev:reverse int:intersect uni:union; do
            line=$(score x "all.${k%%:*}")
            echo "info RWTH dev AER, ${k#*:}: $line"
            [[ $line =~ ^AER\ [01]\.[0-9]+ ]] || unscored="$unscored ${k#*:}"
        done
        expect_eq "RWTH dev AER scored for forward, reverse, intersect, union" "${unscored:-none}" none
        line=$(score gdfa all.gdfa)
        expect_eq "RWTH dev AER, grow-diag-final-and <= 0.37 ($line; trained both ways in $secs s)" \
            "$(awk -v a="$(aer_of "$line")" 'BEGIN{print (a <= 0.37) ? "ok" : a}')" ok
        ;;
    esac
fi

# --- symmetrizing without --src/--tgt: the work follows the links, not the largest index ---
printf '0-0 46340-46340\n1-1\n' >big.fw
printf '0-0 46340-46340 46341-46341\n1-1\n' >big.rv
expect_eq "symmetrize an index of 46340 without lengths" \
    "$("$ALIGN" --symmetrize gdfa --forward big.fw --reverse big.rv 2>&1 | tr '\n' '|')" "0-0 46340-46340 46341-46341|1-1|"
for k in $(seq 200); do echo "0-0 20000-20000 19999-19998"; done >many.fw
for k in $(seq 200); do echo "0-0 20000-20000 19999-19999"; done >many.rv
# in 100 MB of address space: a 20000 x 20000 grid took 400 MB per sentence (ASan reserves
# terabytes of shadow memory, so the sanitizer build runs without the limit)
case $B in *build-san*) as_limit=unlimited ;; *) as_limit=100000 ;; esac
# OPENBLAS_NUM_THREADS=1: OpenBLAS's own threads allocate a 128 MB buffer each, and
# under the limit such an allocation fails and is retried forever (a hang at exit)
(ulimit -v $as_limit && OPENBLAS_NUM_THREADS=1 timeout 120 "$ALIGN" --symmetrize grow-diag-final-and --forward many.fw --reverse many.rv -o many.sym) 2>err
expect_eq "200 sentences with index 20000 (in 100 MB)" "$(sort -u many.sym 2>/dev/null) $(wc -l <many.sym 2>/dev/null)" \
    "0-0 19999-19998 19999-19999 20000-20000 200"
printf '999999999-999999999\n' >huge.fw
expect_eq "symmetrize an index of 999999999" \
    "$("$ALIGN" --symmetrize union --forward huge.fw --reverse huge.fw 2>&1)" "999999999-999999999"
printf '1000000001-0\n' >over.fw
expect_error "an index above 10^9 is refused with FILE:LINE" "over\.fw:1: malformed link '1000000001-0'" \
    "$ALIGN" --symmetrize union --forward over.fw --reverse over.fw

# --- scoring with nothing to score ---
printf '\n\n' >empty.talp
printf '\n\n' >empty.hyp
expect_error "empty gold and hypothesis: no AER" "^nmt-align: empty\.talp: no gold links to score against" \
    "$ALIGN" --score empty.talp --hyp empty.hyp
expect_error "empty gold, links in the hypothesis" "empty\.talp: no gold links to score against" \
    "$ALIGN" --score empty.talp --hyp hyp.txt
printf '1p1\n\n' >possible.talp
expect_error "no sure gold links and no hypothesis links" \
    "possible\.talp has no sure links and empty\.hyp no links: AER, precision and recall are undefined" \
    "$ALIGN" --score possible.talp --hyp empty.hyp
expect_eq "no hypothesis links: AER 1, precision undefined" "$("$ALIGN" --score gold.talp --hyp empty.hyp | head -1)" \
    "AER 1.0000 precision nan recall 0.0000"
printf '0-0\n\n' >one.hyp
expect_eq "no sure gold links: recall undefined" "$("$ALIGN" --score possible.talp --hyp one.hyp | head -1)" \
    "AER 0.0000 precision 1.0000 recall nan"

# --- a links file cut inside its last line: as many lines as the corpus, valid links, refused ---
head -c -3 gold.talp >cutgold.talp
expect_error "gold cut inside its last line" "cutgold\.talp:2: no line end after the last line: the file looks cut short" \
    "$ALIGN" --score cutgold.talp --hyp hyp.txt --src sc.de --tgt sc.en
printf '0-0 1-1 2-2 4-4\n0-0 1-1' >cutfw.txt
expect_error "forward file cut inside its last line" "cutfw\.txt:2: no line end" \
    "$ALIGN" --symmetrize union --forward cutfw.txt --reverse rv.txt
