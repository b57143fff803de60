#!/usr/bin/env bash
# CLI tests of multi-head attention (nmt-train --heads N) on tiny models
# trained here: guided alignment over the heads' mean (thread-independent),
# --alignment-head in nmt-translate and nmt-score (values against the
# dumps, range errors), the dumps' heads (jsonl, tsv, npy, html, whose
# head menu is tried in headless Chromium) and the Python module's
# heads x rows x cols arrays.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
toy=corpora/toy
PY=$(command -v python3 || true)
head -n 300 $toy/test.src >"$T/g.src"
head -n 300 $toy/test.tgt >"$T/g.tgt"
head -n 300 $toy/test.align >"$T/g.align"
"$B/nmt-vocab" --src "$T/g.src" --tgt "$T/g.tgt" -o "$T/V" 2>/dev/null || { fail vocab_for_heads_tests "nmt-vocab failed"; exit 0; }
common=(--vocab "$T/V" --train-src "$T/g.src" --train-tgt "$T/g.tgt" --emb 16 --hidden 16 --att-dim 16 --batch 20
        --shard-size 8 --seed 5 --quiet --max-updates 30 --dropout 0)

# Guided alignment supervises the heads' mean: 1 and 2 threads agree, and it changes the model.
"$B/nmt-train" "${common[@]}" --heads 2 -o "$T/M" --threads 2 2>"$T/err" || { fail heads_setup "$(tail -3 "$T/err")"; exit 0; }
"$B/nmt-train" "${common[@]}" --heads 2 -o "$T/g1" --threads 1 --guided-alignment "$T/g.align" 2>"$T/err1"
"$B/nmt-train" "${common[@]}" --heads 2 -o "$T/g2" --threads 2 --guided-alignment "$T/g.align" 2>"$T/err2"
if [ -s "$T/g1" ] && cmp -s "$T/g1" "$T/g2" && ! cmp -s "$T/g1" "$T/M"; then pass heads_guided_threads_1_and_2_identical
else fail heads_guided_threads_1_and_2_identical "$(cat "$T/err1" "$T/err2" | head -3)"; fi
"$B/nmt-train" "${common[@]}" -o "$T/one" --threads 2 2>/dev/null
M=$T/M
head -n 5 "$T/g.src" >"$T/in"
head -n 5 "$T/g.tgt" >"$T/ref"

# --alignment-head: soft alignments of head 1, head 2 and the mean are the dump's matrices.
tr() { "$B/nmt-translate" -m "$1" --quiet --beam 2 -i "$T/in" "${@:2}"; }
tr "$M" --alignment soft --attention "$T/a.jsonl" >"$T/mean.txt" 2>"$T/err" || fail heads_translate "$(cat "$T/err")"
tr "$M" --alignment soft --alignment-head 1 >"$T/h1.txt" 2>/dev/null
tr "$M" --alignment soft --alignment-head 2 >"$T/h2.txt" 2>/dev/null
tr "$M" --alignment soft --alignment-head mean >"$T/m2.txt" 2>/dev/null
if cmp -s "$T/mean.txt" "$T/m2.txt" && ! cmp -s "$T/h1.txt" "$T/h2.txt"; then pass alignment_head_mean_is_default
else fail alignment_head_mean_is_default; fi
if [ -n "$PY" ]; then
    check=$("$PY" - "$T/a.jsonl" "$T/mean.txt" "$T/h1.txt" "$T/h2.txt" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def soft(path):
    out = []
    for line in open(path, encoding="utf-8"):
        a = line.rstrip("\n").split(" ||| ")[1]
        out.append([[float(x) for x in row.split(",")] for row in a.split(" ")] if a else [])
    return out
mean, h1, h2 = soft(sys.argv[2]), soft(sys.argv[3]), soft(sys.argv[4])
bad = 0
for i, r in enumerate(recs):
    hs = r["heads"]
    bad += len(hs) != 2
    for got, want in ((mean[i], r["attention"]), (h1[i], hs[0]), (h2[i], hs[1])):
        bad += len(got) != len(want) or any(abs(x - y) > 2e-6 for gr, wr in zip(got, want) for x, y in zip(gr, wr))
    for t, row in enumerate(r["attention"]):  # the mean is the heads' mean; every head sums to 1
        bad += any(abs(row[j] - (hs[0][t][j] + hs[1][t][j]) / 2) > 2e-6 for j in range(len(row)))
        bad += abs(sum(hs[0][t]) - 1) > 1e-4 or abs(sum(hs[1][t]) - 1) > 1e-4
print(bad)
EOF
)
    expect_eq alignment_head_reads_that_heads_weights "$check" 0
