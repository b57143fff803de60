# CLI tests of nmt-train's signals: the first SIGTERM asks for a clean stop
# (a validation under way finishes first), a second one ends the process at
# once with the signal's status and leaves the files already written intact.
# The signals come at known updates: nmt-train's test hook NMT_TEST_SIGNAL_AT_UPDATE
# (src/train/trainer.c) raises them, so no check can pass on a run that finished first.
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

# nmt-train's test hook (src/train/trainer.c) raises the first SIGTERM right after update 5,
# before that update's validation: the note is then on stderr, the validation under way,
# and the second SIGTERM comes from here.
NMT_TEST_SIGNAL_AT_UPDATE=5 "$B/nmt-train" "${settings[@]}" --valid-src "$T/big.src" --valid-tgt "$T/big.tgt" \
    --valid-bleu -o "$T/m" --max-updates 100 2>"$T/err" &
pid=$!
note="stopping after this update and a checkpoint (a validation under way finishes first); a second signal ends it at once"
for _ in $(seq 1 2400); do grep -qF "$note" "$T/err" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
alive=$(kill -0 $pid 2>/dev/null && echo yes || echo no)
kill -TERM $pid 2>/dev/null
start=$SECONDS
for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
wait $pid
rc=$?
[ $alive = yes ] && grep -qF "$note" "$T/err" && grep -q "update 5 " "$T/err" && ! grep -q "update 10 " "$T/err" &&
    pass first_sigterm_after_update_5_lets_validation_go_on ||
    fail first_sigterm_after_update_5_lets_validation_go_on "alive $alive: $(tail -c 400 "$T/err")"
if [ $alive = yes ] && grep -q "validation at update 5" "$T/err"; then
    skip second_sigterm_ends_at_once "the validation took less than the time between the two signals"
elif [ $rc -eq 143 ] && [ $((SECONDS - start)) -le 5 ]; then
    pass second_sigterm_ends_at_once
else
    fail second_sigterm_ends_at_once "exit $rc after $((SECONDS - start)) s: $(tail -c 400 "$T/err")"
fi
intact=yes
for f in "" .last .ckpt; do cmp -s "$T/m$f" "$T/before$f" || intact=no; done
expect_eq files_intact_after_second_sigterm "$intact" yes
expect_ok files_still_load "$B/nmt-score" -m "$T/m" --src "$T/va.src" --tgt "$T/va.tgt" --quiet

# A single SIGTERM between validations, raised by the hook right after update 12 of 45
# (validations every 5): a clean stop with status 130 and a checkpoint of update 12 that
# --resume continues to the uninterrupted run's model, byte for byte.
quick=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 64 --hidden 96 --batch 40 --valid-every 5
       --seed 3 --threads 2 --max-updates 45)
"$B/nmt-train" "${quick[@]}" --quiet -o "$T/full" 2>/dev/null
NMT_TEST_SIGNAL_AT_UPDATE=12 "$B/nmt-train" "${quick[@]}" -o "$T/s" 2>"$T/err"
expect_eq single_sigterm_exit_status "$?" 130
grep -q "interrupted after 12 updates" "$T/err" && grep -q "continue with --resume" "$T/err" &&
    pass single_sigterm_stops_after_update_12_says_resume || fail single_sigterm_stops_after_update_12_says_resume "$(tail -c 400 "$T/err")"
if cmp -s "$T/full.last" "$T/s.last"; then fail interrupted_run_differs_from_full_run "the same .last as the full run"
else pass interrupted_run_differs_from_full_run; fi
# The resumed run must start from the interruption, or the comparison below would only
# compare the full run with itself.
if "$B/nmt-train" "${quick[@]}" --quiet -o "$T/s" --resume 2>"$T/err"; then
    if ! grep -qF "resuming from $T/s.ckpt at update 12" "$T/err"; then
        fail sigterm_then_resume_equals_uninterrupted "the resume did not start at update 12: $(head -c 400 "$T/err")"
    elif cmp -s "$T/full" "$T/s" && cmp -s "$T/full.last" "$T/s.last"; then
        pass sigterm_then_resume_equals_uninterrupted
    else
        fail sigterm_then_resume_equals_uninterrupted "the resumed run's files differ from the uninterrupted run's"
    fi
else
    fail sigterm_then_resume_equals_uninterrupted "resume failed: $(head -c 400 "$T/err")"
fi
# SIGINT (Ctrl-C) stops the same way.
NMT_TEST_SIGNAL_AT_UPDATE=7:INT "$B/nmt-train" "${quick[@]}" -o "$T/i" 2>"$T/err"
rc=$?
[ $rc -eq 130 ] && grep -q "interrupted after 7 updates" "$T/err" && pass sigint_stops_after_update_7 ||
    fail sigint_stops_after_update_7 "exit $rc: $(tail -c 400 "$T/err")"
# The hook refuses a value it cannot read rather than letting a test run uninterrupted.
expect_error test_hook_bad_value_refused "NMT_TEST_SIGNAL_AT_UPDATE=12:HUP: expected an update number" \
    env NMT_TEST_SIGNAL_AT_UPDATE=12:HUP "$B/nmt-train" "${quick[@]}" -o "$T/h"
