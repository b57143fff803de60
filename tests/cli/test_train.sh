# CLI tests of nmt-train: determinism across thread counts, exact resume
# (after a clean stop and after kill -9), and errors on bad input.
source "$(dirname "$0")/lib.sh"
toy=corpora/toy
head -n 600 $toy/train.src >"$T/tr.src"
head -n 600 $toy/train.tgt >"$T/tr.tgt"
head -n 60 $toy/valid.src >"$T/va.src"
head -n 60 $toy/valid.tgt >"$T/va.tgt"
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/V" 2>/dev/null || { fail vocab_for_train_tests "nmt-vocab failed"; exit 0; }
common=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --valid-src "$T/va.src" --valid-tgt "$T/va.tgt"
        --emb 16 --hidden 24 --batch 40 --shard-size 16 --dropout 0.2 --label-smoothing 0.1 --valid-every 10 --seed 7 --quiet
        --ema 0.99)

# Same seed, 1 or 2 threads: byte-identical models.
"$B/nmt-train" "${common[@]}" -o "$T/t1" --threads 1 --max-updates 30 2>"$T/err1"
"$B/nmt-train" "${common[@]}" -o "$T/t2" --threads 2 --max-updates 30 2>"$T/err2"
if cmp -s "$T/t1.last" "$T/t2.last" && cmp -s "$T/t1" "$T/t2"; then pass threads_1_and_2_identical_models
else fail threads_1_and_2_identical_models "$(cat "$T/err1" "$T/err2" | head -5)"; fi
# ... and a different seed gives a different model (the comparison can fail).
"$B/nmt-train" "${common[@]}" -o "$T/t3" --threads 2 --max-updates 30 --seed 8 2>/dev/null
if cmp -s "$T/t1.last" "$T/t3.last"; then fail different_seed_different_model; else pass different_seed_different_model; fi

# The moving average is what gets saved: without it the model differs.
"$B/nmt-train" "${common[@]:0:$((${#common[@]} - 2))}" -o "$T/noema" --threads 2 --max-updates 30 2>/dev/null
if cmp -s "$T/t1.last" "$T/noema.last"; then fail ema_changes_saved_model; else pass ema_changes_saved_model; fi

# Stop at update 20, resume to 30: the same files as the uninterrupted run.
"$B/nmt-train" "${common[@]}" -o "$T/r" --threads 2 --max-updates 20 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/r" --threads 1 --max-updates 30 --resume 2>"$T/err"
if cmp -s "$T/t1.last" "$T/r.last" && cmp -s "$T/t1" "$T/r"; then pass resume_equals_uninterrupted
else fail resume_equals_uninterrupted "$(head -3 "$T/err")"; fi

# kill -9 in the middle of a longer run, then resume: the same model as uninterrupted.
big=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 64 --hidden 96 --batch 40 --valid-every 5
     --seed 3 --quiet --threads 2 --max-updates 45)
"$B/nmt-train" "${big[@]}" -o "$T/full" 2>/dev/null
# nmt-train's test hook (src/train/trainer.c) raises SIGKILL in it right after update 22:
# the kill always comes mid-run, after the checkpoint of update 20.
NMT_TEST_SIGNAL_AT_UPDATE=22:KILL "$B/nmt-train" "${big[@]}" -o "$T/k" 2>/dev/null
expect_eq kill9_exit_status "$?" 137
if "$B/nmt-train" "${big[@]}" -o "$T/k" --resume 2>"$T/err"; then
    if ! grep -qF "resuming from $T/k.ckpt at update 20" "$T/err"; then
        fail kill9_resume_equals_uninterrupted "the resume did not start at update 20: $(head -3 "$T/err")"
    elif cmp -s "$T/full.last" "$T/k.last" && cmp -s "$T/full" "$T/k"; then
        pass kill9_resume_equals_uninterrupted
    else
        fail kill9_resume_equals_uninterrupted "the resumed run's files differ from the uninterrupted run's"
    fi