else
    skip alignment_head_reads_that_heads_weights "no python3"
fi
expect_error alignment_head_beyond_the_models_heads "--alignment-head 3: the model has 2 attention heads \(give 1 \.\. 2 or mean\)" \
    tr "$M" --alignment hard --alignment-head 3
expect_error alignment_head_one_head_model "--alignment-head 2: the model has 1 attention head \(give 1 or mean\)" \
    tr "$T/one" --alignment hard --alignment-head 2
expect_error alignment_head_not_a_head "--alignment-head must be one of mean, got 'first'" \
    tr "$M" --alignment hard --alignment-head first
tr "$T/one" --alignment soft >"$T/o0.txt" 2>/dev/null
tr "$T/one" --alignment soft --alignment-head 1 >"$T/o1.txt" 2>/dev/null
if [ -s "$T/o0.txt" ] && cmp -s "$T/o0.txt" "$T/o1.txt"; then pass one_head_model_head_1_is_the_mean
else fail one_head_model_head_1_is_the_mean; fi

# nmt-score: the same flag; its alignment is the forced dump's head
sc() { "$B/nmt-score" -m "$M" --quiet --src "$T/in" --tgt "$T/ref" "$@"; }
sc --attention "$T/f.jsonl" >/dev/null 2>"$T/err" || fail heads_score "$(cat "$T/err")"
sc --alignment soft --alignment-head 2 >"$T/s2.txt" 2>/dev/null
sc --alignment soft >"$T/s0.txt" 2>/dev/null
if [ -n "$PY" ]; then
    check=$("$PY" - "$T/f.jsonl" "$T/s0.txt" "$T/s2.txt" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
def soft(path):
    return [[[float(x) for x in row.split(",")] for row in l.rstrip("\n").split(" ||| ")[1].split(" ")]
            for l in open(path, encoding="utf-8")]
bad = 0
for got, key in ((soft(sys.argv[2]), None), (soft(sys.argv[3]), 1)):
    for i, r in enumerate(recs):
        want = r["attention"] if key is None else r["heads"][key]
        bad += len(got[i]) != len(want) or any(abs(x - y) > 2e-6 for gr, wr in zip(got[i], want) for x, y in zip(gr, wr))
print(bad)
EOF
)
    expect_eq score_alignment_head_reads_that_heads_weights "$check" 0
else
    skip score_alignment_head_reads_that_heads_weights "no python3"
fi
# hard links from head 2: each target word to the source word its pieces attend to most
sc --alignment hard --alignment-head 2 >"$T/hard2.txt" 2>/dev/null
if [ -n "$PY" ]; then
    check=$("$PY" - "$T/f.jsonl" "$T/hard2.txt" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
lines = [l.rstrip("\n").split(" ||| ")[1] for l in open(sys.argv[2], encoding="utf-8")]
def words(toks):  # word index of every piece: a piece starting with U+2581 starts a word
    w, out = -1, []
    for t in toks:
        w += t.startswith("\u2581") or w < 0
        out.append(w)
    return out
bad = 0
for r, got in zip(recs, lines):
    a = r["heads"][1]
    sw, tw = words(r["src_tokens"]), words(r["tgt_tokens"][:-1])  # no </s> row
    ns, nt = max(sw) + 1, max(tw) + 1
    links = []
    for t in range(nt):
        rows = [i for i in range(len(tw)) if tw[i] == t]
        score = [sum(a[i][j] for i in rows for j in range(len(sw)) if sw[j] == s) / len(rows) for s in range(ns)]
        links.append("%d-%d" % (score.index(max(score)), t))
    bad += " ".join(links) != got
print(bad, len(lines))
EOF
)
    expect_eq score_alignment_head_hard_links "$check" "0 5"
