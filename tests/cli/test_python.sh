#!/usr/bin/env bash
# python/nmtc.py (ctypes over libnmt.so) against the command-line tools on the same tiny
# model and lines: translate() = nmt-translate (1-best and n-best), score() = nmt-score,
# attention(src, tgt) = nmt-score --attention, attention(src) = nmt-translate --attention;
# close() while another thread translates, the argument checks, and the length limits
# (max_src_len, max_len) with their CutWarning; set_precision("int8") = the tools' --precision int8.
# Uses Debian's python3; the attention checks need python3-numpy and skip without it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "${NMT_SAN:-0}" = 1 ]; then
    skip python "sanitizer build: its libnmt.so cannot be loaded into python without preloading the sanitizer run-time"
    exit 0
fi
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || { skip python "python3 is not installed (apt-get install python3)"; exit 0; }
export NMTC_LIBRARY=$root/build/libnmt.so.1 PYTHONPATH=$root/python
[ -f "$NMTC_LIBRARY" ] || { fail python_library "$NMTC_LIBRARY is missing (make)"; exit 0; }
tiny_model "$T" || { fail python_model "could not train a tiny model"; exit 0; }
head -n 30 corpora/toy/test.src | awk 'NR == 4 { print "" } { print }' >"$T/src.txt"
head -n 30 corpora/toy/test.tgt | awk 'NR == 4 { print "" } { print }' >"$T/tgt.txt"
# one line of the 40 first test sentences: over 512 source tokens, and over 256 on each side
head -n 40 corpora/toy/test.src | paste -s -d ' ' >"$T/long.txt"
head -n 40 corpora/toy/test.tgt | paste -s -d ' ' >"$T/long.tgt"
cd "$T"
# the library starts at fp32 (the tools prefer bf16 where the CPU has it): compare like with like
export NMT_GEMM_PRECISION=fp32
"$B/nmt-translate" -m M -i src.txt --quiet >tool.1best
"$B/nmt-translate" -m M -i src.txt --nbest 3 --quiet >tool.nbest
"$B/nmt-translate" -m M -i src.txt --attention tool-tr.jsonl --quiet >/dev/null
"$B/nmt-score" -m M --src src.txt --tgt tgt.txt --attention tool-sc.jsonl --quiet >tool.scores

"$PY" - >py.out 2>py.err <<'PY'
import json, nmtc
src = open("src.txt", encoding="utf-8").read().split("\n")[:-1]
tgt = open("tgt.txt", encoding="utf-8").read().split("\n")[:-1]
m = nmtc.Model("M")
def save(name, lines):
    open(name, "w", encoding="utf-8").write("".join(l + "\n" for l in lines))
save("py.1best", m.translate(src))
save("py.nbest", ["%d ||| %s ||| %.6f" % (i, t, s) for i, hyps in enumerate(m.translate(src, nbest=3))
                  for t, s in (hyps if src[i] else [("", 0.0)])])
save("py.scores", ["" if x is None else "%.6f\t%d" % x for x in m.score(src, tgt)])
print("single", m.translate(src[0]) == m.translate(src)[0])
try:
    import numpy
except ImportError:
    print("numpy missing")
    raise SystemExit
def compare(name, atts):
    worst, labels = 0.0, True
    for rec, a in zip(map(json.loads, open(name, encoding="utf-8")), atts):
        if a is None or a.matrix.size == 0:
            labels &= rec["attention"] == []
            continue
        labels &= rec["src_tokens"] == a.src_tokens and rec["tgt_tokens"] == a.tgt_tokens
        labels &= a.matrix.dtype == numpy.float32 and abs(a.matrix.sum(axis=1) - 1).max() < 1e-4
        worst = max(worst, float(abs(numpy.array(rec["attention"], numpy.float32) - a.matrix).max()))
    print(name, "labels", labels, "close", worst < 1e-5)
compare("tool-sc.jsonl", m.attention(src, tgt))
compare("tool-tr.jsonl", m.attention(src))
try:
    nmtc.Model("no-such-model")
except nmtc.NmtError as e:
    print("error", "no-such-model" in str(e))