else
    fail kill9_resume_equals_uninterrupted "$(head -3 "$T/err")"
fi

# Everything of the larger models at once (stacks, layer normalization, 4
# heads, the conditional GRU, recurrent and word dropout): 1 and 2 threads give the
# same bytes, and kill -9 at update 12 then --resume gives the uninterrupted
# run's (the checkpoint of update 10 holds every layer's and head's weights
# and moments).
all=(--vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 16 --hidden 24 --att-dim 16 --batch 40
     --shard-size 16 --valid-every 5 --seed 9 --quiet --max-updates 20 --enc-depth 2 --dec-depth 2 --layer-norm
     --heads 4 --decoder cgru --rec-dropout 0.2 --dropout-src 0.1 --dropout-tgt 0.1)
"$B/nmt-train" "${all[@]}" -o "$T/all1" --threads 1 2>"$T/err1"
"$B/nmt-train" "${all[@]}" -o "$T/all2" --threads 2 2>"$T/err2"
if [ -s "$T/all1" ] && cmp -s "$T/all1" "$T/all2" && cmp -s "$T/all1.last" "$T/all2.last" &&
    grep -aq '^heads=4$' "$T/all1" && grep -aq '^layer_norm=1$' "$T/all1" && grep -aq '^enc_depth=2$' "$T/all1" &&
    grep -aq '^dropout_src=0\.1' "$T/all1"
then pass deep_layer_norm_heads_threads_1_and_2_identical
else fail deep_layer_norm_heads_threads_1_and_2_identical "$(cat "$T/err1" "$T/err2" | head -5)"; fi
NMT_TEST_SIGNAL_AT_UPDATE=12:KILL "$B/nmt-train" "${all[@]}" -o "$T/allk" --threads 2 2>/dev/null
rc=$?
if [ $rc = 137 ] && "$B/nmt-train" "${all[@]}" -o "$T/allk" --threads 1 --resume 2>"$T/err" &&
    grep -qF "resuming from $T/allk.ckpt at update 10" "$T/err" && cmp -s "$T/all1" "$T/allk" &&
    cmp -s "$T/all1.last" "$T/allk.last"
then pass deep_layer_norm_heads_kill9_resume_equals_uninterrupted
else fail deep_layer_norm_heads_kill9_resume_equals_uninterrupted "exit $rc; $(head -3 "$T/err")"; fi

# --tie-all-embeddings: one matrix for the source, the target and the logits
# (a joint vocabulary), |V| x emb fewer parameters; 1 and 2 threads give the
# same bytes, and the model translates. A vocabulary per side is refused.
"$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" --joint -o "$T/VJ" 2>/dev/null
tied=(--vocab "$T/VJ" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 16 --hidden 24 --batch 40 --seed 4
      --max-updates 12 --deep-output --tie-embeddings)
"$B/nmt-train" "${tied[@]}" -o "$T/tie0" --threads 2 2>"$T/tie0.err"
"$B/nmt-train" "${tied[@]}" --tie-all-embeddings -o "$T/tie1" --threads 1 2>"$T/tie1.err"
"$B/nmt-train" "${tied[@]}" --tie-all-embeddings -o "$T/tie2" --threads 2 2>/dev/null
params() { sed -n 's/.*: \([0-9]*\) parameters.*/\1/p' "$1"; }
vj=$("$B/nmt-vocab" --show "$T/VJ" 2>/dev/null | sed -n 's/^table [a-z]*: \([0-9]*\) tokens.*/\1/p' | head -n 1)
if cmp -s "$T/tie1" "$T/tie2" && grep -aq '^tie_source=1$' "$T/tie1" && ! grep -aq 'tie_source' "$T/tie0" &&
    [ $(($(params "$T/tie0.err") - $(params "$T/tie1.err"))) = $((vj * 16)) ] &&
    head -n 5 "$T/va.src" | "$B/nmt-translate" -m "$T/tie1" >"$T/tie.out" 2>/dev/null && [ "$(wc -l <"$T/tie.out")" = 5 ]
