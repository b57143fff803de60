#!/usr/bin/env bash
# man.sh TOOL OUT — write the man page of TOOL (a built nmt-* binary) to OUT with
# help2man, from its --help and the hand-written sections in man/NAME.h2m (name,
# examples, exit status, files). help2man reads --help through a small filter that
# spells the usage block the way it parses a synopsis ("Usage:", "   or:", one line
# per form). The page ends with the SHA-256 of the --help text it was made from, which
# tests/cli/test_man.sh compares with the tool's current --help.
set -euo pipefail
tool=$1 out=$2
name=$(basename "$tool")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
include=$here/man/$name.h2m
[ -f "$include" ] || { echo "man.sh: $include is missing" >&2; exit 1; }
command -v help2man >/dev/null || { echo "man.sh: help2man is not installed (scripts/deps.sh man)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tool_abs=$(cd "$(dirname "$tool")" && pwd)/$name
cat >"$tmp/$name" <<WRAP
#!/usr/bin/env bash
if [ "\$1" = --version ]; then echo "$name 1.0.0"; exit 0; fi
"$tool_abs" --help | awk '
    NR == 1 { sub(/^usage:/, "Usage:"); line = \$0; inusage = 1; next }
    inusage && /^ +\[/ { sub(/^ +/, " "); line = line \$0; next }
    inusage && /^ +nmt-/ { print line; sub(/^ +/, "   or: "); line = \$0; next }
    inusage { print line; inusage = 0 }
    { print }
    END { if (inusage) print line }'
WRAP
chmod +x "$tmp/$name"
# A fixed date keeps the page byte-stable (help2man honours SOURCE_DATE_EPOCH).
SOURCE_DATE_EPOCH=1767225600 help2man --no-info --no-discard-stderr --include "$include" "$tmp/$name" >"$tmp/page"
# help2man names the wrapper's directory nowhere, but keep the page free of the temp path anyway
sed -i "s|$tmp/||g" "$tmp/page"
printf '.\\" help-sha256: %s\n' "$("$tool" --help | sha256sum | cut -d' ' -f1)" >>"$tmp/page"
mv "$tmp/page" "$out"
