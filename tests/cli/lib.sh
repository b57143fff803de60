# lib.sh — helpers for the shell tests in tests/cli (sourced, not run).
# Each check prints PASS/FAIL lines like the C tests, so tests/run.sh counts them.
set -u
B=${NMT_BIN:?NMT_BIN must name the tools directory}
T=${NMT_TMP:?NMT_TMP must name a scratch directory}
SHARED=${NMT_SHARED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared}

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; }
skip() { echo "SKIP $1: $2"; }

# expect_ok NAME CMD...: the command exits 0.
expect_ok() {
    local name=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then pass "$name"; else fail "$name" "exit $?: $(head -c 400 "$T/err")"; fi
}
# expect_error NAME PATTERN CMD...: the command fails and stderr matches PATTERN (grep -E).
expect_error() {
    local name=$1 pattern=$2; shift 2
    if "$@" >"$T/out" 2>"$T/err"; then
        fail "$name" "succeeded, expected an error"
    elif grep -Eq -- "$pattern" "$T/err"; then
        pass "$name"
    else
        fail "$name" "stderr was: $(head -c 400 "$T/err")"
    fi
}
# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', expected '$3'"; fi
}
# tiny_model DIR: a vocabulary DIR/V and a tiny model DIR/M trained on the toy corpus in a
# few seconds (its translations are poor; formats and agreement are what tests check).
# Returns non-zero when training failed.
tiny_model() {
    local d=$1 c
    c=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/corpora/toy
    head -n 3000 "$c/train.src" >"$d/train.src"
    head -n 3000 "$c/train.tgt" >"$d/train.tgt"
    "$B/nmt-vocab" --src "$d/train.src" --tgt "$d/train.tgt" --bpe 100 -o "$d/V" --threads 2 >/dev/null 2>&1 &&
        "$B/nmt-train" --vocab "$d/V" --train-src "$d/train.src" --train-tgt "$d/train.tgt" -o "$d/M" --emb 16 \
            --hidden 24 --max-updates 80 --batch 32 --dropout 0 --threads 2 --quiet >/dev/null 2>&1 && [ -s "$d/M" ]
}
# toy_pairs: the first 600 training and 60 validation pairs of the toy corpus as $T/tr.src,
# $T/tr.tgt, $T/va.src and $T/va.tgt, and a word vocabulary of the training pairs as $T/V.
# Returns non-zero when nmt-vocab failed.
toy_pairs() {
    local c
    c=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/corpora/toy
    head -n 600 "$c/train.src" >"$T/tr.src"
    head -n 600 "$c/train.tgt" >"$T/tr.tgt"
    head -n 60 "$c/valid.src" >"$T/va.src"
    head -n 60 "$c/valid.tgt" >"$T/va.tgt"
    "$B/nmt-vocab" --src "$T/tr.src" --tgt "$T/tr.tgt" -o "$T/V" 2>/dev/null
}

# diagonal_links SRC TGT: Pharaoh links i-i for every word index both lines
# of a pair have, one line per pair (guidance whose words always exist).
diagonal_links() {
    paste -d '\t' "$1" "$2" | awk -F '\t' '{ a = split($1, x, " "); b = split($2, y, " "); n = a < b ? a : b
        s = ""; for (i = 0; i < n; i++) s = s (i ? " " : "") i "-" i; print s }'
}
