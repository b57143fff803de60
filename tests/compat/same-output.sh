#!/usr/bin/env bash
# same-output.sh — prove that the working tree produces the same bytes as a git revision.
#
# Usage: tests/compat/same-output.sh [--keep DIR] [REV]
#   REV         a commit (default: the one in tests/compat/BASE)
#   --keep DIR  write both runs' outputs under DIR (DIR/rev, DIR/tree) and keep them
#
# Builds REV from `git archive` (cached in build/compat/HASH/, reused while complete) and
# the working tree (`make` at the repository root), both with their own Makefile's default
# optimized flags, runs one fixed recipe with each build's tools on the first lines of
# corpora/toy (vocabularies; Bahdanau, dot, deep-output and resumed training; translation in
# every output mode; scoring; averaging; BLEU), and compares every output file byte for byte.
# Prints "PASS compat/FILE" or "FAIL compat/FILE: reason" per file, a summary of the
# differences, and exits 0 only when every file is identical.
#
# Nothing that holds wall-clock time is compared: stderr and --log go to a separate
# folder, and in checkpoints (*.ckpt) the trainer state's "elapsed=" value is masked
# (tests/compat/diffinfo.pl); every other byte of a checkpoint is compared. On a difference,
# diffinfo.pl also names the model file section and element, or the text line and column.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=(nmt-vocab nmt-train nmt-translate nmt-score nmt-average nmt-bleu)

usage() { # EXIT_STATUS: the usage lines of the header, on stdout for --help, else on stderr
    if [ "$1" = 0 ]; then sed -n '4,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    else sed -n '4,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; fi
    exit "$1"
}
die() { echo "same-output: $*" >&2; exit 2; }

keep=""
rev=""
while [ $# -gt 0 ]; do
    case $1 in
        --keep) [ $# -ge 2 ] || usage 64; keep=$2; shift 2 ;;
        -h|--help) usage 0 ;;
        -*) echo "same-output: unknown option $1" >&2; usage 64 ;;
        *) [ -z "$rev" ] || usage 64; rev=$1; shift ;;
    esac
done
if [ -z "$rev" ]; then
    [ -f "$here/BASE" ] || die "no REV given and no $here/BASE"
    rev=$(head -n 1 "$here/BASE")
fi
command -v git >/dev/null || die "git is not installed"
command -v perl >/dev/null || die "perl is not installed (needed to mask checkpoint times)"
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 || die "$root is not a git checkout"
hash=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}") || die "'$rev' is not a commit in $root"
short=${hash:0:7}

