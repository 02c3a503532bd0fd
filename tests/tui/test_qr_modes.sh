#!/bin/sh
# The three ways of drawing the QR code: chosen with --qr-mode, with the
# qr_mode setting and with M on the waiting screen; each one decodes to
# the configured address byte for byte, the screen names the mode in
# use, the "enlarge the window" notice gives the chosen mode's size, and
# a locale without UTF-8 gets the colour mode whatever was chosen.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/robust.sh"

URL='https://my.example.org/qr-modes/partners/'
T_COLS=160
T_ROWS=60

# expect_mode NAME: the screen names the mode and the code decodes.
expect_mode()
{
    expect "QR mode: $1 (M: next mode)" 5
    expect_qr "$URL"
}

has_glyph()
{
    screen | grep -q -e "$1"
}

start_shell

# A mode that does not exist is refused before the screen opens.
type_text "'$NPDLINK' --sandbox --qr-mode big"
send Enter
expect "qr_mode: must be half, large or colour" 5
read_last_status
[ "$last_status" = 2 ] || fail "--qr-mode big exited with $last_status, want 2"
note "--qr-mode big refused with status 2"

# FLAG: colour, then M through half and large back to colour.
run_npdlink "--mytax-url=$URL" --qr-mode colour
reach_waiting
expect_mode colour
refute_qr_glyphs "in colour mode"
note "colour: spaces only"

send M
expect_mode half
has_glyph '▀' || fail "half mode draws no upper half block"
size=$(sed -n 2p "$T_DIR/qr.pbm" | cut -d ' ' -f 1)
size=$((size / 8))
note "half: half blocks; the code is $size modules across"

send M
expect_mode large
has_glyph '█' || fail "large mode draws no full block"
has_glyph '▀' && fail "large mode draws an upper half block"
has_glyph '▄' && fail "large mode draws a lower half block"
note "large: full blocks only"

# The notice names the width the chosen mode needs: twice the code's
# modules, the gap, the narrowest text column and the margins.
tm resize-window -t "$T_PANE" -x 100 -y 45
expect "Enlarge the window to $((2 * size + 40))×" 5
refute_qr_glyphs "in large mode at 100x45"
send M
expect "QR mode: colour" 5
expect "Enlarge the window to $((2 * size + 40))×" 5
send M
expect "QR mode: half" 5
expect_gone "Enlarge the window to" 5
expect_qr "$URL"
note "100x45: large and colour ask for $((2 * size + 40)) columns, half fits"
tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"

send Escape
expect_inn_screen 5
quit_npdlink

# SETTING: qr_mode from a --config file.
printf 'qr_mode = large\n' >"$T_DIR/large.conf"
run_npdlink "--mytax-url=$URL" "--config=$T_DIR/large.conf"
reach_waiting
expect_mode large
has_glyph '▀' && fail "large mode from the settings draws half blocks"
send Escape
expect_inn_screen 5
quit_npdlink
note "qr_mode = large from the settings file"

# NO UTF-8: only colour; the screen says why.
type_text "LC_ALL=C LANG=C '$NPDLINK' --sandbox --mytax-url=$URL \
--qr-mode large"
send Enter
expect_inn_screen 15
reach_waiting
expect "Only the colour mode works without a UTF-8" 5
expect "large was chosen." 1
expect_mode colour
screen_e >"$T_DIR/ascii.txt"
expect_ascii_file "$T_DIR/ascii.txt"
send Escape
expect_inn_screen 5
quit_npdlink
note "C locale: colour mode, and the screen says large was chosen"
