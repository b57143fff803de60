#!/usr/bin/env bash
# Run every fuzz target for SECONDS seconds each (make fuzz SECONDS=N).
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Each target starts from its committed seeds (tests/fuzz/seeds/NAME) and
# keeps what it finds in BUILD_DIR/corpus/NAME, so later runs go on from
# there; the seeds themselves are never changed. Crashes are written to
# BUILD_DIR/crashes/. Prints one line per target with the executions run.
set -u
build=$1 seconds=$2
shift 2
targets=${*:-vocab model text bleu links shortlist api}
root=$(cd "$(dirname "$0")/../.." && pwd)
status=0
export OMP_NUM_THREADS=1 # the targets are single-threaded; spare the cores
for t in $targets; do
    mkdir -p "$build/corpus/$t" "$build/crashes"
    log="$build/fuzz_$t.log"
    # a generous per-input timeout: on a loaded machine 10 s gave false alarms
    "$build/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=60 -rss_limit_mb=2048 \
        -artifact_prefix="$build/crashes/${t}-" "$build/corpus/$t" "$root/tests/fuzz/seeds/$t" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        status=1
        echo "fuzz_$t: FAILED after ${execs:-?} executions (exit $rc); see $log"
        grep -E "ERROR|violated|SUMMARY" "$log" | head -5
    else
        echo "fuzz_$t: ${execs:-?} executions in ${seconds} s, no failure"
    fi
done
exit $status