# Both builds: the Makefile's defaults (optimized, SAN=0), nothing inherited from a calling make
# or from the environment's compiler flags.
build_tree() { # DIR LOG
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u CFLAGS -u CPPFLAGS -u LDFLAGS -u LDLIBS \
        make -C "$1" -j2 SAN=0 >"$2" 2>&1
}
tools_present() { # BIN_DIR
    local t
    for t in "${tools[@]}"; do [ -x "$1/$t" ] || return 1; done
}
missing_tools() { # BIN_DIR
    local t
    for t in "${tools[@]}"; do [ -x "$1/$t" ] || printf ' %s' "$t"; done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/same-output.XXXXXX")
stage=""
cleanup() {
    rm -rf "$work"
    [ -z "$stage" ] || rm -rf "$stage"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the revision's build, cached ----
cache_root=$root/build/compat
cache=$cache_root/$hash
stamp_text=$(printf 'rev=%s\ncc=%s\n' "$hash" "$(gcc --version 2>/dev/null | head -n 1)")
if [ -f "$cache/.complete" ] && [ "$(cat "$cache/.complete")" = "$stamp_text" ] && tools_present "$cache/bin"; then
    echo "same-output: $short: using the cached build in ${cache#"$root"/}"
else
    [ ! -e "$cache" ] || echo "same-output: $short: cached build in ${cache#"$root"/} is incomplete, rebuilding"
    echo "same-output: $short: building (git archive, make -j2)"
    mkdir -p "$cache_root"
    stage=$(mktemp -d "$cache_root/.build-$short.XXXXXX")
    git -C "$root" archive "$hash" | tar -x -C "$stage"
    if ! build_tree "$stage" "$work/build-rev.log"; then
        tail -n 30 "$work/build-rev.log" >&2
        echo "FAIL compat/build-$short: make failed for revision $hash (the end of its log is above)"
        exit 1
    fi
    if ! tools_present "$stage/bin"; then
        echo "FAIL compat/build-$short: revision $hash has no$(missing_tools "$stage/bin") after make"
        exit 1
    fi
    printf '%s' "$stamp_text" >"$stage/.complete"
    rm -rf "$cache"
    mv -T "$stage" "$cache" 2>/dev/null || rm -rf "$stage" # another run got there first
    stage=""
    tools_present "$cache/bin" || die "the cached build in $cache has no tools"
fi

# ---- the working tree's build ----
echo "same-output: working tree: make -j2 in $root"
if ! build_tree "$root" "$work/build-tree.log"; then
    tail -n 30 "$work/build-tree.log" >&2
    echo "FAIL compat/build-tree: make failed for the working tree (the end of its log is above)"
    exit 1
fi
if ! tools_present "$root/bin"; then
    echo "FAIL compat/build-tree: the working tree has no$(missing_tools "$root/bin") after make"
    exit 1
fi

# ---- the fixed recipe ----
recipe_failed=0
# step NAME CMD...: run CMD with stderr to the logs; a failure is reported and the recipe goes on
# (the files it should have written then show up as missing).
step() {
    local name=$1
    shift
    local rc=0
    "$@" 2>"$logs/$name.err" || rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL compat/run-$label/$name: exit $rc: $(head -c 300 "$logs/$name.err" | tr '\n' ' ')"
        recipe_failed=1
    fi
}
io() { # IN OUT CMD...: CMD <IN >OUT
    local in=$1 to=$2
    shift 2
    "$@" <"$in" >"$to"
}

# Each recipe runs inside its own output folder with relative paths (OUT_DIR/../data for the
# input), so that no output can differ by a folder name.
run_recipe() { # LABEL BIN_DIR OUT_DIR
    label=$1
    local b=$2
    logs=$work/logs-$label
    mkdir -p "$3" "$logs"
    cd "$3"
    local o=. d=../data
    # vocabularies (joint BPE; words), encoding and decoding
    step vocab "$b/nmt-vocab" --src "$d/train.src" --tgt "$d/train.tgt" --joint --bpe 300 --threads 2 -o "$o/vocab"
    step vocab-words "$b/nmt-vocab" --src "$d/train.src" --tgt "$d/train.tgt" --min-count 2 --threads 2 -o "$o/vocab.words"
    step vocab-show io /dev/null "$o/vocab.show" "$b/nmt-vocab" --show "$o/vocab"
    step encode-src io "$d/few.src" "$o/encode.src" "$b/nmt-vocab" --encode "$o/vocab" --side src
    step encode-tgt io "$d/few.tgt" "$o/encode.tgt" "$b/nmt-vocab" --encode "$o/vocab" --side tgt
    step decode-tgt io "$o/encode.tgt" "$o/decode.tgt" "$b/nmt-vocab" --decode "$o/vocab" --side tgt
    # training: Bahdanau, dot, deep output with everything on; MODEL, MODEL.last, MODEL.ckpt, MODEL.uN
    local common=(--vocab "$o/vocab" --train-src "$d/train.src" --train-tgt "$d/train.tgt"
        --valid-src "$d/valid.src" --valid-tgt "$d/valid.tgt" --emb 16 --hidden 24 --batch 16 --shard-size 8
        --valid-every 10 --threads 2 --seed 11 --quiet)
    step train-bahdanau "$b/nmt-train" "${common[@]}" --label-smoothing 0.1 --max-updates 40 -o "$o/bahdanau" \
        --log "$logs/bahdanau.log.jsonl"
    step train-dot "$b/nmt-train" "${common[@]}" --attention dot --max-updates 40 -o "$o/dot"
    step train-deep "$b/nmt-train" "${common[@]}" --deep-output --tie-embeddings --rec-dropout 0.2 --ema 0.99 \
        --keep-snapshots --max-updates 40 -o "$o/deep"
    # resume: 20 updates (kept as resume20.*), then --resume to 40 (same settings as bahdanau)
    step train-resume-20 "$b/nmt-train" "${common[@]}" --label-smoothing 0.1 --max-updates 20 -o "$o/resume"
    local f
    for f in "" .last .ckpt; do
        [ ! -f "$o/resume$f" ] || cp "$o/resume$f" "$o/resume20$f"
    done
    step train-resume-40 "$b/nmt-train" "${common[@]}" --label-smoothing 0.1 --max-updates 40 --resume -o "$o/resume"
    # a model trained a little longer, so that translations vary and beam search has choices to make
    step train-translator "$b/nmt-train" "${common[@]}" --lr 0.01 --max-updates 200 --valid-every 50 -o "$o/translator"
    # averaging two snapshots
    step average "$b/nmt-average" -o "$o/average" "$o/deep.u30" "$o/deep.u40"
    # translation
    local m=$o/translator tr=("$b/nmt-translate" --threads 2 --quiet -i "$d/test.src")
    step translate-beam5 "${tr[@]}" -m "$m" --beam 5 -o "$o/test.beam5"
    step translate-nbest3 "${tr[@]}" -m "$m" --beam 5 --nbest 3 -o "$o/test.nbest3"
    step translate-hard "${tr[@]}" -m "$m" --alignment hard -o "$o/test.align-hard"
    step translate-soft "${tr[@]}" -m "$m" --alignment soft -o "$o/test.align-soft"
    step translate-attention "${tr[@]}" -m "$m" --attention "$o/attention.jsonl" -o "$o/test.attention-run"
    step translate-attention-tsv "${tr[@]}" -m "$m" --beam 1 --attention "$o/attention-greedy.tsv" -o /dev/null
    step translate-beam1 "${tr[@]}" -m "$m" --beam 1 -o "$o/test.beam1"
    step translate-stdin io "$d/few.src" "$o/few.stdin" "$b/nmt-translate" -m "$m" --threads 1 --batch 3 --quiet
    # the other models, with the default search settings
    step translate-bahdanau "${tr[@]}" -m "$o/bahdanau" -o "$o/test.bahdanau"
    step translate-dot "${tr[@]}" -m "$o/dot" -o "$o/test.dot"
    step translate-deep "${tr[@]}" -m "$o/deep" -o "$o/test.deep"
    step translate-average "${tr[@]}" -m "$o/average" -o "$o/test.average"
    # scoring with forced alignment, BLEU
    step score "$b/nmt-score" -m "$m" --src "$d/test.src" --tgt "$d/test.tgt" --threads 2 --quiet \
        --attention "$o/forced.jsonl" -o "$o/test.scores"
    step score-deep "$b/nmt-score" -m "$o/deep" --src "$d/test.src" --tgt "$d/test.tgt" --threads 2 --quiet \
        -o "$o/test.deep.scores"
    step bleu io /dev/null "$o/test.beam5.bleu" "$b/nmt-bleu" -i "$o/test.beam5" "$d/test.tgt"
    cd "$root"
}

out=$work/out
if [ -n "$keep" ]; then
    mkdir -p "$keep"
    out=$(cd "$keep" && pwd)
    rm -rf "$out/rev" "$out/tree" "$out/data"
fi
data=$out/data
mkdir -p "$data"
toy=$root/corpora/toy
head -n 2000 "$toy/train.src" >"$data/train.src"
head -n 2000 "$toy/train.tgt" >"$data/train.tgt"
head -n 100 "$toy/valid.src" >"$data/valid.src"
head -n 100 "$toy/valid.tgt" >"$data/valid.tgt"
head -n 100 "$toy/test.src" >"$data/test.src"
head -n 100 "$toy/test.tgt" >"$data/test.tgt"
head -n 10 "$toy/test.src" >"$data/few.src"
head -n 10 "$toy/test.tgt" >"$data/few.tgt"

start=$SECONDS
echo "same-output: running the recipe with $short"
run_recipe rev "$cache/bin" "$out/rev"
echo "same-output: running the recipe with the working tree"
run_recipe tree "$root/bin" "$out/tree"
echo "same-output: both recipes ran in $((SECONDS - start)) s"

# ---- comparison ----
is_container() { [ "$(head -c 8 "$1" 2>/dev/null)" = NMTCMODL ]; }
# first_diff A B: the 1-based offset of the first differing byte ("" when identical).
first_diff() {
    local msg
    msg=$(cmp -- "$1" "$2" 2>&1) && return 0
    if [[ $msg =~ differ:\ (char|byte)\ ([0-9]+) ]]; then
        echo "${BASH_REMATCH[2]}"
    elif [[ $msg =~ after\ (char|byte)\ ([0-9]+) ]]; then
        echo $((BASH_REMATCH[2] + 1))
    elif [[ $msg =~ EOF\ on\ .*\ which\ is\ empty ]]; then
        echo 1
    else
        echo "?"
    fi
}
differences=()
compared=0
identical=0
# same NAME FILE_A LABEL_A FILE_B LABEL_B: PASS or FAIL line; FAIL details go to the summary.
same() {
    local name=$1 a=$2 la=$3 b=$4 lb=$5
    compared=$((compared + 1))
    if [ ! -f "$a" ] || [ ! -f "$b" ]; then
        local missing
        if [ ! -f "$a" ] && [ ! -f "$b" ]; then missing="missing in both"
        elif [ ! -f "$a" ]; then missing="missing in $la, present in $lb"
        else missing="present in $la, missing in $lb"; fi
        echo "FAIL compat/$name: $missing"
        differences+=("$name: $missing")
        return 0
    fi
    local ca=$a cb=$b masked=""
    if [[ $a == *.ckpt ]] && is_container "$a" && is_container "$b"; then
        ca=$work/cmp.a cb=$work/cmp.b masked=" (elapsed time masked)"
        if ! perl "$here/diffinfo.pl" mask "$a" "$ca" || ! perl "$here/diffinfo.pl" mask "$b" "$cb"; then
            ca=$a cb=$b masked="" # not readable as a model file: compared as it is
        fi
    fi
    local at
    at=$(first_diff "$ca" "$cb")
    if [ -z "$at" ]; then
        echo "PASS compat/$name"
        identical=$((identical + 1))
        return 0
    fi
    local sa sb info first rest=""
    sa=$(wc -c <"$a")
    sb=$(wc -c <"$b")
    if [ "$at" = "?" ]; then
        info="cmp: $(cmp -- "$ca" "$cb" 2>&1 | head -n 1)"
    else
        info=$(perl "$here/diffinfo.pl" describe "$ca" "$cb" "$at" "$la" "$lb" 2>&1) || info="(no details)"
    fi
    first=${info%%$'\n'*}
    [ "$first" = "$info" ] || rest=${info#*$'\n'}
    echo "FAIL compat/$name: first difference at byte $at${first:+, $first}$masked; sizes $sa ($la) and $sb ($lb)"
    differences+=("$name: byte $at${first:+, $first}$masked${rest:+$'\n'$rest}")
}

echo "same-output: comparing the outputs of $short (rev) and the working tree (tree)"
# MODEL.lock (one training run per output) holds the pid of the run that took it: not a result.
mapfile -t files < <(cd "$out" && { [ ! -d rev ] || (cd rev && find . -type f); [ ! -d tree ] || (cd tree && find . -type f); } |
    sed 's|^\./||' | grep -v '\.lock$' | LC_ALL=C sort -u)
[ ${#files[@]} -gt 0 ] || die "the recipe wrote no files"
for f in "${files[@]}"; do
    same "$f" "$out/rev/$f" "$short" "$out/tree/$f" tree
done
# within each build: the resumed run ends with the uninterrupted run's files
for side in rev tree; do
    for f in "" .last .ckpt; do
        same "resume-$side/resume$f=bahdanau$f" "$out/$side/resume$f" "resumed" "$out/$side/bahdanau$f" "uninterrupted"
    done
done

echo "same-output: $compared comparisons, $identical identical, ${#differences[@]} different"
status=0
if [ ${#differences[@]} -gt 0 ] || [ $recipe_failed -ne 0 ]; then
    status=1
    if [ ${#differences[@]} -gt 0 ]; then
        echo "same-output: the outputs of $hash (rev) and the working tree differ:"
        for d in "${differences[@]}"; do echo "  $d" | sed '2,$s/^/  /'; done
    fi
    [ $recipe_failed -eq 0 ] || echo "same-output: some recipe steps failed (FAIL compat/run-... lines above; stderr of each step in the logs)"
    if [ -n "$keep" ]; then
        cp -r "$work"/logs-* "$out"/
        echo "same-output: outputs and logs kept in $out"
    else
        echo "same-output: rerun with --keep DIR to keep the outputs for inspection"
    fi
else
    [ -z "$keep" ] || { cp -r "$work"/logs-* "$out"/; echo "same-output: outputs and logs kept in $out"; }
    echo "same-output: identical"
fi
exit $status
