#!/bin/sh
# Keys are answered at once while the bank hangs.
#
# Method: npdlink runs against its own sandbox; the sandbox's port is read
# from its log, and its control call makes npd/request/status hang (accept,
# never answer). A latency is the time from `tmux send-keys` to the first
# capture-pane that differs from the screen before the key, polled every
# 10 ms and timed with `date +%s%N`. tmux, the polling and the shell add
# their own delay, so the baseline is the same measure for digits typed on
# the INN screen with nothing in flight; every key pressed while a check
# hangs must be answered within 100 ms of the slowest baseline key.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null 2>&1 || fail "curl is not installed"

# latency KEY...: milliseconds until the screen changes after KEY.
latency()
{
    lat_before=$(screen)
    lat_t0=$(date +%s%N)
    send "$@"
    lat_n=0
    while [ "$(screen)" = "$lat_before" ]; do
        lat_n=$((lat_n + 1))
        [ "$lat_n" -gt 300 ] && fail "no change on screen 3 s after $*"
        sleep 0.01
    done
    echo $((($(date +%s%N) - lat_t0) / 1000000))
}

# type_measured DIGITS: types each digit, keeping the slowest latency.
type_measured()
{
    tm_digits=$1
    while [ -n "$tm_digits" ]; do
        tm_ms=$(latency -l "${tm_digits%"${tm_digits#?}"}")
        [ "$tm_ms" -gt "$base" ] && base=$tm_ms
        tm_digits=${tm_digits#?}
    done
}

# fault_key KEY: one key pressed while the check hangs.
fault_key()
{
    fk_ms=$(latency "$1")
    note "$1 while the status call hangs: $fk_ms ms"
    [ "$fk_ms" -gt "$worst" ] && worst=$fk_ms
}

start_shell
run_npdlink

port=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}127\.0\.0\.1:\([0-9]*\)$/\2/p' "$T_LOG" |
    tail -n 1)
[ -n "$port" ] || fail "no port in the sandbox log"
curl -s -f -o /dev/null -d '{"endpoint":"status","fault":"hang"}' \
    "http://127.0.0.1:$port/sandbox/fault" ||
    fail "the sandbox refused the hang fault"

base=0
worst=0
type_measured 50000000034
type_measured 0
note "baseline, slowest digit on the INN screen: $base ms"

send Enter
expect "Checking the customer's status" 5
sleep 1
[ "$(log_count 'fault hang')" -ge 1 ] || fail "the status call did not hang"
on_screen "Checking the customer's status" ||
    fail "the check ended while the status call hangs"
fault_key Escape
expect_inn_screen 2

submit_inn 500000000100
expect "Checking the customer's status" 5
sleep 1
fault_key Escape
expect_inn_screen 2

limit=$((base + 100))
[ "$worst" -le "$limit" ] ||
    fail "a key took $worst ms during the hang, over $limit ms"
note "keys during the hang: worst $worst ms, limit $limit ms"
quit_npdlink