PY
rc=$?
[ $rc -eq 0 ] && pass python_module_runs || { fail python_module_runs "$(tail -n 5 py.err)"; exit 0; }
expect_eq python_translate_equals_nmt_translate "$(md5sum <py.1best)" "$(md5sum <tool.1best)"
expect_eq python_nbest_equals_nmt_translate_nbest "$(md5sum <py.nbest)" "$(md5sum <tool.nbest)"
expect_eq python_score_equals_nmt_score "$(md5sum <py.scores)" "$(md5sum <tool.scores)"
expect_eq python_single_line "$(grep ^single py.out)" "single True"
expect_eq python_error_names_file "$(grep ^error py.out)" "error True"
if grep -q "numpy missing" py.out; then
    skip python_attention "python3-numpy is not installed (apt-get install python3-numpy)"
else
    expect_eq python_forced_attention_equals_nmt_score "$(grep ^tool-sc py.out)" "tool-sc.jsonl labels True close True"
    expect_eq python_attention_equals_nmt_translate "$(grep ^tool-tr py.out)" "tool-tr.jsonl labels True close True"
fi

# ---- close() while another thread is inside translate(): close waits for the call in flight,
# later calls raise ValueError; the model was freed under the running call before (a segfault:
# MALLOC_PERTURB_ fills freed memory so a use after free shows). Run several times. ----
cat >race.py <<'PY'
import threading, time, nmtc
m = nmtc.Model("M")
lines = [open("long.txt", encoding="utf-8").read().strip()[:400]] * 200
expected = m.translate(lines, beam=2)
# count the library calls running (the wrapper keeps the GIL released during the call)
real, running = nmtc._lib.nmt_translate, [0]
def counted(*args):
    running[0] += 1
    try:
        return real(*args)
    finally:
        running[0] -= 1
nmtc._lib.nmt_translate = counted
first, wrong, end = threading.Event(), [0], []
def loop():
    try:
        while True:
            wrong[0] += m.translate(lines, beam=2) != expected
            first.set()
    except Exception as e:
        end.append("%s: %s" % (type(e).__name__, e))
        first.set()
t = threading.Thread(target=loop)
t.start()
first.wait()
time.sleep(0.05)
in_flight = running[0]
m.close()
after = running[0]
t.join()
print("running after close", after, "wrong", wrong[0], "overlap", in_flight > 0, "end", end[0] if end else None)
PY
overlaps=0 bad=""
for run in 1 2 3 4 5; do
    MALLOC_PERTURB_=165 timeout 120 "$PY" race.py >race.out 2>race.err
    rc=$?
    out=$(cat race.out)
    case $out in
    "running after close 0 wrong 0 overlap True end ValueError: the model is closed") overlaps=$((overlaps + 1)) ;;
    "running after close 0 wrong 0 overlap False end ValueError: the model is closed") ;;
    *) bad="run $run: exit $rc: $out $(tail -n 2 race.err)"; break ;;
    esac
done
expect_eq python_close_waits_for_calls_in_flight "${bad:-ok}" ok
# the close must have met a call in flight at least once, or the check above tested nothing
expect_eq python_close_met_a_call_in_flight "$([ "$overlaps" -gt 0 ] && echo yes)" yes

# ---- the model's life: with, close twice, __del__ of a model that failed to load ----
"$PY" - >life.out 2>life.err <<'PY'
import gc, nmtc
with nmtc.Model("M") as m:
    ok = m.translate("ein Hund") is not None and not m.closed
print("closed", m.closed, ok)
m.close()
for what, call in [("translate", lambda: m.translate("ein Hund")), ("score", lambda: m.score("a", "b")),
                   ("attention", lambda: m.attention("a")), ("with", lambda: m.__enter__())]:
    try:
        call()
        print(what, "no error")
    except ValueError as e:
        print(what, "ValueError", e)
try:
    nmtc.Model("no-such-model")
except nmtc.NmtError:
    pass
gc.collect()
PY
expect_eq python_with_closes "$(grep ^closed life.out)" "closed True True"
for what in translate score attention with; do
    expect_eq "python_${what}_after_close_raises" "$(grep "^$what " life.out)" "$what ValueError the model is closed"
