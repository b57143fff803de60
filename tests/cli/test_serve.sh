#!/usr/bin/env bash
# nmt-serve, on the loopback address only, every server killed at the end (trap):
# its answers equal nmt-translate's and nmt-score's output for the same lines and
# options; every kind of bad request gets its status and message and the server
# goes on serving; limits, time-outs, a full queue, SIGTERM with a request in
# flight; concurrent clients each get their own answers; several models; the page
# in headless Chromium (skipped without it), with a screenshot.
#
# NMT_SERVE_MODEL=M uses the model M (trained on corpora/toy) instead of a tiny one,
# and NMT_SERVE_SCREENSHOT=FILE copies the page's screenshot there: that is how
# docs/nmt-serve.png is made.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
    skip serve "no /usr/bin/python3 to read the answers' JSON (scripts/deps.sh test installs it)"
    exit 0
fi
if [ -n "${NMT_SERVE_MODEL:-}" ]; then
    M=$NMT_SERVE_MODEL
elif tiny_model "$T"; then
    M=$T/M
else
    fail serve_tiny_model "nmt-train failed"
    exit 0
fi

pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT

# start_server NAME ARGS...: nmt-serve -m M on a free loopback port (more -m in ARGS
# add models); sets SPID, PORT and U. Fails when it does not listen within 10 s.
start_server() {
    local log=$T/serve.$1.log i
    shift
    : >"$log"
    "$B/nmt-serve" -m "$M" --port 0 "$@" 2>"$log" &
    SPID=$!
    pids+=("$SPID")
    PORT=
    for i in $(seq 1 200); do
        PORT=$(sed -n 's#.*listening on http://\(127\.0\.0\.1\|\[::1\]\):\([0-9][0-9]*\)/.*#\2#p' "$log")
        [ -n "$PORT" ] && break
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    [[ "$PORT" =~ ^[0-9]+$ ]] || return 1
    U=http://127.0.0.1:$PORT
    grep -q '\[::1\]' "$log" && U="http://[::1]:$PORT"
    return 0
}
# stop_server: SIGTERM, and the exit status in STOPPED (124 when it did not end within 20 s).
stop_server() { # [wait: the server was already sent SIGTERM; a second one would force it down]
    local i rc killed=0
    [ "${1:-}" = wait ] || kill -TERM "$SPID" 2>/dev/null
    for i in $(seq 1 400); do
        kill -0 "$SPID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$SPID" 2>/dev/null; then
        kill -KILL "$SPID"
        killed=1
    fi
    wait "$SPID"
    rc=$?
    STOPPED=$rc
    [ $killed = 1 ] && STOPPED=124
    return 0
}
# call METHOD PATH [FILE] [CURL ARGS...]: the status in STATUS, the body in $T/resp.
call() {
    local method=$1 path=$2 data=${3:-}
    shift 3 2>/dev/null || shift $#
    STATUS=$(curl -s -g --noproxy '*' --max-time 60 -o "$T/resp" -w '%{http_code}' -X "$method" \
        ${data:+--data-binary "@$data"} -H 'Content-Type: application/json' "$@" "$U$path")
}
# post PATH JSON: call with the JSON text as the body.
post() {
    printf '%s' "$2" >"$T/body"
    call POST "$1" "$T/body"
}
# expect_status NAME STATUS PATTERN: the last call's status, and its {"error"} matches PATTERN.
expect_status() {
    local got
    got=$(j error)
    if [ "$STATUS" = "$2" ] && grep -Eq -- "$3" <<<"$got"; then pass "$1"; else fail "$1" "status $STATUS: $(head -c 300 "$T/resp")"; fi
}
# j WHAT [FILE]: what check.py reads from an answer (default: the last one).
j() { "$PY" "$T/check.py" "$1" "${2:-$T/resp}"; }

cat >"$T/check.py" <<'EOF'
import html.parser, json, struct, sys
what, path = sys.argv[1], sys.argv[2]
def f32(x):  # the float the server printed with 9 digits
    return struct.unpack("f", struct.pack("f", x))[0]
def load():
    return json.load(open(path, encoding="utf-8"))
def links(pairs):
    return " ".join(f"{s}-{t}" for s, t in pairs)
def matrix(rows):  # as the jsonl dumps print weights (%.6g)
    return ";".join(",".join("%.6g" % f32(w) for w in r) for r in rows)
if what == "error":
    d = load(); print(f'{d["status"]} {d["error"]}')
