#!/bin/sh
# Terminals of every kind: a TERM this computer has no description of is
# refused before anything starts, with a clear message and status 2; an
# 8-colour terminal and NO_COLOR still show a code that decodes (the
# code's black and white are not decoration); a monochrome terminal shows
# an honest notice and the address instead of a code that may not scan.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

# UNKNOWN TERM: one line on stderr, status 2, no sandbox started, nothing
# written to the terminal, and the shell's terminal as it was.
start_shell_env
type_text "TERM=npdlink-no-such-term '$NPDLINK' --sandbox \
>'$T_DIR/out.txt' 2>'$T_DIR/err.txt'"
send Enter
expect_prompt 5
read_last_status
[ "$last_status" = 2 ] || fail "unknown TERM: exit status $last_status, want 2"
[ -s "$T_DIR/out.txt" ] && fail "unknown TERM: output on stdout: $(od -c "$T_DIR/out.txt" | head -n 3)"
[ "$(wc -l <"$T_DIR/err.txt")" -eq 1 ] ||
    fail "unknown TERM: want one line on stderr, got: $(cat "$T_DIR/err.txt")"
grep -q "terminal type 'npdlink-no-such-term' is not known" "$T_DIR/err.txt" ||
    fail "unknown TERM: unclear message: $(cat "$T_DIR/err.txt")"
[ -f "$T_LOG" ] && fail "unknown TERM: the sandbox was started"
expect_npdlink_gone 2
expect_sane_tty
expect_cursor_visible
note "unknown TERM: $(cat "$T_DIR/err.txt")"
tm kill-server

# qr_term ENV...: npdlink in a shell with ENV, on the waiting screen.
qr_term()
{
    rm -rf "$T_STATE/npdlink"
    start_shell_env "$@"
    run_npdlink
    reach_waiting
}

# Leaves npdlink and checks the terminal; the tmux server goes too.
qr_term_end()
{
    send Escape
    expect_inn_screen 5
    quit_npdlink
    expect_cursor_visible
    tm kill-server
}

# 8 COLOURS: black on white is within the eight.
qr_term TERM=xterm
expect_qr "$MYTAX_DEFAULT"
refute "cannot show the QR code"
qr_term_end
note "TERM=xterm: the code decodes"

qr_term TERM=screen
expect_qr "$MYTAX_DEFAULT"
qr_term_end
note "TERM=screen: the code decodes"

# NO_COLOR: the decorative colours go (the SANDBOX marker is reverse
# video, not yellow), the code keeps its black and white.
qr_term NO_COLOR=1
expect_qr "$MYTAX_DEFAULT"
screen_e | grep -q "$(printf '\033')\[[0-9;]*43m" &&
    fail "NO_COLOR: a yellow background is still drawn"
qr_term_end
note "NO_COLOR: no decorative colour, the code decodes"

# MONOCHROME: no code at all, the notice and the address instead.
for mono in vt100 xterm-mono; do
    qr_term TERM=$mono
    expect "This terminal cannot show the QR code" 5
    expect "$MYTAX_DEFAULT" 1
    refute_qr_glyphs "on $mono"
    screen_e >"$T_DIR/mono.txt"
    "$SCREEN2PBM" <"$T_DIR/mono.txt" >/dev/null 2>&1 &&
        fail "$mono: screen2pbm found a code"
    qr_term_end
    note "TERM=$mono: notice and address instead of the code"
done