done
expect_eq python_failed_load_del_is_quiet "$(grep -c "Exception ignored" life.err)" 0

# ---- argument checks before ctypes: NUL in a str, a str where a list is expected, bytes,
# integers beyond C's int, bools and floats as counts. Each: exception type and message. ----
"$PY" - >args.out 2>args.err <<'PY'
import nmtc
m = nmtc.Model("M")
cases = [
    ("model_nul", lambda: nmtc.Model("M\0junk")),
    ("model_path_type", lambda: nmtc.Model(5)),
    ("model_threads_big", lambda: nmtc.Model("M", threads=2**32 + 1)),
    ("model_threads_bool", lambda: nmtc.Model("M", threads=True)),
    ("translate_nul", lambda: m.translate("ein\0Hund")),
    ("translate_list_nul", lambda: m.translate(["ok", "ein\0Hund"])),
    ("translate_bytes", lambda: m.translate(b"x")),
    ("translate_list_bytes", lambda: m.translate([b"x"])),
    ("translate_int", lambda: m.translate(5)),
    ("translate_surrogate", lambda: m.translate("a\udcffb")),
    ("beam_wraps", lambda: m.translate("x", beam=2**32 + 5)),
    ("beam_zero", lambda: m.translate("x", beam=0)),
    ("beam_bool", lambda: m.translate("x", beam=True)),
    ("beam_float", lambda: m.translate("x", beam=5.0)),
    ("nbest_over_beam", lambda: m.translate("x", beam=2, nbest=3)),
    ("batch_negative", lambda: m.translate("x", batch=-1)),
    ("length_penalty_nan", lambda: m.translate("x", length_penalty=float("nan"))),
    ("length_penalty_str", lambda: m.translate("x", length_penalty="1")),
    ("max_src_len_zero", lambda: m.translate("x", max_src_len=0)),
    ("max_len_big", lambda: m.score("x", "y", max_len=2**20 + 1)),
    ("score_str_list", lambda: m.score(["a", "b"], "ok")),
    ("score_list_str", lambda: m.score("a", ["b"])),
    ("score_tgt_nul", lambda: m.score(["a"], ["b\0c"])),
    ("score_tgt_bytes", lambda: m.score("a", b"b")),
    ("score_lengths", lambda: m.score(["a", "b"], ["c"])),
    ("attention_str_list", lambda: m.attention(["a", "b"], "ok")),
]
for name, call in cases:
    try:
        call()
        print(name + "\tno error")
    except Exception as e:
        print("%s\t%s: %s" % (name, type(e).__name__, e))
# the module's ranges are the library's: both ends pass the C setters, one step beyond fails
lib, o = nmtc._lib, nmtc._lib.nmt_options_new()
bad = []
for name, (lo, hi) in sorted(nmtc._RANGES.items()):
    setter = getattr(lib, "nmt_options_set_" + name)
    step = 1 if isinstance(lo, int) else 0.001
    if setter(o, lo) or setter(o, hi) or not setter(o, lo - step) or not setter(o, hi + step):
        bad.append(name)
