#!/usr/bin/env bash
# bench/emulate-hosts.sh — several hosts on one machine, to check scale-out without a cluster.
#
# Usage: bench/emulate-hosts.sh MODE [--hosts H] [--rate RATE] [options]
#   check    train a small model with one rank per emulated host and compare its bytes with
#            one process's (the make test case); --kill-rank R kills rank R with SIGKILL at
#            update 12 instead and checks that the job ends and everything is removed
#   reduce   nmt-bench reduce (the gradient chain alone) [--params N] [--updates N]
#   train    nmt-bench train at make bench's model [--updates N] [--data DIR]
#   table    2 hosts at 1, 5 and 10 Gbit/s: measured time per update and reduction beside
#            bench/scale-out.sh's prediction, as a Markdown table (--data, --updates)
#   --hosts H      emulated hosts, one rank each (default 2)
#   --rate RATE    every link's rate per direction, as tc writes it (default 10gbit)
#   --bin DIR      the tools (default bin/ and build/bench/ of this checkout)
#
# How: H network namespaces, each with one end of a veth pair whose other end is on a bridge
# in a further namespace; both ends' egress shaped by tc's token bucket (tbf) to RATE, so each
# direction of each host's link carries RATE. mpirun runs in a head namespace on the same
# bridge and starts one rank per host through an rsh agent that runs Open MPI's daemon with
# `ip netns exec` (pinned to core (k-1) mod cores with taskset), over TCP only, so every byte
# between ranks crosses the shaped links. Everything the script makes (namespaces, links,
# temporary files) is named after its PID and removed on any exit (a trap); namespaces left by
# an earlier run that was itself killed with SIGKILL are removed at start. Nothing outside the
# namespaces it creates is touched. Needs root and the ip and tc commands; exits 77 with a
# reason when it cannot make namespaces.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
usage() { sed -n '4,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&"$1"; exit "$2"; }
[ $# -ge 1 ] || usage 2 64
mode=$1
shift
case $mode in check|reduce|train|table) ;; -h|--help) usage 1 0 ;; *) echo "emulate-hosts: unknown mode $mode" >&2; usage 2 64 ;; esac
hosts=2 rate=10gbit params=25117610 updates=4 data="" kill_rank="" bin=""
while [ $# -gt 0 ]; do
    [ $# -ge 2 ] || { echo "emulate-hosts: $1 needs a value" >&2; exit 64; }
    case $1 in
        --hosts) hosts=$2 ;; --rate) rate=$2 ;; --params) params=$2 ;; --updates) updates=$2 ;;
        --data) data=$2 ;; --kill-rank) kill_rank=$2 ;; --bin) bin=$2 ;;
        *) echo "emulate-hosts: unknown option $1" >&2; usage 2 64 ;;
    esac
    shift 2
done
[[ $hosts =~ ^[0-9]+$ ]] && [ "$hosts" -ge 2 ] && [ "$hosts" -le 16 ] || { echo "emulate-hosts: --hosts must be 2..16" >&2; exit 64; }
tools=${bin:-$root/bin} bench=${bin:-$root/build/bench}

