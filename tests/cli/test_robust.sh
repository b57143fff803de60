# CLI tests of the data-safety guarantees: no output overwrites an input,
# one training run per MODEL, NUL bytes and line breaks never slip into
# lines, inputs read once (pipes, FIFOs, process substitution), messages
# that name the problem, and atomic writes that keep links and modes.
source "$(dirname "$0")/lib.sh"
toy=corpora/toy
head -n 200 $toy/train.src >"$T/a.src"
head -n 200 $toy/train.tgt >"$T/a.tgt"
"$B/nmt-vocab" --src "$T/a.src" --tgt "$T/a.tgt" -o "$T/V" 2>/dev/null || { fail vocab_for_robust_tests; exit 0; }
tiny=(--vocab "$T/V" --emb 8 --hidden 8 --batch 20 --quiet --threads 1)
"$B/nmt-train" "${tiny[@]}" --train-src "$T/a.src" --train-tgt "$T/a.tgt" -o "$T/M" --max-updates 2 2>/dev/null ||
    { fail model_for_robust_tests; exit 0; }
cd "$T" || exit 1

cp M keepM && cp V keepV && cp a.src keep.src
# Fresh inputs before each check, so one that fails cannot spoil the next.
restore() {
    cp keepM M && cp keepV V && rm -f same.src hard.src soft.src && cp keep.src same.src &&
        ln same.src hard.src && ln -s same.src soft.src
}
restore
# expect_kept NAME FILE COPY CMD...: the command fails saying "same file", and FILE still equals COPY.
expect_kept() {
    local name=$1 file=$2 copy=$3; shift 3
    if "$@" >out 2>err; then fail "$name" "succeeded"
    elif ! grep -q "same file" err; then fail "$name" "stderr was: $(head -c 300 err)"
    elif ! cmp -s "$file" "$copy"; then fail "$name" "$file was changed"
    else pass "$name"; fi
    restore
}

# 1. An output that is an input is refused before any work, naming both.
expect_kept translate_output_is_input same.src keep.src "$B/nmt-translate" -m M -i same.src -o same.src
expect_kept translate_output_is_input_dot_slash same.src keep.src "$B/nmt-translate" -m M -i same.src -o ./same.src
expect_kept translate_output_is_hard_link same.src keep.src "$B/nmt-translate" -m M -i hard.src -o same.src
expect_kept translate_output_is_symlink same.src keep.src "$B/nmt-translate" -m M -i same.src -o soft.src
expect_kept translate_output_is_stdin same.src keep.src "$B/nmt-translate" -m M -o same.src <same.src
expect_kept translate_attention_is_input same.src keep.src "$B/nmt-translate" -m M -i same.src --attention same.src
restore
"$B/nmt-translate" -m M -i same.src -o same.src 2>err
grep -q "same\.src.*same\.src" err && pass same_file_message_names_both || fail same_file_message_names_both "$(cat err)"
restore
expect_kept translate_output_is_model M keepM "$B/nmt-translate" -m M -i a.src -o M
expect_kept score_output_is_target same.src keep.src "$B/nmt-score" -m M --src a.src --tgt same.src -o same.src
expect_kept vocab_output_is_source same.src keep.src "$B/nmt-vocab" --src same.src --tgt a.tgt -o same.src
expect_kept train_output_is_vocab V keepV "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt -o V
expect_kept train_output_is_train_src same.src keep.src "$B/nmt-train" "${tiny[@]}" --train-src same.src --train-tgt a.tgt -o same.src
cp a.src m2.last
expect_kept train_last_is_input m2.last keep.src "$B/nmt-train" "${tiny[@]}" --train-src m2.last --train-tgt a.tgt -o m2
cp a.src m3.ckpt
expect_kept train_ckpt_is_input m3.ckpt keep.src "$B/nmt-train" "${tiny[@]}" --train-src m3.ckpt --train-tgt a.tgt -o m3
cp a.src m4.u10
expect_kept train_snapshot_is_input m4.u10 keep.src "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt \
    --valid-src m4.u10 --valid-tgt a.tgt --valid-every 10 --keep-snapshots --max-updates 10 -o m4
expect_kept train_log_is_input same.src keep.src "$B/nmt-train" "${tiny[@]}" --train-src same.src --train-tgt a.tgt --log same.src -o m5
[ ! -e m2 ] && [ ! -e m3 ] && [ ! -e m4 ] && [ ! -e m5 ] && pass train_refuses_before_any_work || fail train_refuses_before_any_work
cp M M1 && cp M M2 && ln -s M1 M1.link
expect_kept average_output_is_input_by_symlink M1 keepM "$B/nmt-average" -o M1.link M1 M2
expect_ok translate_new_output_is_fine "$B/nmt-translate" -m M -i a.src -o fresh.out --quiet