then pass tie_all_embeddings
else fail tie_all_embeddings "vocabulary $vj tokens; parameters $(params "$T/tie0.err") and $(params "$T/tie1.err")"; fi
expect_error tie_all_needs_joint_vocabulary "--tie-all-embeddings needs a joint vocabulary.*V has a table per side" \
    "$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --tie-all-embeddings -o "$T/tiex"

# --init MODEL: a new run from MODEL's weights. At learning rate 0 the model
# written is MODEL itself, byte for byte; an alignment layer may be added
# (its tensors fresh); another architecture or vocabulary is refused.
"$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 16 --hidden 24 --batch 40 \
    --max-updates 10 --quiet -o "$T/base" 2>/dev/null
init=(--init "$T/base" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --batch 40 --quiet)
"$B/nmt-train" "${init[@]}" --max-updates 2 --lr 0 -o "$T/same" 2>"$T/init.err"
if [ -s "$T/base" ] && cmp -s "$T/base" "$T/same" && grep -q "starting from $T/base: 22 tensors carried$" "$T/init.err"
then pass init_at_rate_0_is_the_model; else fail init_at_rate_0_is_the_model "$(head -3 "$T/init.err")"; fi
"$B/nmt-train" "${init[@]}" --max-updates 2 -o "$T/moved" 2>/dev/null
if [ -s "$T/moved" ] && ! cmp -s "$T/base" "$T/moved"; then pass init_then_trains; else fail init_then_trains; fi
"$B/nmt-train" "${init[@]}" --max-updates 2 --alignment-layer -o "$T/withal" 2>"$T/init.err"
if grep -q "22 tensors carried, 6 fresh (from al_Wq)" "$T/init.err" && grep -aq '^alignment_layer=1$' "$T/withal"
then pass init_adds_alignment_layer; else fail init_adds_alignment_layer "$(head -3 "$T/init.err")"; fi
expect_error init_keeps_architecture "--hidden 32 \(the model has 24\)" \
    "$B/nmt-train" "${init[@]}" --hidden 32 -o "$T/initx"
expect_error init_vocabulary_must_match "--vocab .*VJ is not the vocabulary of --init" \
    "$B/nmt-train" "${init[@]}" --vocab "$T/VJ" -o "$T/initx"
expect_error init_missing_model "--init .*nope" "$B/nmt-train" --init "$T/nope" --train-src "$T/tr.src" \
    --train-tgt "$T/tr.tgt" -o "$T/initx"
[ ! -e "$T/initx" ] && pass init_refusals_write_nothing || fail init_refusals_write_nothing
# --freeze-translation: an alignment layer trained for a finished model; the
# model's scores stay those of MODEL to the last digit, the layer's rows move
diagonal_links "$T/tr.src" "$T/tr.tgt" >"$T/diag.links"
"$B/nmt-train" "${init[@]}" --max-updates 6 --alignment-layer --freeze-translation --guided-alignment "$T/diag.links" \
    -o "$T/frozen" 2>"$T/frozen.err"
head -n 20 "$T/va.src" >"$T/s20"
head -n 20 "$T/va.tgt" >"$T/t20"
"$B/nmt-score" -m "$T/base" --src "$T/s20" --tgt "$T/t20" >"$T/base.scores" 2>/dev/null
"$B/nmt-score" -m "$T/frozen" --src "$T/s20" --tgt "$T/t20" >"$T/frozen.scores" 2>/dev/null
"$B/nmt-score" -m "$T/withal" --src "$T/s20" --tgt "$T/t20" >"$T/withal.scores" 2>/dev/null
if [ -s "$T/base.scores" ] && cmp -s "$T/base.scores" "$T/frozen.scores" && ! cmp -s "$T/base.scores" "$T/withal.scores" &&
    grep -aq '^freeze_translation=1$' "$T/frozen.ckpt"
