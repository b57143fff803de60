# CLI tests of nmt-train under mpirun: the same model bytes as one process for
# any number of ranks (more ranks than shards too), both ways of summing the
# gradients on one host (in memory the ranks share, the default, and the chain
# of messages that hosts use, forced by NMT_DIST_SHARED=0 or when the shared
# memory cannot be made), the reduction overlapping
# the backward pass, kill -9 of one rank then
# --resume with another number of ranks, a clean stop on SIGTERM to one rank
# (both at a known update, raised by nmt-train's test hook NMT_TEST_SIGNAL_AT_UPDATE),
# and the start-up agreement check.
source "$(dirname "$0")/lib.sh"
if ! command -v mpirun >/dev/null 2>&1; then
    skip mpi "mpirun not found (make installs openmpi-bin through scripts/deps.sh)"
    exit 0
fi
# What this test needs from Open MPI, set here and not in the user's environment:
# running as root (CI and containers), no ssh (every rank on this host), more
# ranks than cores, and no single-copy shared memory (often denied in containers).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpi=(mpirun --oversubscribe --bind-to none --mca plm isolated --mca btl_vader_single_copy_mechanism none)
if [ "${NMT_SAN:-0}" = 1 ]; then
    # libmpi's plug-ins are unloaded before LeakSanitizer looks, so their
    # start-up allocations show as leaks of unknown modules that no
    # suppression can name: leak checking is off for the ranks under mpirun
    # (AddressSanitizer and UndefinedBehaviorSanitizer stay on; the runs of
    # one process here keep leak checking).
    mpi=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "${mpi[@]}")
fi
toy=corpora/toy
head -n 600 $toy/train.src >"$T/tr.src"
head -n 600 $toy/train.tgt >"$T/tr.tgt"
head -n 60 $toy/valid.src >"$T/va.src"
head -n 60 $toy/valid.tgt >"$T/va.tgt"
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/V" 2>/dev/null || { fail vocab_for_mpi_tests "nmt-vocab failed"; exit 0; }
# batch 40 in shards of 8: 5 shards, so 6 ranks leave one rank without any
common=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt"
        --emb 16 --hidden 24 --batch 40 --shard-size 8 --dropout 0.2 --label-smoothing 0.1 --valid-every 10 --seed 7
        --ema 0.99 --lr-warmup 5 --threads 1 --max-updates 24)

"$B/nmt-train" "${common[@]}" -o "$T/one" 2>"$T/err" || fail single_process_reference "$(tail -3 "$T/err")"
# On one host the ranks share the weights and their gradient buffers (they
# say so in their closing line): the same bytes for every number of ranks
shared_line="gradient reduction over [0-9]* processes in shared memory: "
for P in 1 2 3 4 6; do
    if timeout 300 "${mpi[@]}" -np $P "$B/nmt-train" "${common[@]}" -o "$T/np$P" 2>"$T/err" &&
        cmp -s "$T/one" "$T/np$P" && cmp -s "$T/one.last" "$T/np$P.last" &&
        { [ $P = 1 ] || grep -q "$shared_line" "$T/err"; }; then
        pass "np${P}_same_model_as_one_process"
    else
        fail "np${P}_same_model_as_one_process" "$(tail -5 "$T/err")"
    fi
done
# NMT_DIST_SHARED=0: the chain of messages, as across hosts; the same bytes
for P in 2 3; do
    if NMT_DIST_SHARED=0 timeout 300 "${mpi[@]}" -np $P "$B/nmt-train" "${common[@]}" -o "$T/chain$P" 2>"$T/cerr" &&
        cmp -s "$T/one" "$T/chain$P" && cmp -s "$T/one.last" "$T/chain$P.last" &&
        grep -q "gradient reduction over $P processes: .* chunks passed on" "$T/cerr" && ! grep -q "$shared_line" "$T/cerr"; then
        pass "np${P}_chain_of_messages_same_model_as_one_process"
    else
        fail "np${P}_chain_of_messages_same_model_as_one_process" "$(tail -5 "$T/cerr")"
    fi
