#!/usr/bin/env bash
# python/nmtc.py (ctypes over libnmt.so) against the command-line tools on the same tiny
# model and lines: translate() = nmt-translate (1-best and n-best), score() = nmt-score,
# attention(src, tgt) = nmt-score --attention, attention(src) = nmt-translate --attention.
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
