#!/bin/sh
# SIGTERM, SIGINT and SIGHUP end npdlink on three different screens, and
# SIGUSR1 and SIGALRM (whose default would end it with the terminal still
# in curses' modes) on two more; each
# time the shell gets its prompt back with echo and canonical input on,
# the exit status tells the signal, and neither npdlink nor its sandbox
# is left running.
. "$(dirname "$0")/lib.sh"

# signal_npdlink SIGNAL STATUS [KEY]: sends SIGNAL with kill, or from the
# terminal by pressing KEY, and checks what is left.
signal_npdlink()
{
    pid=$(npdlink_pid)
    [ -n "$pid" ] || fail "cannot find the npdlink process"
    our_processes | grep -q npdlink-sandbox ||
        fail "cannot find the sandbox npdlink started"
    if [ $# -ge 3 ]; then
        send "$3"
    else
        kill -s "$1" "$pid" || fail "cannot send SIG$1 to $pid"
    fi
    expect_prompt 5
    read_last_status
    expect_npdlink_gone 5
    expect_sane_tty
    [ "$last_status" = "$2" ] ||
        fail "SIG$1: exit status $last_status, want $2 (128 + signal)"
    refute "the terminal went away"
    note "SIG$1: exit status $2, terminal sane, processes gone"
}

start_shell

# TERM on the INN screen, digits half typed.
run_npdlink
type_text 500000
expect "[500000______]" 2
signal_npdlink TERM 143

# INT from Ctrl-C on the consent screen: the terminal sends it to npdlink
# and its sandbox alike.
run_npdlink
submit_inn 500000000340
expect "Press Y if the customer agrees." 15
signal_npdlink INT 130 C-c

# HUP on the waiting screen, with background checks due.
run_npdlink
reach_waiting
signal_npdlink HUP 129

# USR1 on the INN screen and ALRM on the consent screen: no signal that
# ends npdlink leaves the terminal as curses had it.
run_npdlink
signal_npdlink USR1 138
run_npdlink
submit_inn 500000000734
expect "Press Y if the customer agrees." 15
signal_npdlink ALRM 142