elif what == "texts":
    for t in load()["translations"]: print(t["text"])
elif what == "nbest":  # nmt-translate --nbest: ID ||| text ||| score
    for i, t in enumerate(load()["translations"]):
        for h in t["nbest"]: print(f'{i} ||| {h["text"]} ||| {h["score"]:.6f}')
elif what == "align":  # nmt-translate --alignment hard
    for t in load()["translations"]: print(f'{t["text"]} ||| {links(t["alignment"])}')
elif what == "att":  # tokens and weights, one line per input line
    for t in load()["translations"]:
        print(" ".join(t["src_tokens"]), "|", " ".join(t["tgt_tokens"]), "|", matrix(t["attention"]))
elif what == "scoreatt":
    for t in load()["scores"]:
        print(" ".join(t.get("src_tokens", [])), "|", " ".join(t.get("tgt_tokens", [])), "|", matrix(t.get("attention", [])))
elif what == "dump":  # a jsonl attention dump of the tools, the same way
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        print(" ".join(d["src_tokens"]), "|", " ".join(d["tgt_tokens"]), "|",
              ";".join(",".join("%.6g" % w for w in r) for r in d["attention"]))
elif what == "scores":  # nmt-score: LOGPROB<TAB>LENGTH, an empty line for an empty source
    for t in load()["scores"]:
        print("" if t["logprob"] is None else f'{t["logprob"]:.6f}\t{t["steps"]}')
elif what == "scorealign":
    for t in load()["scores"]:
        print("" if t["logprob"] is None else f'{t["logprob"]:.6f}\t{t["steps"]} ||| {links(t["alignment"])}')
elif what == "summary":  # nmt-score's summary line
    d = load()
    print(f'{d["scored"]} pairs scored, {d["tokens"]} target tokens, log-prob {d["logprob"]:.4f}, perplexity {d["perplexity"]:.4f}')
elif what == "cells":  # per line: source tokens x target tokens, and the cells of the word links
    for t in load()["translations"]:
        print(len(t["src_tokens"]) * len(t["tgt_tokens"]), len(t["links"]))
elif what == "models":
    print(" ".join(m["name"] for m in load()["models"]))
elif what == "dom":  # the page after the browser ran it
    class P(html.parser.HTMLParser):
        def __init__(s):
            super().__init__(); s.stack = []; s.out = {"td": [], "m": [], "tgt": [], "src": [], "state": "", "b_in_src": 0, "weighed": 0}
        def handle_starttag(s, tag, attrs):
            a = dict(attrs); cls = a.get("class", "") or ""
            if tag == "body": s.out["state"] = a.get("data-state", "")
            if tag == "section": s.out["td"].append(0); s.out["m"].append(0)
            if tag == "td" and s.out["td"]: s.out["td"][-1] += 1; s.out["m"][-1] += cls == "m"
            if tag == "td" and "data-w" in a and "\u2190" in a.get("title", ""): s.out["weighed"] += 1
            if tag == "b" and any(c == "src" for _, c in s.stack): s.out["b_in_src"] += 1
            s.stack.append((tag, cls))
        def handle_endtag(s, tag):
            while s.stack and s.stack.pop()[0] != tag: pass
        def handle_data(s, data):
            if s.stack and s.stack[-1][1] in ("tgt", "src"): s.out[s.stack[-1][1]].append(data)
    p = P(); p.feed(open(path, encoding="utf-8").read()); o = p.out
    print("state", o["state"])
    for k in range(len(o["td"])): print(o["td"][k], o["m"][k])
    print("tgt", "|".join(o["tgt"])); print("src", "|".join(o["src"])); print("b_in_src", o["b_in_src"])
    print("hover", "every cell" if o["weighed"] == sum(o["td"]) > 0 else f'{o["weighed"]} of {sum(o["td"])} cells')
elif what == "sameweights":  # the page's heatmaps (path) show the answer's attention (argv[3]), within the 4 decimals shown
    class W(html.parser.HTMLParser):
        def __init__(s):
            super().__init__(); s.w = []
        def handle_starttag(s, tag, attrs):
            a = dict(attrs)
            if tag == "section": s.w.append([])
            if tag == "td" and "data-w" in a and s.w: s.w[-1].append(float(a["data-w"]))
    p = W(); p.feed(open(path, encoding="utf-8").read())
    want = [[w for r in t["attention"] for w in r] for t in json.load(open(sys.argv[3], encoding="utf-8"))["translations"]]
    print("same" if len(p.w) == len(want) and all(len(a) == len(b) and all(abs(x - y) < 1.5e-4 for x, y in zip(a, b))
                                                  for a, b in zip(p.w, want)) else f"differ: {p.w[:1]} {want[:1]}")
