# CLI tests of bench/emulate-hosts.sh: training over emulated hosts (network
# namespaces joined by links shaped with tc) gives one process's bytes; a rank
# killed with SIGKILL ends the job; and nothing the script made outlives it,
# even when the script itself is killed with SIGKILL (the next run removes what
# that run left). Skips, saying why, where namespaces cannot be made (not root,
# no CAP_NET_ADMIN in a container, no mpirun).
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
emu=$root/bench/emulate-hosts.sh
leftovers() { ip netns list 2>/dev/null | grep -c "^nmtc-emu-$1-"; }

timeout 300 bash "$emu" check --hosts 2 --rate 1gbit --bin "$B" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -eq 77 ]; then
    skip emulated_hosts "$(sed -n 's/^emulate-hosts: skipped: //p' "$T/err")"
    exit 0
fi
[ $rc -eq 0 ] && grep -q "2 emulated hosts at 1gbit: the same model bytes as one process" "$T/out" &&
    pass emulated_2_hosts_same_bytes_as_one_process || fail emulated_2_hosts_same_bytes_as_one_process "exit $rc: $(tail -c 600 "$T/err")"
expect_eq emulated_hosts_removed_after_run "$(ip netns list | grep -c '^nmtc-emu-')" 0

timeout 300 bash "$emu" check --hosts 3 --rate 5gbit --bin "$B" >"$T/out" 2>"$T/err" &&
    grep -q "3 emulated hosts at 5gbit: the same model bytes as one process" "$T/out" &&
    pass emulated_3_hosts_same_bytes_as_one_process || fail emulated_3_hosts_same_bytes_as_one_process "$(tail -c 600 "$T/err")"

timeout 300 bash "$emu" check --hosts 3 --rate 1gbit --kill-rank 1 --bin "$B" >"$T/out" 2>"$T/err" &&
    grep -Eq "rank 1 killed at update 12 on 3 emulated hosts: (the job ended|mpirun did not end it)" "$T/out" &&
    pass emulated_rank_killed_ends_job || fail emulated_rank_killed_ends_job "$(tail -c 600 "$T/err")"
expect_eq emulated_hosts_removed_after_killed_rank "$(ip netns list | grep -c '^nmtc-emu-')" 0

# the script itself killed with SIGKILL (its trap cannot run) while the ranks
# train over 1 Mbit/s links (about a second per update): its namespaces and
# ranks stay until the next run removes them
bash "$emu" check --hosts 2 --rate 1mbit --bin "$B" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ "$(leftovers $pid)" -ge 3 ] && break; sleep 0.1; done
sleep 3
kill -9 $pid
wait $pid 2>/dev/null
before=$(leftovers $pid)
timeout 300 bash "$emu" check --hosts 2 --rate 10gbit --bin "$B" >"$T/out" 2>"$T/err"
if [ "$before" -ge 3 ] && [ "$(leftovers $pid)" = 0 ] && [ "$(ip netns list | grep -c '^nmtc-emu-')" = 0 ]; then
    pass emulated_hosts_of_killed_script_removed_by_next_run
else
    fail emulated_hosts_of_killed_script_removed_by_next_run "$before namespaces before, $(leftovers $pid) after"
fi