print("ranges\t" + (" ".join(bad) or "same"))
PY
[ -s args.out ] || fail python_argument_checks_run "$(tail -n 3 args.err)"
expect_case() { # name, expected "Type: message"
    expect_eq "python_arg_$1" "$(awk -F'\t' -v n="$1" '$1 == n { print $2 }' args.out)" "$2"
}
expect_case model_nul "ValueError: path contains a NUL character (at index 1)"
expect_case model_path_type "TypeError: path must be a str, bytes or os.PathLike, got int"
expect_case model_threads_big "ValueError: threads must be between 0 and 1024, got 4294967297"
expect_case model_threads_bool "TypeError: threads must be an int, got bool"
expect_case translate_nul "ValueError: lines contains a NUL character (at index 3)"
expect_case translate_list_nul "ValueError: lines[1] contains a NUL character (at index 3)"
expect_case translate_bytes "TypeError: lines: expected a str or a list of str, got bytes"
expect_case translate_list_bytes "TypeError: lines[0] must be a str, got bytes (decode it first)"
expect_case translate_int "TypeError: lines: expected a str or a list of str, got int"
expect_case translate_surrogate "ValueError: lines is not valid Unicode at index 1: surrogates not allowed"
expect_case beam_wraps "ValueError: beam must be between 1 and 256, got 4294967301"
expect_case beam_zero "ValueError: beam must be between 1 and 256, got 0"
expect_case beam_bool "TypeError: beam must be an int, got bool"
expect_case beam_float "TypeError: beam must be an int, got float"
expect_case nbest_over_beam "ValueError: nbest must be at most the beam (2), got 3"
expect_case batch_negative "ValueError: batch must be between 1 and 4096, got -1"
expect_case length_penalty_nan "ValueError: length_penalty must be between 0 and 10, got nan"
expect_case length_penalty_str "TypeError: length_penalty must be a number, got str"
expect_case max_src_len_zero "ValueError: max_src_len must be between 1 and 1048576, got 0"
expect_case max_len_big "ValueError: max_len must be between 1 and 1048576, got 1048577"
expect_case score_str_list "TypeError: tgt must be a list of str like src, got str"
expect_case score_list_str "TypeError: tgt must be a str like src, got list"
expect_case score_tgt_nul "ValueError: tgt[0] contains a NUL character (at index 1)"
expect_case score_tgt_bytes "TypeError: tgt must be a str like src, got bytes"
expect_case score_lengths "ValueError: 2 sources but 1 targets"
expect_case attention_str_list "TypeError: tgt must be a list of str like src, got str"
expect_case ranges same

# ---- the length limits: options of their own (max_src_len, max_len), the tools' defaults, and
# a CutWarning with the tokens left out, the same cut and text as nmt-translate / nmt-score. ----
"$B/nmt-translate" -m M -i long.txt --beam 2 >tool-long.def 2>tool-long.def.err
"$B/nmt-translate" -m M -i long.txt --beam 2 --max-src-len 7 >tool-long.7 2>tool-long.7.err
"$B/nmt-score" -m M --src long.txt --tgt long.tgt >tool-long.sc 2>tool-long.sc.err
"$B/nmt-score" -m M --src long.txt --tgt long.tgt --max-len 5 >tool-long.sc5 2>/dev/null
"$PY" - >cut.out 2>cut.err <<'PY'
import warnings, nmtc
m = nmtc.Model("M")
long = open("long.txt", encoding="utf-8").read().rstrip("\n")
longt = open("long.tgt", encoding="utf-8").read().rstrip("\n")
def run(name, call):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = call()
    cut = [x for x in w if x.category is nmtc.CutWarning]
    print("%s\t%s\t%s" % (name, out, "; ".join("%s %s" % (x.message.cuts, x.message) for x in cut) or "none"))
run("tr_default", lambda: m.translate(long, beam=2))
run("tr_7", lambda: m.translate(long, beam=2, max_src_len=7))
run("tr_whole", lambda: m.translate(["ok", long], beam=2, max_src_len=2**20)[0])
run("tr_list", lambda: m.translate(["ein Hund", long, long], beam=2, max_src_len=7)[0])
run("sc_default", lambda: "%.6f %d" % m.score(long, longt))
run("sc_5", lambda: "%.6f %d" % m.score(long, longt, max_len=5))
run("sc_whole", lambda: m.score(long, longt, max_len=2**20)[1])
try:
    import numpy
    run("att_tr_7", lambda: len(m.attention(long, max_src_len=7).src_tokens))
    run("att_sc_5", lambda: m.attention([long], [longt], max_len=5)[0].matrix.shape)
except ImportError:
    print("numpy missing")