# 2. One training run per MODEL: the second names the first; kill -9 leaves no stale lock.
# The first runs until killed (--epochs 0: no limit; the default 10 epochs of 200 pairs
# end in under a second, and the checks below would then race its end).
"$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt -o L --epochs 0 --max-updates 100000000 2>/dev/null &
first=$!
for _ in $(seq 1 400); do [ -s L.lock ] && break; sleep 0.05; done
expect_error second_run_refused "L\.lock.*pid $first" "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt -o L --max-updates 1
expect_error second_resume_refused "pid $first" "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt -o L --max-updates 1 --resume
kill -9 $first 2>/dev/null
wait $first 2>/dev/null
expect_ok run_after_kill9_not_locked "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt -o L --max-updates 1 --resume

# 4. NUL bytes are refused as FILE:LINE; no token makes two lines of one; --decode wants UTF-8.
printf 'ein Hund\nab\0cd\n' >nul.src
printf 'a dog\nab cd\n' >nul.tgt
expect_error translate_nul_byte "nul\.src:2: NUL byte" "$B/nmt-translate" -m M -i nul.src
expect_error score_nul_byte "nul\.src:2: NUL byte" "$B/nmt-score" -m M --src nul.src --tgt nul.tgt
expect_error train_nul_byte "nul\.src:2: NUL byte" "$B/nmt-train" "${tiny[@]}" --train-src nul.src --train-tgt nul.tgt -o n1
expect_error vocab_nul_byte "nul\.src:2: NUL byte" "$B/nmt-vocab" --src nul.src --tgt nul.tgt -o n2
expect_error encode_nul_byte "<stdin>:2: NUL byte" "$B/nmt-vocab" --encode V --side src <nul.src
expect_error bleu_nul_byte "nul\.src:2: NUL byte" "$B/nmt-bleu" -i nul.src nul.tgt
printf '\xe2\x96\x81a \\n b\n' >nl.tok
expect_error decode_newline_token "<stdin>:1: .*line break" "$B/nmt-vocab" --decode V --side src <nl.tok
"$B/nmt-vocab" --decode V --side src --skip-invalid <nl.tok >nl.out 2>/dev/null
expect_eq decode_skip_invalid_one_line "$(wc -l <nl.out)" 1
printf 'x\\x00y\n' | "$B/nmt-vocab" --decode V --side src >/dev/null 2>err && fail decode_nul_escape ||
    { grep -q "NUL" err && pass decode_nul_escape || fail decode_nul_escape "$(cat err)"; }
expect_error decode_invalid_utf8 "<stdin>:2: invalid UTF-8 at byte 3" "$B/nmt-vocab" --decode V --side src < <(printf 'ok\nab\xff\n')
expect_error decode_escape_invalid_utf8 "invalid UTF-8" "$B/nmt-vocab" --decode V --side src < <(printf 'a\\xff\n')

# 5. Inputs are read once: FIFOs and process substitution work everywhere.
mkfifo f.src f.tgt
cat a.src >f.src & cat a.tgt >f.tgt &
if timeout 20 "$B/nmt-vocab" --src f.src --tgt f.tgt -o Vf 2>err && cmp -s Vf V; then pass vocab_from_fifos
else fail vocab_from_fifos "$(head -c 300 err)"; kill %1 %2 2>/dev/null; fi
wait
timeout 60 "$B/nmt-train" "${tiny[@]}" --train-src <(cat a.src) --train-tgt <(cat a.tgt) --valid-src <(head -20 a.src) \
    --valid-tgt <(head -20 a.tgt) --valid-metric bleu --valid-every 1 --max-updates 2 -o P 2>err
grep -q "training data: 200 line pairs, 200 used" err && grep -q "validation data: 20 line pairs, 20 used" err &&
    [ -s P ] && pass train_from_process_substitution || fail train_from_process_substitution "$(head -c 300 err)"
"$B/nmt-score" -m M --src a.src --tgt a.tgt --quiet >s.file 2>/dev/null
timeout 30 "$B/nmt-score" -m M --src <(cat a.src) --tgt <(cat a.tgt) --quiet >s.pipe 2>err
cmp -s s.file s.pipe && [ -s s.pipe ] && pass score_from_process_substitution || fail score_from_process_substitution "$(head -c 300 err)"
expect_error score_pipe_line_counts "199 lines" "$B/nmt-score" -m M --src <(cat a.src) --tgt <(head -199 a.tgt)
timeout 30 "$B/nmt-score" -m M --src - --tgt <(cat a.tgt) --quiet <a.src >s.stdin 2>err
cmp -s s.file s.stdin && pass score_src_from_stdin || fail score_src_from_stdin "$(head -c 300 err)"