EOF

# ---------------------------------------------------------------- the tools' output
head -n 30 "$root/corpora/toy/test.src" >"$T/in.txt"
{ echo; echo "Ünïcødé ✓ <b>&amp;</b> \"quoted\""; echo "  "; head -n 5 "$root/corpora/toy/valid.src"; } >>"$T/in.txt"
head -n 30 "$root/corpora/toy/test.tgt" >"$T/ref.txt"
{ echo "x"; echo "Ünïcødé ✓"; echo "y"; head -n 5 "$root/corpora/toy/valid.tgt"; } >>"$T/ref.txt"
lines_json() { "$PY" -c 'import json,sys; print(json.dumps([l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]))' "$1"; }
src_json=$(lines_json "$T/in.txt")
tgt_json=$(lines_json "$T/ref.txt")

if ! start_server main --workers 2; then
    fail serve_starts "$(cat "$T/serve.main.log")"
    exit 0
fi
pass serve_starts
grep -q "listening on http://127.0.0.1:$PORT/ (1 model, 2 workers" "$T/serve.main.log" &&
    pass serve_listens_on_loopback_by_default || fail serve_listens_on_loopback_by_default "$(cat "$T/serve.main.log")"

"$B/nmt-translate" -m "$M" -i "$T/in.txt" -o "$T/tool.txt" --attention "$T/tool.jsonl" --quiet
post /translate "{\"text\": $src_json, \"attention\": true}"
expect_eq serve_translate_status "$STATUS" 200
expect_eq serve_translate_equals_nmt_translate "$(j texts)" "$(cat "$T/tool.txt")"
"$PY" "$T/check.py" dump "$T/tool.jsonl" >"$T/tool.att"
expect_eq serve_attention_equals_the_dump "$(j att)" "$(cat "$T/tool.att")"
expect_eq serve_translate_lines_in_order "$(j texts | wc -l)" "$(wc -l <"$T/in.txt")"

"$B/nmt-translate" -m "$M" -i "$T/in.txt" --beam 4 --nbest 3 --length-penalty 1 --quiet >"$T/tool.nbest"
post /translate "{\"text\": $src_json, \"beam\": 4, \"nbest\": 3, \"length_penalty\": 1}"
expect_eq serve_nbest_equals_nmt_translate "$(j nbest)" "$(cat "$T/tool.nbest")"

"$B/nmt-translate" -m "$M" -i "$T/in.txt" --beam 1 --alignment hard --batch 7 --quiet >"$T/tool.align"
post /translate "{\"text\": $src_json, \"beam\": 1, \"alignment\": true, \"batch\": 7}"
expect_eq serve_alignment_equals_nmt_translate "$(j align)" "$(cat "$T/tool.align")"
# the marked cells are the cells of the word links, inside the matrix
post /translate "{\"text\": [\"he sees the dog.\"], \"alignment\": true, \"attention\": true}"
cells=$(j cells)
[ "${cells#* }" -ge 1 ] && [ "${cells#* }" -le "${cells% *}" ] && pass serve_links_mark_cells ||
    fail serve_links_mark_cells "$cells"

"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" -o "$T/tool.scores" --attention "$T/score.jsonl" \
    2>"$T/score.err"
post /score "{\"src\": $src_json, \"tgt\": $tgt_json, \"attention\": true}"
expect_eq serve_score_status "$STATUS" 200
expect_eq serve_score_equals_nmt_score "$(j scores)" "$(cat "$T/tool.scores")"
expect_eq serve_score_summary_equals_nmt_score "$(j summary)" \
    "$(sed -n 's/^nmt-score: \([0-9]* pairs scored, .*\), perplexity \([0-9.]*\).*/\1, perplexity \2/p' "$T/score.err")"
"$PY" "$T/check.py" dump "$T/score.jsonl" >"$T/score.att"
expect_eq serve_forced_attention_equals_the_dump "$(j scoreatt)" "$(cat "$T/score.att")"
"$B/nmt-score" -m "$M" --src "$T/in.txt" --tgt "$T/ref.txt" --alignment hard --batch 5 --quiet >"$T/tool.salign"
post /score "{\"src\": $src_json, \"tgt\": $tgt_json, \"alignment\": true, \"batch\": 5}"
expect_eq serve_forced_alignment_equals_nmt_score "$(j scorealign)" "$(cat "$T/tool.salign")"