done
# Shared memory that cannot be made (Open MPI's backing directory missing
# here): rank 0 says why, once, and the chain gives the same bytes
if timeout 300 "${mpi[@]}" -x OMPI_MCA_osc_sm_backing_directory="$T/no-such-dir" -np 2 "$B/nmt-train" "${common[@]}" \
    -o "$T/noshm" 2>"$T/nerr" && cmp -s "$T/one" "$T/noshm" && cmp -s "$T/one.last" "$T/noshm.last" &&
    [ "$(grep -c "no shared memory between the ranks" "$T/nerr")" = 1 ] &&
    grep -q "rank 0 of 2): no shared memory between the ranks (.*no-such-dir: No such file or directory): the gradients and weights go through messages instead" "$T/nerr" &&
    ! grep -q "$shared_line" "$T/nerr"; then
    pass shared_memory_refused_says_why_once_then_chain_same_model
else
    fail shared_memory_refused_says_why_once_then_chain_same_model "$(grep -v "data:" "$T/nerr" | head -5)"
fi
# multi-head attention: the same bytes for 2 ranks as for one process
heads=(--heads 4 --att-dim 16 --max-updates 12)
"$B/nmt-train" "${common[@]}" "${heads[@]}" -o "$T/h1" 2>"$T/herr" || fail heads_single_process "$(tail -3 "$T/herr")"
if timeout 300 "${mpi[@]}" -np 2 "$B/nmt-train" "${common[@]}" "${heads[@]}" -o "$T/h2" 2>"$T/herr" &&
    grep -aq "^heads=4$" "$T/h1" && cmp -s "$T/h1" "$T/h2" && cmp -s "$T/h1.last" "$T/h2.last"; then
    pass np2_heads_4_same_model_as_one_process
else
    fail np2_heads_4_same_model_as_one_process "$(tail -5 "$T/herr")"
fi
# the alignment layer (its tensors last, its gradient clipped by its own norm, whose
# partial sums the ranks gather beside the translation model's): the same bytes for 3 ranks
al=(--alignment-layer --alignment-layer-weight 20 --max-updates 12)
"$B/nmt-train" "${common[@]}" "${al[@]}" -o "$T/al1" 2>"$T/alerr" || fail alignment_layer_single_process "$(tail -3 "$T/alerr")"
if timeout 300 "${mpi[@]}" -np 3 "$B/nmt-train" "${common[@]}" "${al[@]}" -o "$T/al3" 2>"$T/alerr" &&
    grep -aq "^alignment_layer=1$" "$T/al1" && cmp -s "$T/al1" "$T/al3" && cmp -s "$T/al1.last" "$T/al3.last"; then
    pass np3_alignment_layer_same_model_as_one_process
else
    fail np3_alignment_layer_same_model_as_one_process "$(tail -5 "$T/alerr")"
fi
# BPE-dropout (each rank segments every pair of an epoch the same way): the same
# bytes for 3 ranks, over an epoch boundary (15 updates per epoch)
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint --bpe 150 -o "$T/VB" 2>/dev/null
bd=(--vocab "$T/VB" --bpe-dropout 0.2 --max-updates 20)
"$B/nmt-train" "${common[@]}" "${bd[@]}" -o "$T/bd1" 2>"$T/bderr" || fail bpe_dropout_single_process "$(tail -3 "$T/bderr")"
if timeout 300 "${mpi[@]}" -np 3 "$B/nmt-train" "${common[@]}" "${bd[@]}" -o "$T/bd3" 2>"$T/bderr" &&
    grep -aq "^bpe_dropout=0\.2" "$T/bd1.ckpt" && cmp -s "$T/bd1" "$T/bd3" && cmp -s "$T/bd1.last" "$T/bd3.last"; then
    pass np3_bpe_dropout_same_model_as_one_process
else
    fail np3_bpe_dropout_same_model_as_one_process "$(tail -5 "$T/bderr")"
