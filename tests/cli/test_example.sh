# examples/translate.c, built against the tree's include/nmt.h and libnmt.so (the sanitizer
# build's under make test-san): it reads every line of stdin whatever their number and length,
# and prints what nmt-translate --alignment hard prints for them.
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case $B in
*build-san*) lib=$root/build-san san=(-fsanitize=address,undefined) ;;
*) lib=$root/build san=() ;;
esac
[ -e "$lib/libnmt.so" ] || { skip example "no $lib/libnmt.so (make builds it)"; exit 0; }
if ! gcc -std=c11 -Wall -Wextra -Werror "${san[@]}" -I"$root/include" "$root/examples/translate.c" -o "$T/example" \
    -L"$lib" -lnmt -Wl,-rpath,"$lib" 2>"$T/cc.err"; then
    fail example_builds "$(head -c 400 "$T/cc.err")"
    exit 0
fi
pass example_builds
if ! tiny_model "$T"; then fail example_model "could not train a tiny model"; exit 0; fi
# run NAME INPUT: the example and nmt-translate on INPUT give the same lines, one per input line
run() {
    local name=$1 in=$2
    if ! "$T/example" "$T/M" <"$in" >"$T/ex.out" 2>"$T/ex.err"; then fail "$name" "$(head -c 300 "$T/ex.err")"; return; fi
    "$B/nmt-translate" -m "$T/M" -i "$in" --alignment hard --quiet >"$T/tool.out"
    expect_eq "${name}_line_count" "$(wc -l <"$T/ex.out")" "$(wc -l <"$in")"
    expect_eq "${name}_equals_tool" "$(awk -F'\t' '{ print $1 " ||| " $3 }' "$T/ex.out" | md5sum)" "$(md5sum <"$T/tool.out")"
}
head -n 300 "$root/corpora/toy/test.src" >"$T/300.txt"
run example_300_lines "$T/300.txt"
long=$(head -n 2000 "$root/corpora/toy/train.src" | tr '\n' ' ' | head -c 10000)
{ head -n 2 "$T/300.txt"; printf '%s\n' "$long"; sed -n 3p "$T/300.txt"; } >"$T/long.txt"
expect_eq example_input_has_a_10000_byte_line "$(sed -n 3p "$T/long.txt" | wc -c)" 10001
run example_10000_byte_line "$T/long.txt"
"$T/example" "$T/M" </dev/null >"$T/ex.out" 2>"$T/ex.err" && [ ! -s "$T/ex.out" ] && pass example_empty_input ||
    fail example_empty_input "$(head -c 300 "$T/ex.err")"