PY
[ -s cut.out ] || fail python_cut_runs "$(tail -n 3 cut.err)"
field() { awk -F'\t' -v n="$1" -v k="$2" '$1 == n { print $k }' cut.out; }
# the tools' warnings give the token counts: "the source has K tokens", "K tokens" per side
K=$(sed -n 's/.*the source has \([0-9]*\) tokens.*/\1/p' tool-long.7.err | head -n 1)
Ks=$(sed -n 's/^.*long.txt:1: \([0-9]*\) tokens.*/\1/p' tool-long.sc.err | head -n 1)
Kt=$(sed -n 's/^.*long.tgt:1: \([0-9]*\) tokens.*/\1/p' tool-long.sc.err | head -n 1)
expect_eq python_long_line_is_long "$([ "${K:-0}" -gt 512 ] && [ "${Ks:-0}" -gt 256 ] && [ "${Kt:-0}" -gt 256 ] && echo yes)" yes
expect_eq python_translate_default_cut_equals_tool "$(field tr_default 2)" "$(cat tool-long.def)"
expect_eq python_translate_default_cut_warns "$(field tr_default 3)" \
    "[(0, $((K - 512)))] the line has more than max_src_len=512 source tokens: only the first 512 are translated ($((K - 512)) tokens left out); pass a larger max_src_len (up to 1048576) to read more"
expect_eq python_translate_max_src_len_equals_tool "$(field tr_7 2)" "$(cat tool-long.7)"
expect_eq python_translate_max_src_len_warns "$(field tr_7 3 | cut -d' ' -f1-2)" "[(0, $((K - 7)))]"
expect_eq python_translate_whole_no_warning "$(field tr_whole 3)" none
expect_eq python_translate_list_warns "$(field tr_list 3)" \
    "[(1, $((K - 7))), (2, $((K - 7)))] 2 of 3 lines have more than max_src_len=7 source tokens: only the first 7 are translated (tokens left out: line 1: $((K - 7)), line 2: $((K - 7))); pass a larger max_src_len (up to 1048576) to read more"
expect_eq python_score_default_cut_equals_tool "$(field sc_default 2)" "$(tr '\t' ' ' <tool-long.sc)"
expect_eq python_score_default_cut_warns "$(field sc_default 3)" \
    "[(0, $((Ks + Kt - 512)))] the pair has a side of more than max_len=256 tokens: only the first 256 of each side are scored ($((Ks + Kt - 512)) tokens left out); pass a larger max_len (up to 1048576) to read more"
expect_eq python_score_max_len_equals_tool "$(field sc_5 2)" "$(tr '\t' ' ' <tool-long.sc5)"
expect_eq python_score_max_len_warns "$(field sc_5 3 | cut -d' ' -f1-2)" "[(0, $((Ks + Kt - 10)))]"
expect_eq python_score_whole "$(field sc_whole 2) $(field sc_whole 3)" "$((Kt + 1)) none"
if grep -q "numpy missing" cut.out; then
    skip python_attention_limits "python3-numpy is not installed (apt-get install python3-numpy)"
else
    expect_eq python_attention_max_src_len "$(field att_tr_7 2) $(field att_tr_7 3 | cut -d' ' -f1-2)" "7 [(0, $((K - 7)))]"
    expect_eq python_attention_max_len "$(field att_sc_5 2) $(field att_sc_5 3 | cut -d' ' -f1-2)" \
        "(6, 5) [(0, $((Ks + Kt - 10)))]"
fi

# ---- the defaults are the library's tables', which the tools' --help and --list-options show ----
"$PY" - >defaults.out 2>defaults.err <<'PY'
import inspect, nmtc
sig = inspect.signature(nmtc.Model.translate).parameters
print(" ".join("%s=%s" % (k, sig[k].default) for k in ("beam", "nbest", "length_penalty", "batch", "max_src_len")))
print("max_len=%s" % inspect.signature(nmtc.Model.score).parameters["max_len"].default)
PY
tool_default() { "$B/$1" --list-options | awk -F'\t' -v f="$2" '$1 == f { print $5 }'; }
want="beam=$(tool_default nmt-translate --beam) nbest=$(tool_default nmt-translate --nbest)"
want+=" length_penalty=$(tool_default nmt-translate --length-penalty) batch=$(tool_default nmt-translate --batch)"
want+=" max_src_len=$(tool_default nmt-translate --max-src-len)"
expect_eq python_defaults_are_the_tables "$(head -n 1 defaults.out)" "$want"
expect_eq python_score_default_is_the_table "$(sed -n 2p defaults.out)" "max_len=$(tool_default nmt-score --max-len)"