skip() { echo "emulate-hosts: skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (network namespaces and tc need it)"
for c in ip tc mpirun taskset; do command -v $c >/dev/null || skip "$c not found"; done

tag=nmtc-emu-$$ # every name this run makes starts with it
work=$(mktemp -d) || exit 1
cleanup() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk -v t="$tag-" 'index($1, t) == 1 {print $1}'); do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# namespaces of runs that died without their trap (SIGKILL): their PID is gone
for ns in $(ip netns list 2>/dev/null | awk '$1 ~ /^nmtc-emu-[0-9]+-/ {print $1}'); do
    pid=${ns#nmtc-emu-}; pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null || { ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del "$ns" 2>/dev/null; }
done

ip netns add "$tag-br" 2>"$work/err" || skip "cannot make a network namespace: $(cat "$work/err")"
ip -n "$tag-br" link add br0 type bridge && ip -n "$tag-br" link set br0 up || exit 1
# host k (1..H) is 10.77.0.k; the head, where mpirun runs, 10.77.0.254 (unshaped: it only starts ranks)
attach() { # K NAMESPACE ADDRESS SHAPE
    local a="e$$k$1" b="b$$k$1"
    ip link add "$a" type veth peer name "$b" &&
        ip link set "$a" netns "$2" && ip link set "$b" netns "$tag-br" &&
        ip -n "$tag-br" link set "$b" master br0 up &&
        ip -n "$2" link set "$a" name eth0 && ip -n "$2" addr add "$3/24" dev eth0 &&
        ip -n "$2" link set eth0 up && ip -n "$2" link set lo up || return 1
    [ "$4" = 1 ] || return 0
    # the token bucket: a burst of 1 MB and a queue of 50 ms at the rate, on both ends
    ip netns exec "$2" tc qdisc add dev eth0 root tbf rate "$rate" burst 1mb latency 50ms &&
        ip netns exec "$tag-br" tc qdisc add dev "$b" root tbf rate "$rate" burst 1mb latency 50ms
}
ip netns add "$tag-head" && attach 0 "$tag-head" 10.77.0.254 0 || exit 1
hostlist=""
for k in $(seq 1 "$hosts"); do
    ip netns add "$tag-h$k" && attach "$k" "$tag-h$k" "10.77.0.$k" 1 || { echo "emulate-hosts: cannot shape a link at $rate" >&2; exit 1; }
    hostlist+="${hostlist:+,}10.77.0.$k"
done
cores=$(nproc)
cat >"$work/agent" <<EOF
#!/bin/sh
# rsh agent for mpirun: "ADDRESS COMMAND..." runs COMMAND in that host's namespace, on its core
k=\${1##*.}
shift
exec ip netns exec $tag-h\$k taskset -c \$(( (k - 1) % $cores )) sh -c "\$*"
EOF
chmod +x "$work/agent"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# under the sanitizers, libmpi's plug-ins show as leaks of unknown modules (see tests/cli/test_mpi.sh)
[ "${NMT_SAN:-0}" = 1 ] && export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# --mca rtc_hwloc_vmhole none: the daemons of one machine otherwise each map
# the hardware topology into shared memory at the same place, and one of two
# crashed in hwloc_shmem_topology_write about one start in five (the job then
# hung). --mca routed direct, no tree spawn: every daemon reports straight to
# mpirun. A whole run is bounded by EMU_TIMEOUT seconds (default 1800).
emu_mpirun() { # ARGS...: one rank per emulated host, TCP over the shaped links only
    timeout "${EMU_TIMEOUT:-1800}" ip netns exec "$tag-head" mpirun -np "$hosts" -H "$hostlist" --bind-to none \
        --mca plm_rsh_agent "$work/agent" --mca plm_rsh_no_tree_spawn 1 --mca routed direct --mca rtc_hwloc_vmhole none --mca btl tcp,self \
        --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
        -x OMP_NUM_THREADS=1 -x OPENBLAS_NUM_THREADS=1 ${EMU_MPI_EXTRA:-} "$@"
}
json() { sed -n "s/.*\"$1\": \\([0-9.]*\\).*/\\1/p" | head -n 1; } # FIELD < one JSON line
predict_ms() { "$here/scale-out.sh" --reduce-ms "$1" "$2" "$3" 30 "${4:-0}"; } # HOSTS GBIT PARAMS [SW_GBIT]
gbit_of() { # tc's rate -> Gbit/s
    awk -v r="$1" 'BEGIN { n = r + 0; u = tolower(r); sub(/^[0-9.]+/, "", u)
        f = u == "gbit" ? 1 : u == "mbit" ? 1e-3 : u == "kbit" ? 1e-6 : u == "tbit" ? 1e3 : -1
        if (f < 0) exit 1; printf "%g", n * f }'
}
gbit=$(gbit_of "$rate") || { echo "emulate-hosts: --rate $rate: use NUMBER followed by kbit, mbit, gbit or tbit" >&2; exit 64; }

case $mode in
check)
    toy=$root/corpora/toy
    head -n 400 "$toy/train.src" >"$work/tr.src" && head -n 400 "$toy/train.tgt" >"$work/tr.tgt" || exit 1
    "$tools/nmt-vocab" --src "$work/tr.src" --tgt "$work/tr.tgt" -o "$work/V" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    args=(--vocab "$work/V" --train-src "$work/tr.src" --train-tgt "$work/tr.tgt" --emb 16 --hidden 24 --batch 40
          --shard-size 8 --dropout 0.2 --seed 7 --threads 1 --max-updates 20 --valid-every 10)
    "$tools/nmt-train" "${args[@]}" -o "$work/one" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
    if [ -n "$kill_rank" ]; then
        # mpirun ends the job when a rank dies; rarely (about 1 start in 30 here) it waits
        # for ever instead, so the run is bounded: what is checked is that nothing the
        # script made is left, however the job ends
        EMU_TIMEOUT=${EMU_TIMEOUT:-120} emu_mpirun -x NMT_TEST_SIGNAL_AT_UPDATE=12:KILL -x NMT_TEST_SIGNAL_RANK="$kill_rank" \
            "$tools/nmt-train" "${args[@]}" -o "$work/many" >"$work/out" 2>&1
        rc=$?
        [ $rc -ne 0 ] || { echo "emulate-hosts: the job went on after rank $kill_rank was killed" >&2; exit 1; }
        if [ $rc = 124 ]; then
            echo "rank $kill_rank killed at update 12 on $hosts emulated hosts: mpirun did not end it, stopped after ${EMU_TIMEOUT:-120} s"
        else
            echo "rank $kill_rank killed at update 12 on $hosts emulated hosts: the job ended (exit $rc)"
        fi
        exit 0
    fi
    emu_mpirun "$tools/nmt-train" "${args[@]}" -o "$work/many" >"$work/out" 2>&1 || { tail -n 20 "$work/out" >&2; exit 1; }
    grep -q "rank 0 of $hosts" "$work/out" || { echo "emulate-hosts: the ranks did not form one job of $hosts" >&2; exit 1; }
    if cmp -s "$work/one" "$work/many" && cmp -s "$work/one.last" "$work/many.last"; then
        echo "$hosts emulated hosts at $rate: the same model bytes as one process"
        sed -n 's/.*gradient reduction over/gradient reduction over/p' "$work/out"
    else
        echo "emulate-hosts: $hosts emulated hosts at $rate: the model differs from one process's" >&2
        exit 1
    fi
    ;;