# ---------------------------------------------------------------- the other routes
call GET /health ""
expect_eq serve_health "$STATUS $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$T/resp")" "200 ok"
call GET /model ""
expect_eq serve_model_info "$STATUS $(j models)" "200 $M"
"$PY" - "$T/resp" <<'EOF' && pass serve_model_settings || fail serve_model_settings "$(head -c 300 "$T/resp")"
import json, sys
d = json.load(open(sys.argv[1]))
m = d["models"][0]
assert m["parameters"] > 0 and m["vocabulary"]["src"] > 4 and m["settings"]["hidden"] > 0, m
assert d["defaults"]["beam"] == 5 and d["limits"]["max_lines"] == 1000 and d["precision"] in ("fp32", "bf16"), d
EOF
call GET / ""
grep -q 'id="ask"' "$T/resp" && [ "$STATUS" = 200 ] && pass serve_page || fail serve_page "status $STATUS"
# nothing on the page comes from elsewhere: no src/href to another origin, and the policy says so
if grep -Eq '(src|href)=|https?://' "$T/resp"; then fail serve_page_self_contained "$(grep -Eo '(src|href)=.{30}|https?://.{20}' "$T/resp" | head -3)"; else pass serve_page_self_contained; fi
curl -s -g --noproxy '*' -D "$T/headers" -o /dev/null "$U/"
grep -qi "^Content-Security-Policy: default-src 'none'.*connect-src 'self'" "$T/headers" &&
    pass serve_page_policy || fail serve_page_policy "$(cat "$T/headers")"

