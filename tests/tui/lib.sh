# Helpers shared by the screen tests; each tests/tui/test_*.sh sources it.
#
# Every test gets its own tmux server on a private socket, a pane of a
# fixed size running an interactive shell, and a private HOME,
# XDG_STATE_HOME and XDG_CONFIG_HOME, so the sandbox keys, log and settings
# of one test never meet another's. The shell is dash when there is one:
# it has no line editor that sets terminal modes of its own, so `stty -a`
# after npdlink shows what npdlink left.
#
# A test calls start_shell and run_npdlink, then drives the screen with
# send/type_text and asserts with expect/expect_gone/refute; the first
# failed assertion ends the test with the screen printed to stderr.

: "${BUILD:?set BUILD to the absolute build directory}"

NPDLINK="$BUILD/npdlink"
SCREEN2PBM="$BUILD/tools/screen2pbm"
T_NAME=$(basename "$0" .sh)
T_COLS=100
T_ROWS=45
T_PROMPT='npd-test$ '
MYTAX_DEFAULT='https://lknpd.nalog.ru/settings/partners/'
INN_TITLE="Customer's INN (12 digits)"
INN_EMPTY_FIELD='[____________]'

T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/npdlink-tui.XXXXXX") || exit 1
T_HOME="$T_DIR/home"
T_STATE="$T_HOME/state"
T_CONFIG="$T_HOME/config"
T_LOG="$T_STATE/npdlink/sandbox.log"
T_SOCK="$T_DIR/tmux.sock"
T_PANE=npd
mkdir -p "$T_HOME" "$T_STATE" "$T_CONFIG" || exit 1
T_SHELL=$(command -v dash || echo sh)
unset TMUX TMUX_PANE

tm()
{
    tmux -S "$T_SOCK" -f /dev/null "$@"
}

lib_cleanup()
{
    tm kill-server >/dev/null 2>&1
    rm -rf "$T_DIR"
}
trap lib_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 141' PIPE

note()
{
    printf '  %s: %s\n' "$T_NAME" "$*"
}

# Ends the test: the reason, then what the pane showed.
fail()
{
    printf '  %s: FAIL: %s\n' "$T_NAME" "$*" >&2
    if [ -S "$T_SOCK" ]; then
        printf '  --- screen (%sx%s) ---\n' \
            "$(tm display -p -t "$T_PANE" '#{pane_width}')" \
            "$(tm display -p -t "$T_PANE" '#{pane_height}')" >&2
        tm capture-pane -p -t "$T_PANE" >&2
        printf '  --- end of screen ---\n' >&2
    fi
    exit 1
}

for lib_tool in tmux zbarimg; do
    command -v "$lib_tool" >/dev/null 2>&1 ||
        fail "$lib_tool is not installed (sh scripts/deps installs it)"
done
for lib_file in "$NPDLINK" "$BUILD/npdlink-sandbox" "$SCREEN2PBM"; do
    [ -x "$lib_file" ] || fail "$lib_file is missing (make all build-tests)"
done

# tmux reports only cells that were written: blanks erased in a colour
# (ECH, EL under back-colour-erase) vanish from a capture, so a quiet zone
# drawn that way would look missing. The pane's xterm-256color entry is
# therefore the system one without bce and ech: curses then paints every
# coloured blank as a character, and the capture shows each cell as the
# terminal does.
make_terminfo()
{
    infocmp -x xterm-256color >"$T_DIR/xterm.src" 2>/dev/null ||
        fail "infocmp cannot read xterm-256color"
    sed -e 's/\<bce,//' -e 's/\<ech=[^,]*,//' "$T_DIR/xterm.src" |
        tic -x -o "$T_HOME/.terminfo" - 2>/dev/null ||
        fail "tic cannot compile the test terminal entry"
    ! TERMINFO="$T_HOME/.terminfo" infocmp -x xterm-256color |
        grep -q -e '\<bce,' -e '\<ech=' ||
        fail "the test terminal entry still has bce or ech"
}

# The pane runs an interactive shell with a clean environment and a
# known prompt.
start_shell()
{
    make_terminfo
    tm new-session -d -s "$T_PANE" -x "$T_COLS" -y "$T_ROWS" -c "$T_DIR" \
        "env -i PATH='$PATH' HOME='$T_HOME' XDG_STATE_HOME='$T_STATE' \
XDG_CONFIG_HOME='$T_CONFIG' LANG=C.UTF-8 LC_ALL=C.UTF-8 \
TERMINFO='$T_HOME/.terminfo' TERM=xterm-256color PS1='$T_PROMPT' '$T_SHELL' -i" ||
        fail "cannot start tmux"
    expect_prompt 5
}

