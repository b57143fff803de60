#!/usr/bin/env bash
# Progress lines of nmt-translate and nmt-score: on a terminal (a pty from script(1)) with a
# file as input, a line "N lines  R lines/s  P%  ETA T" rewritten in place; with stderr not
# a terminal, or the input on stdin, stderr holds the summary alone, as before.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
command -v script >/dev/null || { skip progress "script(1) is not installed (apt-get install bsdutils)"; exit 0; }
tiny_model "$T" || { fail progress_model "could not train a tiny model"; exit 0; }
# long enough for the first progress line (after half a second) on a fast machine too:
# 30,000 lines, about 1.5 s for the tiny model on an idle 2-core machine (10,000 took 0.50 s)
for i in $(seq 60); do cat corpora/toy/test.src; done >"$T/big.src"
for i in $(seq 60); do cat corpora/toy/test.tgt; done >"$T/big.tgt"
tr=("$B/nmt-translate" -m "$T/M" --threads 1 --batch 8)
sc=("$B/nmt-score" -m "$T/M" --threads 1 --batch 8 --src "$T/big.src" --tgt "$T/big.tgt")

# not a terminal: only the summary, and the same output
"${tr[@]}" -i "$T/big.src" -o "$T/plain.out" 2>"$T/plain.err"
expect_eq translate_no_progress_when_not_a_terminal "$(grep -c . "$T/plain.err") $(grep -c $'\r\|lines/s' "$T/plain.err")" "1 0"
"${sc[@]}" -o "$T/plain.scores" 2>"$T/plain-sc.err"
expect_eq score_no_progress_when_not_a_terminal "$(grep -c . "$T/plain-sc.err") $(grep -c $'\r\|lines/s' "$T/plain-sc.err")" "1 0"

# on a pty: the progress line appears, then is erased before the summary; the output is unchanged
q() { printf '%q ' "$@"; }
script -qec "$(q "${tr[@]}" -i "$T/big.src" -o "$T/tty.out")" /dev/null >"$T/tty.txt" 2>&1
if grep -qE 'nmt-translate: [0-9]+ lines  [0-9.]+ lines/s  [0-9]+%  ETA [0-9]+m[0-9]+s' "$T/tty.txt"; then
    pass translate_progress_on_terminal
else
    fail translate_progress_on_terminal "$(head -c 300 "$T/tty.txt" | cat -v)"
fi
cmp -s "$T/tty.out" "$T/plain.out" && pass translate_progress_same_output || fail translate_progress_same_output
grep -q $'\e\[Knmt-translate: 30000 lines, 30000 translated' "$T/tty.txt" && pass translate_progress_erased_before_summary ||
    fail translate_progress_erased_before_summary "$(tail -c 200 "$T/tty.txt" | cat -v)"
script -qec "$(q "${sc[@]}" -o "$T/tty.scores")" /dev/null >"$T/tty-sc.txt" 2>&1
grep -qE 'nmt-score: [0-9]+ lines  [0-9.]+ lines/s  [0-9]+%  ETA' "$T/tty-sc.txt" && pass score_progress_on_terminal ||
    fail score_progress_on_terminal "$(head -c 300 "$T/tty-sc.txt" | cat -v)"
cmp -s "$T/tty.scores" "$T/plain.scores" && pass score_progress_same_output || fail score_progress_same_output
# input from a pipe (size unknown): no progress line, even on a terminal
script -qec "cat $(q "$T/big.src") | $(q "${tr[@]}" -o "$T/stdin.out")" /dev/null >"$T/stdin.txt" 2>&1
expect_eq translate_no_progress_for_a_pipe "$(grep -c 'lines/s' "$T/stdin.txt")" 0
# --quiet: nothing at all
script -qec "$(q "${tr[@]}" -i "$T/big.src" -o "$T/quiet.out" --quiet)" /dev/null >"$T/quiet.txt" 2>&1
expect_eq translate_quiet_no_progress "$(wc -c <"$T/quiet.txt")" 0