# ---- ensembles: Model([a, b], weights=...) gives what nmt-translate / nmt-score print with -m a -m b --weights ----
# a second model of another size on the same vocabulary, and one on another vocabulary
"$B/nmt-train" --vocab V --train-src train.src --train-tgt train.tgt -o M2 --emb 12 --hidden 20 --max-updates 40 \
    --batch 32 --dropout 0 --threads 2 --seed 5 --quiet >/dev/null 2>&1
"$B/nmt-vocab" --src train.src --tgt train.tgt --bpe 80 -o V3 --threads 2 >/dev/null 2>&1
"$B/nmt-train" --vocab V3 --train-src train.src --train-tgt train.tgt -o M3 --emb 8 --hidden 8 --max-updates 1 \
    --batch 32 --threads 2 --quiet >/dev/null 2>&1
if [ ! -s M2 ] || [ ! -s M3 ]; then
    fail python_ensemble_models "could not train the second models"
else
    "$B/nmt-translate" -m M -m M2 --weights 1,3 -i src.txt --nbest 2 --beam 3 --quiet >tool-ens.nbest
    "$B/nmt-score" -m M -m M2 --weights 1,3 --src src.txt --tgt tgt.txt --quiet >tool-ens.scores
    "$PY" - >ens.out 2>ens.err <<'PY'
import nmtc
src = open("src.txt", encoding="utf-8").read().split("\n")[:-1]
tgt = open("tgt.txt", encoding="utf-8").read().split("\n")[:-1]
def save(name, lines):
    open(name, "w", encoding="utf-8").write("".join(l + "\n" for l in lines))
with nmtc.Model(["M", "M"]) as m:
    save("py-self.1best", m.translate(src))
    save("py-self.nbest", ["%d ||| %s ||| %.6f" % (i, t, s) for i, hyps in enumerate(m.translate(src, nbest=3))
                           for t, s in (hyps if src[i] else [("", 0.0)])])
    save("py-self.scores", ["" if x is None else "%.6f\t%d" % x for x in m.score(src, tgt)])
with nmtc.Model(["M", "M2"], weights=[1, 3]) as m:
    save("py-ens.nbest", ["%d ||| %s ||| %.6f" % (i, t, s)
                          for i, hyps in enumerate(m.translate(src, nbest=2, beam=3))
                          for t, s in (hyps if src[i] else [("", 0.0)])])
    save("py-ens.scores", ["" if x is None else "%.6f\t%d" % x for x in m.score(src, tgt)])
try:
    nmtc.Model(["M", "M3"])
except nmtc.NmtError as e:
    print("vocab", str(e).startswith("M3: target vocabulary differs from M's ("))
for kw in ({"weights": [1]}, {"weights": [1, -1]}, {"attention_model": 2}):
    try:
        nmtc.Model(["M", "M"], **kw)
    except (ValueError, nmtc.NmtError) as e:
        print("refused", type(e).__name__, e)
PY
    [ $? -eq 0 ] || fail python_ensemble_runs "$(tail -n 5 ens.err)"
    expect_eq python_self_ensemble_translates_as_the_model "$(md5sum <py-self.1best)" "$(md5sum <tool.1best)"
    expect_eq python_self_ensemble_nbest_as_the_model "$(md5sum <py-self.nbest)" "$(md5sum <tool.nbest)"
    expect_eq python_self_ensemble_scores_as_the_model "$(md5sum <py-self.scores)" "$(md5sum <tool.scores)"
    expect_eq python_ensemble_nbest_equals_nmt_translate "$(md5sum <py-ens.nbest)" "$(md5sum <tool-ens.nbest)"
    expect_eq python_ensemble_scores_equal_nmt_score "$(md5sum <py-ens.scores)" "$(md5sum <tool-ens.scores)"
    expect_eq python_ensemble_vocabulary_refused "$(grep ^vocab ens.out)" "vocab True"
    expect_eq python_ensemble_arguments_refused "$(grep ^refused ens.out)" "refused ValueError 1 weights for 2 models (one per model)