fi
# ranks on several hosts each take the whole optimizer step instead of a
# slice of it (forced here on one host): the same bytes again
if NMT_SHARD_OPTIMIZER=0 timeout 300 "${mpi[@]}" -np 3 "$B/nmt-train" "${common[@]}" -o "$T/np3r" 2>"$T/rerr" &&
    cmp -s "$T/one" "$T/np3r" && cmp -s "$T/one.last" "$T/np3r.last"; then
    pass np3_whole_optimizer_step_on_every_rank_same_model
else
    fail np3_whole_optimizer_step_on_every_rank_same_model "$(tail -5 "$T/rerr")"
fi
# layer-normalized GRUs: the same bytes over 3 ranks as in one process
"$B/nmt-train" "${common[@]}" --layer-norm -o "$T/one_ln" 2>"$T/err_ln" || fail single_process_layer_norm "$(tail -3 "$T/err_ln")"
if timeout 300 "${mpi[@]}" -np 3 "$B/nmt-train" "${common[@]}" --layer-norm -o "$T/np3_ln" 2>"$T/err_ln" &&
    grep -aq "^layer_norm=1$" "$T/one_ln.last" && cmp -s "$T/one_ln" "$T/np3_ln" && cmp -s "$T/one_ln.last" "$T/np3_ln.last"; then
    pass np3_layer_norm_same_model_as_one_process
else
    fail np3_layer_norm_same_model_as_one_process "$(tail -5 "$T/err_ln")"
fi
grep -q "rank 0 of 6" "$T/err" && grep -q "gradient reduction over 6 processes" "$T/err" &&
    pass ranks_name_themselves_and_report_reduction || fail ranks_name_themselves_and_report_reduction "$(tail -3 "$T/err")"
# a deep model (--enc-depth, --dec-depth: dropout between the layers, drawn
# per shard as every mask is), layer-normalized, with 4 heads: the same
# bytes on 3 ranks as in one process
deep=(--enc-depth 2 --dec-depth 2 --decoder cgru --layer-norm --heads 4 --att-dim 16)
"$B/nmt-train" "${common[@]}" "${deep[@]}" -o "$T/deep1" 2>"$T/err" || fail deep_single_process_reference "$(tail -3 "$T/err")"
if timeout 300 "${mpi[@]}" -np 3 "$B/nmt-train" "${common[@]}" "${deep[@]}" -o "$T/deep3" 2>"$T/err" &&
    cmp -s "$T/deep1" "$T/deep3" && cmp -s "$T/deep1.last" "$T/deep3.last"; then
    pass np3_deep_layer_norm_4_heads_model_same_as_one_process
else
    fail np3_deep_layer_norm_4_heads_model_same_as_one_process "$(tail -5 "$T/err")"
fi

# kill -9 on one rank in the middle of a run: the job ends, the checkpoint is
# intact, and --resume with another number of ranks ends with the same bytes.
# nmt-train's test hook (src/train/trainer.c) makes rank 1 raise SIGKILL in
# itself right after update 32 of 60, so the kill always comes mid-run, after
# the checkpoint of update 30 and before that of update 35. Both runs share
# the weights and the gradient buffers in memory (one host, the default): a
# rank killed while the others read its gradients ends the job all the same.
big=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 64 --hidden 96 --batch 40 --shard-size 8
     --valid-every 5 --seed 3 --threads 1 --max-updates 60)
"$B/nmt-train" "${big[@]}" -o "$T/full" 2>/dev/null
timeout 300 "${mpi[@]}" -x NMT_TEST_SIGNAL_AT_UPDATE=32:KILL -x NMT_TEST_SIGNAL_RANK=1 -np 3 \
    "$B/nmt-train" "${big[@]}" -o "$T/k" 2>"$T/kerr"
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -Eq "rank 1 .*signal 9|signal 9.*rank 1|rank 1 with PID" "$T/kerr" &&
    pass kill9_one_rank_ends_job_with_message || fail kill9_one_rank_ends_job_with_message "exit $rc: $(head -c 600 "$T/kerr")"