# ---------------------------------------------------------------- bad requests, one of each kind
post /translate '{"text": ["a"'
expect_status serve_400_bad_json 400 "^400 bad JSON at byte 13 of 13$"
post /translate '{"text": ["a"]} x'
expect_status serve_400_trailing_data 400 'more after the value at byte 17'
post /translate '["a", "b"]'
expect_status serve_400_not_an_object 400 'must be a JSON object'
post /translate '{"txt": ["a"]}'
expect_status serve_400_unknown_key 400 'unknown key "txt" \(a /translate request takes text, model, beam'
post /translate '{"text": ["a"], "beam": 2, "beam": 3}'
expect_status serve_400_key_twice 400 'key "beam" given twice'
post /translate '{"text": ["a"], "beam": "5"}'
expect_status serve_400_wrong_type 400 '^400 beam must be a number$'
post /translate '{"text": ["a"], "beam": 0}'
expect_status serve_400_out_of_range 400 '^400 beam must be between 1 and 256, got 0$'
post /translate '{"text": ["a"], "beam": 2.5}'
expect_status serve_400_not_whole 400 'beam expects a whole number'
post /translate '{"text": ["a"], "length_penalty": 11}'
expect_status serve_400_float_range 400 'length_penalty must be between 0 and 10, got 11'
post /translate '{"text": ["a"], "beam": 64}'
expect_status serve_400_beam_limit 400 "beam 64 is above this server's limit of 16 \(--max-beam\)"
post /translate '{"text": ["a"], "beam": 2, "nbest": 3}'
expect_status serve_400_nbest_above_beam 400 'nbest 3 is larger than the beam \(2\)'
post /translate '{"text": ["a"], "attention": 1}'
expect_status serve_400_switch_type 400 'attention must be true or false'
post /translate '{"text": ["a", 5]}'
expect_status serve_400_line_not_string 400 'text:2: not a string'
post /translate '{"text": ["a"], "model": "nope"}'
expect_status serve_400_unknown_model 400 "no model named \"nope\" \(this server has \"$M\"\)"
post /translate '{"text": ["a\u0000b"]}'
expect_status serve_400_nul_escape 400 'a \\u0000 \(NUL\) character at byte 13'
post /translate '{"text": ["a\\u0000b"]}'
expect_eq serve_escaped_backslash_is_no_nul "$STATUS" 200
post /score '{"src": ["a", "b"], "tgt": ["a"]}'
expect_status serve_400_pair_counts 400 '"src" has 2 lines but "tgt" has 1'
# more sources than targets by two, and the other way: the arrays are freed by their own lengths
post /score '{"src": ["a", "b", "c"], "tgt": ["a"]}'
expect_status serve_400_pair_counts_3_1 400 '"src" has 3 lines but "tgt" has 1'
post /score '{"src": ["a"], "tgt": ["a", "b", "c"]}'
expect_status serve_400_pair_counts_1_3 400 '"src" has 1 lines but "tgt" has 3'
post /score '{"src": ["a"]}'
expect_status serve_400_missing_lines 400 'the request has no "tgt"'
printf '{"text": ["ok", "b\xffd"]}' >"$T/bad.json"
call POST /translate "$T/bad.json"
expect_status serve_422_invalid_utf8 422 '^422 text:2: invalid UTF-8 at byte 2$'
printf '{"src": ["ok"], "tgt": ["\xc3"]}' >"$T/bad.json"
call POST /score "$T/bad.json"
expect_status serve_422_invalid_utf8_score 422 '^422 tgt:1: invalid UTF-8 at byte 1$'
post /translate '{"text": ["one", "two\nlines"]}'
expect_status serve_422_line_break 422 'text:2: a line break at byte 4'
call GET /nowhere ""
expect_status serve_404 404 'no such path: /nowhere'
call GET /translate ""
expect_status serve_405 405 '/translate takes POST'
curl -s -g --noproxy '*' -D "$T/headers" -o /dev/null "$U/translate"
grep -qi '^Allow: POST' "$T/headers" && pass serve_405_allow || fail serve_405_allow "$(cat "$T/headers")"
call POST /health ""
expect_status serve_405_post_health 405 '/health takes GET'
head -c 1100000 /dev/zero | tr '\0' 'a' >"$T/huge"
call POST /translate "$T/huge"
expect_status serve_413_request_bytes 413 'at most 1048576 \(--max-request-bytes\)'
# without a Content-Length (chunked), the body is read up to the limit and refused too
call POST /translate "$T/huge" -H 'Transfer-Encoding: chunked'
expect_status serve_413_chunked 413 'more than 1048576 bytes'
"$PY" -c 'import json; print(json.dumps({"text": ["a"] * 1001}))' >"$T/many.json"
call POST /translate "$T/many.json"
expect_status serve_413_lines 413 '"text" has 1001 lines: this server takes at most 1000 per request \(--max-lines\)'
"$PY" -c 'import json; print(json.dumps({"text": ["a", "b" * 5000]}))' >"$T/long.json"
call POST /translate "$T/long.json"
expect_status serve_413_line_bytes 413 'text:2: 5000 bytes: this server takes lines of at most 4096 bytes'
post /translate '{"text": []}'
expect_eq serve_no_lines "$STATUS $(cat "$T/resp")" '200 {"model":"'"$M"'","translations":[]}'
# still serving, with the same answers
post /translate "{\"text\": $src_json}"
expect_eq serve_still_serving_after_bad_requests "$STATUS $(j texts | md5sum)" "200 $(md5sum <"$T/tool.txt")"

# ---------------------------------------------------------------- concurrent clients
if "$PY" "$root/bench/serve-load.py" "$U" "$root/corpora/toy/test.src" 6 8 3 >"$T/load.out" 2>&1; then
    pass serve_concurrent_clients_get_their_own_answers
else
    fail serve_concurrent_clients_get_their_own_answers "$(tail -n 4 "$T/load.out")"
fi
stop_server
expect_eq serve_sigterm_exit_status "$STOPPED" 0
grep -q 'stopped after' "$T/serve.main.log" && pass serve_says_it_stopped || fail serve_says_it_stopped "$(tail -2 "$T/serve.main.log")"

# requests joined by a worker (--join): every client gets the answers about its own lines
if start_server join --workers 1 --join 8; then
    if "$PY" "$root/bench/serve-load.py" "$U" "$root/corpora/toy/test.src" 6 8 2 --compare sources >"$T/load.out" 2>&1; then
        pass serve_join_clients_get_their_own_answers
    else
        fail serve_join_clients_get_their_own_answers "$(tail -n 4 "$T/load.out")"
    fi
    stop_server
else
    fail serve_join_starts "$(cat "$T/serve.join.log")"
fi

# ---------------------------------------------------------------- several models
cp "$M" "$T/M2"
if start_server two -m "$T/M2" --workers 1; then
    call GET /model ""
    expect_eq serve_two_models_listed "$(j models)" "$M $T/M2"
    post /translate "{\"text\": $src_json, \"model\": \"$T/M2\"}"
    expect_eq serve_second_model_answers "$STATUS $(j texts | md5sum)" "200 $(md5sum <"$T/tool.txt")"
    grep -q '"model":"'"$T/M2"'"' "$T/resp" && pass serve_answer_names_its_model || fail serve_answer_names_its_model
    stop_server
