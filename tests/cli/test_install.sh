#!/usr/bin/env bash
# make install into a temporary DESTDIR, then build examples/translate.c against the
# installed header and library with `pkg-config --cflags --libs nmt` only, run it, and
# check make uninstall removes every file and every directory install made, and only
# those. Under the sanitizer suite (NMT_SAN=1) the install of the optimized build is left
# to make test.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "${NMT_SAN:-0}" = 1 ]; then
    skip install "sanitizer build; make test installs the optimized build"
    exit 0
fi
command -v pkg-config >/dev/null || { skip install "pkg-config is not installed (apt-get install pkg-config)"; exit 0; }
stage=$T/stage
prefix=/opt/nmtc-test
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$root" "$@"; }
if ! mk install DESTDIR="$stage" PREFIX="$prefix" >"$T/install.log" 2>&1; then
    fail install_runs "$(tail -n 5 "$T/install.log")"
    exit 0
fi
pass install_runs
P=$stage$prefix
missing=""
for f in bin/nmt-translate bin/nmt-train bin/nmt-score bin/nmt-vocab bin/nmt-bleu bin/nmt-align bin/nmt-average \
    lib/libnmt.so.1.4.0 lib/libnmt.so.1 lib/libnmt.so lib/libnmt.a include/nmt.h lib/pkgconfig/nmt.pc \
    share/man/man1/nmt-translate.1 share/man/man1/nmt-train.1 share/nmtc/python/nmtc.py; do
    [ -e "$P/$f" ] || missing="$missing $f"
done
expect_eq install_every_file "${missing:-none}" none
expect_eq install_so_link "$(readlink "$P/lib/libnmt.so")" libnmt.so.1
expect_eq install_soname "$(readelf -d "$P/lib/libnmt.so.1.4.0" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')" libnmt.so.1
grep -q "^prefix=$prefix\$" "$P/lib/pkgconfig/nmt.pc" && pass pc_prefix || fail pc_prefix "$(head -n 2 "$P/lib/pkgconfig/nmt.pc")"
# nothing but nmt_* is exported
others=$(nm -D --defined-only "$P/lib/libnmt.so" | awk '$2 == "T" && $3 !~ /^nmt_/' | head -n 3)
expect_eq so_exports_only_api "${others:-none}" none

# The example, built with pkg-config only (the .pc is relocated by pkg-config's sysroot-free
# --define-variable, as a DESTDIR staging area needs), then run on a tiny model.
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=$(pkg-config --define-variable=prefix="$P" --cflags --libs nmt)
if gcc -std=c11 -Wall -Wextra -Werror "$root/examples/translate.c" -o "$T/example" $flags 2>"$T/cc.err"; then
    pass example_builds_with_pkg_config
else
    fail example_builds_with_pkg_config "$(head -c 400 "$T/cc.err")"
fi
expect_eq example_under_60_lines "$([ "$(wc -l <"$root/examples/translate.c")" -lt 60 ] && echo yes)" yes
if ! tiny_model "$T"; then fail install_model "could not train a tiny model"; exit 0; fi
head -n 12 "$root/corpora/toy/test.src" >"$T/in.txt"
if LD_LIBRARY_PATH=$P/lib "$T/example" "$T/M" <"$T/in.txt" >"$T/ex.out" 2>"$T/ex.err"; then
    pass example_runs
else
    fail example_runs "$(head -c 300 "$T/ex.err")"
fi
# its translations are the installed nmt-translate's (beam 5), its alignments --alignment hard's
"$P/bin/nmt-translate" -m "$T/M" -i "$T/in.txt" --alignment hard --quiet >"$T/tool.out"
expect_eq example_equals_tool "$(awk -F'\t' '{ print $1 " ||| " $3 }' "$T/ex.out" | md5sum)" "$(md5sum <"$T/tool.out")"
lddout=$(LD_LIBRARY_PATH=$P/lib ldd "$T/example" 2>&1 | grep libnmt)
case $lddout in *"$P/lib/libnmt.so.1"*) pass example_uses_installed_library ;; *) fail example_uses_installed_library "$lddout" ;; esac
# the man page reads from there
if command -v man >/dev/null; then
    if MANPATH=$P/share/man man -P cat nmt-translate 2>/dev/null | grep -q -- "--length-penalty"; then pass man_from_prefix
    else fail man_from_prefix "man nmt-translate did not show the page"; fi
else
    skip man_from_prefix "man is not installed"
fi