reduce)
    emu_mpirun "$bench/nmt-bench" reduce --params "$params" --updates "$updates" >"$work/out" 2>&1 ||
        { tail -n 20 "$work/out" >&2; exit 1; }
    line=$(grep '"bench": "reduce"' "$work/out") || { tail -n 5 "$work/out" >&2; exit 1; }
    echo "{\"emulated_hosts\": $hosts, \"rate_gbit\": $gbit, \"predicted_ms\": $(predict_ms "$hosts" "$gbit" "$params"), ${line#\{}"
    ;;
train|table)
    measure() { # RATE: one JSON line of nmt-bench train over the emulated hosts
        local r=$1 k
        for k in $(seq 1 "$hosts"); do
            ip netns exec "$tag-h$k" tc qdisc change dev eth0 root tbf rate "$r" burst 1mb latency 50ms || return 1
            ip netns exec "$tag-br" tc qdisc change dev "b$$k$k" root tbf rate "$r" burst 1mb latency 50ms || return 1
        done
        emu_mpirun "$bench/nmt-bench" train --threads 1 --updates "$updates" ${data:+--data "$data"} >"$work/out" 2>&1 ||
            { tail -n 20 "$work/out" >&2; return 1; }
        grep '"bench": "train"' "$work/out" | head -n 1
    }
    one() { # one process, one thread: T1 of the model (compute and the whole step, no reduction)
        OMP_NUM_THREADS=1 taskset -c 0 "$bench/nmt-bench" train --threads 1 --updates "$updates" ${data:+--data "$data"} 2>/dev/null |
            grep '"bench": "train"' | head -n 1
    }
    if [ "$mode" = train ]; then
        line=$(measure "$rate") || exit 1
        echo "{\"emulated_hosts\": $hosts, \"rate_gbit\": $gbit, ${line#\{}"
        exit 0
    fi
    base=$(one) || exit 1
    n=$(json params <<<"$base") t_one=$(awk -v s="$(json seconds <<<"$base")" -v u="$updates" 'BEGIN { print 1e3 * s / u }')
    # the hosts' own rate through MPI and TCP: the reduction over links too fast to matter
    for k in $(seq 1 "$hosts"); do
        ip netns exec "$tag-h$k" tc qdisc change dev eth0 root tbf rate 100gbit burst 1mb latency 50ms || exit 1
        ip netns exec "$tag-br" tc qdisc change dev "b$$k$k" root tbf rate 100gbit burst 1mb latency 50ms || exit 1
    done
    emu_mpirun "$bench/nmt-bench" reduce --params "$n" --updates 6 >"$work/out" 2>&1 || { tail -n 20 "$work/out" >&2; exit 1; }
    sw_ms=$(grep '"bench": "reduce"' "$work/out" | json mean_ms)
    sw=$(awk -v n="$n" -v ms="$sw_ms" 'BEGIN { printf "%.2f", 8 * 4 * n / (ms * 1e-3) / 1e9 }')
    echo "$n parameters; one process, one thread: $(printf %.0f "$t_one") ms per update;"
    echo "the software's own rate (links of 100 Gbit/s): $(printf %.0f "$sw_ms") ms per reduction, $sw Gbit/s"
    echo
    echo "| link | ms per update, measured | predicted | reduction, measured | predicted: link only | with the software's rate | measured / predicted |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for r in 1gbit 5gbit 10gbit; do
        line=$(measure "$r") || exit 1
        g=$(gbit_of "$r") red=$(json reduce_ms <<<"$line")
        upd=$(awk -v s="$(json seconds <<<"$line")" -v u="$updates" 'BEGIN { print 1e3 * s / u }')
        link=$(predict_ms "$hosts" "$g" "$n") pred=$(predict_ms "$hosts" "$g" "$n" "$sw")
        # each host computes 1/H of the minibatch: T1/H, plus the predicted reduction
        awk -v g="$g" -v upd="$upd" -v t1="$t_one" -v h="$hosts" -v red="$red" -v link="$link" -v pred="$pred" \
            'BEGIN { printf "| %g Gbit/s | %.0f | %.0f | %.0f ms | %.0f ms | %.0f ms | %.2f |\n", g, upd, t1 / h + pred, red, link, pred, red / pred }'
    done
    ;;
esac