else
    fail serve_two_models_start "$(cat "$T/serve.two.log")"
fi

# ---------------------------------------------------------------- a model with the alignment layer
# its answers' attention and links are the layer's by default (those of nmt-translate's and nmt-score's
# dumps), attention_source "decoder" gives the decoder's; asking the layer of a model without one is refused
"$B/nmt-train" --vocab "$T/V" --train-src "$T/train.src" --train-tgt "$T/train.tgt" -o "$T/ML" --emb 16 --hidden 24 \
    --max-updates 20 --batch 32 --dropout 0 --threads 2 --alignment-layer --quiet >/dev/null 2>&1
if [ -n "${NMT_SERVE_MODEL:-}" ] || [ ! -s "$T/ML" ]; then
    skip serve_alignment_layer "no tiny model with the layer (NMT_SERVE_MODEL given, or nmt-train failed)"
elif start_server layer -m "$T/ML" --workers 1; then
    head -n 5 "$T/in.txt" >"$T/in5.txt"
    five=$(lines_json "$T/in5.txt")
    "$B/nmt-translate" -m "$T/ML" -i "$T/in5.txt" --attention "$T/ml-layer.jsonl" --quiet >/dev/null
    "$B/nmt-translate" -m "$T/ML" -i "$T/in5.txt" --attention "$T/ml-decoder.jsonl" --attention-source decoder \
        --quiet >/dev/null
    "$B/nmt-score" -m "$T/ML" --src "$T/in5.txt" --tgt "$T/in5.txt" --attention "$T/ml-score.jsonl" --quiet >/dev/null
    call GET /model ""
    expect_eq serve_model_tells_alignment_layer "$("$PY" -c 'import json,sys; print([m["alignment_layer"] for m in
json.load(open(sys.argv[1]))["models"]])' "$T/resp")" "[False, True]"
    post /translate "{\"text\": $five, \"model\": \"$T/ML\", \"attention\": true}"
    expect_eq serve_layer_attention_by_default "$(j att)" "$("$PY" "$T/check.py" dump "$T/ml-layer.jsonl")"
    post /translate "{\"text\": $five, \"model\": \"$T/ML\", \"attention\": true, \"attention_source\": \"decoder\"}"
    expect_eq serve_decoder_attention_on_request "$(j att)" "$("$PY" "$T/check.py" dump "$T/ml-decoder.jsonl")"
    post /score "{\"src\": $five, \"tgt\": $five, \"model\": \"$T/ML\", \"attention\": true}"
    expect_eq serve_score_layer_attention "$(j scoreatt)" "$("$PY" "$T/check.py" dump "$T/ml-score.jsonl")"
    post /translate "{\"text\": $five, \"attention_source\": \"alignment\"}"
    expect_eq serve_alignment_source_without_layer "$STATUS $(j error)" \
        "400 400 $M has no alignment layer: --attention-source alignment needs a model trained with --alignment-layer (or use --attention-source decoder)"
    post /translate "{\"text\": $five, \"attention_source\": \"layer\"}"
    expect_eq serve_attention_source_names "$STATUS $(j error)" \
        "400 400 attention_source must be one of auto, alignment, decoder, got 'layer'"
    stop_server
else
    fail serve_layer_starts "$(cat "$T/serve.layer.log")"
fi
expect_error serve_same_model_twice "two models are named" "$B/nmt-serve" -m "$M" -m "$M"
expect_error serve_missing_model "$T/none: cannot open: No such file or directory" "$B/nmt-serve" -m "$M" -m "$T/none"
expect_error serve_port_range "^nmt-serve: --port must be between 0 and 65535, got 70000$" "$B/nmt-serve" -m "$M" --port 70000
expect_error serve_host_choice "^nmt-serve: --host must be one of 127.0.0.1, ::1, 0.0.0.0, ::, got '10.1.2.3'$" \
    "$B/nmt-serve" -m "$M" --host 10.1.2.3

# ---------------------------------------------------------------- a busy server: queue, waiting, SIGTERM
# a request that keeps one worker busy for a few seconds (long lines, a wide beam; fewer
# lines for a real model, which decodes much longer outputs)
slow_lines=400 slower_lines=2000
[ -n "${NMT_SERVE_MODEL:-}" ] && slow_lines=12 slower_lines=30
for f in "slow $slow_lines" "slower $slower_lines"; do
    "$PY" - "$root/corpora/toy/train.src" "$T/${f% *}.json" "${f#* }" <<'EOF'
