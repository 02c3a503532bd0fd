#!/bin/sh
# The consent screen in a window too small for the permissions and the
# terms: a notice with the size that shows them, no Y in the footer, and
# Y files nothing, in English and in Russian. The size the notice asks
# for is tried: at it the whole text and Y are back, one row less and the
# notice stays.
. "$(dirname "$0")/lib.sh"

NOTICE='Enlarge the window to'
PRESS_Y='Press Y if the customer agrees.'

# asked_size: the W×H the notice asks for, as "W H".
asked_size()
{
    screen | tr '\n' ' ' | grep -o 'Enlarge the window to [0-9]*×[0-9]*' |
        head -n 1 | sed 's/.* to //; s/×/ /'
}

# joined TEXT: TEXT somewhere on the screen, lines joined by spaces, for
# a sentence that wraps.
joined()
{
    screen | sed 's/^ *//; s/ *$//' | tr '\n' ' ' | grep -F -q -- "$1" ||
        fail "\"$1\" is not on the screen"
}

# y_files_nothing WHERE: Y on the notice leaves the screen as it is and
# sends no token request.
y_files_nothing()
{
    send y
    sleep 1
    refute "Waiting for the customer to confirm in My Tax"
    [ "$(log_count '/token')" -eq 0 ] ||
        fail "Y in $1 asked for a token: $(log_count '/token')"
}

# fits_at_asked_size: the asked size shows the text whole, one row less
# does not.
fits_at_asked_size()
{
    set -- $(asked_size)
    [ $# -eq 2 ] || set -- $(screen | tr '\n' ' ' |
        grep -o 'Увеличьте окно до [0-9]*×[0-9]*' | head -n 1 |
        sed 's/.* до //; s/×/ /')
    [ $# -eq 2 ] || fail "no size in the notice"
    tm resize-window -t "$T_PANE" -x "$1" -y $(($2 - 1))
    sleep 0.5
    wait_for "$NOTICE" 5 || wait_for "Увеличьте окно до" 1 ||
        fail "no notice at ${1}x$(($2 - 1))"
    tm resize-window -t "$T_PANE" -x "$1" -y "$2"
    expect_gone "$NOTICE" 5
    expect_gone "Увеличьте окно до" 5
    wait_for "$PRESS_Y" 2 || wait_for "Нажмите Y, если клиент согласен." 1 ||
        fail "no Y prompt at ${1}x$2"
    note "asked for ${1}x$2: the text fits there, not one row less"
}

start_shell
run_npdlink
submit_inn 500000000734
expect "$PRESS_Y" 15

# TOO SMALL: the notice instead of a cut list, and no Y.
tm resize-window -t "$T_PANE" -x 80 -y 14
expect "$NOTICE" 5
joined "the terms in full; the customer can agree only to what they can read."
refute "$PRESS_Y"
refute "Y customer agrees"
expect "N/Esc next customer" 1
y_files_nothing "80x14"
note "80x14: notice, no Y in the footer, Y files nothing"

tm resize-window -t "$T_PANE" -x 20 -y 8
sleep 0.5
y_files_nothing "20x8"
note "20x8: Y files nothing"

tm resize-window -t "$T_PANE" -x 80 -y 14
expect "$NOTICE" 5
fits_at_asked_size

tm resize-window -t "$T_PANE" -x 60 -y 12
expect "$NOTICE" 5
send F2
expect "Увеличьте окно до" 5
joined "клиент может согласиться только с тем, что видит на экране."
fits_at_asked_size
expect "Нажмите Y, если клиент согласен." 1
send F2

# LARGE: the whole text, and Y files the request once.
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
expect "$PRESS_Y" 5
send y
expect "Waiting for the customer to confirm in My Tax" 15
[ "$(log_count '/token')" -eq 1 ] ||
    fail "$(log_count '/token') token requests, want 1"
note "${T_COLS}x$T_ROWS: Y files the request once"

send Escape
expect_inn_screen 5
quit_npdlink

# SHORT: one permission, so the text fits a window of 16 rows or fewer,
# which has no blank row under the header; the size asked for is exact
# there too.
printf 'permissions = INCOME_REGISTRATION\n' >"$T_DIR/one.conf"
run_npdlink "--config '$T_DIR/one.conf'"
submit_inn 500000000734
expect "$PRESS_Y" 15
tm resize-window -t "$T_PANE" -x 80 -y 8
expect "$NOTICE" 5
set -- $(asked_size)
[ "${2:-99}" -le 16 ] || fail "asked for ${1}x$2, want 16 rows or fewer"
fits_at_asked_size
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
send Escape
expect_inn_screen 5
quit_npdlink
