# Helpers for the robustness tests (test_robust_*.sh), on top of lib.sh.

# start_shell_env ENV...: like start_shell, but the pane's shell gets the
# given VAR=value settings after the usual ones, so a test can change the
# locale, TERM or NO_COLOR for everything it runs.
start_shell_env()
{
    make_terminfo
    tm new-session -d -s "$T_PANE" -x "$T_COLS" -y "$T_ROWS" -c "$T_DIR" \
        "env -i PATH='$PATH' HOME='$T_HOME' XDG_STATE_HOME='$T_STATE' \
XDG_CONFIG_HOME='$T_CONFIG' LANG=C.UTF-8 LC_ALL=C.UTF-8 \
TERMINFO='$T_HOME/.terminfo' TERM=xterm-256color PS1='$T_PROMPT' $* \
'$T_SHELL' -i" || fail "cannot start tmux"
    expect_prompt 5
}

# resize_storm: sizes down to one cell, as fast as tmux sends them, then
# the given size again; npdlink (pid $1) must still be running.
resize_storm()
{
    for rs_size in 1x1 2x1 1x2 3x3 10x2 1x1 80x5 5x40 1x1 40x12 2x2 1x1 \
        7x1 1x7 1x1; do
        tm resize-window -t "$T_PANE" -x "${rs_size%x*}" -y "${rs_size#*x}" ||
            fail "tmux cannot resize to $rs_size"
    done
    sleep 0.5
    [ "$(npdlink_pid)" = "$1" ] || fail "npdlink died in the resize storm"
    tm resize-window -t "$T_PANE" -x "$T_COLS" -y "$T_ROWS"
}

# expect_cursor_visible: tmux's own view of the cursor after npdlink left.
expect_cursor_visible()
{
    [ "$(tm display -p -t "$T_PANE" '#{cursor_flag}')" = 1 ] ||
        fail "the cursor was left hidden"
}

# Every byte of the file is printable ASCII, ESC (for the capture's own
# colour sequences) or a newline.
expect_ascii_file()
{
    if LC_ALL=C grep -n -v '^[ -~[:cntrl:]]*$' "$1" >"$T_DIR/nonascii.txt"; then
        fail "bytes outside ASCII on the screen: $(head -n 3 "$T_DIR/nonascii.txt")"
    fi
    return 0
}
