#!/bin/sh
# Keys are answered at once during every fault the sandbox can play.
#
# Method: npdlink runs against its own sandbox; the sandbox's port is read
# from its log, and its control call sets one fault at a time. A baseline
# latency is the time from `tmux send-keys` to the first capture-pane that
# differs from the screen before the key, polled every 10 ms and timed with
# `date +%s%N`, for digits typed on the INN screen with nothing in flight;
# tmux, the polling and the shell add their own delay, so this is the
# floor. Then, for every fault named in the first table of
# docs/reliability.md (read from the doc, so the two cannot drift), set in
# turn on npd/check and npd/request/status, a fresh valid INN is checked
# and Esc is pressed as soon as the faulted call has reached the sandbox
# (a delay fault: 0.3 s into the wait); its latency is the time until the
# empty INN screen is drawn, which the checking screen's spinner cannot
# fake. Every fault's latency must be within 100 ms of the slowest
# baseline key.
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

# until_inn KEY: milliseconds until the empty INN screen is drawn after
# KEY, which is pressed on another screen.
until_inn()
{
    on_screen "$INN_EMPTY_FIELD" && fail "already on the INN screen: $*"
    ui_t0=$(date +%s%N)
    send "$@"
    ui_n=0
    until ui_s=$(screen) &&
        printf '%s\n' "$ui_s" | grep -F -q -- "$INN_TITLE" &&
        printf '%s\n' "$ui_s" | grep -F -q -- "$INN_EMPTY_FIELD"; do
        ui_n=$((ui_n + 1))
        [ "$ui_n" -gt 300 ] && fail "no INN screen 3 s after $*"
        sleep 0.01
    done
    echo $((($(date +%s%N) - ui_t0) / 1000000))
}

# A valid 12-digit INN from a serial number: 77 and eight digits, then the
# two check digits (weights from the tax service's rule). No sandbox
# scenario INN starts with 77, so each is "not self-employed" there.
inn_from()
{
    inn_d=$(printf '77%08d' "$1")
    inn_w='7 2 4 10 3 5 9 4 6 8'
    inn_d="$inn_d$(check_digit "$inn_d" "$inn_w")"
    inn_w="3 $inn_w"
    echo "$inn_d$(check_digit "$inn_d" "$inn_w")"
}

# check_digit DIGITS WEIGHTS: sum of digit times weight, mod 11, mod 10.
check_digit()
{
    cd_d=$1
    cd_sum=0
    for cd_w in $2; do
        cd_sum=$((cd_sum + ${cd_d%"${cd_d#?}"} * cd_w))
        cd_d=${cd_d#?}
    done
    echo $((cd_sum % 11 % 10))
}

# The fault names of the first table in docs/reliability.md, one a line.
doc_faults()
{
    sed -n '/^## During the first check/,/^## /s/^| `\([^`]*\)` |.*/\1/p' \
        "$(dirname "$0")/../../docs/reliability.md"
}

control()
{
    curl -s -f -o /dev/null -d "$1" "http://127.0.0.1:$port/sandbox/fault"
}

# How many requests the sandbox has received on one call (check, status);
# the member "times" repeats the names with arrays and is cut off first.
received()
{
    rc_n=$(curl -s -f "http://127.0.0.1:$port/sandbox/stats" |
        sed -e 's/"times".*//' -n -e "s/.*[{, ]\"$1\": *\([0-9][0-9]*\).*/\1/p")
    [ -n "$rc_n" ] || fail "no count of $1 in /sandbox/stats"
    echo "$rc_n"
}

# fault_key ENDPOINT FAULT: checks a fresh INN with FAULT on ENDPOINT and
# presses Esc while the call is in flight or just after its fault landed.
fault_key()
{
    serial=$((serial + 1))
    fk_before=$(received "$1")
    control "{\"endpoint\":\"$1\",\"fault\":\"$2\"}" ||
        fail "the sandbox refused $2 on $1"
    submit_inn "$(inn_from "$serial")"
    expect_gone "$INN_EMPTY_FIELD" 3
    case $2 in
    delay:*) sleep 0.3 ;;
    *) wait_received "$1" "$fk_before" "$2" ;;
    esac
    fk_ms=$(until_inn Escape)
    control "{\"endpoint\":\"$1\",\"fault\":\"none\"}" ||
        fail "the sandbox would not clear $2 on $1"
    printf '  %s: %-34s %-6s %4d ms\n' "$T_NAME" "$2" "$1" "$fk_ms"
    [ "$fk_ms" -gt "$worst" ] && worst=$fk_ms && worst_at="$2 on $1"
    expect_inn_screen 2
}

# wait_received ENDPOINT COUNT FAULT: the faulted call has arrived.
wait_received()
{
    wr_n=0
    while [ "$(received "$1")" -le "$2" ]; do
        wr_n=$((wr_n + 1))
        [ "$wr_n" -gt 300 ] && fail "$3 on $1: the call never came"
        sleep 0.01
    done
}

start_shell
run_npdlink

port=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}127\.0\.0\.1:\([0-9]*\)$/\2/p' "$T_LOG" |
    tail -n 1)
[ -n "$port" ] || fail "no port in the sandbox log"
faults=$(doc_faults)
[ "$(printf '%s\n' "$faults" | wc -l)" -ge 20 ] ||
    fail "too few faults read from docs/reliability.md: $faults"
for f in hang reset http429 error:provider_timeout; do
    printf '%s\n' "$faults" | grep -q -x -- "$f" ||
        fail "docs/reliability.md has no $f row"
done

base=0
worst=0
worst_at=
serial=0
type_measured 50000000034
type_measured 0
note "baseline, slowest digit on the INN screen: $base ms"
send Escape
expect_inn_screen 2

rows=0
for ep in check status; do
    for f in $faults; do
        fault_key "$ep" "$f"
        rows=$((rows + 1))
    done
done
[ "$(log_count 'fault hang')" -ge 2 ] || fail "no call hung"
[ "$(log_count 'fault reset')" -ge 2 ] || fail "no connection was reset"

limit=$((base + 100))
note "keys during faults: $rows faults (check and status), baseline $base ms, worst $worst ms ($worst_at), limit $limit ms"
printf '  %s: | %s | %s | %s ms | %s ms (%s) | %s ms |\n' "$T_NAME" \
    "Esc during a fault" "$rows" "$base" "$worst" "$worst_at" "$limit"
[ "$worst" -le "$limit" ] ||
    fail "Esc took $worst ms during $worst_at, over $limit ms"
quit_npdlink