then pass freeze_translation_keeps_the_model; else fail freeze_translation_keeps_the_model "$(head -3 "$T/frozen.err")"; fi
expect_error freeze_needs_layer "--freeze-translation trains the alignment layer alone: the model has none" \
    "$B/nmt-train" "${init[@]}" --freeze-translation -o "$T/initx"
expect_error freeze_without_ema "--freeze-translation keeps the translation model's bits: leave out --ema" \
    "$B/nmt-train" "${init[@]}" --alignment-layer --freeze-translation --ema 0.9 -o "$T/initx"

# Bad input: clear errors naming the file, before any training.
expect_error missing_train_file "nope\.src" "$B/nmt-train" --vocab "$T/V" --train-src "$T/nope.src" --train-tgt "$T/tr.tgt" -o "$T/x"
head -n 599 "$T/tr.tgt" >"$T/short.tgt"
expect_error unequal_line_counts "tr\.src.*600.*short\.tgt.*599|600.*599" "$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/short.tgt" -o "$T/x"
echo "not a vocabulary" >"$T/bad.vocab"
expect_error unreadable_vocabulary "bad\.vocab" "$B/nmt-train" --vocab "$T/bad.vocab" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" -o "$T/x"
printf 'ok line\nbad \xff byte\n' >"$T/inv.src"
printf 'a\nb\n' >"$T/inv.tgt"
expect_error invalid_utf8_names_line "inv\.src:2: invalid UTF-8 at byte 5" "$B/nmt-train" --vocab "$T/V" --train-src "$T/inv.src" --train-tgt "$T/inv.tgt" -o "$T/x"
expect_error unknown_flag "unknown option --bogus" "$B/nmt-train" --bogus 1
head -c 1000 "$T/r.ckpt" >"$T/trunc.ckpt"
cp "$T/trunc.ckpt" "$T/y.ckpt"
expect_error truncated_checkpoint "y\.ckpt: truncated" "$B/nmt-train" "${common[@]}" -o "$T/y" --resume
[ ! -e "$T/x" ] && pass no_model_written_on_bad_input || fail no_model_written_on_bad_input
"$B/nmt-train" --help >"$T/help" && grep -q -- "--resume" "$T/help" && grep -q -- "--attention" "$T/help" && pass help_lists_flags || fail help_lists_flags

# --keep-snapshots: the weights of every validation as MODEL.uN; nmt-average averages them.
"$B/nmt-train" "${common[@]}" -o "$T/snap" --threads 2 --max-updates 30 --keep-snapshots 2>/dev/null
if [ -f "$T/snap.u10" ] && [ -f "$T/snap.u20" ] && cmp -s "$T/snap.u30" "$T/snap.last" && cmp -s "$T/snap.last" "$T/t1.last"
then pass snapshots_every_validation; else fail snapshots_every_validation "$(ls "$T" | grep snap)"; fi
expect_ok average_snapshots "$B/nmt-average" -o "$T/snap.avg" "$T/snap.u10" "$T/snap.u20" "$T/snap.u30"
if "$B/nmt-score" -m "$T/snap.avg" --src "$T/va.src" --tgt "$T/va.tgt" >"$T/avg.scores" 2>/dev/null && [ "$(wc -l <"$T/avg.scores")" = 60 ] &&
   ! cmp -s "$T/snap.avg" "$T/snap.u30"; then pass averaged_model_loads_and_differs
else fail averaged_model_loads_and_differs; fi
"$B/nmt-average" -o "$T/same" "$T/snap.u20" "$T/snap.u20" 2>/dev/null
if cmp -s "$T/same" "$T/snap.u20"; then pass average_of_copies_is_the_model; else fail average_of_copies_is_the_model; fi
"$B/nmt-train" --vocab "$T/V" --train-src "$T/tr.src" --train-tgt "$T/tr.tgt" --emb 16 --hidden 20 --quiet \
    --max-updates 1 -o "$T/other" 2>/dev/null
