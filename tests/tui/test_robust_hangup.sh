#!/bin/sh
# The terminal going away. With its pty master closed and no SIGHUP (the
# terminal is not npdlink's controlling one), npdlink exits within 3 s on
# the INN and waiting screens and its sandbox goes with it. With the tmux
# pane killed (SIGHUP) on the waiting screen, npdlink exits at once and
# sends nothing more: a sandbox started apart from it, so that it outlives
# npdlink, logs no request in the 35 s after, although a check would have
# been due every 30 s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

PTYCLOSE="$BUILD/tools/ptyclose"
[ -x "$PTYCLOSE" ] || fail "$PTYCLOSE is missing (make build-tests)"
KEY="$T_STATE/npdlink/sandbox-key.pem"

# pty_close WHAT STEPS...: npdlink --sandbox under ptyclose; the master is
# closed after STEPS; npdlink must have exited within 3 s.
pty_close()
{
    pc_what=$1
    shift
    env -i PATH="$PATH" HOME="$T_HOME" XDG_STATE_HOME="$T_STATE" \
        XDG_CONFIG_HOME="$T_CONFIG" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
        TERMINFO="$T_HOME/.terminfo" TERM=xterm-256color \
        "$PTYCLOSE" --within 3 "$@" -- "$NPDLINK" --sandbox \
        >"$T_DIR/pty.out" 2>&1 ||
        fail "$pc_what: $(cat "$T_DIR/pty.out")"
    grep -q '^exited 1 after' "$T_DIR/pty.out" ||
        fail "$pc_what: want exit status 1: $(cat "$T_DIR/pty.out")"
    sleep 0.5
    [ -z "$(our_processes)" ] || fail "$pc_what: left running: $(our_processes)"
    note "pty closed on the $pc_what: $(cat "$T_DIR/pty.out")"
}

make_terminfo
pty_close "INN screen" --after "12 digits"
CR=$(printf '\r')
pty_close "waiting screen" --after "12 digits" --type 500000000734 \
    --type "$CR" --after "Press Y" --type y --after "Scan the code"

# A sandbox of our own, on the keys npdlink made above.
[ -f "$KEY" ] || fail "npdlink --sandbox made no key in $T_STATE"
: >"$T_DIR/port.txt"
"$BUILD/npdlink-sandbox" --port 0 --public-key "${KEY%.pem}.pub.pem" \
    </dev/null >"$T_DIR/port.txt" 2>"$T_DIR/sandbox.log" &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; lib_cleanup' EXIT
n=50
while ! grep -q '^port=' "$T_DIR/port.txt" && [ "$n" -gt 0 ]; do
    sleep 0.1
    n=$((n - 1))
done
port=$(sed -n 's/^port=//p' "$T_DIR/port.txt")
[ -n "$port" ] || fail "the sandbox reported no port: $(cat "$T_DIR/sandbox.log")"

# requests: lines the sandbox logged for requests (its own notes start
# with its name).
requests()
{
    grep -c -v '^npdlink-sandbox:' "$T_DIR/sandbox.log"
}

start_shell
type_text "'$NPDLINK' --base-url http://127.0.0.1:$port --project-id sandbox \
--key-file '$KEY'"
send Enter
expect_inn_screen 15
submit_inn 500000000734
expect "Press Y if the customer agrees." 15
send y
expect "Waiting for the customer to confirm in My Tax" 15
expect "Next check in" 10
pid=$(npdlink_pid)
[ -n "$pid" ] || fail "cannot find the npdlink process"
before=$(requests)
[ "$before" -ge 2 ] || fail "the sandbox logged $before requests, want 2 or more"

tm kill-pane -t "$T_PANE"
n=15
while [ -d "/proc/$pid" ] && [ "$n" -gt 0 ]; do
    sleep 0.2
    n=$((n - 1))
done
[ -d "/proc/$pid" ] && fail "npdlink $pid still running 3 s after its pane closed"
note "pane killed: npdlink exited within 3 s"

sleep 35
kill -0 "$sandbox_pid" 2>/dev/null || fail "the sandbox died with npdlink"
after=$(requests)
[ "$after" -eq "$before" ] ||
    fail "requests after the pane closed: $before before, $after after"
note "no request in the 35 s after: $before logged in all"