import json, random, sys
random.seed(7)
words = open(sys.argv[1], encoding="utf-8").read().split()
lines = [" ".join(random.choice(words) for _ in range(700))[:4000] for _ in range(int(sys.argv[3]))]
json.dump({"text": lines, "beam": 16, "max_length_ratio": 100}, open(sys.argv[2], "w"))
EOF
done
# wait_decoding: until /health says a request is being decoded (at most 10 s)
wait_decoding() {
    local i
    for i in $(seq 1 200); do
        curl -s --noproxy '*' "$U/health" | grep -q '"decoding":[1-9]' && return 0
        sleep 0.05
    done
    return 1
}
if start_server busy --workers 1 --queue 0 --max-lines 2000 --max-request-bytes 16000000; then
    curl -s --noproxy '*' --max-time 120 -o "$T/slow.out" -w '%{http_code}' --data-binary "@$T/slower.json" "$U/translate" >"$T/slow.status" &
    slow=$!
    if wait_decoding; then
        post /translate '{"text": ["a"]}'
        expect_status serve_503_queue_full 503 'the queue is full.*\(--queue\)'
    else
        fail serve_503_queue_full "the slow request was never seen decoding"
    fi
    wait "$slow"
    expect_eq serve_busy_request_answered "$(cat "$T/slow.status")" 200
    stop_server
else
    fail serve_busy_starts "$(cat "$T/serve.busy.log")"
fi
# (behind the slower request, which takes several seconds even on a fast machine)
if start_server wait --workers 1 --max-wait 1 --max-lines 2000 --max-request-bytes 16000000; then
    curl -s --noproxy '*' --max-time 120 -o /dev/null --data-binary "@$T/slower.json" "$U/translate" &
    slow=$!
    wait_decoding
    post /translate '{"text": ["a"]}' # waits behind the slower one for more than a second
    expect_status serve_503_waited_too_long 503 'waited [0-9.]+ s for a worker.*\(--max-wait 1\)'
    wait "$slow"
    stop_server
else
    fail serve_wait_starts "$(cat "$T/serve.wait.log")"
fi
# SIGTERM with a request in flight: it is answered in full, then the server exits 0
if start_server term --workers 1 --max-request-bytes 4000000; then
    curl -s --noproxy '*' --max-time 120 -o "$T/term.out" -w '%{http_code}' --data-binary "@$T/slow.json" "$U/translate" >"$T/term.status" &
    slow=$!
    wait_decoding
    kill -TERM "$SPID"
    sleep 0.3
    # no new connections while it finishes
    if curl -s --noproxy '*' --max-time 5 -o /dev/null "$U/health"; then fail serve_sigterm_stops_accepting; else pass serve_sigterm_stops_accepting; fi
    wait "$slow"
    n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["translations"]))' "$T/term.out" 2>&1)
    expect_eq serve_sigterm_finishes_the_request_in_flight "$(cat "$T/term.status") $n" "200 $slow_lines"
    stop_server wait
    expect_eq serve_sigterm_then_exit_0 "$STOPPED" 0
else
    fail serve_term_starts "$(cat "$T/serve.term.log")"
fi

# a second signal does not wait
if start_server term2 --workers 1 --max-request-bytes 4000000; then
    curl -s --noproxy '*' --max-time 120 -o /dev/null --data-binary "@$T/slow.json" "$U/translate" &
    slow=$!
    wait_decoding
    kill -TERM "$SPID"
    sleep 0.2
    kill -TERM "$SPID"
    stop_server
    expect_eq serve_second_sigterm_ends_it_at_once "$STOPPED" 143
    wait "$slow"
else
    fail serve_term2_starts "$(cat "$T/serve.term2.log")"
fi

# ---------------------------------------------------------------- slow and idle clients
if start_server idle --timeout 1; then
    start=$SECONDS
    # headers announce a body that never comes: the connection is closed after --timeout
    "$PY" - "$PORT" >"$T/idle.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"te")
t0 = time.time()
data = s.recv(4096)  # b"" when the server closes the connection
print("closed" if data == b"" else "answered", round(time.time() - t0))
EOF
    case $(cat "$T/idle.out") in "closed "[0-4]) pass serve_slow_client_times_out ;; *) fail serve_slow_client_times_out "$(cat "$T/idle.out")" ;; esac
    call GET /health ""
    expect_eq serve_serving_after_a_slow_client "$STATUS" 200
    stop_server