refused NmtError nmt_ensemble_load: weight 2 is -1: the weights must be positive and finite
refused ValueError attention_model must be an index of the models (0 to 1), got 2"
fi

# ---- precision (libnmt 1.3): set_precision("int8") gives nmt-translate / nmt-score --precision int8,
# "fp32" again gives fp32's; where int8 cannot run (oneDNN without VNNI) a PrecisionWarning says so ----
"$B/nmt-translate" -m M -i src.txt --nbest 3 --precision int8 --quiet >tool-int8.nbest 2>tool-int8.err
# where this CPU has no VNNI, int8 falls back (with the tools' message) to the default precision
int8_fallback=$(sed -n 's/^nmt-translate: \(int8 products are not available here.*\)$/\1/p' tool-int8.err)
"$B/nmt-score" -m M --src src.txt --tgt tgt.txt --precision int8 --quiet >tool-int8.scores 2>/dev/null
"$PY" - >prec.out 2>prec.err <<'PY'
import nmtc, warnings
src = open("src.txt", encoding="utf-8").read().split("\n")[:-1]
tgt = open("tgt.txt", encoding="utf-8").read().split("\n")[:-1]
def save(name, lines):
    open(name, "w", encoding="utf-8").write("".join(l + "\n" for l in lines))
m = nmtc.Model("M")
print("start", nmtc.precision())
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    got = nmtc.set_precision("int8")
print("int8", got, [str(x.message) for x in w])
save("py-int8.nbest", ["%d ||| %s ||| %.6f" % (i, t, s) for i, hyps in enumerate(m.translate(src, nbest=3))
                       for t, s in (hyps if src[i] else [("", 0.0)])])
save("py-int8.scores", ["" if x is None else "%.6f\t%d" % x for x in m.score(src, tgt)])
for bad in ("int4", 8):
    try:
        nmtc.set_precision(bad)
    except (ValueError, TypeError) as e:
        print("refused", type(e).__name__, e)
print("back", nmtc.set_precision("fp32"))
save("py-back.scores", ["" if x is None else "%.6f\t%d" % x for x in m.score(src, tgt)])
PY
[ $? -eq 0 ] || fail python_precision_runs "$(tail -n 5 prec.err)"
expect_eq python_precision_starts_fp32 "$(grep ^start prec.out)" "start fp32"
if [ -z "$int8_fallback" ]; then
    expect_eq python_int8_set "$(grep ^int8 prec.out)" "int8 int8 []"
else
    expect_eq python_int8_set "$(grep ^int8 prec.out)" "int8 ${int8_fallback##* } [\"$int8_fallback\"]"
fi
expect_eq python_int8_nbest_equals_nmt_translate "$(md5sum <py-int8.nbest)" "$(md5sum <tool-int8.nbest)"
expect_eq python_int8_scores_equal_nmt_score "$(md5sum <py-int8.scores)" "$(md5sum <tool-int8.scores)"
if [ -z "$int8_fallback" ]; then
    expect_eq python_int8_scores_are_not_fp32s "$(cmp -s py-int8.scores tool.scores || echo differ)" differ
else
    skip python_int8_scores_are_not_fp32s "$int8_fallback"
fi
expect_eq python_precision_back_to_fp32 "$(grep ^back prec.out) $(md5sum <py-back.scores)" "back fp32 $(md5sum <tool.scores)"
expect_eq python_precision_names_refused "$(grep ^refused prec.out)" "refused ValueError precision 'int4': expected fp32, bf16 or int8
refused TypeError precision must be a str, got int"
fallback=fp32
grep -qw avx512_bf16 /proc/cpuinfo && fallback=bf16
ONEDNN_MAX_CPU_ISA=avx2 "$PY" - >prec-fb.out 2>&1 <<'PY'
import nmtc, warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    print(nmtc.set_precision("int8"), [(x.category.__name__, str(x.message)) for x in w])
PY
expect_eq python_int8_fallback_warns "$(cat prec-fb.out)" \
    "$fallback [('PrecisionWarning', \"int8 products are not available here (oneDNN's instruction set here is avx2, without VNNI): the products run in $fallback\")]"