expect_error average_refuses_other_architecture "other.*not the same architecture" "$B/nmt-average" -o "$T/x" "$T/snap.u10" "$T/other"
expect_error average_names_missing_file "nope" "$B/nmt-average" -o "$T/x" "$T/snap.u10" "$T/nope"
expect_error average_needs_two_models "at least two" "$B/nmt-average" -o "$T/x" "$T/snap.u10"

# Recurrent dropout: still independent of --threads, and it changes the model.
"$B/nmt-train" "${common[@]}" -o "$T/rd1" --threads 1 --max-updates 20 --rec-dropout 0.3 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/rd2" --threads 2 --max-updates 20 --rec-dropout 0.3 2>/dev/null
if [ -f "$T/rd1.last" ] && cmp -s "$T/rd1.last" "$T/rd2.last" && ! cmp -s "$T/rd1.last" "$T/snap.u20"
then pass recurrent_dropout_thread_independent_and_used; else fail recurrent_dropout_thread_independent_and_used; fi

# --layer-norm: independent of --threads, saved in the model (plain models
# keep their bytes: no layer_norm line), and it learns: the validation loss
# falls at every validation and by more than 0.4 nats over 40 updates.
"$B/nmt-train" "${common[@]}" -o "$T/ln1" --threads 1 --max-updates 40 --layer-norm --log "$T/ln1.log" 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/ln2" --threads 2 --max-updates 40 --layer-norm 2>/dev/null
if [ -f "$T/ln1.last" ] && cmp -s "$T/ln1.last" "$T/ln2.last" && cmp -s "$T/ln1" "$T/ln2" &&
    grep -aq "^layer_norm=1$" "$T/ln1.last" && ! grep -aq "layer_norm" "$T/t1.last"
then pass layer_norm_thread_independent_and_saved; else fail layer_norm_thread_independent_and_saved; fi
losses=$(sed -n 's/.*"valid_loss": \([0-9.]*\).*/\1/p' "$T/ln1.log" | tr '\n' ' ')
if echo "$losses" | awk '{ok = NF == 4 && $1 - $NF > 0.4; for (i = 2; i <= NF; i++) if ($i >= $(i - 1)) ok = 0; exit !ok}'
then pass layer_norm_validation_loss_falls; else fail layer_norm_validation_loss_falls "validation losses: $losses"; fi
# Depth (stacked layers with dropout between them, recurrent dropout in each): independent of --threads too.
deep=(--enc-depth 2 --dec-depth 3 --decoder cgru --rec-dropout 0.2 --max-updates 12)
"$B/nmt-train" "${common[@]}" -o "$T/dp1" --threads 1 "${deep[@]}" 2>"$T/err1"
"$B/nmt-train" "${common[@]}" -o "$T/dp2" --threads 2 "${deep[@]}" 2>"$T/err2"
if [ -f "$T/dp1.last" ] && cmp -s "$T/dp1.last" "$T/dp2.last" && cmp -s "$T/dp1" "$T/dp2"
then pass depth_thread_independent; else fail depth_thread_independent "$(cat "$T/err1" "$T/err2" | head -5)"; fi
# the model file records the depths; a model of one layer each keeps its bytes (no such lines)
if [ "$(grep -ac '^enc_depth=2$' "$T/dp1.last") $(grep -ac '^dec_depth=3$' "$T/dp1.last")" = "1 1" ] &&
    ! grep -aq 'depth=' "$T/t1.last"
then pass depth_recorded_in_model_file; else fail depth_recorded_in_model_file; fi
expect_error depth_out_of_range "enc-depth.*17" "$B/nmt-train" "${common[@]}" -o "$T/x" --enc-depth 17