# 7. Messages that say what is wrong.
mkdir -p adir
expect_error model_is_directory "^nmt-translate: adir: not a regular file \(a directory\)$" "$B/nmt-translate" -m adir -i a.src
expect_error vocab_is_directory "adir: .*[Ii]s a directory" "$B/nmt-train" --vocab adir --train-src a.src --train-tgt a.tgt -o d1
expect_error train_src_is_directory "adir: .*[Ii]s a directory" "$B/nmt-train" "${tiny[@]}" --train-src adir --train-tgt a.tgt -o d1
# A model that is no regular file is refused before a byte is read: /dev/zero was read until
# memory ran out, a FIFO without a writer blocked. Each run gets 10 s and, outside sanitizer
# builds (which reserve terabytes of address space), 4 GB of memory.
limited() {
    if [ "${NMT_SAN:-0}" = 1 ]; then timeout 10 "$@"; else (ulimit -v 4000000 && exec timeout 10 "$@"); fi
}
mkfifo m.fifo
expect_error model_dev_zero "^nmt-translate: /dev/zero: not a regular file \(a character device\)$" \
    limited "$B/nmt-translate" -m /dev/zero -i a.src
expect_error model_fifo "^nmt-translate: m\.fifo: not a regular file \(a FIFO\)$" limited "$B/nmt-translate" -m m.fifo -i a.src
expect_error score_model_dev_zero "^nmt-score: /dev/zero: not a regular file" \
    limited "$B/nmt-score" -m /dev/zero --src a.src --tgt a.tgt
expect_error model_missing_says_why "^nmt-translate: nope: cannot open: No such file or directory$" \
    "$B/nmt-translate" -m nope -i a.src
# The products' settings in the environment: the tools refuse a bad one at start, naming it.
expect_error env_gemm_bogus "^nmt: NMT_GEMM=bogus: expected openblas or dnnl$" \
    env NMT_GEMM=bogus "$B/nmt-translate" -m M -i a.src
expect_error env_gemm_precision_fp16 "^nmt: NMT_GEMM_PRECISION=fp16: expected fp32, bf16 or int8$" \
    env NMT_GEMM_PRECISION=fp16 "$B/nmt-score" -m M --src a.src --tgt a.tgt
if [ -w /dev/full ]; then
    expect_error vocab_dev_full "^nmt-vocab: /dev/full: write failed" "$B/nmt-vocab" --src a.src --tgt a.tgt -o /dev/full
    grep -q "(null)" err && fail vocab_dev_full_no_null "$(cat err)" || pass vocab_dev_full_no_null
    expect_error translate_dev_full_names_path "/dev/full: .*write" "$B/nmt-translate" -m M -i a.src -o /dev/full
    expect_error translate_stdout_full_names_it "<stdout>: .*write" sh -c "\"$B/nmt-translate\" -m M -i a.src >/dev/full"
    expect_error score_dev_full_names_path "/dev/full: .*write" "$B/nmt-score" -m M --src a.src --tgt a.tgt -o /dev/full
    expect_error average_dev_full "/dev/full: write failed" "$B/nmt-average" -o /dev/full M M
else
    skip dev_full_messages "no writable /dev/full"
fi
for tool in nmt-translate nmt-score nmt-train; do
    expect_error "${tool}_unknown_flag_alone" "unknown option --bogus" "$B/$tool" --bogus
done
expect_error valid_metric_bleu_needs_valid_set "--valid-metric bleu needs a validation set" \
    "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt --valid-metric bleu -o d2
expect_error valid_bleu_needs_valid_set "--valid-bleu needs a validation set" \
    "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt --valid-bleu -o d2
expect_error max_updates_zero_refused "--max-updates 0" \
    "$B/nmt-train" "${tiny[@]}" --train-src a.src --train-tgt a.tgt --max-updates 0 -o d2
[ ! -e d1 ] && [ ! -e d2 ] && pass no_model_after_refused_flags || fail no_model_after_refused_flags

# 8. Atomic writes: through a symlink, keeping the mode; stale temporary files cleaned up.
cp V target.vocab && ln -s target.vocab link.vocab && chmod 600 target.vocab
"$B/nmt-vocab" --src a.src --tgt a.tgt --bpe 5 -o link.vocab 2>/dev/null
[ -L link.vocab ] && grep -q "^bpe 5" target.vocab && pass atomic_write_keeps_symlink ||
    fail atomic_write_keeps_symlink "$(ls -l link.vocab target.vocab)"