else
    skip score_alignment_head_hard_links "no python3"
fi
expect_error score_alignment_head_beyond_the_models_heads "--alignment-head 5: the model has 2 attention heads" \
    sc --alignment hard --alignment-head 5

# The other dump formats carry the heads too.
tr "$M" --attention "$T/a.tsv" >/dev/null 2>&1
expect_eq dump_tsv_heads "$(grep -c '^# attention: mean of 2 heads$' "$T/a.tsv") $(grep -c '^# head 2$' "$T/a.tsv")" "5 5"
tr "$M" --attention "$T/a.html" >/dev/null 2>&1
expect_eq dump_html_head_menus "$(grep -o '<select class="head"' "$T/a.html" | wc -l)" 5
tr "$M" --attention "$T/npy" --attention-format npy >/dev/null 2>&1
expect_eq dump_npy_heads_files "$(ls "$T/npy" | grep -c '\.heads\.npy$')" 5
if [ -n "$PY" ]; then
    check=$("$PY" - "$T/npy" "$T/a.jsonl" <<'EOF'
import json, struct, sys, ast
d = sys.argv[1]
bad = 0
for i, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    r = json.loads(line)
    raw = open("%s/%06d.heads.npy" % (d, i), "rb").read()
    hlen = struct.unpack("<H", raw[8:10])[0]
    hdr = ast.literal_eval(raw[10:10 + hlen].decode())
    n, tt, ts = hdr["shape"]
    w = struct.unpack("<%df" % (n * tt * ts), raw[10 + hlen:])
    bad += hdr["descr"] != "<f4" or (n, tt, ts) != (2, len(r["tgt_tokens"]), len(r["src_tokens"]))
    bad += any(abs(w[(k * tt + t) * ts + j] - r["heads"][k][t][j]) > 1e-5 for k in range(n) for t in range(tt) for j in range(ts))
print(bad)
EOF
)
    expect_eq dump_npy_heads_shape_and_values "$check" 0
else
    skip dump_npy_heads_shape_and_values "no python3"
fi

# The Python module: heads x rows x cols arrays, the same weights as nmt-score's dump.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "${NMT_SAN:-0}" = 1 ]; then
    skip python_heads "sanitizer build: its libnmt.so cannot be loaded into python"
elif ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    skip python_heads "python3-numpy is not installed (apt-get install python3-numpy)"
else
    # the library starts at fp32 (the tools prefer bf16 where the CPU has it): compare like with like
    NMT_GEMM_PRECISION=fp32 sc --attention "$T/f32.jsonl" >/dev/null 2>&1
    check=$(cd "$T" && NMT_GEMM_PRECISION=fp32 NMTC_LIBRARY=$root/build/libnmt.so.1 PYTHONPATH=$root/python \
        /usr/bin/python3 - "$M" "$T/one" "$T/in" "$T/ref" "$T/f32.jsonl" <<'EOF' 2>&1
import json, sys, numpy, nmtc
m, one = nmtc.Model(sys.argv[1]), nmtc.Model(sys.argv[2])
src = open(sys.argv[3], encoding="utf-8").read().split("\n")[:-1]
tgt = open(sys.argv[4], encoding="utf-8").read().split("\n")[:-1]
recs = [json.loads(l) for l in open(sys.argv[5], encoding="utf-8")]
out = [m.heads, one.heads]
worst, shapes = 0.0, True
for a, mean, r in zip(m.attention(src, tgt, heads=True), m.attention(src, tgt), recs):
    shapes &= a.matrix.shape == (2,) + mean.matrix.shape and a.matrix.dtype == numpy.float32
    worst = max(worst, float(abs(a.matrix - numpy.array(r["heads"], numpy.float32)).max()),
                float(abs(a.matrix.mean(axis=0) - mean.matrix).max()))
a1 = one.attention(src[0], heads=True)
out += [shapes, worst < 1e-5, a1.matrix.shape == (1,) + one.attention(src[0]).matrix.shape]
print(*out)
EOF
)
    expect_eq python_attention_heads_array "$check" "2 1 True True True"
