#!/bin/sh
# While a customer waits on the QR screen: npdlink may write no core file
# (its limit is 0, and the sandbox it started inherits that), and the
# customer's INN is in neither the environment nor the command line of
# npdlink or its sandbox, and an SSLKEYLOGFILE set for npdlink is gone
# from its environment before anything starts (the sandbox, which
# inherits it, shows that).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

INN=500000000340

# core_limit PID: "soft hard" of the core file size limit.
core_limit()
{
    awk '/^Max core file size/ { print $5, $6 }' "/proc/$1/limits"
}

# no_inn PID WHAT: the INN is not in /proc/PID/environ or cmdline.
no_inn()
{
    for lib_f in environ cmdline; do
        [ -r "/proc/$1/$lib_f" ] ||
            fail "cannot read /proc/$1/$lib_f of $2"
        ! tr '\0' '\n' <"/proc/$1/$lib_f" | grep -q -e "$INN" \
            -e "$(echo "$INN" | cut -c1-10)" ||
            fail "the INN is in the $lib_f of $2"
    done
}

start_shell_env SSLKEYLOGFILE="$T_DIR/tls-keys.log"
run_npdlink
reach_waiting

pid=$(npdlink_pid)
[ -n "$pid" ] || fail "cannot find the npdlink process"
sandbox=$(our_processes | awk '$2 == "npdlink-sandbox" { print $1; exit }')
[ -n "$sandbox" ] || fail "cannot find the sandbox npdlink started"

[ "$(core_limit "$pid")" = "0 0" ] ||
    fail "npdlink core file limit is $(core_limit "$pid"), want 0 0"
[ "$(core_limit "$sandbox")" = "0 0" ] ||
    fail "sandbox core file limit is $(core_limit "$sandbox"), want 0 0"
note "core file size 0 for npdlink and its sandbox"

no_inn "$pid" npdlink
no_inn "$sandbox" npdlink-sandbox
note "the INN is in no environment or command line"

# /proc shows the environment a process started with: npdlink's has the
# variable, the sandbox's, made from npdlink's at its start, must not.
tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^SSLKEYLOGFILE=' ||
    fail "SSLKEYLOGFILE did not reach npdlink, so nothing is tested"
tr '\0' '\n' <"/proc/$sandbox/environ" | grep -q '^SSLKEYLOGFILE=' &&
    fail "SSLKEYLOGFILE reached the sandbox's environment"
note "SSLKEYLOGFILE dropped before the sandbox started"

send Escape
expect_inn_screen 5
quit_npdlink