expect_eq atomic_write_keeps_mode "$(stat -c %a target.vocab)" 600
cp V plain.vocab && chmod 640 plain.vocab
"$B/nmt-vocab" --src a.src --tgt a.tgt --bpe 4 -o plain.vocab 2>/dev/null
grep -q "^bpe 4" plain.vocab && expect_eq atomic_write_keeps_mode_of_file "$(stat -c %a plain.vocab)" 640
(umask 027 && "$B/nmt-vocab" --src a.src --tgt a.tgt -o new.vocab 2>/dev/null)
expect_eq new_file_mode_follows_umask "$(stat -c %a new.vocab)" 640
mkdir -p sub && ln -s ../V sub/up.vocab && cp V V.before
"$B/nmt-vocab" --src a.src --tgt a.tgt --bpe 3 -o sub/up.vocab 2>/dev/null
[ -L sub/up.vocab ] && grep -q "^bpe 3" V && pass atomic_write_relative_symlink || fail atomic_write_relative_symlink
cp V.before V
sleep 0 & dead=$!
wait $dead
: >".M.tmp.$dead"
: >".M.tmp.$$"
"$B/nmt-average" -o M M1 M2 2>/dev/null
[ ! -e ".M.tmp.$dead" ] && pass stale_temp_of_dead_process_removed || fail stale_temp_of_dead_process_removed
[ -e ".M.tmp.$$" ] && pass temp_of_live_process_kept || fail temp_of_live_process_kept
rm -f ".M.tmp.$$"
expect_eq no_temp_files_left "$(ls -A | grep -c '\.tmp\.')" 0

# A write that fails names the file and the reason.
if [ -w /dev/full ]; then
    expect_error score_alignment_out_full "^nmt-score: /dev/full: cannot write the alignments: No space left on device$" \
        "$B/nmt-score" -m M --src a.src --tgt a.tgt --alignment hard --alignment-out /dev/full --quiet
    printf '0-0\n' >h.al
    printf '1-1\n' >g.talp
    head -n 1 a.src >one.src
    expect_error align_score_stdout_full "^nmt-align: cannot write standard output: No space left on device$" \
        sh -c "'$B/nmt-align' --score g.talp --hyp h.al >/dev/full"
    expect_error vocab_encode_stdout_full "^nmt-vocab: cannot write standard output: No space left on device$" \
        sh -c "'$B/nmt-vocab' --encode V --side src <one.src >/dev/full"
else
    skip write_errors_named "/dev/full is not writable here"
fi

# 9. nmt-score --gold-alignment: nmt-align --score's reader and checks (one line per pair,
# every link inside its line's words), refused before anything is scored or written.
awk 'NR == FNR { n[NR] = NF; next } { print "1-1 " n[FNR] "p" NF }' a.src a.tgt >gold.talp
gold_score() { "$B/nmt-score" -m M --src a.src --tgt a.tgt --attention g.html --quiet -o g.out --gold-alignment "$@"; }
expect_ok score_gold_that_fits gold_score gold.talp
grep -q "possible: 1" g.html && pass score_gold_marked || fail score_gold_marked
rm -f g.html g.out
last7=$(awk 'NR == 7 { print NF }' a.tgt)
awk -v t=$((last7 + 1)) 'NR == 7 { $0 = $0 " 1-" t } { print }' gold.talp >beyond.talp
expect_error score_gold_link_beyond_words \
    "beyond\.talp:7: link 1-$((last7 + 1)): target index $((last7 + 1)) is beyond the $last7 target tokens" \
    gold_score beyond.talp
[ ! -e g.html ] && [ ! -e g.out ] && pass score_gold_refused_before_output || fail score_gold_refused_before_output
head -n 199 gold.talp >short.talp
expect_error score_gold_fewer_lines "line counts differ: short\.talp has 199 lines, a\.src has 200" gold_score short.talp
{ cat gold.talp; echo "1-1"; } >long.talp
expect_error score_gold_more_lines "line counts differ: long\.talp has 201 lines, a\.src has 200" gold_score long.talp
[ ! -e g.html ] && [ ! -e g.out ] && pass score_gold_counts_refused_before_output ||
    fail score_gold_counts_refused_before_output
timeout 30 "$B/nmt-score" -m M --src - --tgt a.tgt --attention g.html --quiet --gold-alignment beyond.talp <a.src \
    >/dev/null 2>err
grep -q "beyond\.talp:7: link" err && pass score_gold_checked_against_stdin || fail score_gold_checked_against_stdin "$(head -c 300 err)"
rm -f g.html g.out
