# CLI tests of nmt-train's signals: the first SIGTERM asks for a clean stop
# (a validation under way finishes first), a second one ends the process at
# once with the signal's status and leaves the files already written intact.
source "$(dirname "$0")/lib.sh"
toy_pairs || { fail vocab_for_signal_tests "nmt-vocab failed"; exit 0; }
toy=corpora/toy
# A validation set of 60,000 pairs with BLEU (greedy search of every line): about 10 s of
# validation on the project's 2-core machine, against 5 updates of well under a second.
for _ in 1 2 3; do cat $toy/train.src; done >"$T/big.src"
for _ in 1 2 3; do cat $toy/train.tgt; done >"$T/big.tgt"
settings=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 32 --hidden 64 --batch 40 --valid-every 5
          --disp-every 5 --threads 2 --seed 3)

# The files of an earlier run on the same -o, which the new run would replace after its
# first validation.
"$B/nmt-train" "${settings[@]}" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt" -o "$T/m" --max-updates 5 --quiet 2>/dev/null
for f in "" .last .ckpt; do cp "$T/m$f" "$T/before$f"; done

"$B/nmt-train" "${settings[@]}" --valid-src "$T/big.src" --valid-tgt "$T/big.tgt" --valid-bleu -o "$T/m" \
    --max-updates 100 2>"$T/err" &
pid=$!
# the progress line of update 5 comes just before the validation starts
for _ in $(seq 1 2400); do grep -q "update 5 " "$T/err" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
sleep 0.5
kill -TERM $pid 2>/dev/null
sleep 0.5
alive=$(kill -0 $pid 2>/dev/null && echo yes || echo no)
validated=$(grep -q "validation at update 5" "$T/err" && echo yes || echo no)
kill -TERM $pid 2>/dev/null
start=$SECONDS
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
wait $pid
rc=$?
if [ $validated = yes ]; then
    skip second_sigterm_ends_at_once "the validation took less than a second"
else
    [ $alive = yes ] && grep -q "stopping after this update and a checkpoint (a validation under way finishes first); a second signal ends it at once" "$T/err" &&
        pass first_sigterm_lets_validation_go_on || fail first_sigterm_lets_validation_go_on "$(tail -c 400 "$T/err")"
    if [ $rc -eq 143 ] && [ $((SECONDS - start)) -le 5 ]; then
        pass second_sigterm_ends_at_once
    else
        fail second_sigterm_ends_at_once "exit $rc after $((SECONDS - start)) s: $(tail -c 400 "$T/err")"
    fi
fi
intact=yes
for f in "" .last .ckpt; do cmp -s "$T/m$f" "$T/before$f" || intact=no; done
expect_eq files_intact_after_second_sigterm "$intact" yes
expect_ok files_still_load "$B/nmt-score" -m "$T/m" --src "$T/va.src" --tgt "$T/va.tgt" --quiet

# A single SIGTERM between validations: a clean stop with status 130 and a checkpoint
# that --resume continues to the uninterrupted run's model.
quick=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 64 --hidden 96 --batch 40 --valid-every 5
       --seed 3 --threads 2 --max-updates 45)
"$B/nmt-train" "${quick[@]}" --quiet -o "$T/full" 2>/dev/null
"$B/nmt-train" "${quick[@]}" -o "$T/s" 2>"$T/err" &
pid=$!
for _ in $(seq 1 1200); do [ -f "$T/s.ckpt" ] && break; sleep 0.05; done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if grep -q "interrupted after" "$T/err"; then
    expect_eq single_sigterm_exit_status "$rc" 130
    grep -q "continue with --resume" "$T/err" && pass single_sigterm_says_resume || fail single_sigterm_says_resume
else
    skip single_sigterm_exit_status "the run finished before the signal"
fi
if "$B/nmt-train" "${quick[@]}" --quiet -o "$T/s" --resume 2>"$T/err" && cmp -s "$T/full" "$T/s" &&
    cmp -s "$T/full.last" "$T/s.last"; then
    pass sigterm_then_resume_equals_uninterrupted
else
    fail sigterm_then_resume_equals_uninterrupted "$(head -c 400 "$T/err")"
fi
