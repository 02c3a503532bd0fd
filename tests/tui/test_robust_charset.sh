#!/bin/sh
# A locale that is not UTF-8 (LC_ALL=C): npdlink sends the terminal
# nothing but ASCII on every screen it passes, text and QR code alike,
# and the code, drawn as black and white spaces, still decodes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

T_COLS=160
T_ROWS=50

# ascii_screen WHAT: the capture with colours holds only ASCII bytes.
ascii_screen()
{
    screen_e >"$T_DIR/ascii.txt"
    expect_ascii_file "$T_DIR/ascii.txt"
    note "$1: ASCII only"
}

start_shell_env LANG=C LC_ALL=C
run_npdlink
ascii_screen "INN screen"
expect "npdlink -- Bank 131 self-employed linking" 1

submit_inn 500000000340
expect "Press Y if the customer agrees." 15
ascii_screen "consent screen"
expect "My Tax -> Settings -> Partners" 1

send y
expect "Waiting for the customer to confirm in My Tax" 15
ascii_screen "waiting screen"
expect "(Predlagaet podklyuchit" 1
refute "??"
screen | grep -q -e '▀' -e '▄' -e '█' && fail "block characters drawn"
expect_qr "$MYTAX_DEFAULT"

# A smaller window: the notice keeps to ASCII as well ("x", not "×").
tm resize-window -t "$T_PANE" -x 70 -y 24
expect "Enlarge the window to" 5
ascii_screen "waiting screen too small"
screen | grep -q 'Enlarge the window to [0-9]*x[0-9]* ' ||
    fail "the size is not written with an ASCII x"
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"

send Escape
expect_inn_screen 5

# A verdict in green: still plain ASCII.
submit_inn 500000000276
expect "Already linked to Bank 131" 15
ascii_screen "already linked screen"

# F2 asks for Russian: in ASCII it comes out transliterated, never as
# raw UTF-8.
send F2
expect "Banku 131" 5
ascii_screen "Russian in ASCII"
send F2
expect "Already linked to Bank 131" 5
send Enter
expect_inn_screen 5
quit_npdlink
