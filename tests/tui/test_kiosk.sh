#!/bin/sh
# Kiosk mode: Ctrl-Z and Ctrl-\ do nothing, every way to quit asks
# first, and the idle timeout wipes what was typed, ends a session in
# progress as "idle" in the audit trail, and brings a clean INN screen.
. "$(dirname "$0")/lib.sh"

AUDIT="$T_STATE/npdlink/audit.jsonl"

# The fields of /proc/PID/stat that say whether npdlink still owns the
# terminal: its state (T when stopped), its process group and the
# terminal's foreground group.
expect_in_foreground()
{
    set -- $(cat "/proc/$1/stat" 2>/dev/null) ||
        fail "npdlink is gone"
    [ "$3" != T ] || fail "npdlink was stopped"
    [ "$5" = "$8" ] ||
        fail "npdlink (group $5) is not in the foreground (group $8)"
}

start_shell

# LOCKED KEYS, with --kiosk.
run_npdlink --kiosk
pid=$(npdlink_pid)
[ -n "$pid" ] || fail "cannot find the npdlink process"
type_text 1234
expect '[1234________]' 2
send C-z
sleep 1
expect_in_foreground "$pid"
expect '[1234________]' 1
refute "$T_PROMPT"
note "Ctrl-Z: still running in the foreground, screen unchanged"

send 'C-\'
sleep 1
expect_in_foreground "$pid"
expect '[1234________]' 1
note "Ctrl-\\: still running, screen unchanged"

# QUIT ASKS: n stays, Ctrl-C asks as well, y leaves.
send q
expect_soon "Quit npdlink? y/n"
send n
expect_gone "Quit npdlink? y/n" 2
expect '[1234________]' 1
[ "$(npdlink_pid)" = "$pid" ] || fail "npdlink ended after n"
send C-c
expect_soon "Quit npdlink? y/n"
send Escape
expect_gone "Quit npdlink? y/n" 2
[ "$(npdlink_pid)" = "$pid" ] || fail "npdlink ended after Ctrl-C"
note "q and Ctrl-C ask; n and Esc stay"

send q
expect_soon "Quit npdlink? y/n"
send y
expect_prompt 5
expect_npdlink_gone 5
read_last_status
[ "$last_status" = 0 ] || fail "exit status $last_status after y, want 0"
expect_sane_tty
grep -q 'susp = \^Z' "$T_DIR/stty.out" ||
    fail "the suspend key was not given back: $(cat "$T_DIR/stty.out")"
note "y quits with status 0; Ctrl-Z is the suspend key again"

# IDLE: kiosk and a 3-second timeout from the settings file.
printf 'kiosk = yes\nidle_timeout_s = 3\n' >"$T_DIR/kiosk.conf"
run_npdlink "--config=$T_DIR/kiosk.conf"
type_text 5000
expect '[5000________]' 2
sleep 4
expect_inn_screen 1
note "typed digits wiped after 4 s without a key"

submit_inn 500000000340
expect "Press Y if the customer agrees." 15
sleep 4
expect_inn_screen 1
refute "Press Y if the customer agrees."
grep '"session_end"' "$AUDIT" | grep '"reason": *"idle"' |
    grep -q '"state": *"consent"' ||
    fail "no session_end with reason idle: $(grep session_end "$AUDIT")"
note "consent screen left idle: clean INN screen, session_end reason idle"

send q
expect_soon "Quit npdlink? y/n"
send y
expect_prompt 5
expect_npdlink_gone 5
expect_sane_tty
