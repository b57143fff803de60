#!/usr/bin/env bash
# The man pages (man/nmt-*.1, made by `make man` with help2man from --help and
# man/NAME.h2m) are in step with the tools: each page records the SHA-256 of the --help
# it was made from, which must be the tool's current --help; it has a synopsis, every
# option of --help, examples, the exit status and the files; and it renders without
# warnings.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# page_problems TOOL PAGE: prints what is wrong with PAGE for TOOL (nothing when it is in step).
page_problems() {
    local tool=$1 page=$2 want have opt plain
    [ -f "$page" ] || { echo "no page"; return; }
    want=$("$tool" --help | sha256sum | cut -d' ' -f1)
    have=$(sed -n 's/^\.\\" help-sha256: //p' "$page")
    [ "$want" = "$have" ] || echo "stale (--help changed; run make man)"
    for s in NAME SYNOPSIS DESCRIPTION EXAMPLES '"EXIT STATUS"' FILES; do
        grep -q "^\.SH $s\$" "$page" || echo "no section $s"
    done
    plain=$(sed -e 's/\\-/-/g' -e 's/\\f[A-Z]//g' -e 's/\\[,\/]//g' "$page")
    for opt in $("$tool" --help | grep -oE -- '(^|[ [,])--?[a-z][a-z0-9-]*' | sed 's/^[ [,]//' | sort -u); do
        grep -qF -- "$opt" <<<"$plain" || echo "missing $opt"
    done
}

for tool in "$B"/nmt-*; do
    name=$(basename "$tool")
    problems=$(page_problems "$tool" "$root/man/$name.1" | head -n 5 | tr '\n' ';')
    expect_eq "man_page_in_step_$name" "${problems:-ok}" ok
    if command -v man >/dev/null; then
        warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$root/man/$name.1" 2>&1 >/dev/null | head -n 3)
        expect_eq "man_page_renders_$name" "${warnings:-clean}" clean
    fi
done

# The check can fail: a page made for another --help is stale, a page without an option is caught.
sed 's/^\(\.\\" help-sha256: \).*/\1deadbeef/' "$root/man/nmt-score.1" >"$T/stale.1"
case $(page_problems "$B/nmt-score" "$T/stale.1") in *stale*) pass man_check_catches_stale_page ;;
*) fail man_check_catches_stale_page ;; esac
grep -v -- 'max\\-len' "$root/man/nmt-score.1" >"$T/short.1"
case $(page_problems "$B/nmt-score" "$T/short.1") in *"missing --max-len"*) pass man_check_catches_missing_option ;;
*) fail man_check_catches_missing_option "$(page_problems "$B/nmt-score" "$T/short.1")" ;; esac