ONEDNN_MAX_CPU_ISA=avx2 NMT_GEMM_PRECISION=int8 "$PY" - >prec-env.out 2>&1 <<'PY'
import nmtc, warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    nmtc.Model("M")
    nmtc.Model("M")  # said once
print(nmtc.precision(), [(x.category.__name__, str(x.message)) for x in w])
PY
expect_eq python_int8_env_fallback_warns_once "$(cat prec-env.out)" \
    "$fallback [('PrecisionWarning', 'NMT_GEMM_PRECISION=int8: int8 products are not available here: the products run in $fallback')]"

# ---- the alignment layer: attention(source=...) gives what the tools' --attention-source dumps ----
"$B/nmt-train" --vocab V --train-src train.src --train-tgt train.tgt -o ML --emb 12 --hidden 20 --max-updates 20 \
    --batch 32 --dropout 0 --threads 2 --seed 5 --alignment-layer --quiet >/dev/null 2>&1
if [ ! -s ML ]; then
    fail python_layer_model "could not train a model with the alignment layer"
else
    "$B/nmt-translate" -m ML -i src.txt --attention tool-l-tr.jsonl --quiet >/dev/null
    "$B/nmt-translate" -m ML -i src.txt --attention tool-ld-tr.jsonl --attention-source decoder --quiet >/dev/null
    "$B/nmt-score" -m ML --src src.txt --tgt tgt.txt --attention tool-l-sc.jsonl --quiet >/dev/null
    "$PY" - >layer.out 2>layer.err <<'PY'
import json, nmtc
try:
    import numpy
except ImportError:
    print("numpy missing")
    raise SystemExit
src = open("src.txt", encoding="utf-8").read().split("\n")[:-1]
tgt = open("tgt.txt", encoding="utf-8").read().split("\n")[:-1]
m, plain = nmtc.Model("ML"), nmtc.Model("M")
print("has", m.alignment_layer, plain.alignment_layer)
def same(name, atts):
    ok = True
    for rec, a in zip(map(json.loads, open(name, encoding="utf-8")), atts):
        if a is None or a.matrix.size == 0:
            ok &= rec["attention"] == []
            continue
        ok &= float(abs(numpy.array(rec["attention"], numpy.float32) - a.matrix).max()) < 1e-5
    return ok
print("layer", same("tool-l-tr.jsonl", m.attention(src)), same("tool-l-sc.jsonl", m.attention(src, tgt)),
      same("tool-l-tr.jsonl", m.attention(src, source="alignment")))
print("decoder", same("tool-ld-tr.jsonl", m.attention(src, source="decoder")),
      same("tool-l-tr.jsonl", m.attention(src, source="decoder")))
print("heads", m.attention(src[0], heads=True).matrix.shape[0])
for bad in ("layer", 1):
    try:
        m.attention(src[0], source=bad)
    except ValueError as e:
        print("refused", e)
try:
    plain.attention(src[0], source="alignment")
except nmtc.NmtError as e:
    print("no layer", "has no alignment layer" in str(e))
PY
    if [ $? -ne 0 ]; then
        fail python_layer_runs "$(tail -n 5 layer.err)"
    elif grep -q "numpy missing" layer.out; then
        skip python_layer "python3-numpy is not installed"
    else
        expect_eq python_alignment_layer_property "$(grep ^has layer.out)" "has True False"
        expect_eq python_layer_attention_equals_tools "$(grep ^layer layer.out)" "layer True True True"
        expect_eq python_decoder_source_equals_tools "$(grep ^decoder layer.out)" "decoder True False"
        expect_eq python_layer_one_head "$(grep ^heads layer.out)" "heads 1"
        expect_eq python_source_names_checked "$(grep ^refused layer.out)" \
            "refused source must be 'auto', 'alignment' or 'decoder', got 'layer'
refused source must be 'auto', 'alignment' or 'decoder', got 1"
        expect_eq python_alignment_source_without_layer "$(grep '^no layer' layer.out)" "no layer True"
    fi
fi
