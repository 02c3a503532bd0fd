#!/bin/sh
# The waiting screen when the window shrinks: a notice with the size
# needed instead of a clipped code, the code back (and readable) once the
# window is large again, and a storm of tiny sizes the program survives.
# The My Tax address comes from --mytax-url here.
. "$(dirname "$0")/lib.sh"

URL='https://my.example.org/resize/partners/'

start_shell
run_npdlink "--mytax-url=$URL"
reach_waiting
expect_qr "$URL"
pid=$(npdlink_pid)
[ -n "$pid" ] || fail "cannot find the npdlink process"

# TOO SMALL: the notice, the text, and no part of the code.
tm resize-window -t "$T_PANE" -x 60 -y 20
expect "Enlarge the window to" 5
expect "to show the QR code" 1
expect "Waiting for the customer to confirm in My Tax" 1
refute_qr_glyphs "in a 60x20 window"
note "60x20: notice instead of the code"

# NARROW: the header's title is cut before the marks, which stay whole.
TITLE='npdlink — Bank 131 self-employed linking'
for cols in 50 41 30 20; do
    tm resize-window -t "$T_PANE" -x "$cols" -y 20
    wait_for "EN  SANDBOX" 5 || fail "no EN and SANDBOX marks at $cols columns"
    head=$(screen | head -n 1 | sed 's/ *$//')
    case "$head" in
    *" EN  SANDBOX") ;;
    *) fail "at $cols columns the header ends in something else: $head" ;;
    esac
    shown=$(printf '%s\n' "${head%EN  SANDBOX}" | sed 's/^ *//; s/ *$//')
    [ "$shown" = "$TITLE" ] && fail "at $cols columns the title is whole"
    case "$shown" in
    ?*…) ;;
    *) fail "at $cols columns the cut title does not end in …: $shown" ;;
    esac
    case "$TITLE" in
    "${shown%…}"*) ;;
    *) fail "at $cols columns the title is not cut cleanly: $shown" ;;
    esac
done
note "narrow windows: title cut with … before the EN and SANDBOX marks"

# LARGE AGAIN: the code comes back and still decodes.
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
expect "$TITLE" 5
expect_gone "Enlarge the window" 5
expect_qr "$URL"
note "${T_COLS}x$T_ROWS: the code is back"

# 80x24: the guide says this is enough for a code of this size. The
# merged list of steps proves the screen was drawn again for the size.
tm resize-window -t "$T_PANE" -x 80 -y 24
expect "In the My Tax app or on the website:" 5
refute "Enlarge the window to"
expect_qr "$URL"
expect "$URL" 2
note "80x24: the code fits and decodes, the address whole on one row"

# STORM: sizes down to one cell, as fast as tmux sends them.
for size in 1x1 2x1 1x2 3x3 10x2 1x1 80x5 5x40 1x1 40x12 2x2 1x1; do
    tm resize-window -t "$T_PANE" -x "${size%x*}" -y "${size#*x}" ||
        fail "tmux cannot resize to $size"
done
sleep 1
[ "$(npdlink_pid)" = "$pid" ] || fail "npdlink died in the resize storm"
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
expect "Waiting for the customer to confirm in My Tax" 5
expect_qr "$URL"
note "survived the resize storm; the code decodes again"

send Escape
expect_inn_screen 5
quit_npdlink