# the installed Python module finds the installed library by itself; run as a user runs it,
# it writes its bytecode beside itself (__pycache__), which uninstall must remove too
if [ -x /usr/bin/python3 ]; then
    got=$(cd "$T" && env -u NMTC_LIBRARY -u PYTHONDONTWRITEBYTECODE -u PYTHONPYCACHEPREFIX \
        PYTHONPATH=$P/share/nmtc/python /usr/bin/python3 -c 'import nmtc; print(nmtc._library_path())' 2>&1)
    case $(readlink -f "$got") in "$P/lib/"*) pass python_module_finds_installed_library ;;
    *) fail python_module_finds_installed_library "$got" ;; esac
    pyc=$(ls "$P"/share/nmtc/python/__pycache__/nmtc.*.pyc 2>/dev/null | wc -l)
    expect_eq python_module_run_wrote_pycache "$pyc" 1
else
    skip python_module_finds_installed_library "/usr/bin/python3 is not installed"
fi

# uninstall leaves nothing behind: no file, no __pycache__, no directory that install made
if mk uninstall DESTDIR="$stage" PREFIX="$prefix" >"$T/uninstall.log" 2>&1; then
    left=$(find "$stage" -mindepth 1 | sed "s|^$stage||" | head -n 5)
    expect_eq uninstall_leaves_nothing "${left:-none}" none
else
    fail uninstall_leaves_nothing "$(tail -n 3 "$T/uninstall.log")"
fi

# Installed twice, then uninstalled: still nothing left (the second install finds the
# directories there, and must not forget that the first one made them).
stage2=$T/stage2
if mk install DESTDIR="$stage2" PREFIX="$prefix" >"$T/install2.log" 2>&1 &&
    mk install DESTDIR="$stage2" PREFIX="$prefix" >>"$T/install2.log" 2>&1 &&
    mk uninstall DESTDIR="$stage2" PREFIX="$prefix" >"$T/uninstall2.log" 2>&1; then
    left=$(find "$stage2" -mindepth 1 | sed "s|^$stage2||" | head -n 5)
    expect_eq install_twice_uninstall_leaves_nothing "${left:-none}" none
else
    fail install_twice_uninstall_leaves_nothing "$(tail -n 3 "$T/install2.log" "$T/uninstall2.log")"
fi

# Directories that were there before the install stay; one that install made but that holds
# another file now stays and is named; the other files are kept.
stage3=$T/stage3
mkdir -p "$stage3$prefix/bin" && echo mine >"$stage3$prefix/bin/mytool"
if mk install DESTDIR="$stage3" PREFIX="$prefix" >"$T/install3.log" 2>&1; then
    echo mine >"$stage3$prefix/lib/extra.txt"
    if mk uninstall DESTDIR="$stage3" PREFIX="$prefix" >"$T/uninstall3.log" 2>&1; then
        left=$(cd "$stage3" && find . -mindepth 1 | sort | tr '\n' ' ')
        expect_eq uninstall_keeps_what_install_did_not_make "$left" \
            "./opt ./opt/nmtc-test ./opt/nmtc-test/bin ./opt/nmtc-test/bin/mytool ./opt/nmtc-test/lib ./opt/nmtc-test/lib/extra.txt "
        grep -qF "keeping $stage3$prefix/lib: not empty" "$T/uninstall3.log" && pass uninstall_names_kept_directory ||
            fail uninstall_names_kept_directory "$(tail -n 5 "$T/uninstall3.log")"
    else
        fail uninstall_keeps_what_install_did_not_make "$(tail -n 3 "$T/uninstall3.log")"
    fi
else
    fail uninstall_keeps_what_install_did_not_make "$(tail -n 3 "$T/install3.log")"
fi

# A directory that cannot be removed fails uninstall with rmdir's reason (an immutable parent:
# even root cannot remove its entries).
stage4=$T/stage4
if ! mk install DESTDIR="$stage4" PREFIX="$prefix" >"$T/install4.log" 2>&1; then
    fail uninstall_reports_rmdir_failure "$(tail -n 3 "$T/install4.log")"
elif ! command -v chattr >/dev/null || ! chattr +i "$stage4$prefix/share" 2>/dev/null; then
    skip uninstall_reports_rmdir_failure "cannot make a directory immutable here (chattr +i: not root, or not ext2/3/4)"
else
    mk uninstall DESTDIR="$stage4" PREFIX="$prefix" >"$T/uninstall4.log" 2>&1
    rc=$?
    chattr -i "$stage4$prefix/share"
    [ $rc -ne 0 ] && grep -q "rmdir: failed to remove '$stage4$prefix/share/nmtc': Operation not permitted" "$T/uninstall4.log" &&
        pass uninstall_reports_rmdir_failure || fail uninstall_reports_rmdir_failure "exit $rc: $(tail -n 3 "$T/uninstall4.log")"
fi