fi

# The html page's head menu, in a browser: choosing head 2 shows head 2's weights (the jsonl's).
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ] || [ -z "$PY" ]; then
    skip html_head_menu_in_browser "no chromium or python3 (scripts/deps.sh test installs them)"
else
    # after the page's own scripts: pick head 2 of the first heatmap, record what its cells show
    sed 's|</body>|<script>var s=document.querySelector("select.head");s.selectedIndex=2;s.dispatchEvent(new Event("change",{bubbles:true}));var w=[],c=[];document.querySelectorAll("table.heatmap")[0].querySelectorAll("tbody td").forEach(function(td){w.push(+td.getAttribute("data-w"));c.push(td.style.background);});document.body.setAttribute("data-test",JSON.stringify({w:w,c:c}));</script></body>|' \
        "$T/a.html" >"$T/probe.html"
    timeout 90 "$chromium_bin" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --user-data-dir="$T/chromium" --virtual-time-budget=5000 --dump-dom "file://$T/probe.html" >"$T/probe.dom" 2>"$T/chromium.err"
    check=$("$PY" - "$T/probe.dom" "$T/a.jsonl" <<'EOF'
import html, json, math, re, sys
m = re.search(r'data-test="([^"]*)"', open(sys.argv[1], encoding="utf-8").read())
if not m:
    print("no result"); sys.exit()
got = json.loads(html.unescape(m.group(1)))
want = [w for row in json.loads(open(sys.argv[2], encoding="utf-8").readline())["heads"][1] for w in row]
def colour(w):  # cell_color's, as the page's script computes it
    g = min(max(w, 0), 1) ** 0.8
    r = lambda x: math.floor(x + 0.5)  # JavaScript's Math.round
    return "rgb(%d, %d, %d)" % (r(255 - 247 * g), r(255 - 207 * g), r(255 - 148 * g))
print(len(got["w"]) == len(want) and all(abs(a - b) < 1e-4 for a, b in zip(got["w"], want)),
      got["c"] == [colour(float("%.4f" % w)) for w in want])
EOF
)
    expect_eq html_head_menu_in_browser "$check" "True True"
fi

# An ensemble reports its attention model's heads, whatever the other
# models have: a 1-head model with the 2-head M, attention from M. Scoring
# (forced alignment) gives M's own matrices; translating gives the same
# dump with the models in either order (the average does not depend on it).
sc() { "$B/nmt-score" --quiet --src "$T/in" --tgt "$T/ref" "$@"; }
sc -m "$M" --attention "$T/s1.jsonl" >/dev/null 2>"$T/err" &&
    sc -m "$T/one" -m "$M" --attention-model 2 --attention "$T/s2.jsonl" >/dev/null 2>>"$T/err" &&
    cmp -s <(grep -o '"attention".*' "$T/s1.jsonl") <(grep -o '"attention".*' "$T/s2.jsonl") &&
    grep -q '"heads"' "$T/s2.jsonl" &&
    pass ensemble_scoring_reports_attention_models_heads || fail ensemble_scoring_reports_attention_models_heads "$(head -3 "$T/err")"
tr "$T/one" -m "$M" --attention-model 2 --attention "$T/e1.jsonl" >"$T/e1.txt" 2>"$T/err" &&
    tr "$M" -m "$T/one" --attention-model 1 --attention "$T/e2.jsonl" >"$T/e2.txt" 2>>"$T/err" &&
    cmp -s "$T/e1.jsonl" "$T/e2.jsonl" && cmp -s "$T/e1.txt" "$T/e2.txt" && grep -q '"heads"' "$T/e1.jsonl" &&
    pass ensemble_translation_reports_attention_models_heads || fail ensemble_translation_reports_attention_models_heads "$(head -3 "$T/err")"
