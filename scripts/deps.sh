#!/bin/sh
# deps.sh — make sure the Debian packages the build needs are present.
# Installs them with apt-get when running as root; otherwise prints the command.
set -e
CC=${CC:-gcc}
# ---- optional extras: `deps.sh man` (help2man, for make man), `deps.sh test` (Debian's
# python3-numpy, for the Python module's tests, and chromium, for nmt-serve's page in a
# headless browser; those tests skip without them), `deps.sh bench` (Debian's PyTorch, for
# bench/peer.sh's side-by-side run; with the OpenMP build of OpenBLAS that the peer loads, which
# Debian installs beside the default one without replacing it). Never fatal. ----
case ${1:-} in
man | test | bench)
    if [ "$1" = man ]; then
        command -v help2man >/dev/null 2>&1 && exit 0
        extra=help2man
    elif [ "$1" = bench ]; then
        /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null && exit 0
        extra="python3-torch python3-numpy libopenblas0-openmp"
    else
        extra=""
        /usr/bin/python3 -c 'import numpy' 2>/dev/null || extra="python3 python3-numpy"
        command -v chromium >/dev/null 2>&1 || extra="$extra chromium"
        [ -z "$extra" ] && exit 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing: $extra"
        export DEBIAN_FRONTEND=noninteractive
        { apt-get install -y -qq $extra || { apt-get update -qq && apt-get install -y -qq $extra; }; } >/dev/null 2>&1 ||
            echo "could not install $extra" >&2
    else
        echo "optional packages missing: $extra (sudo apt-get install -y $extra)" >&2
    fi
    [ "$1" != man ] || command -v help2man >/dev/null 2>&1
    exit $?
    ;;
esac
# ---- end extras ----
PACKAGES="libutf8proc-dev zlib1g-dev libopenblas-dev libdnnl-dev libopenmpi-dev openmpi-bin libmicrohttpd-dev libcjson-dev"
missing=""
probe() { # header, library, package
    if ! printf '#include <%s>\nint main(void){return 0;}\n' "$1" | $CC -x c - -o /dev/null "$2" 2>/dev/null; then
        missing="$missing $3"
    fi
}
probe utf8proc.h -lutf8proc libutf8proc-dev
probe cblas.h -lopenblas libopenblas-dev
probe dnnl.h -ldnnl libdnnl-dev
probe zlib.h -lz zlib1g-dev
probe microhttpd.h -lmicrohttpd libmicrohttpd-dev # nmt-serve's HTTP server
probe cjson/cJSON.h -lcjson libcjson-dev        # and its JSON
# Open MPI: the header and library through its compiler wrapper, and mpirun
if ! command -v mpicc >/dev/null 2>&1 ||
    ! printf '#include <mpi.h>\nint main(void){return MPI_Init(0, 0);}\n' |
        $CC -x c - -o /dev/null $(mpicc --showme:compile) $(mpicc --showme:link) 2>/dev/null; then
    missing="$missing libopenmpi-dev"
fi
command -v mpirun >/dev/null 2>&1 || missing="$missing openmpi-bin"
if [ "${FUZZ:-0}" != 1 ] && ! echo 'int main(void){return 0;}' | $CC -fopenmp -x c - -o /dev/null 2>/dev/null; then
    missing="$missing libgomp1"
fi
# make fuzz: clang with libFuzzer, the sanitizers and OpenMP
if [ "${FUZZ:-0}" = 1 ]; then
    if ! command -v "$CC" >/dev/null 2>&1; then
        missing="$missing clang libclang-rt-dev libomp-dev"
    else
        printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}\n' |
            $CC -x c - -o /dev/null -fsanitize=fuzzer,address,undefined 2>/dev/null || missing="$missing libclang-rt-dev"
        echo 'int main(void){return 0;}' | $CC -fopenmp -x c - -o /dev/null 2>/dev/null || missing="$missing libomp-dev"
    fi
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq $missing >/dev/null
else
    echo "missing packages:$missing" >&2
    echo "install them with: sudo apt-get install -y$missing" >&2
    exit 1
fi