else
    fail serve_idle_starts "$(cat "$T/serve.idle.log")"
fi
# the IPv6 loopback address (skipped where the machine has none)
if start_server v6 --workers 1 --host ::1; then
    call GET /health ""
    expect_eq serve_ipv6_loopback "$STATUS $U" "200 http://[::1]:$PORT"
    stop_server
else
    skip serve_ipv6_loopback "cannot listen on [::1] here: $(head -c 200 "$T/serve.v6.log")"
fi
# the port is taken: the reason is named
if start_server first; then
    expect_error serve_port_in_use "127.0.0.1:$PORT: cannot listen: Address already in use" \
        "$B/nmt-serve" -m "$M" --port "$PORT"
    stop_server
fi

# ---------------------------------------------------------------- the page in a browser
chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
    skip serve_page_in_browser "no chromium (Debian's chromium package; scripts/deps.sh test installs it)"
elif ! start_server page --workers 1; then
    fail serve_page_starts "$(cat "$T/serve.page.log")"
else
    text='he sees the big dog and the small cat.
<b>bold</b> & "quoted"'
    q=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$text")
    url="$U/?text=$q&beam=5&nbest=3"
    browse() { # chromium, headless, its own profile, bounded in time
        timeout 90 "$chromium_bin" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
            --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
            --user-data-dir="$T/chromium" --virtual-time-budget=20000 "$@" 2>>"$T/chromium.err"
    }
    browse --dump-dom "$url" >"$T/dom.html"
    j dom "$T/dom.html" >"$T/dom.txt"
    printf '%s\n' "$text" >"$T/page.txt"
    post /translate "{\"text\": $(lines_json "$T/page.txt"), \"beam\": 5, \"nbest\": 3, \"alignment\": true, \"attention\": true}"
    expect_eq serve_page_in_browser_answered "$(sed -n 1p "$T/dom.txt")" "state done"
    expect_eq serve_page_one_cell_per_token_pair "$(sed -n '2,3p' "$T/dom.txt")" "$(j cells)"
    expect_eq serve_page_shows_the_translation "$(sed -n 's/^tgt //p' "$T/dom.txt")" "$(j texts | paste -sd '|')"
    expect_eq serve_page_escapes_the_text "$(sed -n 's/^src //p' "$T/dom.txt") $(sed -n 's/^b_in_src //p' "$T/dom.txt")" \
        "$(paste -sd '|' "$T/page.txt") 0"
    expect_eq serve_page_cells_show_their_weight "$(sed -n 's/^hover //p' "$T/dom.txt")" "every cell"
    browse --screenshot="$T/page.png" --window-size=1100,1000 --hide-scrollbars "$url" >/dev/null
    if [ -s "$T/page.png" ] && [ "$(head -c 8 "$T/page.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
        pass serve_page_screenshot
        [ -n "${NMT_SERVE_SCREENSHOT:-}" ] && cp "$T/page.png" "$NMT_SERVE_SCREENSHOT"
    else
        fail serve_page_screenshot "$(tail -n 3 "$T/chromium.err")"
    fi
    stop_server
    # the attention menu: with the layer model, ?source=decoder draws the decoder's attention, the default the layer's
    if [ -s "$T/ML" ] && start_server page-layer -m "$T/ML" --workers 1; then
        for src in auto decoder; do
            browse --dump-dom "$U/?text=$q&beam=5&nbest=3&model=$T/ML&source=$src" >"$T/dom-$src.html"
            post /translate "{\"text\": $(lines_json "$T/page.txt"), \"beam\": 5, \"nbest\": 3, \"model\": \"$T/ML\",
                \"attention\": true, \"attention_source\": \"$src\"}"
            cp "$T/resp" "$T/resp-$src"
        done
        expect_eq serve_page_layer_by_default "$("$PY" "$T/check.py" sameweights "$T/dom-auto.html" "$T/resp-auto")" same
        expect_eq serve_page_decoder_on_request "$("$PY" "$T/check.py" sameweights "$T/dom-decoder.html" "$T/resp-decoder")" same
        "$PY" "$T/check.py" sameweights "$T/dom-decoder.html" "$T/resp-auto" | grep -q '^differ' &&
            pass serve_page_sources_differ || fail serve_page_sources_differ
        stop_server
    fi
fi