# The whole pane as plain text; screen_e adds colours and keeps trailing
# spaces, as screen2pbm wants.
screen()
{
    tm capture-pane -p -t "$T_PANE"
}

screen_e()
{
    tm capture-pane -p -e -N -t "$T_PANE"
}

# send KEY...: tmux key names (Enter, Escape, C-c, q).
send()
{
    tm send-keys -t "$T_PANE" "$@"
}

# type TEXT: the characters of TEXT as typed.
type_text()
{
    tm send-keys -t "$T_PANE" -l "$1"
}

# Runs npdlink --sandbox from the shell with extra arguments.
start_npdlink()
{
    type_text "'$NPDLINK' --sandbox $*"
    send Enter
}

on_screen()
{
    screen | grep -F -q -- "$1"
}

# wait_ticks TEXT N: polls the pane every 0.2 s, N times; 1 on timeout.
wait_ticks()
{
    lib_n=$2
    while [ "$lib_n" -gt 0 ]; do
        on_screen "$1" && return 0
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    return 1
}

# wait_for TEXT [SECONDS]: TEXT appears within SECONDS (default 10).
wait_for()
{
    wait_ticks "$1" $((${2:-10} * 5))
}

# wait_gone TEXT [SECONDS]: polls until TEXT is no longer shown.
wait_gone()
{
    lib_n=$(( ${2:-10} * 5 ))
    while [ "$lib_n" -gt 0 ]; do
        on_screen "$1" || return 0
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    return 1
}

expect()
{
    wait_for "$1" "${2:-10}" || fail "\"$1\" did not appear within ${2:-10} s"
}

expect_gone()
{
    wait_gone "$1" "${2:-10}" || fail "\"$1\" still shown after ${2:-10} s"
}

# expect_soon TEXT: TEXT appears within 0.6 s, i.e. at once for a person.
expect_soon()
{
    wait_ticks "$1" 3 || fail "\"$1\" did not appear within 0.6 s"
}

# refute TEXT: TEXT must not be on the screen now.
refute()
{
    on_screen "$1" && fail "\"$1\" is shown but must not be"
    return 0
}

# The prompt is the last non-blank line: the shell has the terminal back.
expect_prompt()
{
    lib_n=$(( ${1:-10} * 5 ))
    while [ "$lib_n" -gt 0 ]; do
        lib_last=$(screen | grep -v '^ *$' | tail -n 1)
        [ "$lib_last" = "${T_PROMPT% }" ] && return 0
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    fail "the shell prompt did not come back within ${1:-10} s"
}

# Runs `stty -a` in the pane and checks that echo and icanon are on: a
# program that left the terminal raw fails here. The output goes to a file
# (renamed into place when complete), so no earlier text on the screen
# can be mistaken for it.
expect_sane_tty()
{
    rm -f "$T_DIR/stty.out"
    type_text "stty -a >'$T_DIR/stty.tmp' 2>&1; \
mv '$T_DIR/stty.tmp' '$T_DIR/stty.out'"
    send Enter
    lib_n=25
    while [ ! -f "$T_DIR/stty.out" ] && [ "$lib_n" -gt 0 ]; do
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    [ -f "$T_DIR/stty.out" ] || fail "stty -a did not run in the pane"

    lib_modes=$(tr ' ;' '\n\n' <"$T_DIR/stty.out")
    for lib_mode in echo icanon; do
        printf '%s\n' "$lib_modes" | grep -q -x -- "$lib_mode" ||
            fail "terminal left without $lib_mode: $(cat "$T_DIR/stty.out")"
    done
    note "terminal sane: echo and icanon on"
}

# Processes are read from /proc (Linux), so the tests need no ps.
# lib_procs prints "pid ppid comm" for every process named npdlink*.
lib_procs()
{
    cat /proc/[0-9]*/stat 2>/dev/null |
        awk '$2 ~ /^\(npdlink/ { gsub(/[()]/, "", $2); print $1, $4, $2 }'
}

# The pid of npdlink started from the pane's shell; empty when none.
npdlink_pid()
{
    lib_shell=$(tm display -p -t "$T_PANE" '#{pane_pid}')
    lib_procs | awk -v sh="$lib_shell" '$2 == sh && $3 == "npdlink" {
        print $1; exit }'
}

# Our npdlink and npdlink-sandbox processes still running, as "pid name
# arguments": those whose arguments name this test's private state
# directory (npdlink's own sandbox is given its key file from there).
our_processes()
{
    lib_procs | while read -r lib_pid _ lib_comm; do
        lib_args=$(tr '\0' ' ' <"/proc/$lib_pid/cmdline" 2>/dev/null)
        case $lib_args in
        *"$T_STATE"*) echo "$lib_pid $lib_comm $lib_args" ;;
        esac
    done
}

