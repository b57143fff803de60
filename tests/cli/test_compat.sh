#!/usr/bin/env bash
# Same bytes as the recorded base revision: tests/compat/same-output.sh against the commit
# in tests/compat/BASE (it builds both trees itself, optimized, and does not use NMT_BIN).
# Skipped under the sanitizer suite (NMT_SAN=1, set by `make test-san`): one optimized
# build-and-compare per CI run is enough. Skipped when the git history is not there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

if [ "${NMT_SAN:-0}" = 1 ]; then
    skip compat "sanitizer build; the optimized builds are compared by make test"
    exit 0
fi
base=$(head -n 1 "$root/tests/compat/BASE" 2>/dev/null || true)
if ! [[ $base =~ ^[0-9a-f]{40}$ ]]; then
    fail compat "tests/compat/BASE does not hold a 40-hex commit hash"
    exit 0
fi
if ! command -v git >/dev/null 2>&1; then
    skip compat "git is not installed"
    exit 0
fi
if ! git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
    skip compat "not a git checkout, no history to build ${base:0:7} from"
    exit 0
fi
if ! git -C "$root" cat-file -e "$base^{commit}" 2>/dev/null; then
    skip compat "commit ${base:0:7} (tests/compat/BASE) is not in this clone's history (shallow clone?)"
    exit 0
fi

rc=0
bash "$root/tests/compat/same-output.sh" "$base" >"$T/compat.out" 2>"$T/compat.err" || rc=$?
cat "$T/compat.out"
if [ $rc -ne 0 ]; then
    sed 's/^/    /' "$T/compat.err" | tail -n 20 >&2
    grep -q '^FAIL' "$T/compat.out" || fail compat "same-output.sh exited with status $rc: $(tail -n 3 "$T/compat.err" | tr '\n' ' ')"
fi
exit 0
