# CLI tests of what --resume trains on: the checkpoint records its data (DATA
# section), so another training file, vocabulary, --max-len or a dropped
# validation set is refused, naming each; the same bytes at other paths (or
# through a pipe) resume to the uninterrupted run's model; a checkpoint
# written before the section existed still resumes.
source "$(dirname "$0")/lib.sh"
toy_pairs || { fail vocab_for_resume_tests "nmt-vocab failed"; exit 0; }
settings=(--emb 16 --hidden 24 --batch 40 --shard-size 16 --dropout 0.2 --valid-every 10 --seed 7 --threads 2 --quiet)
data=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt")

"$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/full" --max-updates 30 2>/dev/null
"$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/r" --max-updates 20 2>/dev/null
for f in "" .last .ckpt; do cp "$T/r$f" "$T/r20$f"; done

# (a) Another training target with the same number of lines: refused, naming it.
sed '5s/$/ shä/' "$T/tr.tgt" >"$T/t2.tgt" # a word the line already has
other=("${data[@]}")
other[5]="$T/t2.tgt"
expect_error resume_other_train_tgt_refused "r\.ckpt: --resume with other data than the run that wrote it:" \
    "$B/nmt-train" "${other[@]}" "${settings[@]}" -o "$T/r" --max-updates 30 --resume
grep -Eq -- "^  --train-tgt .*/t2\.tgt differs: [0-9]+ bytes, hash [0-9a-f]{16} \(the checkpoint's run: [0-9]+ bytes, hash [0-9a-f]{16}\)$" "$T/err" &&
    grep -q "^resume with the same files or train a new model with another -o$" "$T/err" && ! grep -q -- "--train-src" "$T/err" &&
    pass refusal_names_only_the_differing_file || fail refusal_names_only_the_differing_file "$(cat "$T/err")"

# (b) Another vocabulary of the same size (token counts differ): refused, naming the file.
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/t2.tgt" -o "$T/V2" 2>/dev/null
expect_eq other_vocabulary_has_the_same_size "$("$B/nmt-vocab" --show "$T/V2" | grep ' tokens, ')" \
    "$("$B/nmt-vocab" --show "$T/V" | grep ' tokens, ')"
cmp -s "$T/V" "$T/V2" && fail other_vocabulary_differs || pass other_vocabulary_differs
other=("${data[@]}")
other[1]="$T/V2"
expect_error resume_other_vocab_refused "^  --vocab .*/V2 differs: [0-9]+ bytes, hash [0-9a-f]{16} \(the checkpoint's vocabulary: " \
    "$B/nmt-train" "${other[@]}" "${settings[@]}" -o "$T/r" --max-updates 30 --resume

# Other ways of training on other pairs: --max-len, or no validation set.
expect_error resume_other_max_len_refused "the training data differs: .*the files are the same, so --max-len must be another" \
    "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/r" --max-updates 30 --resume --max-len 8
expect_error resume_without_validation_refused "^  --valid-src is not given \(the checkpoint's run read [0-9]+ bytes" \
    "$B/nmt-train" "${data[@]:0:6}" "${settings[@]}" -o "$T/r" --max-updates 30 --resume
cmp -s "$T/r.ckpt" "$T/r20.ckpt" && cmp -s "$T/r.last" "$T/r20.last" && pass refused_resumes_changed_nothing ||
    fail refused_resumes_changed_nothing

# (c) The same bytes elsewhere: copies in another folder, the target through a pipe.
mkdir -p "$T/moved"
for f in V tr.src va.src va.tgt; do cp "$T/$f" "$T/moved/$f"; done
if "$B/nmt-train" --vocab "$T/moved/V" --train-src "$T/moved/tr.src" --train-tgt <(cat "$T/tr.tgt") \
    --valid-src "$T/moved/va.src" --valid-tgt "$T/moved/va.tgt" "${settings[@]}" -o "$T/r" --max-updates 30 --resume 2>"$T/err" &&
    cmp -s "$T/full" "$T/r" && cmp -s "$T/full.last" "$T/r.last"; then
    pass resume_same_content_other_paths_equals_uninterrupted
else
    fail resume_same_content_other_paths_equals_uninterrupted "$(head -c 600 "$T/err")"
fi
expect_ok resume_without_vocab_flag "$B/nmt-train" "${data[@]:2}" "${settings[@]}" -o "$T/r" --max-updates 31 --resume

# (d) A checkpoint of an earlier nmt-train, without the DATA section: it resumes (with a
# note) to the uninterrupted run's model, and another vocabulary is still refused.
strip_data() { # IN OUT: the model file without its DATA section
    perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!"; binmode $f; my $d = <$f>;
        my ($n, $pos, $kept, $out) = (unpack("V", substr($d, 12, 4)), 16, 0, "");
        for (1 .. $n) {
            my ($tag, $len) = (substr($d, $pos, 4), unpack("Q<", substr($d, $pos + 4, 8)));
            my $section = substr($d, $pos, 16 + $len);
            $pos += 16 + $len;
            next if $tag eq "DATA";
            $out .= $section;
            $kept++;
        }
        binmode STDOUT; print substr($d, 0, 12), pack("V", $kept), $out' "$1" >"$2"
}
if ! command -v perl >/dev/null 2>&1; then
    skip old_checkpoint_resumes "perl is not installed"
else
    for f in "" .last; do cp "$T/r20$f" "$T/old$f"; done
    strip_data "$T/r20.ckpt" "$T/old.ckpt"
    [ "$(wc -c <"$T/old.ckpt")" -lt "$(wc -c <"$T/r20.ckpt")" ] && pass data_section_stripped || fail data_section_stripped
    other=("${data[@]}")
    other[1]="$T/V2"
    expect_error old_checkpoint_refuses_other_vocab "^  --vocab .*/V2 differs" \
        "$B/nmt-train" "${other[@]}" "${settings[@]}" -o "$T/old" --max-updates 30 --resume
    if "$B/nmt-train" "${data[@]}" "${settings[@]}" -o "$T/old" --max-updates 30 --resume 2>"$T/err" &&
        cmp -s "$T/full" "$T/old" && cmp -s "$T/full.last" "$T/old.last"; then
        pass old_checkpoint_resumes_equals_uninterrupted
    else
        fail old_checkpoint_resumes_equals_uninterrupted "$(head -c 600 "$T/err")"
    fi
    grep -q "old\.ckpt was written before checkpoints recorded their data: the training and validation files are not compared" "$T/err" &&
        pass old_checkpoint_noted || fail old_checkpoint_noted "$(cat "$T/err")"
fi
