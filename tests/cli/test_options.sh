#!/usr/bin/env bash
# Every tool's option table (nmt-X --list-options) against its --help and
# man page, and the one file rule walked over every table: for each tool,
# each output flag pointed at each input flag's file, and each pair of
# output flags pointed at one file, must be refused before any work, with
# the input left as it was. A new file flag is in the walk by being in the
# table; a value that is not a number or a name must be a file (no other
# kind exists), so no file flag can stay out of it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

for tool in "$B"/nmt-*; do
    name=$(basename "$tool")
    list=$("$tool" --list-options)
    help=$("$tool" --help)
    [ -n "$list" ] || { fail "options_listed_$name" "empty --list-options"; continue; }
    # every table flag in --help and the man page; every --help flag in the table
    missing= extra= odd=
    while IFS=$'\t' read -r flag alias kind _; do
        grep -qE -- "(^|[ ,])$flag( |$)" <<<"$help" || missing+=" $flag"
        sed -e 's/\\-/-/g' -e 's/\\f[A-Z]//g' "$root/man/$name.1" | grep -qF -- "$flag" || missing+=" $flag(man)"
        case $kind in switch | int | long | float | double | choice | input | output | text) ;; *) odd+=" $flag:$kind" ;; esac
    done <<<"$list"
    for opt in $(grep -E '^  -' <<<"$help" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
        [ "$opt" = --help ] && continue
        grep -q "^$opt"$'\t' <<<"$list" || extra+=" $opt"
    done
    expect_eq "help_lists_every_table_flag_$name" "${missing:-none}" none
    expect_eq "table_has_every_help_flag_$name" "${extra:-none}" none
    expect_eq "only_known_kinds_$name" "${odd:-none}" none
done

# The walk: each tool is given a file for every input flag (and a positional
# one where it takes them) and a fresh path for every output flag, then one
# output is pointed at one input (or another output). The check runs right
# after parsing, before anything else looks at the command line.
mkdir -p "$T/walk"
refused=0 total=0 kept=1
for tool in "$B"/nmt-*; do
    name=$(basename "$tool")
    mapfile -t inputs < <("$tool" --list-options | awk -F'\t' '$3 == "input" {print $1}')
    mapfile -t outputs < <("$tool" --list-options | awk -F'\t' '$3 == "output" {print $1}')
    positional=()
    case $name in nmt-bleu | nmt-average) echo positional >"$T/walk/pos"; positional=("$T/walk/pos") ;; esac
    base_args() { # every input a file of its own, every output a fresh path
        local f
        for f in "${inputs[@]}"; do echo "$f" >"$T/walk/in$f"; args+=("$f" "$T/walk/in$f"); done
        for f in "${outputs[@]}"; do rm -rf "$T/walk/out$f"; args+=("$f" "$T/walk/out$f"); done
    }
    for o in "${outputs[@]}"; do
        for i in "${inputs[@]}"; do
            args=()
            base_args
            args+=("$o" "$T/walk/in$i") # the last value given wins
            total=$((total + 1))
            if ! "$tool" "${args[@]}" "${positional[@]}" >/dev/null 2>"$T/walk/err" &&
                grep -q "refusing to write $T/walk/in$i ($o): it is the same file as the input" "$T/walk/err"; then
                refused=$((refused + 1))
            else
                fail "walk_refuses_${name}_${o}_over_$i" "$(head -c 300 "$T/walk/err")"
            fi
            [ "$(cat "$T/walk/in$i")" = "$i" ] || kept=0
        done
        for p in "${outputs[@]}"; do
            [ "$p" = "$o" ] && continue
            args=()
            base_args
            args+=("$o" "$T/walk/same" "$p" "$T/walk/same")
            total=$((total + 1))
            if ! "$tool" "${args[@]}" "${positional[@]}" >/dev/null 2>"$T/walk/err" &&
                grep -q "name the same file $T/walk/same" "$T/walk/err"; then
                refused=$((refused + 1))
            else
                fail "walk_refuses_${name}_${o}_and_$p" "$(head -c 300 "$T/walk/err")"
            fi
        done
        # the positional inputs too (nmt-bleu's references, nmt-average's models)
        if [ ${#positional[@]} -gt 0 ]; then
            args=()
            base_args
            args+=("$o" "$T/walk/pos")
            total=$((total + 1))
            if ! "$tool" "${args[@]}" "${positional[@]}" >/dev/null 2>"$T/walk/err" &&
                grep -q "same file as the input $T/walk/pos" "$T/walk/err"; then
                refused=$((refused + 1))
            else
                fail "walk_refuses_${name}_${o}_over_positional" "$(head -c 300 "$T/walk/err")"
            fi
        fi
    done
done
expect_eq "walk_every_output_over_every_input_refused" "$refused of $total" "$total of $total"
[ "$total" -ge 40 ] && pass walk_covers_the_tables || fail walk_covers_the_tables "only $total cases"
expect_eq "walk_leaves_inputs_alone" "$kept" 1

# The same file under other names: a hard link, a symlink, "./x".
echo data >"$T/a.src"
ln "$T/a.src" "$T/hard"
ln -s "$T/a.src" "$T/soft"
echo data >"$T/a.tgt"
for alias in "$T/hard" "$T/soft" "$T/./a.src"; do
    expect_error "refuses_alias_$(basename "$alias")" "same file as the input" \
        "$B/nmt-align" --src "$T/a.src" --tgt "$T/a.tgt" -o "$alias"
done
expect_eq "aliased_input_untouched" "$(cat "$T/a.src")" data
# Two outputs, one not yet existing, under two spellings.
expect_error refuses_two_spellings_of_a_new_output "name the same file" \
    "$B/nmt-align" --src "$T/a.src" --tgt "$T/a.tgt" -o "$T/new.al" --forward-out "$T/./new.al"

# One parser, one wording for every tool.
for tool in "$B"/nmt-*; do
    name=$(basename "$tool")
    expect_error "unknown_flag_worded_alike_$name" "^$name: unknown option --bogus \(see --help\)$" "$tool" --bogus
done
expect_error missing_value_worded_alike "^nmt-translate: --beam needs a value \(see --help\)$" \
    "$B/nmt-translate" -m x --beam
expect_error range_worded_alike "^nmt-align: --iterations must be between 1 and 1000, got 0$" \
    "$B/nmt-align" --src "$T/a.src" --tgt "$T/a.tgt" --iterations 0
expect_error switch_takes_no_value "--quiet takes no value" "$B/nmt-score" --quiet=1
expect_ok flag_equals_value "$B/nmt-bleu" --input="$T/a.src" "$T/a.tgt"

# The findings that started the rule, each as it was reported.
cd "$T" || exit 1
printf 'a b\nc d\n' >s.de
printf 'x y\nz w\n' >s.en
printf '0-0\n1-1\n' >f.al
printf '0-0\n1-1\n' >r.al
echo model >model
echo gold >gold
keep=$(cat s.de s.en f.al r.al model gold | sha256sum)
expect_error align_o_over_src "same file as the input s.de \(--src\)" "$B/nmt-align" --src s.de --tgt s.en -o s.de
expect_error align_forward_out_over_src "same file as the input s.de" \
    "$B/nmt-align" --src s.de --tgt s.en -o out.al --forward-out s.de
expect_error align_reverse_out_over_tgt "same file as the input s.en" \
    "$B/nmt-align" --src s.de --tgt s.en -o out.al --reverse-out s.en
expect_error align_symmetrize_o_over_forward "same file as the input f.al \(--forward\)" \
    "$B/nmt-align" --symmetrize union --forward f.al --reverse r.al -o f.al
expect_error align_two_outputs_one_file "--output and --forward-out name the same file X" \
    "$B/nmt-align" --src s.de --tgt s.en -o X --forward-out X
expect_error score_alignment_out_over_model "same file as the input model \(--model\)" \
    "$B/nmt-score" -m model --src s.de --tgt s.en --alignment hard --alignment-out model
expect_error score_attention_over_gold "same file as the input gold \(--gold-alignment\)" \
    "$B/nmt-score" -m model --src s.de --tgt s.en --attention gold --attention-format html --gold-alignment gold
expect_error train_log_over_guidance "same file as the input f.al \(--guided-alignment\)" \
    "$B/nmt-train" --vocab s.de --train-src s.de --train-tgt s.en --guided-alignment f.al --log f.al -o m
expect_error train_o_over_guidance "same file as the input f.al \(--guided-alignment\)" \
    "$B/nmt-train" --vocab s.de --train-src s.de --train-tgt s.en --guided-alignment f.al -o f.al
expect_error train_ckpt_over_log "--log and -o name the same file m.ckpt" \
    "$B/nmt-train" --vocab s.de --train-src s.de --train-tgt s.en --log m.ckpt -o m
expect_eq refused_inputs_untouched "$(cat s.de s.en f.al r.al model gold | sha256sum)" "$keep"
# An output that cannot be written is refused before training, and leaves nothing behind.
rm -f /dev/full.lock /dev/full.last /dev/full.ckpt 2>/dev/null
expect_error train_o_not_a_regular_file "--output /dev/full: not a regular file" \
    "$B/nmt-train" --vocab s.de --train-src s.de --train-tgt s.en -o /dev/full
expect_eq train_o_dev_full_leaves_nothing "$(ls /dev/full.* 2>/dev/null | wc -l)" 0
expect_error train_o_missing_directory "--output nodir/m: cannot write in nodir: No such file or directory" \
    "$B/nmt-train" --vocab s.de --train-src s.de --train-tgt s.en -o nodir/m
expect_eq train_o_missing_directory_no_lock "$(ls nodir* m.lock 2>/dev/null | wc -l)" 0
echo "info: the walk checked $total pairs of files over $(ls "$B"/nmt-* | wc -l) tools"
# A device is written in place, never replaced: /dev/null as output while stdin is /dev/null too.
expect_ok output_dev_null_with_stdin_dev_null sh -c "'$B/nmt-align' --src s.de --tgt s.en -o /dev/null </dev/null"