# --keep-snapshots can be switched on when resuming (it only adds files): same model, plus snapshots.
"$B/nmt-train" "${common[@]}" -o "$T/ks" --threads 2 --max-updates 20 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/ks" --threads 2 --max-updates 30 --resume --keep-snapshots 2>/dev/null
if [ ! -f "$T/ks.u20" ] && cmp -s "$T/ks.u30" "$T/snap.u30" && cmp -s "$T/ks.last" "$T/t1.last"
then pass keep_snapshots_switched_on_at_resume; else fail keep_snapshots_switched_on_at_resume; fi

# --resume refuses saved settings given with other values (and names each), accepts the same ones.
expect_error resume_refuses_changed_settings "r\.ckpt was trained with other settings" \
    "$B/nmt-train" "${common[@]}" -o "$T/r" --resume --hidden 32 --lr 0.01 --max-updates 31
grep -q -- "--hidden 32 (the checkpoint has 24)" "$T/err" && grep -q -- "--lr 0.01 (the checkpoint has 0.001)" "$T/err" &&
    pass resume_refusal_lists_each_difference || fail resume_refusal_lists_each_difference "$(cat "$T/err")"
cp "$T/r.last" "$T/r.last.before"
expect_ok resume_accepts_same_settings_and_new_budget "$B/nmt-train" "${common[@]}" -o "$T/r" --resume --hidden 24 --max-updates 30 --threads 1
cmp -s "$T/r.last" "$T/r.last.before" && pass refused_resume_changed_nothing || fail refused_resume_changed_nothing

# The default precision: bf16 where oneDNN has native bf16 (AVX512_BF16 or AMX-BF16), else fp32;
# NMT_GEMM_PRECISION and --precision choose.
"$B/nmt-train" "${common[@]}" -o "$T/dp" --threads 1 --max-updates 2 2>/dev/null
NMT_GEMM_PRECISION=fp32 "$B/nmt-train" "${common[@]}" -o "$T/dp32" --threads 1 --max-updates 2 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/dpf" --threads 1 --max-updates 2 --precision fp32 2>/dev/null
if grep -q -E -w "avx512_bf16|amx_bf16" /proc/cpuinfo && [ "${NMT_GEMM:-dnnl}" != openblas ]; then want=bf16; else want=fp32; fi
got=$(grep -a -q "precision=bf16" "$T/dp.ckpt" && echo bf16 || echo fp32) # the checkpoint keeps it
expect_eq default_precision_follows_the_cpu "$got" "$want"
if ! grep -a -q "precision=bf16" "$T/dp32.ckpt" && cmp -s "$T/dp32" "$T/dpf"; then pass env_and_flag_choose_fp32
else fail env_and_flag_choose_fp32; fi

# --precision bf16: thread-independent, different from fp32, exact on resume, kept by the checkpoint.
"$B/nmt-train" "${common[@]}" -o "$T/bf1" --threads 1 --max-updates 20 --precision bf16 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/bf2" --threads 2 --max-updates 10 --precision bf16 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/bf2" --threads 2 --max-updates 20 --precision bf16 --resume 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/fp" --threads 1 --max-updates 20 --precision fp32 2>/dev/null
if [ -f "$T/bf1.last" ] && cmp -s "$T/bf1.last" "$T/bf2.last" && ! cmp -s "$T/bf1.last" "$T/fp.last"
then pass bf16_training_thread_independent_resumable_and_used; else fail bf16_training_thread_independent_resumable_and_used; fi
expect_error bf16_resume_refuses_other_precision "--precision fp32 \(the checkpoint has bf16\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/bf2" --max-updates 30 --precision fp32 --resume
for p in fp32 bf16; do
    "$B/nmt-translate" -m "$T/bf1" -i "$T/va.src" --precision $p --quiet >"$T/tr.$p" 2>/dev/null
    "$B/nmt-score" -m "$T/bf1" --src "$T/va.src" --tgt "$T/va.tgt" --precision $p --quiet >"$T/sc.$p" 2>/dev/null
