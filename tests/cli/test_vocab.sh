# CLI tests for nmt-vocab: learning, --show, --encode/--decode, and every kind of bad input.
source "$(dirname "$0")/lib.sh"
V="$B/nmt-vocab"
cd "$T" || exit 1

printf 'The cat sat on the mat.\nA dog ran.\nThe dog\tsat.\n' >src.txt
printf 'Die Katze sa\xc3\x9f auf der Matte.\nEin Hund rannte.\nDer Hund sa\xc3\x9f.\n' >tgt.txt

# --help documents every flag
"$V" --help >help.txt 2>&1
missing=""
for f in --src --tgt --output --bpe --joint --lowercase --normalize --min-count --max-size --threads --skip-invalid \
    --show --encode --decode --side --help; do
    grep -q -- "$f" help.txt || missing="$missing $f"
done
expect_eq "help lists every flag" "$missing" ""

# learning, per side and joint, and --show
expect_ok "learn a word vocabulary" "$V" --src src.txt --tgt tgt.txt -o words.vocab
expect_ok "learn joint BPE" "$V" --src src.txt --tgt tgt.txt -o joint.vocab --bpe 20 --joint
"$V" --show joint.vocab >show.txt 2>&1
expect_eq "show: joint setting" "$(grep -c '^joint: yes' show.txt)" 1
expect_eq "show: one joint table" "$(grep -c '^table ' show.txt) $(grep -c '^table joint: .* tokens, .* merges' show.txt)" "1 1"
expect_eq "show: specials first" "$(grep -P '^[0-3]\t' show.txt | cut -f3 | tr '\n' ' ')" "<pad> <unk> <s> </s> "
"$V" --show words.vocab >show2.txt 2>&1
expect_eq "show: token counts" "$(grep -P '\t▁sat$' show2.txt | sed -n 1p | cut -f2) $(grep -P '\tsat$' show2.txt | cut -f2)" "1 1"
expect_eq "show: counts in both tables" "$(grep -P '\t▁Hund$' show2.txt | cut -f2)" "2"
expect_eq "show: per-side tables" "$(grep -c '^table src: ' show2.txt) $(grep -c '^table tgt: ' show2.txt)" "1 1"
expect_eq "show: word vocabulary" "$(grep -c '^subwords: none' show2.txt)" 1
expect_error "bpe with min-count refused" "apply to word vocabularies" "$V" --src src.txt --tgt tgt.txt -o x.vocab --bpe 5 --min-count 2
expect_error "bad normalize value" "--normalize must be one of none, nfc, nfkc, got .nfd." "$V" --src src.txt --tgt tgt.txt -o x.vocab --normalize nfd
expect_error "missing -o" "needs -o VOCAB" "$V" --src src.txt --tgt tgt.txt

# word-vocabulary cuts, case folding, normalization forms
expect_ok "max-size" "$V" --src src.txt --tgt tgt.txt -o small.vocab --max-size 7
expect_eq "max-size caps each table" "$("$V" --show small.vocab | grep -o '^table [a-z]*: [0-9]* tokens' | tr '\n' ' ')" \
    "table src: 7 tokens table tgt: 7 tokens "
expect_ok "min-count" "$V" --src src.txt --tgt tgt.txt -o mc.vocab --min-count 2
expect_eq "min-count keeps words seen twice" "$(echo 'The dog ran.' | "$V" --encode mc.vocab --side src)" "▁The ▁dog ▁ <unk> ."
printf 'ﬁne CAFÉ\nx\nx\n' >nf.src
expect_ok "nfkc + lowercase" "$V" --src nf.src --tgt tgt.txt -o nf.vocab --normalize nfkc --lowercase --bpe 5
expect_eq "nfkc + lowercase applied" "$(printf 'ﬁne CAFÉ\n' | "$V" --encode nf.vocab --side src | "$V" --decode nf.vocab --side src)" "fine café"
expect_eq "settings shown" "$("$V" --show nf.vocab | grep -E '^(normalize|lowercase):' | tr '\n' ' ')" "normalize: nfkc lowercase: yes "

# the result does not depend on the number of threads
expect_ok "learn with 1 thread" "$V" --src src.txt --tgt tgt.txt -o t1.vocab --bpe 20 --threads 1
expect_ok "learn with 3 threads" "$V" --src src.txt --tgt tgt.txt -o t3.vocab --bpe 20 --threads 3
expect_eq "threads do not change the vocabulary" "$(cmp t1.vocab t3.vocab && echo same)" "same"

# --encode / --decode pipeline
printf 'The cat  ran.\n\tA dog  \nsa\xc3\x9f\n' >in.txt
"$V" --encode words.vocab --side src <in.txt >enc.txt 2>err.txt
expect_eq "encode: marker tokens" "$(head -1 enc.txt)" "▁The ▁cat ▁ ▁ran ."
expect_eq "encode: unknown word" "$(sed -n 3p enc.txt)" "▁ <unk>"
"$V" --encode joint.vocab --side src <in.txt >enc.txt 2>err.txt
"$V" --decode joint.vocab --side src <enc.txt >dec.txt 2>>err.txt
expect_eq "decode(encode(x)) == x" "$(cmp in.txt dec.txt && echo same)" "same"
expect_error "encode needs --side" "need --side" "$V" --encode joint.vocab
printf 'fine\nbad \xff here\n' | { "$V" --encode joint.vocab --side src >/dev/null 2>err.txt; echo $? >rc.txt; }
expect_eq "encode: invalid UTF-8 on stdin" "$(cat rc.txt) $(cat err.txt)" "1 nmt-vocab: <stdin>:2: invalid UTF-8 at byte 5"