# expect_npdlink_gone [SECONDS]: npdlink and its sandbox have exited.
expect_npdlink_gone()
{
    lib_n=$(( ${1:-5} * 5 ))
    while [ "$lib_n" -gt 0 ]; do
        [ -z "$(npdlink_pid)" ] && [ -z "$(our_processes)" ] && return 0
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    fail "still running after ${1:-5} s: $(npdlink_pid) $(our_processes)"
}

# read_qr: decodes the QR code on the screen into $T_DIR/qr.txt with
# screen2pbm and zbarimg; fails the test when either refuses.
read_qr()
{
    screen_e >"$T_DIR/screen.txt"
    "$SCREEN2PBM" <"$T_DIR/screen.txt" >"$T_DIR/qr.pbm" 2>"$T_DIR/s2p.err" ||
        fail "$(cat "$T_DIR/s2p.err")"
    zbarimg --raw -q "$T_DIR/qr.pbm" >"$T_DIR/qr.txt" 2>/dev/null ||
        fail "zbarimg found no QR code in the drawn block"
}

# expect_qr TEXT: the code on screen decodes to TEXT exactly, byte for
# byte (zbarimg --raw ends its output with one newline).
expect_qr()
{
    read_qr
    printf '%s\n' "$1" >"$T_DIR/qr.want"
    cmp -s "$T_DIR/qr.want" "$T_DIR/qr.txt" ||
        fail "QR decodes to '$(cat "$T_DIR/qr.txt")', want '$1'"
    note "QR decodes to $1"
}

# expect_colour_check_bites: the last capture read by read_qr, with every
# SGR sequence taken out (so the code shows in the terminal's own
# colours), must be refused by screen2pbm: the colour check is live on
# what npdlink really draws.
expect_colour_check_bites()
{
    lib_esc=$(printf '\033')
    sed "s/$lib_esc\[[0-9;:]*m//g" "$T_DIR/screen.txt" >"$T_DIR/plain.txt"
    grep -q '█' "$T_DIR/plain.txt" || fail "no code in the last capture"
    "$SCREEN2PBM" <"$T_DIR/plain.txt" >/dev/null 2>"$T_DIR/s2p.err" &&
        fail "screen2pbm accepted the code in the terminal's own colours"
    grep -q 'not drawn black on white' "$T_DIR/s2p.err" ||
        fail "screen2pbm refused for another reason: $(cat "$T_DIR/s2p.err")"
    note "the same code without its colours is refused"
}

# How many requests of one kind the sandbox has logged so far.
log_count()
{
    if [ -f "$T_LOG" ]; then
        grep -c -F -- "$1" "$T_LOG"
    else
        echo 0
    fi
}

# Types an INN into the field and presses Enter.
submit_inn()
{
    type_text "$1"
    send Enter
}

# A clean INN screen: the title and an empty field.
expect_inn_screen()
{
    expect "$INN_TITLE" "${1:-10}"
    expect "$INN_EMPTY_FIELD" 2
}

# Starts npdlink from the pane's shell and waits for its INN screen.
run_npdlink()
{
    start_npdlink "$@"
    expect_inn_screen 15
    expect SANDBOX 1
}

# Quits from the INN screen; the shell must get a sane terminal back and
# npdlink and its sandbox must be gone.
quit_npdlink()
{
    send q
    expect_prompt 5
    expect_npdlink_gone 5
    expect_sane_tty
}

# From the INN screen to the waiting screen for the sandbox customer who
# confirms on their own (500000000340).
reach_waiting()
{
    submit_inn 500000000340
    expect "Press Y if the customer agrees." 15
    send y
    expect "Waiting for the customer to confirm in My Tax" 15
}

# No block character (U+2580, U+2584, U+2588) anywhere on the screen: no
# code, not even a clipped part of one, is drawn.
refute_qr_glyphs()
{
    screen | grep -q -e '▀' -e '▄' -e '█' &&
        fail "part of a QR code is drawn: $1"
    return 0
}

# Sets $last_status to the exit status of the pane's last command.
read_last_status()
{
    rm -f "$T_DIR/status.out"
    type_text "echo \$? >'$T_DIR/status.tmp'; \
mv '$T_DIR/status.tmp' '$T_DIR/status.out'"
    send Enter
    lib_n=25
    while [ ! -f "$T_DIR/status.out" ] && [ "$lib_n" -gt 0 ]; do
        sleep 0.2
        lib_n=$((lib_n - 1))
    done
    [ -f "$T_DIR/status.out" ] || fail "the shell did not report a status"
    last_status=$(cat "$T_DIR/status.out")
}