done
same=$(paste -d'\t' "$T/tr.fp32" "$T/tr.bf16" | awk -F'\t' '$1 == $2' | wc -l)
maxdiff=$(paste "$T/sc.fp32" "$T/sc.bf16" | awk '{d = $1 - $3; if (d < 0) d = -d; if (d > m) m = d} END {print m + 0}')
if [ "$(wc -l <"$T/tr.bf16")" = 60 ] && [ "$same" -ge 50 ] && awk -v m="$maxdiff" 'BEGIN {exit !(m > 0 && m < 0.5)}'
then pass bf16_translation_and_scores_close_to_fp32; else fail bf16_translation_and_scores_close_to_fp32 "$same of 60 same, max score difference $maxdiff"; fi
expect_error precision_flag_checked "--precision must be one of fp32, bf16, int8, got .fp16." "$B/nmt-translate" -m "$T/bf1" --precision fp16

# --lr-warmup: changes the model, is saved in the checkpoint only when used, and may not change on --resume.
"$B/nmt-train" "${common[@]}" -o "$T/wu0" --threads 2 --max-updates 10 2>/dev/null
"$B/nmt-train" "${common[@]}" -o "$T/wu" --threads 2 --max-updates 10 --lr-warmup 20 2>/dev/null
if [ -f "$T/wu.last" ] && ! cmp -s "$T/wu.last" "$T/wu0.last" && grep -aq "^lr_warmup=20$" "$T/wu.ckpt" &&
    ! grep -aq "lr_warmup" "$T/wu0.ckpt"; then pass lr_warmup_used_and_saved_only_when_set
else fail lr_warmup_used_and_saved_only_when_set; fi
expect_error resume_refuses_other_warmup "--lr-warmup 5 \(the checkpoint has 20\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/wu" --resume --lr-warmup 5 --max-updates 20

# Multi-head attention: 1 and 2 threads give the same bytes (both scorers,
# guided alignment over the heads' mean needs no file here: the plain loss);
# the heads are in the model file; a head count that does not divide the
# attention's width is refused naming the flags.
for sc in bahdanau dot; do
    h=(--heads 4 --attention $sc --att-dim 16 --max-updates 12)
    "$B/nmt-train" "${common[@]}" "${h[@]}" -o "$T/h$sc.1" --threads 1 2>"$T/err1"
    "$B/nmt-train" "${common[@]}" "${h[@]}" -o "$T/h$sc.2" --threads 2 2>"$T/err2"
    if [ -s "$T/h$sc.1" ] && cmp -s "$T/h$sc.1" "$T/h$sc.2" && cmp -s "$T/h$sc.1.last" "$T/h$sc.2.last" &&
        grep -aq "^heads=4$" "$T/h$sc.1" && ! cmp -s "$T/h$sc.1" "$T/t1"; then pass heads_4_${sc}_threads_1_and_2_identical
    else fail heads_4_${sc}_threads_1_and_2_identical "$(cat "$T/err1" "$T/err2" | head -5)"; fi
done
if ! grep -aq "^heads=" "$T/t1"; then pass one_head_model_file_has_no_heads_line
else fail one_head_model_file_has_no_heads_line; fi
expect_error heads_must_divide_att_dim "--heads 5 must divide --att-dim 16 \(Bahdanau attention\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/bad" --heads 5 --att-dim 16 --max-updates 1
expect_error heads_must_divide_hidden_for_dot "--heads 5 must divide --hidden 24 \(dot attention\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/bad" --heads 5 --attention dot --max-updates 1
expect_error heads_range_checked "heads" "$B/nmt-train" "${common[@]}" -o "$T/bad" --heads 65 --max-updates 1
expect_error resume_refuses_other_heads "--heads 2 \(the checkpoint has 4\)" \
    "$B/nmt-train" "${common[@]}" -o "$T/hbahdanau.1" --resume --heads 2 --att-dim 16 --max-updates 14