# The resume must start from the checkpoint before the kill, or the comparison
# would only compare the full run with itself.
if timeout 300 "${mpi[@]}" -np 2 "$B/nmt-train" "${big[@]}" -o "$T/k" --resume 2>"$T/err"; then
    if ! grep -qF "resuming from $T/k.ckpt at update 30" "$T/err"; then
        fail kill9_then_resume_with_other_np_equals_uninterrupted "the resume did not start at update 30: $(head -c 400 "$T/err")"
    elif cmp -s "$T/full.last" "$T/k.last" && cmp -s "$T/full" "$T/k"; then
        pass kill9_then_resume_with_other_np_equals_uninterrupted
    else
        fail kill9_then_resume_with_other_np_equals_uninterrupted "the resumed run's files differ from the uninterrupted run's"
    fi
else
    fail kill9_then_resume_with_other_np_equals_uninterrupted "$(tail -3 "$T/err")"
fi

# In shared memory rank 0 sums the blocks of its slice (the end of the
# parameters, the output layer) that both ranks have final while its last
# shard's backward pass goes on (rank 1, with 2 shards to rank 0's 3, is done
# by then): at least one per update on average (of 5 per update).
line=$(grep -o "in shared memory: [0-9.]* ms per update after the backward pass ([0-9]* of [0-9]* blocks" "$T/err")
if [[ $line =~ \(([0-9]+)\ of\ ([0-9]+)\ blocks ]] && [ "${BASH_REMATCH[1]}" -ge 30 ] &&
    [ "${BASH_REMATCH[2]}" -eq $((30 * 5)) ]; then
    pass shared_sum_overlaps_the_backward_pass
else
    fail shared_sum_overlaps_the_backward_pass "$(grep "gradient reduction" "$T/err")"
fi

# SIGTERM to one rank (the hook on rank 1, right after update 17): every rank
# stops after that update with a checkpoint; one process resumes it to the same
# bytes. This run takes the chain of messages (NMT_DIST_SHARED=0), whose
# overlap with the backward pass the tests after it measure.
NMT_DIST_SHARED=0 timeout 300 "${mpi[@]}" -x NMT_TEST_SIGNAL_AT_UPDATE=17 -x NMT_TEST_SIGNAL_RANK=1 -np 2 \
    "$B/nmt-train" "${big[@]}" -o "$T/s" 2>"$T/serr"
rc=$?
[ $rc -eq 130 ] && grep -q "interrupted after 17 updates" "$T/serr" && grep -q "continue with --resume" "$T/serr" &&
    pass sigterm_one_rank_stops_all_after_update_17 || fail sigterm_one_rank_stops_all_after_update_17 "exit $rc: $(tail -c 600 "$T/serr")"
# The chain starts on the gradients the backward pass has finished (the output
# layer first) while it goes on: rank 0 passes at least one chunk on during the
# backward pass of every update (its last shard's; of 9 chunks at this size).
line=$(grep -o "ms per update after the backward pass ([0-9]* of [0-9]* chunks passed on during it, [0-9]* of [0-9]* totals back)" "$T/serr")
if [[ $line =~ \(([0-9]+)\ of\ ([0-9]+)\ chunks ]] && [ "${BASH_REMATCH[1]}" -ge 17 ] &&
    [ "${BASH_REMATCH[2]}" -eq $((17 * 9)) ]; then
    pass chain_overlaps_the_backward_pass
else
    fail chain_overlaps_the_backward_pass "$(grep "gradient reduction" "$T/serr")"
fi
# Rank 0 updates the end of the parameters (the slices go in reverse rank
# order), the output layer its backward pass finishes first: the totals of its
# slice (5 of the 9 chunks) start back from rank 1 while its last shard's
# backward pass goes on. How many do depends on timing (32-64 of 85 on a quiet
# machine, 8-14 with both cores oversubscribed), so this checks only that they
# come back during it at all; test_update.c checks the slices' order.
if [[ $line =~ ,\ ([0-9]+)\ of\ ([0-9]+)\ totals ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] &&
    [ "${BASH_REMATCH[2]}" -eq $((17 * 5)) ]; then
    pass rank0_totals_come_back_during_the_backward_pass
else
    fail rank0_totals_come_back_during_the_backward_pass "$(grep "gradient reduction" "$T/serr")"
fi
# Two threads in each rank (3 + 2 shards on 2 ranks, 2 + 2 + 1 on 3): the shards
# on the second thread record what they have final, the main thread moves the
# chain on. The same bytes as one process.
two=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 64 --hidden 96 --batch 40 --shard-size 8
     --dropout 0.2 --seed 3 --max-updates 12)
"$B/nmt-train" "${two[@]}" --threads 1 -o "$T/two1" 2>/dev/null
for P in 2 3; do
    if timeout 300 "${mpi[@]}" -np $P "$B/nmt-train" "${two[@]}" --threads 2 -o "$T/two$P" 2>"$T/err" &&
        cmp -s "$T/two1" "$T/two$P" && cmp -s "$T/two1.last" "$T/two$P.last"; then
        pass "np${P}_two_threads_each_same_model_as_one_process"
    else
        fail "np${P}_two_threads_each_same_model_as_one_process" "$(tail -5 "$T/err")"
    fi
done
# rank 0, the only one that speaks, would note a signal of its own: it had none
if grep -q "stopping after this update" "$T/serr"; then fail signal_hook_only_on_chosen_rank "$(tail -c 600 "$T/serr")"
else pass signal_hook_only_on_chosen_rank; fi
if "$B/nmt-train" "${big[@]}" -o "$T/s" --resume 2>"$T/err"; then
    if ! grep -qF "resuming from $T/s.ckpt at update 17" "$T/err"; then
        fail sigterm_then_resume_alone_equals_uninterrupted "the resume did not start at update 17: $(head -c 400 "$T/err")"
    elif cmp -s "$T/full.last" "$T/s.last" && cmp -s "$T/full" "$T/s"; then
        pass sigterm_then_resume_alone_equals_uninterrupted
    else
        fail sigterm_then_resume_alone_equals_uninterrupted "the resumed run's files differ from the uninterrupted run's"
    fi
else
    fail sigterm_then_resume_alone_equals_uninterrupted "$(tail -3 "$T/err")"
fi

# The ranks must agree: another data file (same line count) on rank 1 is refused, naming it.
sed '3s/$/ x/' "$T/tr.src" >"$T/other.src"
other=("${common[@]}")
other[3]="$T/other.src"
expect_error mismatch_between_ranks_refused "rank 1: --train-src [0-9]+ bytes, hash [0-9a-f]{16} in .*other\.src \(rank 0: [0-9]+ bytes" \
    timeout 300 "${mpi[@]}" -np 1 "$B/nmt-train" "${common[@]}" -o "$T/mm" : -np 1 "$B/nmt-train" "${other[@]}" -o "$T/mm"
grep -q "do not agree" "$T/err" && [ ! -e "$T/mm" ] && pass mismatch_trains_nothing || fail mismatch_trains_nothing
expect_error setting_mismatch_names_setting "rank 2: --seed 8 \(rank 0: 7\)" \
    timeout 300 "${mpi[@]}" -np 2 "$B/nmt-train" "${common[@]}" -o "$T/mm" : -np 1 "$B/nmt-train" "${common[@]}" --seed 8 -o "$T/mm"
# Bad input on one rank ends the whole job with the message naming the file and line.
{ head -n 1 "$T/tr.src"; printf 'bad \xff byte\n'; tail -n +3 "$T/tr.src"; } >"$T/inv.src"
bad=("${common[@]}")
bad[3]="$T/inv.src"
expect_error bad_input_on_one_rank_ends_job "inv\.src:2: invalid UTF-8 at byte 5" \
    timeout 300 "${mpi[@]}" -np 1 "$B/nmt-train" "${common[@]}" -o "$T/bi" : -np 1 "$B/nmt-train" "${bad[@]}" -o "$T/bi"
timeout 300 "${mpi[@]}" -np 1 "$B/nmt-train" "${common[@]}" -o "$T/bi" : -np 1 "$B/nmt-train" "${bad[@]}" -o "$T/bi" 2>/dev/null
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && pass bad_input_on_one_rank_ends_every_rank ||
    fail bad_input_on_one_rank_ends_every_rank "exit $rc (124: still running after 300 s)"
