#!/usr/bin/env bash
# Run every unit-test program and CLI test, then print "N passed, M failed, K skipped".
# Usage: tests/run.sh BUILD_DIR BIN_DIR [TEST...]
# Unit tests are $BUILD_DIR/tests/test_*; CLI tests are tests/cli/*.sh, which get
# NMT_BIN (the tools) and a scratch NMT_TMP. Every program prints PASS/FAIL/SKIP lines.
# Given TESTs (unit-test names, as make test-tsan gives), only those run, and no CLI test.
set -u
build=${1:-build}
bin=${2:-bin}
shift $(($# < 2 ? $# : 2))
only=("$@")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run_one() { # name, command...
    local name=$1
    shift
    local start=$SECONDS
    "$@" >"$log.out" 2>"$log.err"
    local rc=$?
    cat "$log.out"
    if [ $rc -ne 0 ] || grep -q '^FAIL' "$log.out"; then
        sed 's/^/    /' "$log.err" | tail -n 40
        if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$log.out"; then
            echo "FAIL $name (exit status $rc)"
            echo "FAIL $name (exit status $rc)" >>"$log.out"
        fi
        status=1
    fi
    cat "$log.out" >>"$log"
    echo "  ($name: $((SECONDS - start)) s)" >&2
}
if [ ${#only[@]} -gt 0 ]; then
    for name in "${only[@]}"; do
        t=$build/tests/$name
        if [ -x "$t" ]; then run_one "$name" "$t"; else echo "FAIL $name (no $t)" | tee -a "$log"; status=1; fi
    done
else
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        # a program whose source is gone (a test renamed or split) is a stale build, not a test
        [ -f "tests/$(basename "$t").c" ] || continue
        run_one "$(basename "$t")" "$t"
    done
fi
for t in tests/cli/test_*.sh; do
    [ ${#only[@]} -eq 0 ] || break
    [ -f "$t" ] || continue
    tmp=$(mktemp -d)
    run_one "$(basename "$t")" env NMT_BIN="$root/$bin" NMT_TMP="$tmp" bash "$t"
    rm -rf "$tmp"
done
rm -f "$log.out" "$log.err"
passed=$(grep -c '^PASS' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^SKIP' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $status -eq 0 ]