# shared corpus: learn joint BPE on Multi30k and round-trip a whole file through the pipeline
M="$SHARED/corpora/multi30k"
if [ -f "$M/train.de" ]; then
    expect_ok "learn 8000 joint merges on Multi30k de-en" "$V" --src "$M/train.de" --tgt "$M/train.en" -o m30k.vocab --bpe 8000 --joint
    expect_eq "Multi30k: 8000 merges" "$(grep -c '' <(sed -n '/^merges /,$p' m30k.vocab)) $(grep '^merges ' m30k.vocab)" "8002 merges 8000"
    "$V" --encode m30k.vocab --side tgt <"$M/valid.en" | "$V" --decode m30k.vocab --side tgt >valid.rt
    expect_eq "Multi30k valid.en round trip" "$(cmp valid.rt "$M/valid.en" && echo same)" "same"
else
    skip "Multi30k" "no $M"
fi

# ---- bad input ----
printf 'one\ntwo\nbad \xc3\x28 here\nfour\n' >bad.src
printf 'eins\nzwei\ndrei\nvier\n' >four.tgt
expect_error "invalid UTF-8: FILE:LINE and byte" "^nmt-vocab: bad\.src:3: invalid UTF-8 at byte 5$" "$V" --src bad.src --tgt four.tgt -o bad.vocab
printf 'eins\nzwei\ndrei\n\xe0\x80\x80vier\n' >bad.tgt
expect_error "invalid UTF-8 on the target side" "bad\.tgt:4: invalid UTF-8 at byte 1" "$V" --src four.tgt --tgt bad.tgt -o bad.vocab
printf 'x\ny\nz\n' >three.src
expect_eq "no vocabulary written on error" "$(ls bad.vocab 2>/dev/null)" ""
expect_ok "skip-invalid goes on" "$V" --src bad.src --tgt four.tgt -o skip.vocab --skip-invalid
expect_eq "skip-invalid reports the count" "$(grep -c '4 line pairs, 3 used, 1 skipped for invalid UTF-8 (first: bad.src:3: invalid UTF-8 at byte 5)' err)" 1

cp joint.vocab keep.vocab
expect_error "unequal line counts name both files and counts" \
    "three\.src has 3 lines but four\.tgt has 4 lines" "$V" --src three.src --tgt four.tgt -o keep.vocab
expect_eq "an old vocabulary survives a failed run" "$(cmp keep.vocab joint.vocab && echo same)" "same"

printf '\xef\xbb\xbfHello world\r\nsecond line\r\nno newline at the end' >bom.src
printf 'Hallo Welt\nzweite Zeile\nkein Zeilenende' >bom.tgt
expect_ok "BOM, CRLF, missing final newline" "$V" --src bom.src --tgt bom.tgt -o bom.vocab
expect_eq "all three lines used" "$(grep -c '3 line pairs, 3 used' err)" 1
"$V" --show bom.vocab >bomshow.txt
expect_eq "no BOM or CR in tokens" "$(grep -c -e $'\xef\xbb\xbf' -e '\\r' -e $'\r' bomshow.txt)" 0
expect_eq "last line learned" "$(grep -cP '\t▁end$' bomshow.txt)" 1

printf 'a b\n\n   \nc d\n' >empty_lines.src
printf 'x\ny\nz\n\n' >empty_lines.tgt
expect_ok "empty lines" "$V" --src empty_lines.src --tgt empty_lines.tgt -o el.vocab
expect_eq "empty pairs left out and counted" "$(grep -c '4 line pairs, 1 used, 3 left out as empty' err)" 1

: >empty.src
: >empty.tgt
expect_error "empty files" "no usable line pairs in empty\.src and empty\.tgt \(0 line pairs, 0 used\)" \
    "$V" --src empty.src --tgt empty.tgt -o empty.vocab
expect_error "one empty file" "empty\.src has 0 lines but three\.src has 3 lines" "$V" --src empty.src --tgt three.src -o e.vocab
expect_error "missing file" "nosuch\.src: cannot open" "$V" --src nosuch.src --tgt three.src -o e.vocab

# a 10 MB line: learned from, encoded and decoded
{ echo "short line"; yes 'alpha beta  gamma über naïve 😀 x, y.' | head -c 10000000 | tr '\n' '\t'; echo; echo end; } >long.src
printf 'kurz\nlang\nende\n' >long.tgt
expect_ok "10 MB line: learn" "$V" --src long.src --tgt long.tgt -o long.vocab --bpe 50
sed -n 2p long.src >line2.txt
"$V" --encode long.vocab --side src <line2.txt | "$V" --decode long.vocab --side src >line2.rt
expect_eq "10 MB line: round trip" "$(wc -c <line2.txt) $(cmp line2.txt line2.rt && echo same)" "10000001 same"

# corrupt vocabularies
sed 's/^normalize nfc$/normalize nfx/' joint.vocab >corrupt.vocab
expect_error "edited vocabulary" "^nmt-vocab: corrupt\.vocab:[0-9]+: checksum mismatch" "$V" --show corrupt.vocab
head -c 100 joint.vocab >short.vocab
expect_error "truncated vocabulary" "short\.vocab:[0-9]+: truncated file" "$V" --show short.vocab
expect_error "not a vocabulary" "src\.txt:1: not an nmt vocabulary file" "$V" --show src.txt
expect_error "missing vocabulary" "nosuch\.vocab: cannot read" "$V" --show nosuch.vocab
