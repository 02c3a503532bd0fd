#!/bin/sh
# Every screen survives a storm of window sizes down to one cell and is
# drawn whole again when the window is large again; then a signal ends
# npdlink there, and the shell gets back a sane terminal (echo, canonical
# input, a visible cursor) with neither npdlink nor its sandbox left.
# SIGTERM, SIGINT and SIGHUP take turns over the screens. The declined
# and linked screens come 30 s after the request (the gap between two
# checks), so they wait in panes of their own while the others run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

# new_pane NAME: a second shell like the first, in the same tmux server.
new_pane()
{
    tm new-session -d -s "$1" -x "$T_COLS" -y "$T_ROWS" -c "$T_DIR" \
        "env -i PATH='$PATH' HOME='$T_HOME' XDG_STATE_HOME='$T_STATE' \
XDG_CONFIG_HOME='$T_CONFIG' LANG=C.UTF-8 LC_ALL=C.UTF-8 \
TERMINFO='$T_HOME/.terminfo' TERM=xterm-256color PS1='$T_PROMPT' \
'$T_SHELL' -i" || fail "cannot start tmux"
    T_PANE="$1:"
    expect_prompt 5
}

# storm_then TEXT...: a resize storm, then every TEXT on the screen again.
storm_then()
{
    st_pid=$(npdlink_pid)
    [ -n "$st_pid" ] || fail "cannot find the npdlink process"
    resize_storm "$st_pid"
    for st_text in "$@"; do
        expect "$st_text" 5
    done
}

# end_with SIGNAL STATUS: ends npdlink in the current pane with SIGNAL.
end_with()
{
    ew_pid=$(npdlink_pid)
    ew_sandbox=$(lib_procs | awk -v p="$ew_pid" '$2 == p { print $1 }')
    [ -n "$ew_sandbox" ] || fail "cannot find the sandbox of $ew_pid"
    kill -s "$1" "$ew_pid" || fail "cannot send SIG$1 to $ew_pid"
    expect_prompt 5
    read_last_status
    [ "$last_status" = "$2" ] ||
        fail "SIG$1: exit status $last_status, want $2"
    sleep 0.5
    [ -d "/proc/$ew_pid" ] && fail "SIG$1: npdlink $ew_pid still running"
    [ -d "/proc/$ew_sandbox" ] && fail "SIG$1: sandbox $ew_sandbox still running"
    expect_sane_tty
    expect_cursor_visible
    refute "the terminal went away"
}

# screen_case NAME SIGNAL STATUS TEXT...: the screen now shown survives
# the storm, then SIGNAL ends npdlink.
screen_case()
{
    sc_name=$1 sc_sig=$2 sc_status=$3
    shift 3
    storm_then "$@"
    end_with "$sc_sig" "$sc_status"
    note "$sc_name: storm survived, redrawn, SIG$sc_sig left the terminal sane"
}

start_shell

# The two slow screens start first, each in its own pane.
new_pane declined
run_npdlink
submit_inn 500000000413
expect "Press Y if the customer agrees." 15
send y
expect "Waiting for the customer to confirm in My Tax" 15

new_pane linked
run_npdlink
reach_waiting

T_PANE=npd:
run_npdlink
screen_case "INN" TERM 143 "$INN_TITLE" "$INN_EMPTY_FIELD" SANDBOX

run_npdlink
submit_inn 500000000597
expect "Checking the customer's status" 5
screen_case "checking" INT 130 "Checking the customer's status" "INN: 50********97"

run_npdlink
submit_inn 500000000340
expect "Press Y if the customer agrees." 15
screen_case "consent" HUP 129 "Press Y if the customer agrees." "INN: 50********40"

run_npdlink
reach_waiting
expect_qr "$MYTAX_DEFAULT"
screen_case "waiting" TERM 143 "Waiting for the customer to confirm in My Tax" \
    "Scan the code or open:"
note "waiting: the code decoded before the storm"

run_npdlink
submit_inn 500000000100
expect "Not self-employed" 15
screen_case "not self-employed" INT 130 "Not self-employed" "INN: 50********00"

run_npdlink
submit_inn 500000000276
expect "Already linked to Bank 131" 15
screen_case "already linked" HUP 129 "Already linked to Bank 131" \
    "INN: 50********76"

run_npdlink
submit_inn 500000000660
expect "This is not an answer about the customer." 15
screen_case "error" TERM 143 "This is not an answer about the customer." \
    "The tax service did not answer"

T_PANE=declined:
expect "The customer declined, or the request failed" 45
screen_case "declined" INT 130 "The customer declined, or the request failed" \
    "INN: 50********13"

T_PANE=linked:
expect "Linked to Bank 131" 45
screen_case "linked" HUP 129 "Linked to Bank 131" "INN: 50********40"

# The waiting screen's code after a storm, with a fresh npdlink: drawn
# again and readable.
T_PANE=npd:
run_npdlink
reach_waiting
resize_storm "$(npdlink_pid)"
expect "Waiting for the customer to confirm in My Tax" 5
expect_qr "$MYTAX_DEFAULT"
send Escape
expect_inn_screen 5
quit_npdlink
